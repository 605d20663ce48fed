"""Optimizers: ``minimize(loss)`` appends backward nodes, then one update node per parameter
(``paddlec.train::SGD`` / ``Momentum`` / ``Adam``) whose outputs are written back to the
parameter and its accumulators by ``paddlec.train::Assign``.

The learning rate is a persistable variable (``learning_rate_N``), as in Paddle, so it can
be changed in the scope between steps. Accumulators are persistables named
``<param>_<kind>_0`` (``fc_0.w_0_moment1_0``), created in the startup program.
"""

from __future__ import annotations

from collections.abc import Iterable

from .backward import append_backward
from .framework import (
    TRAIN_DOMAIN,
    Parameter,
    Program,
    Variable,
    default_startup_program,
    unique_name,
)
from .initializer import Constant

__all__ = [
    "Optimizer",
    "SGD",
    "Momentum",
    "Adam",
    "SGDOptimizer",
    "MomentumOptimizer",
    "AdamOptimizer",
]


class Optimizer:
    """Base: subclasses define ``_update(...)`` → (op, inputs, attrs, state variables)."""

    def __init__(self, learning_rate: float = 0.001, regularization=None, name=None) -> None:
        if not isinstance(learning_rate, (int, float)):
            raise TypeError("learning_rate must be a number (schedulers are not supported)")
        if regularization is not None:
            raise NotImplementedError("paddlec.fluid optimizers do not support regularization")
        self._learning_rate = float(learning_rate)
        self.regularization = regularization
        self._lr_var: Variable | None = None

    def _persistable(
        self, program: Program, startup: Program, name: str, shape, dtype, value: float
    ) -> Variable:
        var = program.add_persistable(name, shape, dtype)
        Constant(value).init(startup, name, shape, dtype)
        return var

    def minimize(
        self,
        loss: Variable,
        startup_program: Program | None = None,
        parameter_list: Iterable | None = None,
        no_grad_set: Iterable | None = None,
    ):
        """Append backward and update nodes; returns ``(update_nodes, params_grads)``."""
        params_grads = append_backward(loss, parameter_list, no_grad_set)
        if not params_grads:
            raise ValueError(f"loss {loss.name!r} depends on no trainable parameter")
        program = loss.program
        startup = startup_program or default_startup_program()
        dtype = loss.dtype
        self._lr_var = self._persistable(
            program,
            startup,
            unique_name.generate("learning_rate"),
            [1],
            dtype,
            self._learning_rate,
        )
        nodes = []
        for param, grad in params_grads:
            nodes.append(self._append_update(program, startup, param, grad))
        return nodes, params_grads

    def _append_update(
        self, program: Program, startup: Program, param: Parameter, grad: Variable
    ):
        op, inputs, attrs, states = self._update(program, startup, param, grad)
        attrs = {"lr_factor": float(param.optimize_attr["learning_rate"]), **attrs}
        targets = [param.name] + [s.name for s in states]
        outputs = [f"{name}@UPDATED" for name in targets]
        node = program.append_node(op, inputs, attrs, outputs=outputs, domain=TRAIN_DOMAIN)
        for value, target in zip(node.outputs, targets):
            source = program.global_block().var(target).value
            value.type, value.shape = source.type, source.shape
            program.append_node("Assign", [value], {"target": target}, domain=TRAIN_DOMAIN)
        return node

    def _accumulator(
        self, program, startup, param: Parameter, kind: str, value: float, shape=None
    ) -> Variable:
        shape = list(param.shape) if shape is None else shape
        return self._persistable(
            program,
            startup,
            unique_name.generate(f"{param.name}_{kind}"),
            shape,
            param.dtype,
            value,
        )


class SGD(Optimizer):
    """``param -= lr * grad``."""

    def _update(self, program, startup, param, grad):
        return "SGD", [param, grad, self._lr_var], {}, []


class Momentum(Optimizer):
    """``v = momentum * v + grad``; ``param -= lr * v`` (or the Nesterov variant)."""

    def __init__(
        self,
        learning_rate: float,
        momentum: float,
        use_nesterov: bool = False,
        regularization=None,
        name=None,
    ) -> None:
        super().__init__(learning_rate, regularization, name)
        self.momentum, self.use_nesterov = float(momentum), bool(use_nesterov)

    def _update(self, program, startup, param, grad):
        velocity = self._accumulator(program, startup, param, "velocity", 0.0)
        attrs = {"mu": self.momentum, "use_nesterov": int(self.use_nesterov)}
        return "Momentum", [param, grad, velocity, self._lr_var], attrs, [velocity]


class Adam(Optimizer):
    """Adam with Paddle's bias correction folded into the step size (see kernels.train)."""

    def __init__(
        self,
        learning_rate: float = 0.001,
        beta1: float = 0.9,
        beta2: float = 0.999,
        epsilon: float = 1e-8,
        regularization=None,
        name=None,
        lazy_mode: bool = False,
    ) -> None:
        super().__init__(learning_rate, regularization, name)
        self.beta1, self.beta2, self.epsilon = float(beta1), float(beta2), float(epsilon)

    def _update(self, program, startup, param, grad):
        m1 = self._accumulator(program, startup, param, "moment1", 0.0)
        m2 = self._accumulator(program, startup, param, "moment2", 0.0)
        b1 = self._accumulator(program, startup, param, "beta1_pow_acc", self.beta1, [1])
        b2 = self._accumulator(program, startup, param, "beta2_pow_acc", self.beta2, [1])
        attrs = {"beta1": self.beta1, "beta2": self.beta2, "epsilon": self.epsilon}
        return "Adam", [param, grad, self._lr_var, m1, m2, b1, b2], attrs, [m1, m2, b1, b2]


SGDOptimizer = SGD
MomentumOptimizer = Momentum
AdamOptimizer = Adam
