"""One in-memory form for both Paddle program formats (legacy ProgramDesc and PIR JSON).

The readers (``pdmodel.py``, ``pir.py``) produce a :class:`PaddleProgram`; the op mappers
(``ops/``) and ``paddlec inspect`` read only this form. Op types are canonical: the PIR
dialect prefix and the in-place ``_`` suffix are dropped (``1.batch_norm_`` → ``batch_norm``).
Inputs and outputs are named slots in the legacy format (``Input``, ``Filter``) and positions
(``"0"``, ``"1"``) in PIR; ``ops/registry.py`` hides that difference from the mappers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["PaddleVar", "PaddleOp", "PaddleProgram", "PIR", "PROTOBUF"]

PIR = "paddle-pir"
PROTOBUF = "paddle-protobuf"


@dataclass
class PaddleVar:
    """A variable (legacy) or value (PIR) with its declared dtype and shape (-1 = dynamic)."""

    name: str
    dtype: np.dtype | None
    shape: list[int] | None
    persistable: bool = False


@dataclass
class PaddleOp:
    type: str
    inputs: dict[str, list[str]]
    outputs: dict[str, list[str]]
    attrs: dict[str, object]
    index: int

    def describe(self) -> str:
        return f"op #{self.index} ({self.type})"


@dataclass
class PaddleProgram:
    """A Paddle inference program, without the feed/fetch ops (they become inputs/outputs)."""

    format: str
    source: Path
    ops: list[PaddleOp]
    vars: dict[str, PaddleVar]
    feeds: list[str]                      # input variable names, in feed order
    fetches: list[tuple[str, str]]        # (variable name, output name), in fetch order
    params: list[str] = field(default_factory=list)  # persistable names, in params-file order

    def op_histogram(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for op in self.ops:
            counts[op.type] = counts.get(op.type, 0) + 1
        return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
