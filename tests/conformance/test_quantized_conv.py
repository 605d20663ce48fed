"""ConvInteger and QLinearConv against onnx's reference (exact integers)."""

from __future__ import annotations

import numpy as np
import pytest
from _reference_check import check_against_reference, make_model
from onnx import TensorProto, helper, numpy_helper

from paddlec.compiler import compile_model
from paddlec.errors import UnsupportedModelError


def test_conv_integer_with_per_channel_weight_zero_points(tmp_path):
    x = helper.make_tensor_value_info("x", TensorProto.UINT8, [1, 2, 6, 6])
    y = helper.make_tensor_value_info("y", TensorProto.INT32, [1, 4, 3, 3])
    rng = np.random.default_rng(0)
    inits = [numpy_helper.from_array(rng.integers(0, 255, (4, 2, 3, 3), dtype=np.uint8), "w"),
             numpy_helper.from_array(np.array(7, np.uint8), "xz"),
             numpy_helper.from_array(np.array([1, 128, 3, 250], np.uint8), "wz")]
    node = helper.make_node("ConvInteger", ["x", "w", "xz", "wz"], ["y"], pads=[1, 1, 1, 1],
                            strides=[2, 2])
    model = make_model([node], [x], [y], {"": 10}, inits)
    feed = {"x": rng.integers(0, 255, (1, 2, 6, 6), dtype=np.uint8)}
    check_against_reference(tmp_path, model, feed)


def test_qlinear_conv_per_channel_grouped_with_bias(tmp_path):
    x = helper.make_tensor_value_info("x", TensorProto.INT8, [1, 4, 5, 5])
    y = helper.make_tensor_value_info("y", TensorProto.INT8, [1, 4, 5, 5])
    rng = np.random.default_rng(1)
    arrays = {"xs": np.array(0.05, np.float32), "xz": np.array(-3, np.int8),
              "w": rng.integers(-127, 127, (4, 2, 3, 3), dtype=np.int8),
              "ws": np.array([0.01, 0.02, 0.005, 0.03], np.float32),
              "wz": np.zeros(4, np.int8), "ys": np.array(0.2, np.float32),
              "yz": np.array(5, np.int8), "b": rng.integers(-500, 500, 4, dtype=np.int32)}
    inits = [numpy_helper.from_array(v, k) for k, v in arrays.items()]
    node = helper.make_node("QLinearConv", ["x", "xs", "xz", "w", "ws", "wz", "ys", "yz", "b"],
                            ["y"], pads=[1, 1, 1, 1], group=2)
    model = make_model([node], [x], [y], {"": 10}, inits)
    feed = {"x": rng.integers(-128, 127, (1, 4, 5, 5), dtype=np.int8)}
    check_against_reference(tmp_path, model, feed)


def test_sixteen_bit_conv_integer_is_refused(tmp_path):
    x = helper.make_tensor_value_info("x", TensorProto.INT16, [1, 1, 3, 3])
    w = helper.make_tensor_value_info("w", TensorProto.INT16, [1, 1, 2, 2])
    y = helper.make_tensor_value_info("y", TensorProto.INT32, [1, 1, 2, 2])
    model = make_model([helper.make_node("ConvInteger", ["x", "w"], ["y"])], [x, w], [y],
                       {"": 10})
    path = tmp_path / "m.onnx"
    path.write_bytes(model.SerializeToString())
    with pytest.raises(UnsupportedModelError, match=r"ConvInteger \(opset 10\).*int8/uint8"):
        compile_model(path, tmp_path / "out")
