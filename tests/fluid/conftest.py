"""Fixtures for the fluid tests: every test builds in fresh programs, names and scope."""

from __future__ import annotations

import numpy as np
import pytest
from paddlec import fluid


class Fresh:
    """A fresh main/startup program pair, name space and scope; ``build()`` enters them."""

    def __init__(self) -> None:
        self.main, self.startup = fluid.Program(), fluid.Program()
        self.scope = fluid.Scope()
        self.exe = fluid.Executor(fluid.CPUPlace())

    def run(self, program=None, feed=None, fetch_list=None):
        with fluid.scope_guard(self.scope):
            return self.exe.run(program or self.main, feed=feed, fetch_list=fetch_list)

    def init(self) -> None:
        self.run(self.startup)


@pytest.fixture
def fresh():
    env = Fresh()
    with (
        fluid.program_guard(env.main, env.startup),
        fluid.unique_name.guard(),
        fluid.scope_guard(env.scope),
    ):
        yield env


def _numeric_grad(loss_fn, array: np.ndarray, eps: float, picks: np.ndarray) -> np.ndarray:
    """Central differences of ``loss_fn()`` w.r.t. the given flat indices of ``array``
    (``array`` is perturbed in place and restored)."""
    flat = array.reshape(-1)
    grads = np.empty(len(picks))
    for k, index in enumerate(picks):
        saved = flat[index]
        flat[index] = saved + eps
        plus = loss_fn()
        flat[index] = saved - eps
        minus = loss_fn()
        flat[index] = saved
        grads[k] = (plus - minus) / (2 * eps)
    return grads


@pytest.fixture
def numeric_grad():
    return _numeric_grad
