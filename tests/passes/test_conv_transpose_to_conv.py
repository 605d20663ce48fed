"""conv_transpose_to_conv: a ConvTranspose whose kernel equals its stride becomes a 1x1 Conv
and a DepthToSpace, with the same result."""

import numpy as np
import pytest
from onnx import helper
from passtest import apply, io, make_model, ops, rand

from paddlec.passes.conv_transpose_to_conv import ConvTransposeToConvPass


def _model(size=2, bias=True, **attrs):
    inputs = ["x", "W", "B"] if bias else ["x", "W"]
    attrs.setdefault("strides", [size, size])
    nodes = [helper.make_node("ConvTranspose", inputs, ["y"], **attrs)]
    inits = {"W": rand(4, 3, size, size, seed=1)}  # [C_in, C_out, k, k]
    if bias:
        inits["B"] = rand(3, seed=2)
    return make_model(nodes, [io("x", [2, 4, 5, 6])], [io("y", None)], inits)


FEEDS = {"x": rand(2, 4, 5, 6, seed=7)}


@pytest.mark.parametrize("size", [2, 3])
@pytest.mark.parametrize("bias", [True, False])
def test_rewrites(size, bias):
    model = _model(size, bias)
    result = apply(ConvTransposeToConvPass(), model, FEEDS, rtol=1e-5, atol=1e-5, runner="ort")
    assert result.modified and ops(model) == ["Conv", "DepthToSpace"]


@pytest.mark.parametrize("attrs, reason", [
    ({"strides": [1, 1]}, "is not the stride"),
    ({"pads": [1, 1, 1, 1]}, "padded"),
    ({"output_padding": [1, 1]}, "output_padding"),
    ({"dilations": [2, 2]}, "dilated"),
])
def test_leaves_overlapping_or_shifted_kernels_alone(attrs, reason):
    model = _model(**attrs)
    rule = ConvTransposeToConvPass()
    assert not apply(rule, model, FEEDS, runner="ort").modified
    assert ops(model) == ["ConvTranspose"] and reason in rule.refusals[0][1]
