"""Programs and variables: the fluid-style static graph, stored as an ``onnx_ir`` graph.

A :class:`Program` owns one ``onnx_ir.Model``. Layers append ONNX nodes (default domain,
opset 17) for the forward computation; ``backward`` and ``optimizer`` append nodes in the
``paddlec.train`` domain (gradients, updates, state writes). So the forward part of any
program is plain ONNX that passes and the compiler read unchanged.

Persistable variables (parameters, BN running statistics, optimizer state, the learning rate)
are graph initializers *without* a value: like Paddle, their values live in a
:class:`~paddlec.fluid.executor.Scope`, written by the startup program and by state writes
(``paddlec.train::Assign``). :meth:`Program.to_model` fills them in from a scope when a
complete ONNX model is needed (save, export).
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator, Sequence

import numpy as np
import onnx_ir as ir

__all__ = [
    "OPSET",
    "TRAIN_DOMAIN",
    "Variable",
    "Parameter",
    "Block",
    "Program",
    "default_main_program",
    "default_startup_program",
    "program_guard",
    "unique_name",
]

OPSET = 17
TRAIN_DOMAIN = "paddlec.train"

_DTYPES = {
    "float32": ir.DataType.FLOAT,
    "float64": ir.DataType.DOUBLE,
    "float16": ir.DataType.FLOAT16,
    "int32": ir.DataType.INT32,
    "int64": ir.DataType.INT64,
    "bool": ir.DataType.BOOL,
    "uint8": ir.DataType.UINT8,
    "int8": ir.DataType.INT8,
}


def to_ir_dtype(dtype) -> ir.DataType:
    """'float32', np.float32 or an ir.DataType → ir.DataType (raises on unknown)."""
    if isinstance(dtype, ir.DataType):
        return dtype
    name = np.dtype(dtype).name
    if name not in _DTYPES:
        raise ValueError(f"unsupported dtype {dtype!r}; use one of {sorted(_DTYPES)}")
    return _DTYPES[name]


class _UniqueName:
    """Paddle-style unique names (``fc_0``, ``fc_1``...); ``guard()`` starts a fresh space."""

    def __init__(self) -> None:
        self._counters: dict[str, itertools.count] = {}

    def generate(self, key: str) -> str:
        counter = self._counters.setdefault(key, itertools.count())
        return f"{key}_{next(counter)}"

    @contextlib.contextmanager
    def guard(self) -> Iterator[None]:
        saved, self._counters = self._counters, {}
        try:
            yield
        finally:
            self._counters = saved


unique_name = _UniqueName()
_PROGRAM_IDS = itertools.count()


class Variable:
    """A named value of a program: wraps an ``ir.Value`` plus Paddle's flags.

    ``shape`` uses -1 for unknown dims, as in Paddle. Arithmetic operators build
    elementwise layers, so ``a + b`` works as in fluid.
    """

    def __init__(
        self,
        block: Block,
        value: ir.Value,
        persistable: bool = False,
        stop_gradient: bool = False,
        is_data: bool = False,
    ) -> None:
        self.block = block
        self.value = value
        self.persistable = persistable
        self.stop_gradient = stop_gradient
        self.is_data = is_data

    @property
    def name(self) -> str:
        return self.value.name

    @property
    def program(self) -> Program:
        return self.block.program

    @property
    def shape(self) -> tuple[int, ...]:
        if self.value.shape is None:
            return ()
        return tuple(d if isinstance(d, int) else -1 for d in self.value.shape)

    @property
    def dtype(self) -> str:
        return np.dtype(self.value.dtype.numpy()).name

    def __repr__(self) -> str:
        return f"Variable({self.name!r}, shape={list(self.shape)}, dtype={self.dtype})"

    def _binary(self, other, op: str, reverse: bool = False) -> Variable:
        from .layers import math as _math

        if not isinstance(other, Variable):
            other = _math.fill_constant([], self.dtype, other, block=self.block)
        left, right = (other, self) if reverse else (self, other)
        return getattr(_math, f"elementwise_{op}")(left, right)

    def __add__(self, other):
        return self._binary(other, "add")

    def __radd__(self, other):
        return self._binary(other, "add", reverse=True)

    def __sub__(self, other):
        return self._binary(other, "sub")

    def __rsub__(self, other):
        return self._binary(other, "sub", reverse=True)

    def __mul__(self, other):
        return self._binary(other, "mul")

    def __rmul__(self, other):
        return self._binary(other, "mul", reverse=True)

    def __truediv__(self, other):
        return self._binary(other, "div")

    def __rtruediv__(self, other):
        return self._binary(other, "div", reverse=True)


class Parameter(Variable):
    """A trainable persistable variable (weights, biases, BN scale/shift)."""

    def __init__(
        self,
        block: Block,
        value: ir.Value,
        trainable: bool = True,
        learning_rate: float = 1.0,
        regularizer=None,
    ) -> None:
        super().__init__(block, value, persistable=True, stop_gradient=not trainable)
        self.trainable = trainable
        self.optimize_attr = {"learning_rate": learning_rate}
        self.regularizer = regularizer


class Block:
    """The one block of a program: its variables by name (Paddle's ``global_block()``)."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self.vars: dict[str, Variable] = {}
        self.idx = 0

    def var(self, name: str) -> Variable:
        if name not in self.vars:
            raise ValueError(f"variable {name!r} is not in this program")
        return self.vars[name]

    def has_var(self, name: str) -> bool:
        return name in self.vars

    def all_parameters(self) -> list[Parameter]:
        return [v for v in self.vars.values() if isinstance(v, Parameter)]

    @property
    def ops(self) -> list[ir.Node]:
        return list(self.program.graph)


class Program:
    """A static program: an ``onnx_ir`` graph plus fluid's variable table.

    Nodes are appended in execution order, so graph order is a topological order.
    ``random_seed`` seeds the startup initializers and dropout masks (deterministic: the
    same seed gives the same parameters).
    """

    def __init__(self) -> None:
        graph = ir.Graph(
            [], [], nodes=[], opset_imports={"": OPSET, TRAIN_DOMAIN: 1}, name="program"
        )
        self.model = ir.Model(graph, ir_version=8, producer_name="paddlec.fluid")
        self.random_seed = 0
        self._block = Block(self)
        self._version = 0
        self._uid = next(_PROGRAM_IDS)  # unlike id(), never reused: keys executor caches
        self._const_count = itertools.count()

    @property
    def graph(self) -> ir.Graph:
        return self.model.graph

    def global_block(self) -> Block:
        return self._block

    def current_block(self) -> Block:
        return self._block

    def block(self, index: int) -> Block:
        if index != 0:
            raise IndexError("paddlec.fluid programs have one block")
        return self._block

    def list_vars(self) -> list[Variable]:
        return list(self._block.vars.values())

    def all_parameters(self) -> list[Parameter]:
        return self._block.all_parameters()

    def __repr__(self) -> str:
        ops = ", ".join(
            f"{n.domain + '::' if n.domain else ''}{n.op_type}" for n in self.graph
        )
        return f"Program({len(self._block.vars)} vars; ops: {ops})"

    # -- building -------------------------------------------------------------------------
    def _touch(self) -> None:
        self._version += 1

    def add_variable(self, value: ir.Value, cls=Variable, **flags) -> Variable:
        if value.name in self._block.vars:
            raise ValueError(f"variable {value.name!r} already exists in this program")
        var = cls(self._block, value, **flags)
        self._block.vars[value.name] = var
        return var

    def add_data(self, name: str, shape: Sequence, dtype) -> Variable:
        dims = [
            d if isinstance(d, int) and d >= 0 else ("N" if i == 0 else f"{name}_d{i}")
            for i, d in enumerate(shape)
        ]
        value = ir.Value(
            name=name, type=ir.TensorType(to_ir_dtype(dtype)), shape=ir.Shape(dims)
        )
        self.graph.inputs.append(value)
        self._touch()
        return self.add_variable(value, stop_gradient=True, is_data=True)

    def add_persistable(
        self, name: str, shape: Sequence[int], dtype, cls=Variable, **flags
    ) -> Variable:
        """A scope-backed initializer (its value comes from the scope at run/save time)."""
        value = ir.Value(
            name=name, type=ir.TensorType(to_ir_dtype(dtype)), shape=ir.Shape(shape)
        )
        self.graph.initializers[name] = value
        self._touch()
        if cls is Variable:
            flags = {"persistable": True, "stop_gradient": True, **flags}
        return self.add_variable(value, cls=cls, **flags)

    def add_constant(self, array: np.ndarray, prefix: str = "const") -> ir.Value:
        """An initializer with a fixed value (shapes, scalars): part of the graph itself."""
        name = f"{prefix}_{next(self._const_count)}"
        while name in self.graph.initializers or name in self._block.vars:
            name = f"{prefix}_{next(self._const_count)}"
        value = ir.Value(name=name, const_value=ir.tensor(np.asarray(array), name=name))
        value.type = ir.TensorType(value.const_value.dtype)
        value.shape = ir.Shape(value.const_value.shape)
        self.graph.register_initializer(value)
        self._touch()
        return value

    def append_node(
        self,
        op_type: str,
        inputs: Sequence[ir.Value | Variable | None],
        attributes: dict | None = None,
        outputs: Sequence[str] = (),
        domain: str = "",
    ) -> ir.Node:
        """Append a node whose outputs get the given (unique) names."""
        values = [x.value if isinstance(x, Variable) else x for x in inputs]
        node = ir.node(
            op_type, values, attributes or {}, domain=domain, num_outputs=len(outputs)
        )
        for value, name in zip(node.outputs, outputs):
            value.name = name
        self.graph.append(node)
        self._touch()
        return node

    # -- copies and export ----------------------------------------------------------------
    def clone(self, for_test: bool = False) -> Program:
        """A copy; ``for_test=True`` also switches it to inference mode (Paddle semantics):
        dropout becomes identity, batch norm uses running statistics, training ops go."""
        copy = Program()
        copy.model = self.model.clone()
        copy.random_seed = self.random_seed
        values = _values_by_name(copy.graph)
        for name, var in self._block.vars.items():
            if name not in values:
                continue
            new = object.__new__(type(var))
            new.__dict__.update(var.__dict__)
            new.block, new.value = copy._block, values[name]
            copy._block.vars[name] = new
        if for_test:
            from .inference_mode import to_inference_mode

            to_inference_mode(copy.model, drop_training_ops=True)
            live = _values_by_name(copy.graph)
            copy._block.vars = {n: v for n, v in copy._block.vars.items() if n in live}
        return copy

    def to_model(self, scope=None, fetch_list: Sequence = ()) -> ir.Model:
        """A complete ``onnx_ir.Model``: a clone whose persistables carry their scope values.

        ``fetch_list`` becomes the graph outputs. Raises ValueError naming a persistable that
        the scope does not hold (the startup program was not run).
        """
        from .executor import global_scope

        scope = scope if scope is not None else global_scope()
        model = self.model.clone()
        fill_persistables(model.graph, scope)
        values = _values_by_name(model.graph)
        for item in fetch_list:
            name = item.name if isinstance(item, Variable) else str(item)
            if name not in values:
                raise ValueError(f"fetch {name!r} is not a variable of this program")
            model.graph.outputs.append(values[name])
        return model


def fill_persistables(graph: ir.Graph, scope) -> None:
    """Give every value-less initializer of ``graph`` its value from ``scope``."""
    for name, value in graph.initializers.items():
        if value.const_value is not None:
            continue
        if not scope.has(name):
            raise ValueError(
                f"persistable variable {name!r} has no value: run the startup program first"
            )
        value.const_value = ir.tensor(np.ascontiguousarray(scope.get(name)), name=name)


def _values_by_name(graph: ir.Graph) -> dict[str, ir.Value]:
    values = {v.name: v for v in graph.inputs}
    values.update(graph.initializers)
    for node in graph:
        values.update((v.name, v) for v in node.outputs if v.name)
    return values


_main_program = Program()
_startup_program = Program()


def default_main_program() -> Program:
    return _main_program


def default_startup_program() -> Program:
    return _startup_program


@contextlib.contextmanager
def program_guard(main_program: Program, startup_program: Program | None = None):
    """Within the block, layers append to ``main_program`` (and initializers to
    ``startup_program``)."""
    global _main_program, _startup_program
    if not isinstance(main_program, Program):
        raise TypeError("program_guard: main_program must be a fluid.Program")
    saved = (_main_program, _startup_program)
    _main_program = main_program
    if startup_program is not None:
        _startup_program = startup_program
    try:
        yield
    finally:
        _main_program, _startup_program = saved
