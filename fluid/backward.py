"""Reverse-mode differentiation of a program: appends ``paddlec.train::<Op>Grad`` nodes.

For every forward node on a path from a trainable value to the loss, in reverse graph order,
one gradient node is appended. Its inputs are the forward node's inputs, outputs and output
gradients (missing ones empty); its outputs are the gradients of the inputs flagged in the
``need`` attribute; the forward attributes are copied so that the kernel sees them. A value
used by several nodes gets ``paddlec.train::Sum`` of its contributions. Gradients are named
``<var>@GRAD`` as in Paddle.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import onnx_ir as ir

from .framework import TRAIN_DOMAIN, Parameter, Program, Variable
from .kernels import GRADIENT

__all__ = ["append_backward", "gradients", "NON_DIFFERENTIABLE"]

# Ops whose outputs carry no gradient (integer/boolean results, generators).
NON_DIFFERENTIABLE = {
    "Equal",
    "Cast",
    "TopK",
    "ArgMax",
    "ReduceMax",
    "RandomUniform",
    "RandomNormal",
    "ConstantOfShape",
    "Shape",
}


def _is_float(value: ir.Value) -> bool:
    return value.dtype is not None and value.dtype.is_floating_point()


class _Backward:
    def __init__(self, program: Program, no_grad: set[str]) -> None:
        self.program = program
        self.graph = program.graph
        self.no_grad = no_grad
        self.contributions: dict[str, list[ir.Value]] = {}
        self.final: dict[str, ir.Value] = {}

    def requires_grad(self, sources: set[str]) -> set[str]:
        """Names of float values that depend on a source without crossing a stop."""
        live = set(sources)
        for node in self.graph:
            if node.domain == TRAIN_DOMAIN or node.op_type in NON_DIFFERENTIABLE:
                continue
            if any(v is not None and v.name in live for v in node.inputs):
                for out in node.outputs:
                    var = self.program.global_block().vars.get(out.name)
                    stopped = var is not None and var.stop_gradient
                    if _is_float(out) and not stopped and out.name not in self.no_grad:
                        live.add(out.name)
        return live

    def run(self, loss: Variable, sources: set[str]) -> None:
        live = self.requires_grad(sources)
        if loss.name not in live:
            return
        producers = {v.name: node for node in self.graph for v in node.outputs}
        on_path: set[ir.Node] = set()
        stack = [producers[loss.name]] if loss.name in producers else []
        while stack:  # nodes the loss depends on, reachable from a source
            node = stack.pop()
            if node in on_path:
                continue
            on_path.add(node)
            stack += [
                producers[v.name]
                for v in node.inputs
                if v is not None and v.name in live and v.name in producers
            ]
        seed = self._node("FillOnesLike", [loss.value], {}, [self._fresh(f"{loss.name}@GRAD")])
        self._contribute(loss.name, seed.outputs[0])
        for node in reversed([n for n in self.graph if n in on_path]):
            self._differentiate(node, live)

    def _differentiate(self, node: ir.Node, live: set[str]) -> None:
        douts = [self.grad_of(v.name) for v in node.outputs]
        if all(d is None for d in douts):
            return
        if node.op_type not in GRADIENT:
            raise NotImplementedError(
                f"no gradient for {node.op_type} ({node.outputs[0].name})"
            )
        need = [int(v is not None and v.name in live) for v in node.inputs]
        names = [self._fresh(f"{v.name}@GRAD") for v, flag in zip(node.inputs, need) if flag]
        attrs = {name: attr for name, attr in node.attributes.items()}
        attrs.update(fwd_inputs=len(node.inputs), fwd_outputs=len(node.outputs), need=need)
        grad_node = self._node(
            f"{node.op_type}Grad", list(node.inputs) + list(node.outputs) + douts, attrs, names
        )
        results = iter(grad_node.outputs)
        for value, flag in zip(node.inputs, need):
            if flag:
                out = next(results)
                out.type, out.shape = value.type, value.shape
                self._contribute(value.name, out)

    def _contribute(self, name: str, grad: ir.Value) -> None:
        self.contributions.setdefault(name, []).append(grad)

    def grad_of(self, name: str) -> ir.Value | None:
        """The accumulated gradient of ``name`` (all its users are differentiated by now)."""
        if name in self.final:
            return self.final[name]
        parts = self.contributions.get(name)
        if not parts:
            return None
        if len(parts) == 1:
            grad = parts[0]
        else:
            grad = self._node("Sum", parts, {}, [self._fresh(f"{name}@GRAD")]).outputs[0]
            grad.type, grad.shape = parts[0].type, parts[0].shape
        self.final[name] = grad
        self.program.add_variable(grad, stop_gradient=True)
        return grad

    def _fresh(self, name: str) -> str:
        taken = self.program.global_block().vars
        used = {v.name for parts in self.contributions.values() for v in parts}
        candidate, index = name, 0
        while candidate in taken or candidate in used:
            index += 1
            candidate = f"{name}@RENAME@{index}"
        return candidate

    def _node(self, op_type: str, inputs, attrs: dict, outputs: Sequence[str]) -> ir.Node:
        return self.program.append_node(
            op_type, inputs, attrs, outputs=outputs, domain=TRAIN_DOMAIN
        )


def append_backward(
    loss: Variable,
    parameter_list: Iterable | None = None,
    no_grad_set: Iterable | None = None,
    callbacks=None,
) -> list[tuple[Parameter, Variable]]:
    """Append the gradient nodes of ``loss``; returns ``(parameter, gradient)`` pairs for the
    trainable parameters (or ``parameter_list``) that the loss depends on."""
    program = loss.program
    no_grad = {_name(v) for v in (no_grad_set or [])}
    params = [p for p in program.all_parameters() if p.trainable and p.name not in no_grad]
    if parameter_list is not None:
        wanted = {_name(p) for p in parameter_list}
        params = [p for p in params if p.name in wanted]
    backward = _Backward(program, no_grad)
    backward.run(loss, {p.name for p in params})
    pairs = []
    for param in params:
        grad = backward.grad_of(param.name)
        if grad is not None:
            pairs.append((param, program.global_block().var(grad.name)))
    return pairs


def gradients(targets, inputs, target_gradients=None, no_grad_set=None) -> list:
    """Gradients of the sum of ``targets`` w.r.t. ``inputs`` (None where independent)."""
    if target_gradients is not None:
        raise NotImplementedError("gradients: target_gradients is not supported")
    targets = targets if isinstance(targets, (list, tuple)) else [targets]
    inputs = inputs if isinstance(inputs, (list, tuple)) else [inputs]
    if len(targets) != 1:
        raise NotImplementedError("gradients: one target is supported")
    program = targets[0].program
    backward = _Backward(program, {_name(v) for v in (no_grad_set or [])})
    backward.run(targets[0], {v.name for v in inputs})
    result = []
    for var in inputs:
        grad = backward.grad_of(var.name)
        result.append(program.global_block().var(grad.name) if grad is not None else None)
    return result


def _name(item) -> str:
    return item.name if isinstance(item, Variable) else str(item)
