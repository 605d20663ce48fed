"""The Executor: runs a Program on the CPU with numpy kernels.

Engine choice: every op (ONNX forward ops, their gradients, optimizer updates) has a numpy
kernel in ``fluid.kernels``. onnxruntime cannot run the ``paddlec.train`` ops without a
custom-op library, the ONNX reference evaluator runs convolutions in Python loops (too slow
to train), and compiling with TVM costs seconds per program change. numpy kernels train a
LeNet on 28x28 images in seconds, and are checked against onnxruntime (forward) and finite
differences (gradients) in ``tests/fluid``.

A run executes the nodes needed for the fetches plus every state write
(``paddlec.train::Assign``: parameter updates, BN running statistics), in graph order, then
applies the state writes to the scope. Persistable variables are read from the scope.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import onnx_ir as ir

from ..errors import PaddlecError
from ._blas import single_blas_thread
from .framework import TRAIN_DOMAIN, Program, Variable, default_main_program
from .kernels import FORWARD, GRADIENT, KernelContext

__all__ = [
    "Executor",
    "CPUPlace",
    "CUDAPlace",
    "Scope",
    "global_scope",
    "scope_guard",
    "ExecutionError",
]


class ExecutionError(PaddlecError):
    """A program cannot run: a missing feed, an uninitialized parameter, a bad shape."""

    exit_code = 2


class CPUPlace:
    def __repr__(self) -> str:
        return "CPUPlace"


class CUDAPlace:
    """Accepted for source compatibility; the Executor always computes on the CPU (compile
    the saved model for ``cuda`` to run it on a GPU)."""

    def __init__(self, device_id: int = 0) -> None:
        self.device_id = device_id

    def __repr__(self) -> str:
        return f"CUDAPlace({self.device_id})"


class Scope:
    """Values of persistable variables by name (Paddle's scope, flat)."""

    def __init__(self) -> None:
        self._vars: dict[str, np.ndarray] = {}

    def has(self, name: str) -> bool:
        return name in self._vars

    def get(self, name: str) -> np.ndarray:
        return self._vars[name]

    def set(self, name: str, value: np.ndarray) -> None:
        self._vars[name] = np.asarray(value)

    def find_var(self, name: str):
        return _ScopeVar(self, name) if name in self._vars else None

    def names(self) -> list[str]:
        return sorted(self._vars)


class _ScopeVar:
    """``scope.find_var(name).get_tensor()`` as in Paddle; ``np.array(tensor)`` works."""

    def __init__(self, scope: Scope, name: str) -> None:
        self._scope, self._name = scope, name

    def get_tensor(self):
        return self

    def __array__(self, dtype=None, copy=None):
        value = self._scope.get(self._name)
        return value if dtype is None else value.astype(dtype)

    def set(self, value, place=None) -> None:
        self._scope.set(self._name, np.asarray(value))


_global_scope = Scope()


def global_scope() -> Scope:
    return _global_scope


class scope_guard:
    def __init__(self, scope: Scope) -> None:
        self._scope = scope

    def __enter__(self):
        global _global_scope
        self._saved, _global_scope = _global_scope, self._scope

    def __exit__(self, *exc):
        global _global_scope
        _global_scope = self._saved


class _Step:
    """One node ready to run: its kernel, input/output names and attributes."""

    def __init__(self, node: ir.Node) -> None:
        self.node = node
        self.inputs = [v.name if v is not None else None for v in node.inputs]
        self.outputs = [v.name for v in node.outputs]
        self.attrs = {name: attr.value for name, attr in node.attributes.items()}
        self.is_write = node.domain == TRAIN_DOMAIN and node.op_type == "Assign"
        self.grad_of = None
        if node.domain == TRAIN_DOMAIN and node.op_type.endswith("Grad"):
            self.grad_of = node.op_type[:-4]
            self.kernel = GRADIENT.get(self.grad_of)
        else:
            self.kernel = FORWARD.get((node.domain, node.op_type))
        if self.kernel is None:
            domain = f"{node.domain}::" if node.domain else ""
            raise ExecutionError(f"the Executor has no kernel for {domain}{node.op_type}")


class Executor:
    """``run(program, feed, fetch_list)`` as in Paddle; returns numpy arrays."""

    def __init__(self, place=None) -> None:
        self.place = place or CPUPlace()
        self._plans: dict = {}
        self._rngs: dict[int, np.random.Generator] = {}

    def close(self) -> None:
        self._plans.clear()

    def run(
        self,
        program: Program | None = None,
        feed: dict | None = None,
        fetch_list: Sequence | None = None,
        feed_var_name: str = "feed",
        fetch_var_name: str = "fetch",
        scope: Scope | None = None,
        return_numpy: bool = True,
        use_program_cache: bool = False,
    ) -> list:
        program = program if program is not None else default_main_program()
        scope = scope if scope is not None else global_scope()
        feed = dict(feed or {})
        fetch_names = [_name(item) for item in (fetch_list or [])]
        steps, needed = self._plan(program, tuple(fetch_names))
        env = self._bind(program, feed, needed, scope)
        rng = self._rngs.setdefault(program._uid, np.random.default_rng(program.random_seed))
        writes: dict[str, np.ndarray] = {}
        memo: dict = {}
        with single_blas_thread():
            for step in steps:
                self._execute(step, env, rng, writes, memo)
        for target, value in writes.items():
            scope.set(target, value)
        missing = [n for n in fetch_names if n not in env]
        if missing:
            raise ExecutionError(f"cannot fetch {missing}: not computed by this program")
        return [np.asarray(env[n]) for n in fetch_names]

    # -- planning -------------------------------------------------------------------------
    def _plan(self, program: Program, fetch_names: tuple[str, ...]):
        key = (program._uid, program._version, fetch_names)
        if key not in self._plans:
            self._plans[key] = _make_plan(program, fetch_names)
        return self._plans[key]

    def _bind(self, program: Program, feed: dict, needed: set[str], scope: Scope) -> dict:
        graph = program.graph
        env: dict[str, np.ndarray] = {}
        for value in graph.inputs:
            if value.name in feed:
                env[value.name] = _check_feed(value, feed.pop(value.name))
            elif value.name in needed:
                raise ExecutionError(f"feed {value.name!r} is needed but was not given")
        for name, value in graph.initializers.items():
            if name in feed:  # feeding a persistable overrides it for this run
                env[name] = np.asarray(feed.pop(name))
            elif name not in needed:
                continue
            elif value.const_value is not None:
                env[name] = value.const_value.numpy()
            elif scope.has(name):
                env[name] = scope.get(name)
            else:
                raise ExecutionError(
                    f"variable {name!r} has no value in the scope: "
                    "run the startup program first"
                )
        for name, value in feed.items():  # feeding an intermediate variable
            if name not in program.global_block().vars:
                raise ExecutionError(f"feed {name!r} is not a variable of this program")
            env[name] = np.asarray(value)
        return env

    def _execute(self, step: _Step, env: dict, rng, writes: dict, memo: dict) -> None:
        if all(name in env for name in step.outputs) and step.outputs:
            return  # fed directly
        args = [env[name] if name is not None else None for name in step.inputs]
        ctx = KernelContext(step.attrs, rng, memo=memo)
        try:
            if step.grad_of is not None:
                results = _run_grad(step, ctx, args)
            else:
                results = step.kernel(ctx, *args)
        except (ValueError, IndexError) as exc:
            raise ExecutionError(
                f"{step.node.op_type} ({', '.join(step.outputs) or 'no outputs'}) "
                f"failed: {exc}"
            ) from exc
        if step.is_write:
            writes[step.attrs["target"]] = args[0]
            return
        for name, result in zip(step.outputs, results):
            env[name] = result


def _run_grad(step: _Step, ctx: KernelContext, args: list) -> list:
    """Grad nodes take (forward inputs, forward outputs, output grads) and produce the
    gradients of the inputs flagged in ``need`` (one output per flagged input)."""
    n_in, n_out = step.attrs["fwd_inputs"], step.attrs["fwd_outputs"]
    ctx.need = [bool(flag) for flag in step.attrs["need"]]
    inputs, outputs, douts = args[:n_in], args[n_in : n_in + n_out], args[n_in + n_out :]
    grads = step.kernel(ctx, inputs, outputs, douts)
    return [g for g, wanted in zip(grads, ctx.need) if wanted]


def _make_plan(program: Program, fetch_names: tuple[str, ...]):
    """Nodes that produce the fetches or feed a state write, in graph order."""
    graph = program.graph
    producers = {v.name: node for node in graph for v in node.outputs}
    known = {v.name for v in graph.inputs} | set(graph.initializers) | set(producers)
    for name in fetch_names:
        if name not in known:
            raise ExecutionError(f"cannot fetch {name!r}: not a variable of this program")
    wanted: set[ir.Node] = set()
    needed: set[str] = set()
    stack = [producers[n] for n in fetch_names if n in producers]
    needed.update(fetch_names)
    stack += [n for n in graph if n.domain == TRAIN_DOMAIN and n.op_type == "Assign"]
    while stack:
        node = stack.pop()
        if node in wanted:
            continue
        wanted.add(node)
        for value in node.inputs:
            if value is None:
                continue
            needed.add(value.name)
            if value.name in producers:
                stack.append(producers[value.name])
    steps = [_Step(node) for node in graph if node in wanted]
    return steps, needed


def _check_feed(value: ir.Value, data) -> np.ndarray:
    array = np.asarray(data)
    want = np.dtype(value.dtype.numpy())
    if array.dtype != want:
        if array.dtype.kind in "fc" and want.kind in "iub":
            raise ExecutionError(
                f"feed {value.name!r}: expected {want.name}, got {array.dtype}"
            )
        array = array.astype(want)
    shape = value.shape
    if shape is not None:
        if array.ndim != len(shape):
            raise ExecutionError(
                f"feed {value.name!r}: expected rank {len(shape)} "
                f"({list(shape)}), got shape {list(array.shape)}"
            )
        for want_dim, got in zip(shape, array.shape):
            if isinstance(want_dim, int) and want_dim != got:
                raise ExecutionError(
                    f"feed {value.name!r}: expected shape {list(shape)}, "
                    f"got {list(array.shape)}"
                )
    return array


def _name(item) -> str:
    if isinstance(item, Variable):
        return item.name
    if isinstance(item, str):
        return item
    raise TypeError(f"fetch_list items must be Variables or names, got {item!r}")
