"""Every layer's gradient against central finite differences (float64).

loss = mean(out * W) with a random W, so every output element has its own weight. The
analytic gradients come from ``fluid.gradients`` (the appended ``paddlec.train`` nodes run
by the Executor); the numeric ones perturb feeds and parameters in the scope.
"""

from __future__ import annotations

import numpy as np
import pytest
from paddlec import fluid
from paddlec.fluid import layers

EPS = 1e-6
MAX_PICKS = 24


def gradcheck(
    env,
    numeric_grad,
    build,
    feeds: dict[str, np.ndarray],
    wrt_feeds=None,
    rtol=1e-5,
    atol=1e-8,
):
    """Build ``out = build(*data vars)``; compare d(mean(out * W))/d(feeds, params)."""
    rng = np.random.default_rng(0)
    data = [
        fluid.data(name, [-1] + list(a.shape[1:]), a.dtype.name) for name, a in feeds.items()
    ]
    out = build(*data)
    weight = fluid.data("gc_weight", [-1] * len(out.shape), "float64")
    loss = layers.mean(layers.elementwise_mul(out, weight))
    params = [p for p in env.main.all_parameters()]
    wrt_feeds = (
        [v for v in data if v.dtype == "float64"]
        if wrt_feeds is None
        else [v for v in data if v.name in wrt_feeds]
    )
    grads = fluid.gradients([loss], wrt_feeds + params)
    env.init()
    feed = dict(feeds)
    (shape_probe,) = env.run(feed=feed, fetch_list=[out])
    feed["gc_weight"] = rng.standard_normal(shape_probe.shape)
    analytic = env.run(feed=feed, fetch_list=[g for g in grads if g is not None])
    assert all(g is not None for g in grads), [
        v.name for v, g in zip(wrt_feeds + params, grads) if g is None
    ]

    def loss_value():
        return float(env.run(feed=feed, fetch_list=[loss])[0])

    checked = 0
    for var, got in zip(wrt_feeds + params, analytic):
        array = feed[var.name] if var.name in feed else env.scope.get(var.name)
        if var.name not in feed:
            array = array.copy()
            env.scope.set(var.name, array)
        assert got.shape == array.shape, var.name
        picks = rng.choice(array.size, size=min(array.size, MAX_PICKS), replace=False)
        want = numeric_grad(loss_value, array, EPS, picks)
        np.testing.assert_allclose(
            got.reshape(-1)[picks],
            want,
            rtol=rtol,
            atol=atol,
            err_msg=f"gradient of {var.name}",
        )
        checked += 1
    assert checked == len(wrt_feeds) + len(params)
    return grads


def rand(*shape, seed=1):
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize("num_flatten_dims,act", [(1, None), (2, "tanh"), (1, "sigmoid")])
def test_fc(fresh, numeric_grad, num_flatten_dims, act):
    gradcheck(
        fresh,
        numeric_grad,
        lambda x: layers.fc(x, size=5, num_flatten_dims=num_flatten_dims, act=act),
        {"x": rand(3, 4, 6)},
    )


def test_fc_with_two_inputs_and_no_bias(fresh, numeric_grad):
    gradcheck(
        fresh,
        numeric_grad,
        lambda a, b: layers.fc([a, b], size=3, bias_attr=False),
        {"a": rand(4, 5), "b": rand(4, 2, 3, seed=2)},
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(num_filters=6, filter_size=3, stride=2, padding=1, groups=2),
        dict(num_filters=3, filter_size=[3, 2], dilation=2, padding=[1, 0]),
        dict(num_filters=4, filter_size=3, padding="SAME", bias_attr=False, act="relu"),
    ],
)
def test_conv2d(fresh, numeric_grad, kwargs):
    gradcheck(
        fresh, numeric_grad, lambda x: layers.conv2d(x, **kwargs), {"x": rand(2, 4, 7, 6)}
    )


@pytest.mark.parametrize("shape", [(4, 3, 5, 5), (6, 4)])
def test_batch_norm_training_mode(fresh, numeric_grad, shape):
    gradcheck(fresh, numeric_grad, lambda x: layers.batch_norm(x), {"x": rand(*shape) * 2 + 1})


def test_batch_norm_test_mode(fresh, numeric_grad):
    gradcheck(
        fresh,
        numeric_grad,
        lambda x: layers.batch_norm(x, is_test=True),
        {"x": rand(3, 2, 4, 4)},
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(pool_size=2, pool_type="max", pool_stride=2),
        dict(pool_size=3, pool_type="max", pool_stride=2, pool_padding=1, ceil_mode=True),
        dict(pool_size=3, pool_type="avg", pool_stride=2, pool_padding=1),
        dict(pool_size=3, pool_type="avg", pool_stride=2, pool_padding=1, exclusive=False),
        dict(pool_size=2, pool_type="avg", pool_stride=2, ceil_mode=True),
        dict(pool_type="max", global_pooling=True),
        dict(pool_type="avg", global_pooling=True),
    ],
)
def test_pool2d(fresh, numeric_grad, kwargs):
    gradcheck(
        fresh, numeric_grad, lambda x: layers.pool2d(x, **kwargs), {"x": rand(2, 3, 7, 7)}
    )


@pytest.mark.parametrize("impl", ["downgrade_in_infer", "upscale_in_train"])
def test_dropout_with_fixed_seed(fresh, numeric_grad, impl):
    gradcheck(
        fresh,
        numeric_grad,
        lambda x: layers.dropout(x, 0.3, seed=7, dropout_implementation=impl),
        {"x": rand(4, 10)},
    )


@pytest.mark.parametrize("layer", ["relu", "sigmoid", "tanh", "softmax"])
def test_activations(fresh, numeric_grad, layer):
    gradcheck(fresh, numeric_grad, getattr(layers, layer), {"x": rand(3, 7)})


def test_softmax_on_axis_1(fresh, numeric_grad):
    gradcheck(fresh, numeric_grad, lambda x: layers.softmax(x, axis=1), {"x": rand(2, 4, 3)})


def test_cross_entropy_hard_label(fresh, numeric_grad):
    label = np.array([[1], [0], [4]], np.int64)
    gradcheck(
        fresh,
        numeric_grad,
        lambda x, y: layers.cross_entropy(layers.softmax(x), y),
        {"x": rand(3, 5), "label": label},
        wrt_feeds=["x"],
    )


def test_cross_entropy_soft_label(fresh, numeric_grad):
    soft = np.random.default_rng(3).dirichlet(np.ones(5), size=3)
    gradcheck(
        fresh,
        numeric_grad,
        lambda x, y: layers.cross_entropy(layers.softmax(x), y, soft_label=True),
        {"x": rand(3, 5), "soft": soft},
    )


def test_reshape_flatten_concat(fresh, numeric_grad):
    def build(a, b):
        joined = layers.concat([layers.reshape(a, [0, -1, 2]), b], axis=1)
        return layers.flatten(joined, axis=1)

    gradcheck(fresh, numeric_grad, build, {"a": rand(2, 3, 4), "b": rand(2, 5, 2, seed=2)})


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div"])
def test_elementwise_with_broadcast_axis(fresh, numeric_grad, op):
    fn = getattr(layers, f"elementwise_{op}")
    y = rand(3, seed=2) + (3.0 if op == "div" else 0.0)
    gradcheck(
        fresh,
        numeric_grad,
        lambda a, b: fn(a, layers.reshape(b, [3]), axis=1),
        {"a": rand(2, 3, 4), "b": y.reshape(1, 3)},
    )


@pytest.mark.parametrize(
    "tx,ty,alpha",
    [(False, False, 1.0), (True, False, 0.5), (False, True, 2.0), (True, True, 1.0)],
)
def test_matmul(fresh, numeric_grad, tx, ty, alpha):
    a = rand(2, 4, 3) if tx else rand(2, 3, 4)
    b = rand(2, 5, 4, seed=2) if ty else rand(2, 4, 5, seed=2)
    gradcheck(
        fresh, numeric_grad, lambda x, y: layers.matmul(x, y, tx, ty, alpha), {"a": a, "b": b}
    )


def test_matmul_broadcasts_a_2d_operand(fresh, numeric_grad):
    gradcheck(
        fresh,
        numeric_grad,
        lambda x, y: layers.matmul(x, layers.reshape(y, [4, 5])),
        {"a": rand(2, 3, 4), "b": rand(1, 20, seed=2)},
    )


@pytest.mark.parametrize("after", [True, False])
def test_scale(fresh, numeric_grad, after):
    gradcheck(
        fresh,
        numeric_grad,
        lambda x: layers.scale(x, scale=1.5, bias=0.25, bias_after_scale=after),
        {"x": rand(3, 4)},
    )


def test_operators_and_shared_values(fresh, numeric_grad):
    """A value used twice (x * x + x) gets the sum of both contributions."""
    gradcheck(fresh, numeric_grad, lambda x: x * x + x - 2.0, {"x": rand(3, 4)})
