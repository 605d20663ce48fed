"""Optimizer updates against Paddle's documented update rules, recomputed here in numpy from
the gradients the same run fetched."""

from __future__ import annotations

import numpy as np
import pytest
from paddlec import fluid
from paddlec.fluid import layers


def setup_step(fresh, optimizer):
    x = fluid.data("x", [None, 3], "float64")
    out = layers.fc(x, size=2, act="tanh")
    loss = layers.mean(layers.elementwise_mul(out, out))
    _, params_grads = optimizer.minimize(loss)
    fresh.init()
    feed = {"x": np.random.default_rng(0).standard_normal((5, 3))}
    return loss, params_grads, feed


def step(fresh, params_grads, feed):
    before = {p.name: fresh.scope.get(p.name).copy() for p, _ in params_grads}
    grads = fresh.run(feed=feed, fetch_list=[g for _, g in params_grads])
    after = {p.name: fresh.scope.get(p.name) for p, _ in params_grads}
    return before, dict(zip(before, grads)), after


def test_sgd(fresh):
    _, pairs, feed = setup_step(fresh, fluid.optimizer.SGD(learning_rate=0.1))
    before, grads, after = step(fresh, pairs, feed)
    for name in before:
        np.testing.assert_allclose(after[name], before[name] - 0.1 * grads[name], rtol=1e-12)


@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum(fresh, nesterov):
    _, pairs, feed = setup_step(
        fresh, fluid.optimizer.Momentum(0.1, 0.9, use_nesterov=nesterov)
    )
    velocity = {p.name: 0.0 for p, _ in pairs}
    for _ in range(2):
        before, grads, after = step(fresh, pairs, feed)
        for name in before:
            velocity[name] = 0.9 * velocity[name] + grads[name]
            update = grads[name] + 0.9 * velocity[name] if nesterov else velocity[name]
            np.testing.assert_allclose(after[name], before[name] - 0.1 * update, rtol=1e-12)


def test_adam_two_steps(fresh):
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    _, pairs, feed = setup_step(fresh, fluid.optimizer.Adam(lr, b1, b2, eps))
    m1 = {p.name: 0.0 for p, _ in pairs}
    m2 = {p.name: 0.0 for p, _ in pairs}
    for t in (1, 2):
        before, grads, after = step(fresh, pairs, feed)
        for name, g in grads.items():
            m1[name] = b1 * m1[name] + (1 - b1) * g
            m2[name] = b2 * m2[name] + (1 - b2) * g * g
            lr_t = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
            want = before[name] - lr_t * m1[name] / (
                np.sqrt(m2[name]) + eps * np.sqrt(1 - b2**t)
            )
            np.testing.assert_allclose(after[name], want, rtol=1e-10)
            np.testing.assert_allclose(
                fresh.scope.get(f"{name}_beta1_pow_acc_0"), [b1 ** (t + 1)]
            )


def test_learning_rate_lives_in_the_scope(fresh):
    _, pairs, feed = setup_step(fresh, fluid.optimizer.SGD(learning_rate=0.1))
    lr_name = next(n for n in fresh.scope.names() if n.startswith("learning_rate"))
    fresh.scope.set(lr_name, np.array([0.0]))
    before, _, after = step(fresh, pairs, feed)
    for name in before:
        np.testing.assert_array_equal(after[name], before[name])


def test_param_attr_learning_rate_and_trainable(fresh):
    x = fluid.data("x", [None, 3], "float64")
    hidden = layers.fc(x, 4, param_attr=fluid.ParamAttr(name="frozen", trainable=False))
    out = layers.fc(
        hidden, 1, param_attr=fluid.ParamAttr(name="slow", learning_rate=0.5), bias_attr=False
    )
    _, pairs = fluid.optimizer.SGD(0.2).minimize(layers.mean(out))
    assert sorted(p.name for p, _ in pairs) == ["fc_0.b_0", "slow"]
    fresh.init()
    frozen = fresh.scope.get("frozen").copy()
    before, grads, after = step(fresh, pairs, {"x": np.ones((2, 3))})
    np.testing.assert_allclose(after["slow"], before["slow"] - 0.1 * grads["slow"], rtol=1e-12)
    np.testing.assert_array_equal(fresh.scope.get("frozen"), frozen)


def test_regularization_is_refused_not_ignored():
    with pytest.raises(NotImplementedError):
        fluid.optimizer.SGD(0.1, regularization=object())


def test_two_optimizers_on_one_program_get_distinct_state(fresh):
    x = fluid.data("x", [None, 3], "float64")
    loss = layers.mean(layers.fc(x, 1))
    fluid.optimizer.Adam(0.01).minimize(loss)
    fluid.optimizer.Momentum(0.01, 0.9).minimize(loss)
    names = [
        v.name for v in fresh.main.list_vars() if "moment1" in v.name or "velocity" in v.name
    ]
    assert names == [
        "fc_0.w_0_moment1_0",
        "fc_0.b_0_moment1_0",
        "fc_0.w_0_velocity_0",
        "fc_0.b_0_velocity_0",
    ]
    fresh.init()
    fresh.run(feed={"x": np.ones((2, 3))}, fetch_list=[loss])
