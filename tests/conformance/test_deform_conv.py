"""DeformConv (2-D) against onnx's reference (rtol 1e-3, atol 1e-5): fractional and
out-of-image offsets, mask, bias, groups, offset groups, strides and dilations."""

from __future__ import annotations

import numpy as np
import pytest
from _reference_check import check_against_reference, make_model
from onnx import TensorProto, helper

from paddlec.compiler import compile_model
from paddlec.errors import UnsupportedModelError


def test_grouped_strided_dilated_deform_conv_with_mask_and_bias(tmp_path):
    shapes = {"X": [2, 4, 6, 5], "W": [6, 2, 2, 3], "offset": [2, 2 * 6 * 2, 3, 2],
              "B": [6], "mask": [2, 2 * 6, 3, 2]}
    inputs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, s)
              for n, s in shapes.items()]
    y = helper.make_tensor_value_info("Y", TensorProto.FLOAT, [2, 6, 3, 2])
    node = helper.make_node("DeformConv", list(shapes), ["Y"], group=2, offset_group=2,
                            kernel_shape=[2, 3], pads=[1, 0, 1, 1], strides=[2, 2],
                            dilations=[2, 1])
    model = make_model([node], inputs, [y], {"": 22})
    rng = np.random.default_rng(4)
    feed = {n: rng.standard_normal(s).astype(np.float32) for n, s in shapes.items()}
    feed["offset"] *= 2.5  # some taps land between pixels, some outside the image
    check_against_reference(tmp_path, model, feed)


def test_three_dimensional_deform_conv_is_refused(tmp_path):
    shapes = {"X": [1, 1, 3, 3, 3], "W": [1, 1, 2, 2, 2], "offset": [1, 24, 2, 2, 2]}
    inputs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, s)
              for n, s in shapes.items()]
    y = helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, 1, 2, 2, 2])
    model = make_model([helper.make_node("DeformConv", list(shapes), ["Y"])], inputs, [y],
                       {"": 22})
    path = tmp_path / "m.onnx"
    path.write_bytes(model.SerializeToString())
    with pytest.raises(UnsupportedModelError, match=r"DeformConv \(opset 22\).*2-D"):
        compile_model(path, tmp_path / "out")
