"""A :class:`PaddleProgram` + its weights → the IR (an ``onnx_ir.Model``, ONNX opset 17).

Every op goes through the mapper registered for it (``ops/``). Before anything is built,
the whole program is checked and *every* op type without a mapper is reported in one
:class:`UnsupportedModelError`, with counts. Weights become initializers that wrap the
arrays given (views into the mapped params file), so no copy is made here.
"""

from __future__ import annotations

import collections
import itertools

import numpy as np
import onnx_ir as ir

from ....errors import ModelLoadError, UnsupportedModelError
from .ops import lookup
from .ops.registry import OpView
from .program import PaddleOp, PaddleProgram

__all__ = ["OPSET", "Context", "convert_program", "unsupported_ops"]

OPSET = 17


def unsupported_ops(program: PaddleProgram) -> dict[str, int]:
    """Op types of ``program`` that have no mapper, with how often each occurs."""
    counts = collections.Counter(op.type for op in program.ops
                                 if lookup(program.format, op.type) is None)
    return dict(sorted(counts.items()))


class Context:
    """Builds the graph: maps Paddle variable names to IR values and records new nodes."""

    def __init__(self, program: PaddleProgram):
        self.program = program
        self.tape = ir.tape.Tape()
        self.values: dict[str, ir.Value] = {}
        self.initializers: list[ir.Value] = []
        self.shape_dims: dict[ir.Value, list[int]] = {}    # Shape outputs → declared dims
        self.shape_dtype: dict[ir.Value, type] = {}
        self._used_names: set[str] = set()
        self._counter = itertools.count()

    def value(self, name: str, op: PaddleOp) -> ir.Value:
        try:
            return self.values[name]
        except KeyError:
            raise UnsupportedModelError(
                f"{self.program.source}: {op.describe()} reads {name!r}, which no earlier op "
                "produced (an output paddlec does not compute, or a corrupt program)") from None

    def fresh_name(self) -> str:
        return f"paddlec_t{next(self._counter)}"

    def op(self, op_type: str, inputs: list, attrs: dict | None = None) -> ir.Value:
        """Append one ONNX node with a single output and return that output."""
        value = self.tape.op(op_type, inputs, attrs or {})
        value.name = self.fresh_name()
        return value

    def ops(self, op_type: str, inputs: list, attrs: dict | None, count: int) -> list[ir.Value]:
        values = self.tape.op_multi_out(op_type, inputs, attrs or {}, num_outputs=count)
        for value in values:
            value.name = self.fresh_name()
        return list(values)

    def const(self, array: np.ndarray | int | float, dtype: object = None,
              name: str | None = None) -> ir.Value:
        """A constant as an initializer (so that later mappers can read it back)."""
        array = np.asarray(array, dtype=dtype)
        value = ir.Value(name=name or self.fresh_name(), const_value=ir.Tensor(array),
                         shape=ir.Shape(array.shape),
                         type=ir.TensorType(ir.DataType.from_numpy(array.dtype)))
        self.initializers.append(value)
        return value

    def add_value(self, value: ir.Value, initializer: bool = False) -> None:
        """Register a graph input or a weight under its own name."""
        self.values[value.name] = value
        self._used_names.add(value.name)
        if initializer:
            self.initializers.append(value)

    def ints(self, values, name: str | None = None) -> ir.Value:
        return self.const(np.asarray(values, dtype=np.int64).reshape(-1), name=name)

    def bind(self, name: str, value: ir.Value) -> None:
        """Make ``value`` the IR value of Paddle variable ``name`` (and give it that name)."""
        if value.name and value.name.startswith("paddlec_t") and name not in self._used_names:
            value.name = name
            self._used_names.add(name)
        self.values[name] = value

    def name_taken(self, name: str) -> bool:
        return name in self._used_names


def _graph_input(program: PaddleProgram, name: str) -> ir.Value:
    """A feed as a graph input; a dynamic first dimension is named ``N`` (the batch)."""
    var = program.vars.get(name)
    if var is None or var.dtype is None or var.shape is None:
        raise ModelLoadError(f"{program.source}: input {name!r} has no declared dtype/shape")
    dims = [d if d >= 0 else ("N" if i == 0 else f"{name}_dim{i}")
            for i, d in enumerate(var.shape)]
    return ir.Value(name=name, shape=ir.Shape(dims),
                    type=ir.TensorType(ir.DataType.from_numpy(var.dtype)))


def convert_program(program: PaddleProgram, weights: dict[str, np.ndarray]) -> ir.Model:
    """Map every op of ``program`` to ONNX nodes; ``weights`` holds every persistable tensor."""
    missing = unsupported_ops(program)
    if missing:
        listing = ", ".join(f"{op} ({count})" for op, count in missing.items())
        raise UnsupportedModelError(f"{program.source}: unsupported Paddle operators: {listing}")
    cx = Context(program)
    inputs = [_graph_input(program, name) for name in program.feeds]
    for value in inputs:
        cx.add_value(value)
    for name, array in weights.items():
        value = ir.Value(name=name, const_value=ir.Tensor(array), shape=ir.Shape(array.shape),
                         type=ir.TensorType(ir.DataType.from_numpy(array.dtype)))
        cx.add_value(value, initializer=True)
    for op in program.ops:
        mapper = lookup(program.format, op.type)
        view = OpView(cx, op, program.format, mapper)
        try:
            results = mapper.fn(cx, view)
        except (AttributeError, TypeError, KeyError, IndexError, ValueError,
                ArithmeticError) as exc:  # attributes / operands as the file has them
            raise ModelLoadError(f"{program.source}: {op.describe()}: malformed "
                                 f"attributes or operands: {type(exc).__name__}: {exc}"
                                 ) from exc
        for position, (slot, result) in enumerate(zip(mapper.outs, results)):
            key = str(position) if program.format == "paddle-pir" else slot.rstrip("*")
            names = op.outputs.get(key, [])
            produced = result if isinstance(result, list) else [result]
            if result is None:
                continue
            if len(produced) != len(names):
                raise view.unsupported(f"output {slot} has {len(names)} values, the mapper "
                                       f"made {len(produced)}")
            for name, value in zip(names, produced):
                cx.bind(name, value)
    outputs = []
    for var_name, out_name in program.fetches:
        value = cx.values.get(var_name)
        if value is None:
            raise ModelLoadError(f"{program.source}: fetched variable {var_name!r} is never "
                                 "computed")
        renamable = value.producer() is not None and value not in outputs and (
            value.name == out_name or not cx.name_taken(out_name))
        if not renamable:  # an input or weight fetched directly, or fetched twice
            value = cx.op("Identity", [value])
        value.name = out_name
        declared = program.vars.get(var_name)
        if value.type is None and declared is not None and declared.dtype is not None:
            value.type = ir.TensorType(ir.DataType.from_numpy(declared.dtype))
        if value.shape is None and declared is not None and declared.shape is not None:
            value.shape = ir.Shape([d if d >= 0 else f"{out_name}_dim{i}"
                                    for i, d in enumerate(declared.shape)])
        outputs.append(value)
    used = [v for v in cx.initializers if v.uses() or v in outputs]
    graph = ir.Graph(inputs, outputs, nodes=cx.tape.nodes, initializers=used,
                     opset_imports={"": OPSET}, name=program.source.stem)
    return ir.Model(graph, ir_version=8, producer_name="paddlec-paddle-frontend")
