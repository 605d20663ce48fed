"""FlexAttention (ai.onnx.preview) with score_mod / prob_mod subgraphs, against onnx's
reference (rtol 1e-3, atol 1e-5)."""

from __future__ import annotations

import numpy as np
import pytest
from _reference_check import check_against_reference, make_model
from onnx import TensorProto, helper

from paddlec.compiler import compile_model
from paddlec.errors import UnsupportedModelError

_OPSETS = {"": 26, "ai.onnx.preview": 1}


def _causal_softcap_mod():
    """scores -> where(q >= k, 20 * tanh(scores / 20), -inf), shapes read inside the graph."""
    scores = helper.make_tensor_value_info("s", TensorProto.FLOAT, ["B", "H", "L", "S"])
    out = helper.make_tensor_value_info("s_out", TensorProto.FLOAT, ["B", "H", "L", "S"])
    consts = [helper.make_tensor(name, TensorProto.INT64, [], [value])
              for name, value in (("zero", 0), ("one", 1), ("two", 2), ("three", 3))]
    consts += [helper.make_tensor("qs", TensorProto.INT64, [2], [-1, 1]),
               helper.make_tensor("ks", TensorProto.INT64, [2], [1, -1]),
               helper.make_tensor("cap", TensorProto.FLOAT, [], [20.0]),
               helper.make_tensor("ninf", TensorProto.FLOAT, [], [-np.inf])]
    nodes = [
        helper.make_node("Shape", ["s"], ["shape"]),
        helper.make_node("Gather", ["shape", "two"], ["L"], axis=0),
        helper.make_node("Gather", ["shape", "three"], ["S"], axis=0),
        helper.make_node("Range", ["zero", "L", "one"], ["qr"]),
        helper.make_node("Range", ["zero", "S", "one"], ["kr"]),
        helper.make_node("Reshape", ["qr", "qs"], ["q"]),
        helper.make_node("Reshape", ["kr", "ks"], ["k"]),
        helper.make_node("GreaterOrEqual", ["q", "k"], ["allowed"]),
        helper.make_node("Div", ["s", "cap"], ["scaled"]),
        helper.make_node("Tanh", ["scaled"], ["t"]),
        helper.make_node("Mul", ["t", "cap"], ["capped"]),
        helper.make_node("Where", ["allowed", "capped", "ninf"], ["s_out"]),
    ]
    return helper.make_graph(nodes, "score_mod", [scores], [out], initializer=consts)


def _flex_model(q_shape, kv_shape, dtype=TensorProto.FLOAT, **attrs):
    inputs = [helper.make_tensor_value_info(n, dtype, s)
              for n, s in zip("QKV", (q_shape, kv_shape, kv_shape))]
    y = helper.make_tensor_value_info("Y", dtype, q_shape)
    node = helper.make_node("FlexAttention", ["Q", "K", "V"], ["Y"],
                            domain="ai.onnx.preview", **attrs)
    return make_model([node], inputs, [y], _OPSETS)


def _qkv(draw, q_shape, kv_shape, dtype) -> dict:
    """Q, K, V drawn in that order by ``draw`` (an rng method) and cast to ``dtype``."""
    return {name: draw(shape).astype(dtype)
            for name, shape in (("Q", q_shape), ("K", kv_shape), ("V", kv_shape))}


def test_score_mod_and_prob_mod_are_inlined_with_grouped_heads(tmp_path):
    half = helper.make_tensor("h", TensorProto.FLOAT, [], [0.5])
    probs = helper.make_tensor_value_info("p", TensorProto.FLOAT, ["B", "H", "L", "S"])
    probs_out = helper.make_tensor_value_info("p_out", TensorProto.FLOAT, ["B", "H", "L", "S"])
    prob_mod = helper.make_graph([helper.make_node("Mul", ["p", "h"], ["p_out"])], "prob_mod",
                                 [probs], [probs_out], initializer=[half])
    model = _flex_model([2, 4, 5, 8], [2, 2, 5, 8], score_mod=_causal_softcap_mod(),
                        prob_mod=prob_mod, scale=0.3)
    feed = _qkv(np.random.default_rng(0).standard_normal, (2, 4, 5, 8), (2, 2, 5, 8),
                np.float32)
    check_against_reference(tmp_path, model, feed)


def test_float16_inputs_use_a_float32_softmax(tmp_path):
    model = _flex_model([1, 2, 6, 16], [1, 2, 9, 16], TensorProto.FLOAT16)
    feed = _qkv(np.random.default_rng(1).random, (1, 2, 6, 16), (1, 2, 9, 16), np.float16)
    check_against_reference(tmp_path, model, feed)


def test_rank_three_inputs_are_refused(tmp_path):
    model = _flex_model([2, 5, 8], [2, 5, 8])
    path = tmp_path / "m.onnx"
    path.write_bytes(model.SerializeToString())
    with pytest.raises(UnsupportedModelError, match=r"FlexAttention \(opset 1\).*rank-4"):
        compile_model(path, tmp_path / "out")
