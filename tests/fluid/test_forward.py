"""Forward semantics: the Executor's numpy kernels against onnxruntime (on the saved
inference model) and the ONNX reference evaluator (training-mode batch norm)."""

from __future__ import annotations

import numpy as np
import pytest
from _helpers import ort_run
from paddlec import fluid
from paddlec.fluid import layers
from paddlec.passes.prune import prune

BUILDERS = {
    "fc_3d": (lambda x: layers.fc(x, size=5, num_flatten_dims=2, act="relu"), (2, 3, 8, 8)),
    "conv_groups": (
        lambda x: layers.conv2d(x, 6, 3, stride=2, padding=1, groups=3),
        (2, 3, 8, 8),
    ),
    "conv_dilated": (
        lambda x: layers.conv2d(x, 4, [3, 2], dilation=2, padding=[2, 1, 0, 1], act="tanh"),
        (2, 3, 8, 8),
    ),
    "conv_same": (lambda x: layers.conv2d(x, 4, 3, stride=2, padding="SAME"), (2, 3, 8, 8)),
    "bn_test": (lambda x: layers.batch_norm(x, is_test=True, act="relu"), (2, 3, 8, 8)),
    "max_pool": (lambda x: layers.pool2d(x, 3, "max", 2, 1), (2, 3, 8, 8)),
    "max_pool_ceil": (lambda x: layers.pool2d(x, 3, "max", 2, ceil_mode=True), (2, 3, 8, 8)),
    "avg_pool": (lambda x: layers.pool2d(x, 3, "avg", 2, 1), (2, 3, 8, 8)),
    "avg_pool_incl": (
        lambda x: layers.pool2d(x, 3, "avg", 2, 1, exclusive=False),
        (2, 3, 8, 8),
    ),
    "global_pools": (
        lambda x: layers.concat(
            [
                layers.pool2d(x, pool_type="max", global_pooling=True),
                layers.pool2d(x, pool_type="avg", global_pooling=True),
            ],
            axis=1,
        ),
        (2, 3, 8, 8),
    ),
    "dropout_test": (lambda x: layers.dropout(x, 0.25, is_test=True), (2, 3, 8, 8)),
    "activations": (
        lambda x: layers.softmax(layers.sigmoid(x) + layers.tanh(x), axis=1),
        (2, 3, 8, 8),
    ),
    "shapes": (lambda x: layers.flatten(layers.reshape(x, [0, -1, 4]), axis=2), (2, 3, 8, 8)),
    "elementwise": (
        lambda x: layers.elementwise_div(
            layers.elementwise_sub(x, layers.scale(x, 2.0, 1.0, bias_after_scale=False)),
            layers.elementwise_add(
                layers.elementwise_mul(x, x), layers.fill_constant([3], "float32", 2.0), axis=1
            ),
        ),
        (2, 3, 8, 8),
    ),
    "matmul": (lambda x: layers.matmul(x, x, transpose_y=True, alpha=0.5), (2, 3, 8, 8)),
}


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_executor_matches_onnxruntime(fresh, tmp_path, name):
    build, shape = BUILDERS[name]
    x = fluid.data("x", [None] + list(shape[1:]), "float32")
    out = build(x)
    fresh.init()
    feed = {"x": np.random.default_rng(0).standard_normal(shape).astype(np.float32)}
    (got,) = fresh.run(feed=feed, fetch_list=[out])
    fluid.io.save_inference_model(tmp_path, ["x"], [out], fresh.exe)
    want = ort_run(tmp_path / "model.onnx", feed)[out.name]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_training_mode_batch_norm_matches_reference_evaluator(fresh):
    from onnx.reference import ReferenceEvaluator

    x = fluid.data("x", [None, 3, 4, 4], "float32")
    y = layers.batch_norm(x, momentum=0.8, moving_mean_name="bn_mean")
    fresh.init()
    feed = {
        "x": (np.random.default_rng(0).standard_normal((5, 3, 4, 4)) * 3 + 2).astype(
            np.float32
        )
    }
    mean_name = "bn_mean"
    model = fresh.main.to_model(fresh.scope)
    bn = next(n for n in model.graph if n.op_type == "BatchNormalization")
    prune(model, ["x"], [v.name for v in bn.outputs])
    import onnx_ir as ir

    evaluator = ReferenceEvaluator(ir.serde.serialize_model(model))
    want = evaluator.run(None, feed)
    (got,) = fresh.run(feed=feed, fetch_list=[y])
    np.testing.assert_allclose(got, want[0], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(fresh.scope.get(mean_name), want[1], rtol=1e-5, atol=1e-6)


def test_dropout_training_masks_about_the_ratio(fresh):
    x = fluid.data("x", [None, 1000], "float32")
    y = layers.dropout(x, 0.3)
    z = layers.dropout(x, 0.3, dropout_implementation="upscale_in_train")
    (a, b) = fresh.run(feed={"x": np.ones((4, 1000), np.float32)}, fetch_list=[y, z])
    assert set(np.unique(a)) == {0.0, 1.0}
    assert abs((a == 0).mean() - 0.3) < 0.03
    np.testing.assert_allclose(np.unique(b), [0.0, 1 / 0.7], rtol=1e-6)
