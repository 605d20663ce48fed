"""Attention in float16 / bfloat16 and fully masked rows, against onnx's reference.

The reference computes half-precision attention step by step in numpy (float32 sums for
float16 products and rows, bfloat16 rounding after every step); paddlec follows that order,
so the runner's tolerance (rtol 1e-3, atol 1e-5) holds.
"""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest
from _reference_check import check_against_reference, make_model
from onnx import TensorProto, helper

from paddlec.compiler import compile_model
from paddlec.errors import UnsupportedModelError


def _attention_model(elem_type, q_shape, kv_shape, **attrs):
    names = ("Q", "K", "V")
    inputs = [helper.make_tensor_value_info(n, elem_type, s)
              for n, s in zip(names, (q_shape, kv_shape, kv_shape))]
    y = helper.make_tensor_value_info("Y", elem_type, q_shape)
    node = helper.make_node("Attention", list(names), ["Y"], **attrs)
    return make_model([node], inputs, [y], {"": 23})


@pytest.mark.parametrize("dtype,elem_type", [(np.float16, TensorProto.FLOAT16),
                                             (ml_dtypes.bfloat16, TensorProto.BFLOAT16)])
def test_half_precision_causal_attention_matches_reference(tmp_path, dtype, elem_type):
    rng = np.random.default_rng(3)
    model = _attention_model(elem_type, [2, 3, 5, 16], [2, 3, 7, 16], is_causal=1)
    feed = {n: rng.random(s).astype(dtype) for n, s in
            (("Q", (2, 3, 5, 16)), ("K", (2, 3, 7, 16)), ("V", (2, 3, 7, 16)))}
    check_against_reference(tmp_path, model, feed)


def test_reduce_max_of_a_row_of_minus_infinity_is_minus_infinity(tmp_path):
    # TOPI's max starts from the lowest finite float: a fully masked row must stay -inf
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [3, 1])
    z = helper.make_tensor_value_info("z", TensorProto.FLOAT, [3, 1])
    nodes = [helper.make_node("ReduceMax", ["x"], ["y"], axes=[1], keepdims=1),
             helper.make_node("ReduceMin", ["x"], ["z"], axes=[1], keepdims=1)]
    model = make_model(nodes, [x], [y, z], {"": 17})
    feed = {"x": np.array([[-np.inf] * 4, [np.inf] * 4, [1, -np.inf, np.inf, 2]], np.float32)}
    got = check_against_reference(tmp_path, model, feed)
    assert got["y"][0, 0] == -np.inf and got["z"][1, 0] == np.inf


def test_two_dimensional_attention_is_refused_with_the_op_and_reason(tmp_path):
    model = _attention_model(TensorProto.FLOAT, [4, 8], [4, 8])
    path = tmp_path / "m.onnx"
    path.write_bytes(model.SerializeToString())
    with pytest.raises(UnsupportedModelError, match=r"Attention \(opset 23\).*3-D or 4-D"):
        compile_model(path, tmp_path / "out")


def test_float16_matmul_and_softmax_sum_in_float32(tmp_path):
    # a 96-long float16 row: float16 partial sums would drift by several ulps
    a = helper.make_tensor_value_info("a", TensorProto.FLOAT16, [4, 96])
    b = helper.make_tensor_value_info("b", TensorProto.FLOAT16, [96, 96])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT16, [4, 96])
    nodes = [helper.make_node("MatMul", ["a", "b"], ["m"]),
             helper.make_node("Softmax", ["m"], ["y"], axis=-1)]
    model = make_model(nodes, [a, b], [y], {"": 13})
    rng = np.random.default_rng(9)
    feed = {"a": rng.random((4, 96)).astype(np.float16) / 8,
            "b": rng.random((96, 96)).astype(np.float16)}
    check_against_reference(tmp_path, model, feed)
