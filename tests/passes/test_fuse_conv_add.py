"""fuse_conv_add: a per-channel constant added after a conv becomes its bias."""

import pytest
from onnx import helper
from passtest import apply, io, make_model, ops, rand

from paddlec.passes.fuse_conv_add import FuseConvAddPass

FEEDS = {"x": rand(2, 3, 5, 5, seed=3)}


def _model(addend_shape, bias=True, conv_first=True):
    conv_inputs = ["x", "W", "B"] if bias else ["x", "W"]
    add_inputs = ["c", "k"] if conv_first else ["k", "c"]
    nodes = [helper.make_node("Conv", conv_inputs, ["c"]),
             helper.make_node("Add", add_inputs, ["y"])]
    inits = {"W": rand(4, 3, 3, 3, seed=1), "k": rand(*addend_shape, seed=2)}
    if bias:
        inits["B"] = rand(4, seed=5)
    return make_model(nodes, [io("x", [2, 3, 5, 5])], [io("y", None)], inits)


@pytest.mark.parametrize("shape", [(1, 4, 1, 1), (4, 1, 1), (1,), ()])
@pytest.mark.parametrize("bias", [True, False])
def test_fuses_per_channel_addend(shape, bias):
    model = _model(shape, bias)
    result = apply(FuseConvAddPass(), model, FEEDS, rtol=1e-5, atol=1e-5)
    assert result.modified and ops(model) == ["Conv"]


def test_fuses_with_addend_first():
    model = _model((1, 4, 1, 1), conv_first=False)
    assert apply(FuseConvAddPass(), model, FEEDS, atol=1e-5).modified
    assert ops(model) == ["Conv"]


def test_refuses_spatially_varying_addend():
    model = _model((1, 4, 3, 3))
    rule = FuseConvAddPass()
    assert not apply(rule, model, FEEDS).modified
    assert ops(model) == ["Conv", "Add"]
    assert "not per-channel" in rule.refusals[0][1]


def test_refuses_non_constant_addend():
    nodes = [helper.make_node("Conv", ["x", "W"], ["c"]),
             helper.make_node("Add", ["c", "k"], ["y"])]
    model = make_model(nodes, [io("x", [2, 3, 5, 5]), io("k", [1, 4, 1, 1])], [io("y", None)],
                       {"W": rand(4, 3, 3, 3)})
    rule = FuseConvAddPass()
    assert not apply(rule, model, {**FEEDS, "k": rand(1, 4, 1, 1)}).modified
    assert "not a constant" in rule.refusals[0][1]
