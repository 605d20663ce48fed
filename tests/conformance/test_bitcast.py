"""BitCast (compiler/converters/bitcast.py) against the ONNX reference."""

from __future__ import annotations

import numpy as np
from _op_check import assert_matches_reference, assert_refused, make_model
from onnx import TensorProto, helper


def test_bitcast_reinterprets_bits_exactly(tmp_path):
    feeds = {
        "f32": np.array([1.0, -0.0, np.inf, 3.5e-39], np.float32),
        "u64": np.array([0, 1, 2**63, 2**64 - 1], np.uint64),
        "flags": np.array([True, False, True]),
        "i8": np.array([-128, -1, 0, 127], np.int8),
        "f16": np.array([1.0, -2.5, 65504.0], np.float16),
    }
    nodes = [helper.make_node("BitCast", ["f32"], ["as_i32"], to=TensorProto.INT32),
             helper.make_node("BitCast", ["u64"], ["as_f64"], to=TensorProto.DOUBLE),
             helper.make_node("BitCast", ["flags"], ["as_u8"], to=TensorProto.UINT8),
             helper.make_node("BitCast", ["i8"], ["as_u8b"], to=TensorProto.UINT8),
             helper.make_node("BitCast", ["f16"], ["as_u16"], to=TensorProto.UINT16)]
    model = make_model(nodes, feeds, ["as_i32", "as_f64", "as_u8", "as_u8b", "as_u16"],
                       opset=26)
    got = assert_matches_reference(tmp_path, model, feeds)
    np.testing.assert_array_equal(got["as_i32"], feeds["f32"].view(np.int32))


def test_bitcast_of_float8_is_refused(tmp_path):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT8E4M3FN, [3])
    y = helper.make_tensor_value_info("y", TensorProto.UINT8, [3])
    node = helper.make_node("BitCast", ["x"], ["y"], to=TensorProto.UINT8)
    graph = helper.make_graph([node], "g", [x], [y])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 26)],
                              ir_version=10)
    # refused before lowering (paddlec moves float8 data with data-movement ops only)
    assert_refused(tmp_path, model, r"BitCast.*float8")
