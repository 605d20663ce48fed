"""fuse_conv_mul: a per-channel constant scale after a conv goes into its weights and bias."""

import pytest
from onnx import helper
from passtest import apply, io, make_model, ops, rand

from paddlec.passes.fuse_conv_mul import FuseConvMulPass

FEEDS = {"x": rand(2, 3, 5, 5, seed=3)}


def _model(factor_shape, bias=True, extra_reader=False):
    conv_inputs = ["x", "W", "B"] if bias else ["x", "W"]
    nodes = [helper.make_node("Conv", conv_inputs, ["c"]),
             helper.make_node("Mul", ["k", "c"], ["y"])]
    outputs = [io("y", None)]
    if extra_reader:
        nodes.append(helper.make_node("Relu", ["c"], ["r"]))
        outputs.append(io("r", None))
    inits = {"W": rand(4, 3, 3, 3, seed=1), "k": rand(*factor_shape, seed=2)}
    if bias:
        inits["B"] = rand(4, seed=5)
    return make_model(nodes, [io("x", [2, 3, 5, 5])], outputs, inits)


@pytest.mark.parametrize("shape", [(1, 4, 1, 1), (4, 1, 1), ()])
@pytest.mark.parametrize("bias", [True, False])
def test_fuses_per_channel_factor(shape, bias):
    model = _model(shape, bias)
    result = apply(FuseConvMulPass(), model, FEEDS, rtol=1e-5, atol=1e-5)
    assert result.modified and ops(model) == ["Conv"]


def test_refuses_spatially_varying_factor():
    rule = FuseConvMulPass()
    model = _model((1, 1, 3, 3))
    assert not apply(rule, model, FEEDS).modified
    assert "not per-channel" in rule.refusals[0][1]


def test_refuses_when_conv_output_has_another_reader():
    rule = FuseConvMulPass()
    model = _model((1, 4, 1, 1), extra_reader=True)
    assert not apply(rule, model, FEEDS).modified
    assert ops(model) == ["Conv", "Mul", "Relu"]
