"""The explicit registry of Paddle op mappers, keyed by (program format, op type).

A mapper is registered once for both formats::

    @register("conv2d", "depthwise_conv2d", ins=("Input", "Filter"), outs=("Output",))
    def conv2d(cx, op): ...

``ins``/``outs`` name the legacy slots *in PIR operand/result order*, so the mapper reads
``op.inputs[i]`` the same way for both formats (PIR programs address operands by position).
``legacy=`` gives the legacy op type(s) when they differ from PIR's (``elementwise_add`` vs
``add``). A slot name ending in ``*`` is a list (``concat``'s inputs). Mappers return the
output values in ``outs`` order; outputs they do not produce (batch-norm statistics, masks)
must be unused by the rest of the program.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import onnx_ir as ir

from .....errors import UnsupportedModelError
from ..program import PIR, PROTOBUF, PaddleOp

__all__ = ["Mapper", "OpView", "REGISTRY", "register", "lookup"]

_MISSING = object()


@dataclass(frozen=True)
class Mapper:
    fn: Callable
    ins: tuple[str, ...]
    outs: tuple[str, ...]


REGISTRY: dict[tuple[str, str], Mapper] = {}


def register(*pir_types: str, ins: Sequence[str], outs: Sequence[str] = ("Out",),
             legacy: str | Sequence[str] | None = None) -> Callable:
    """Register ``fn`` for the PIR op types given and the legacy types (default: the same)."""
    legacy_types = pir_types if legacy is None else ((legacy,) if isinstance(legacy, str)
                                                     else tuple(legacy))

    def wrap(fn: Callable) -> Callable:
        mapper = Mapper(fn, tuple(ins), tuple(outs))
        for op_type in pir_types:
            REGISTRY[(PIR, op_type)] = mapper
        for op_type in legacy_types:
            REGISTRY[(PROTOBUF, op_type)] = mapper
        return fn

    return wrap


def lookup(fmt: str, op_type: str) -> Mapper | None:
    return REGISTRY.get((fmt, op_type))


class OpView:
    """What a mapper sees: inputs as IR values (lists for ``*`` slots), attributes, ranks."""

    def __init__(self, cx, op: PaddleOp, fmt: str, mapper: Mapper):
        self.cx, self.op, self.fmt, self.type = cx, op, fmt, op.type
        self.slots: list[list[str]] = []
        for position, slot in enumerate(mapper.ins):
            key = str(position) if fmt == PIR else slot.rstrip("*")
            self.slots.append(op.inputs.get(key, []))
        self.inputs: list = []
        for slot, names in zip(mapper.ins, self.slots):
            values = [cx.value(name, op) for name in names]
            self.inputs.append(values if slot.endswith("*") else (values[0] if values else None))

    def attr(self, name: str, default: object = _MISSING) -> object:
        value = self.op.attrs.get(name)
        if value is None:
            if default is _MISSING:
                raise self.unsupported(f"attribute {name!r} is missing")
            return default
        return value

    def const(self, index: int) -> np.ndarray | None:
        """The compile-time value of input ``index`` (a ``full``/parameter output), or None."""
        value = self.inputs[index]
        if not isinstance(value, ir.Value) or value.const_value is None:
            return None
        return value.const_value.numpy()

    def var(self, index: int):
        names = self.slots[index]
        return self.cx.program.vars.get(names[0]) if names else None

    def shape(self, index: int) -> list[int] | None:
        """The Paddle-declared shape of input ``index`` (-1 = dynamic), or None."""
        var = self.var(index)
        return None if var is None or var.shape is None else list(var.shape)

    def rank(self, index: int) -> int:
        shape = self.shape(index)
        if shape is None:
            raise self.unsupported(f"the rank of input {index} is unknown")
        return len(shape)

    def dtype(self, index: int) -> np.dtype:
        var = self.var(index)
        if var is None or var.dtype is None:
            raise self.unsupported(f"the dtype of input {index} is unknown")
        return var.dtype

    def num_outputs(self, index: int) -> int:
        """How many values output ``index`` holds (a ``*`` slot such as split's)."""
        names = list(self.op.outputs.values())
        key = str(index) if self.fmt == PIR else None
        return len(self.op.outputs.get(key, [])) if key else len(names[0]) if names else 0

    def out_dtype(self, index: int = 0) -> np.dtype | None:
        key = str(index) if self.fmt == PIR else None
        names = self.op.outputs.get(key, []) if key else next(iter(self.op.outputs.values()), [])
        var = self.cx.program.vars.get(names[0]) if names else None
        return None if var is None else var.dtype

    def unsupported(self, why: str) -> UnsupportedModelError:
        return UnsupportedModelError(f"{self.cx.program.source}: {self.op.describe()}: {why}")
