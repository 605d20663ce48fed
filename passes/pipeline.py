"""The pass pipeline: a flat, ordered list of named passes, each enabled from an -O level.

``run_pipeline`` applies the passes selected by ``opt_level`` (minus ``disabled``) to an
``onnx_ir.Model`` in place and returns one :class:`PassStat` per pass, which the compiler
stores in the manifest and ``paddlec inspect`` shows.

Levels: -O0 runs nothing; -O1 cleanups that never change numerics; -O2 (default) adds
fusions that are exact up to float rounding; -O3 may change numerics within tolerance.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import onnx_ir as ir
import onnx_ir.passes.common as common

__all__ = ["PassSpec", "PassStat", "PASSES", "select_passes", "run_pipeline", "count_nodes"]


@dataclass(frozen=True)
class PassSpec:
    """A named pass: ``factory()`` returns a fresh ``onnx_ir`` pass; it runs from ``level`` up."""

    name: str
    level: int
    factory: Callable[[], ir.passes.PassBase]
    summary: str


@dataclass
class PassStat:
    name: str
    nodes_before: int
    nodes_after: int
    modified: bool
    seconds: float

    def to_json(self, with_time: bool = True) -> dict:
        data = {
            "name": self.name,
            "nodes_before": self.nodes_before,
            "nodes_after": self.nodes_after,
            "modified": self.modified,
        }
        if with_time:  # manifests leave timings out so that they are reproducible
            data["seconds"] = round(self.seconds, 4)
        return data


PASSES: list[PassSpec] = [
    PassSpec("identity_elimination", 1, common.IdentityEliminationPass,
             "y = Identity(x) → uses of y read x (onnx_ir)"),
    PassSpec("common_subexpression_elimination", 1, common.CommonSubexpressionEliminationPass,
             "two nodes with the same op, attributes and inputs → one (onnx_ir)"),
    PassSpec("deduplicate_initializers", 1, common.DeduplicateInitializersPass,
             "initializers with identical contents → one (onnx_ir)"),
    PassSpec("dead_code_elimination", 1, common.RemoveUnusedNodesPass,
             "drop nodes whose outputs nothing reads (onnx_ir)"),
    PassSpec("topological_sort", 1, common.TopologicalSortPass,
             "sort nodes so every input is produced first (onnx_ir)"),
]


def count_nodes(model: ir.Model) -> int:
    return sum(1 for _ in ir.traversal.RecursiveGraphIterator(model.graph))


def select_passes(opt_level: int, disabled: Iterable[str] = ()) -> list[PassSpec]:
    """The passes that run at ``opt_level``; unknown names in ``disabled`` raise ValueError."""
    disabled = set(disabled)
    unknown = disabled - {spec.name for spec in PASSES}
    if unknown:
        names = ", ".join(spec.name for spec in PASSES)
        raise ValueError(f"unknown pass name(s) {sorted(unknown)}; known passes: {names}")
    return [spec for spec in PASSES if spec.level <= opt_level and spec.name not in disabled]


def run_pipeline(
    model: ir.Model, opt_level: int = 2, disabled: Iterable[str] = ()
) -> list[PassStat]:
    """Run the selected passes on ``model`` in place; return per-pass statistics."""
    stats = []
    for spec in select_passes(opt_level, disabled):
        before = count_nodes(model)
        start = time.perf_counter()
        result = spec.factory()(model)
        if result.model is not model:
            raise RuntimeError(f"pass {spec.name} returned a new model; passes run in place")
        stats.append(PassStat(spec.name, before, count_nodes(model), bool(result.modified),
                              time.perf_counter() - start))
    return stats
