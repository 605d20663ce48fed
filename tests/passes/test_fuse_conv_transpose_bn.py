"""fuse_conv_transpose_bn: BN(ConvTranspose(x)) folds into the weights and bias."""

import numpy as np
import pytest
from onnx import helper
from passtest import apply, io, make_model, ops, rand

from paddlec.passes.fuse_conv_transpose_bn import FuseConvTransposeBatchNormPass


def _model(group, bias=True, extra_reader=False):
    rng = np.random.default_rng(group)
    inputs = ["x", "W", "B"] if bias else ["x", "W"]
    nodes = [helper.make_node("ConvTranspose", inputs, ["c"], group=group, strides=[2, 2]),
             helper.make_node("BatchNormalization", ["c", "g", "b", "m", "v"], ["y"])]
    outputs = [io("y", None)]
    if extra_reader:
        nodes.append(helper.make_node("Neg", ["c"], ["n"]))
        outputs.append(io("n", None))
    out_channels = 3 * group
    inits = {"W": rand(4, 3, 3, 3, seed=1),  # [C_in=4, C_out/group=3, k, k]
             "g": rng.uniform(0.5, 2, out_channels).astype(np.float32),
             "b": rng.standard_normal(out_channels).astype(np.float32),
             "m": rng.standard_normal(out_channels).astype(np.float32),
             "v": rng.uniform(0.1, 2, out_channels).astype(np.float32)}
    if bias:
        inits["B"] = rand(out_channels, seed=2)
    return make_model(nodes, [io("x", [1, 4, 5, 5])], outputs, inits)


FEEDS = {"x": rand(1, 4, 5, 5, seed=7)}


@pytest.mark.parametrize("group", [1, 2])
@pytest.mark.parametrize("bias", [True, False])
def test_fuses(group, bias):
    model = _model(group, bias)
    # onnxruntime: onnx 1.23's reference ConvTranspose mishandles group > 1
    result = apply(FuseConvTransposeBatchNormPass(), model, FEEDS, rtol=1e-4, atol=1e-5,
                   runner="ort")
    assert result.modified and ops(model) == ["ConvTranspose"]


def test_refuses_when_output_has_another_reader():
    model = _model(1, extra_reader=True)
    rule = FuseConvTransposeBatchNormPass()
    assert not apply(rule, model, FEEDS).modified
    assert "BatchNormalization" in ops(model)
    assert "another reader" in rule.refusals[0][1]


def test_leaves_plain_conv_alone():
    nodes = [helper.make_node("Conv", ["x", "W"], ["c"]),
             helper.make_node("BatchNormalization", ["c", "g", "b", "m", "v"], ["y"])]
    ones = np.ones(2, np.float32)
    model = make_model(nodes, [io("x", [1, 4, 5, 5])], [io("y", None)],
                       {"W": rand(2, 4, 1, 1), "g": ones, "b": ones, "m": ones, "v": ones})
    assert not apply(FuseConvTransposeBatchNormPass(), model, FEEDS).modified
