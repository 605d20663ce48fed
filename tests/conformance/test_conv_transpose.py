"""ConvTranspose with output_shape (compiler/converters/conv_transpose.py) against the ONNX
reference: zero-extended beyond the natural size, pads derived for SAME_UPPER."""

from __future__ import annotations

import numpy as np
from _op_check import assert_matches_reference, make_model
from onnx import helper, numpy_helper


def test_conv_transpose_output_shape_larger_and_same_upper(tmp_path):
    rng = np.random.default_rng(0)
    feeds = {"x": rng.standard_normal((1, 2, 3, 3)).astype(np.float32)}
    w = numpy_helper.from_array(rng.standard_normal((2, 3, 3, 3)).astype(np.float32), "w")
    nodes = [helper.make_node("ConvTranspose", ["x", "w"], ["bigger"], strides=[3, 2],
                              output_shape=[10, 8]),
             helper.make_node("ConvTranspose", ["x", "w"], ["same"], strides=[2, 2],
                              output_shape=[6, 6], auto_pad="SAME_UPPER")]
    model = make_model(nodes, feeds, ["bigger", "same"], opset=22, initializers=[w])
    got = assert_matches_reference(tmp_path, model, feeds, rtol=1e-4, atol=1e-4)
    assert got["bigger"].shape == (1, 3, 10, 8)
