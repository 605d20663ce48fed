"""numpy kernels for the Executor: ONNX forward ops, their gradients, training ops.

Registries keyed by ``(domain, op_type)``; gradients by the forward ``op_type`` (their nodes
are ``paddlec.train::<Op>Grad``). A forward kernel is ``fn(ctx, *inputs) -> tuple``; a
gradient kernel is ``fn(ctx, inputs, outputs, output_grads) -> list`` with one entry per
forward input (``ctx.need[i]`` says whether input ``i`` wants one; others may be None).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

__all__ = ["KernelContext", "FORWARD", "GRADIENT", "register", "register_grad", "unbroadcast"]

FORWARD: dict[tuple[str, str], Callable] = {}
GRADIENT: dict[str, Callable] = {}


@dataclass
class KernelContext:
    """What a kernel may read besides its inputs: attributes, the RNG, wanted gradients, and
    a memo shared by all kernels of one run (keyed by input identity: the arrays stay alive
    for the whole run, so ids cannot be reused)."""

    attrs: dict
    rng: np.random.Generator
    need: list[bool] = field(default_factory=list)
    memo: dict = field(default_factory=dict)  # per run: lets a gradient reuse forward work

    def attr(self, name: str, default=None):
        return self.attrs.get(name, default)


def register(op_type: str, domain: str = "") -> Callable:
    def wrap(fn: Callable) -> Callable:
        FORWARD[(domain, op_type)] = fn
        return fn

    return wrap


def register_grad(op_type: str) -> Callable:
    def wrap(fn: Callable) -> Callable:
        GRADIENT[op_type] = fn
        return fn

    return wrap


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` over the axes that numpy broadcasting added or stretched to reach it."""
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, d in enumerate(shape) if d == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)


from . import elementwise, nn, tensor, train  # noqa: E402,F401  (fill the registries)
