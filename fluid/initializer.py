"""Parameter initializers: each appends the node that creates a parameter's first value to the
startup program, followed by a ``paddlec.train::Assign`` that stores it in the scope.

Random initializers use ONNX's ``RandomUniform`` / ``RandomNormal`` (truncated normal has no
ONNX op: ``paddlec.train::TruncatedNormal``). Seeds come from the startup program's
``random_seed`` and the parameter's position, so runs are reproducible; an explicit ``seed``
wins. Defaults follow Paddle 1.x: fc uses Xavier, conv2d a He-style normal, biases zero.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import onnx_ir as ir

from .framework import TRAIN_DOMAIN, Program, to_ir_dtype

__all__ = [
    "Initializer",
    "Constant",
    "Uniform",
    "Normal",
    "TruncatedNormal",
    "Xavier",
    "MSRA",
    "ConstantInitializer",
    "UniformInitializer",
    "NormalInitializer",
    "TruncatedNormalInitializer",
    "XavierInitializer",
    "MSRAInitializer",
]


def _fans(shape: Sequence[int]) -> tuple[int, int]:
    """Paddle's fan computation: fc weights are [in, out]; conv filters [out, in, k...]."""
    if len(shape) < 2:
        return shape[0] if shape else 1, shape[0] if shape else 1
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = int(np.prod(shape[2:]))
    return shape[1] * receptive, shape[0] * receptive


class Initializer:
    """Base class: ``init(startup, name, shape, dtype)`` appends the startup nodes."""

    seed: int = 0

    def _seed(self, startup: Program) -> float:
        if self.seed:
            return float(self.seed)
        return float((startup.random_seed * 7919 + len(startup.graph) + 1) % (2**31))

    def init(self, startup: Program, name: str, shape: Sequence[int], dtype) -> None:
        node = self._node(startup, name, [int(d) for d in shape], dtype)
        startup.append_node("Assign", [node.outputs[0]], {"target": name}, domain=TRAIN_DOMAIN)

    def _node(self, startup: Program, name: str, shape: list[int], dtype):
        raise NotImplementedError


class Constant(Initializer):
    def __init__(self, value: float = 0.0, force_cpu: bool = False) -> None:
        self.value = value

    def _node(self, startup, name, shape, dtype):
        shape_value = startup.add_constant(np.array(shape, np.int64), prefix="shape")
        fill = ir.tensor(np.array([self.value], dtype=np.dtype(to_ir_dtype(dtype).numpy())))
        return startup.append_node(
            "ConstantOfShape", [shape_value], {"value": fill}, outputs=[name]
        )


class Uniform(Initializer):
    def __init__(self, low: float = -1.0, high: float = 1.0, seed: int = 0) -> None:
        self.low, self.high, self.seed = low, high, seed

    def _node(self, startup, name, shape, dtype):
        attrs = {
            "low": float(self.low),
            "high": float(self.high),
            "shape": shape,
            "dtype": int(to_ir_dtype(dtype)),
            "seed": self._seed(startup),
        }
        return startup.append_node("RandomUniform", [], attrs, outputs=[name])


class Normal(Initializer):
    def __init__(self, loc: float = 0.0, scale: float = 1.0, seed: int = 0) -> None:
        self.loc, self.scale, self.seed = loc, scale, seed

    def _node(self, startup, name, shape, dtype):
        attrs = {
            "mean": float(self.loc),
            "scale": float(self.scale),
            "shape": shape,
            "dtype": int(to_ir_dtype(dtype)),
            "seed": self._seed(startup),
        }
        return startup.append_node("RandomNormal", [], attrs, outputs=[name])


class TruncatedNormal(Normal):
    """Normal samples redrawn until within two standard deviations (Paddle's definition)."""

    def _node(self, startup, name, shape, dtype):
        attrs = {
            "mean": float(self.loc),
            "scale": float(self.scale),
            "shape": shape,
            "dtype": int(to_ir_dtype(dtype)),
            "seed": self._seed(startup),
        }
        return startup.append_node(
            "TruncatedNormal", [], attrs, outputs=[name], domain=TRAIN_DOMAIN
        )


class Xavier(Initializer):
    """Glorot: uniform in ±sqrt(6 / (fan_in + fan_out)) or normal with std sqrt(2 / (...))."""

    def __init__(
        self,
        uniform: bool = True,
        fan_in: int | None = None,
        fan_out: int | None = None,
        seed: int = 0,
    ) -> None:
        self.uniform, self.fan_in, self.fan_out, self.seed = uniform, fan_in, fan_out, seed

    def _node(self, startup, name, shape, dtype):
        fan_in, fan_out = _fans(shape)
        fan_in, fan_out = self.fan_in or fan_in, self.fan_out or fan_out
        if self.uniform:
            limit = math.sqrt(6.0 / (fan_in + fan_out))
            return Uniform(-limit, limit, self.seed)._node(startup, name, shape, dtype)
        std = math.sqrt(2.0 / (fan_in + fan_out))
        return Normal(0.0, std, self.seed)._node(startup, name, shape, dtype)


class MSRA(Initializer):
    """He/Kaiming: uniform in ±sqrt(6 / fan_in) or normal with std sqrt(2 / fan_in)."""

    def __init__(self, uniform: bool = True, fan_in: int | None = None, seed: int = 0) -> None:
        self.uniform, self.fan_in, self.seed = uniform, fan_in, seed

    def _node(self, startup, name, shape, dtype):
        fan_in = self.fan_in or _fans(shape)[0]
        if self.uniform:
            limit = math.sqrt(6.0 / fan_in)
            return Uniform(-limit, limit, self.seed)._node(startup, name, shape, dtype)
        return Normal(0.0, math.sqrt(2.0 / fan_in), self.seed)._node(
            startup, name, shape, dtype
        )


ConstantInitializer = Constant
UniformInitializer = Uniform
NormalInitializer = Normal
TruncatedNormalInitializer = TruncatedNormal
XavierInitializer = Xavier
MSRAInitializer = MSRA
