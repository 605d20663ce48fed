"""fuse_conv_bn: BN(Conv(x)) folds into the conv's weights and bias."""

import numpy as np
from onnx import helper
from passtest import apply, io, make_model, ops, rand

from paddlec.passes.fuse_conv_bn import FuseConvBatchNormPass


def _bn_params(channels, seed):
    rng = np.random.default_rng(seed)
    return {"g": rng.uniform(0.5, 2, channels).astype(np.float32),
            "b": rng.standard_normal(channels).astype(np.float32),
            "m": rng.standard_normal(channels).astype(np.float32),
            "v": rng.uniform(0.1, 3, channels).astype(np.float32)}


def _model(bias=True, group=1, extra_reader=False):
    conv_inputs = ["x", "W", "B"] if bias else ["x", "W"]
    nodes = [helper.make_node("Conv", conv_inputs, ["c"], group=group, pads=[1, 1, 1, 1]),
             helper.make_node("BatchNormalization", ["c", "g", "b", "m", "v"], ["y"],
                              epsilon=1e-3)]
    outputs = [io("y", None)]
    if extra_reader:
        nodes.append(helper.make_node("Relu", ["c"], ["r"]))
        outputs.append(io("r", None))
    inits = {"W": rand(8, 4 // group, 3, 3, seed=1), **_bn_params(8, 2)}
    if bias:
        inits["B"] = rand(8, seed=3)
    return make_model(nodes, [io("x", [2, 4, 6, 6])], outputs, inits)


FEEDS = {"x": rand(2, 4, 6, 6, seed=9)}


def test_fuses_conv_with_bias():
    model = _model()
    result = apply(FuseConvBatchNormPass(), model, FEEDS, rtol=1e-4, atol=1e-5)
    assert result.modified
    assert ops(model) == ["Conv"]
    assert model.graph.outputs[0].name == "y"


def test_fuses_conv_without_bias_and_grouped():
    model = _model(bias=False, group=2)
    result = apply(FuseConvBatchNormPass(), model, FEEDS, rtol=1e-4, atol=1e-5)
    assert result.modified and ops(model) == ["Conv"]
    assert len(list(model.graph)[0].inputs) == 3  # a bias appeared


def test_refuses_when_conv_output_has_another_reader():
    model = _model(extra_reader=True)
    rule = FuseConvBatchNormPass()
    result = apply(rule, model, FEEDS)
    assert not result.modified
    assert "BatchNormalization" in ops(model)
    assert "another reader" in rule.refusals[0][1]


def test_refuses_non_constant_statistics():
    nodes = [helper.make_node("Conv", ["x", "W"], ["c"]),
             helper.make_node("BatchNormalization", ["c", "g", "b", "m", "v"], ["y"])]
    params = _bn_params(8, 2)
    model = make_model(nodes, [io("x", [1, 4, 5, 5]), io("v", [8])], [io("y", None)],
                       {"W": rand(8, 4, 1, 1, seed=1), **{k: params[k] for k in "gbm"}})
    rule = FuseConvBatchNormPass()
    result = apply(rule, model, {"x": rand(1, 4, 5, 5), "v": params["v"]})
    assert not result.modified
    assert "not a constant" in rule.refusals[0][1]
