"""Scan / Loop (unrolled), LinearAttention (expanded into its ONNX function body) and
CausalConvWithState through compile_model.

References: onnxruntime for Scan and Loop, the ONNX reference evaluator for the opset-27 ops
(onnxruntime 1.32 does not implement them); float32 compared with rtol 1e-4 / atol 1e-5,
float16 with rtol 1e-3 / atol 1e-3.
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from _helpers import ort_run, save_model
from onnx import TensorProto, helper
from onnx.reference import ReferenceEvaluator

from paddlec.compiler import compile_model
from paddlec.errors import UnsupportedModelError
from paddlec.runtime import load

F, F16 = TensorProto.FLOAT, TensorProto.FLOAT16
INT64, BOOL = TensorProto.INT64, TensorProto.BOOL


def _info(name, shape, dtype=F):
    return helper.make_tensor_value_info(name, dtype, shape)


def _model(nodes, inputs, outputs, opset):
    graph = helper.make_graph(nodes, "g", inputs, outputs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              ir_version=10)
    onnx.checker.check_model(model)
    return model


def _compiled(tmp_path, model, feed, **options):
    path = save_model(tmp_path, model)
    compile_model(path, tmp_path / "art", target="llvm", **options)
    return path, load(tmp_path / "art").run(feed)


@pytest.mark.parametrize("opset", [9, 16])  # steps picked by Gather / by Slice + Squeeze
def test_scan_with_reverse_direction_and_outer_value_at_O0(tmp_path, opset):
    body = helper.make_graph(
        [helper.make_node("Add", ["s_in", "x_t"], ["s_out"]),
         helper.make_node("Mul", ["s_out", "w"], ["y_t"])], "body",
        [_info("s_in", [3]), _info("x_t", [3])], [_info("s_out", [3]), _info("y_t", [3])])
    scan = helper.make_node("Scan", ["s0", "x"], ["s", "ys"], body=body, num_scan_inputs=1,
                            scan_input_directions=[1], scan_output_axes=[1])
    model = _model([scan], [_info("s0", [3]), _info("x", [5, 3]), _info("w", [3])],
                   [_info("s", [3]), _info("ys", [3, 5])], opset=opset)
    rng = np.random.default_rng(0)
    feed = {"s0": rng.standard_normal(3).astype(np.float32),
            "x": rng.standard_normal((5, 3)).astype(np.float32),
            "w": rng.standard_normal(3).astype(np.float32)}
    path, got = _compiled(tmp_path, model, feed, opt_level=0)  # unrolled at every -O level
    for name, want in ort_run(path, feed).items():
        np.testing.assert_allclose(got[name], want, rtol=1e-4, atol=1e-5, err_msg=name)


def _loop_model(trip_count_is_input: bool):
    body = helper.make_graph(
        [helper.make_node("Identity", ["c_in"], ["c_out"]),
         helper.make_node("Cast", ["i"], ["i_f"], to=F),
         helper.make_node("Mul", ["v_in", "i_f"], ["scaled"]),
         helper.make_node("Add", ["scaled", "x"], ["v_out"]),
         helper.make_node("Tanh", ["v_out"], ["scan_t"])], "body",
        [_info("i", [], INT64), _info("c_in", [], BOOL), _info("v_in", [2])],
        [_info("c_out", [], BOOL), _info("v_out", [2]), _info("scan_t", [2])])
    nodes = [helper.make_node("Loop", ["M", "", "v0"], ["v", "scans"], body=body)]
    inputs = [_info("v0", [2]), _info("x", [2])]
    if trip_count_is_input:
        inputs.append(_info("M", [], INT64))
    else:
        nodes.insert(0, helper.make_node("Constant", [], ["M"], value=helper.make_tensor(
            "m", INT64, [], [4])))
    return _model(nodes, inputs, [_info("v", [2]), _info("scans", [None, 2])], opset=17)


def test_loop_with_constant_trip_count_matches_onnxruntime(tmp_path):
    feed = {"v0": np.array([0.5, -1.0], np.float32), "x": np.array([0.2, 0.3], np.float32)}
    path, got = _compiled(tmp_path, _loop_model(False), feed)
    for name, want in ort_run(path, feed).items():
        np.testing.assert_allclose(got[name], want, rtol=1e-4, atol=1e-5, err_msg=name)


def test_loop_with_runtime_trip_count_is_refused_with_op_opset_and_reason(tmp_path):
    path = save_model(tmp_path, _loop_model(True))
    with pytest.raises(UnsupportedModelError,
                       match=r"Loop \(1\).*opset 17: the trip count is computed at run time"):
        compile_model(path, tmp_path / "art", target="llvm")
    assert not (tmp_path / "art").exists()
    # bound to a constant, the same model compiles (specialized to that count)
    compile_model(path, tmp_path / "art", target="llvm",
                  const_inputs={"M": np.array(3, np.int64)})
    got = load(tmp_path / "art").run({"v0": np.ones(2, np.float32),
                                      "x": np.ones(2, np.float32)})
    assert got["scans"].shape == (3, 2)


def _reference(model, feed):
    names = [o.name for o in model.graph.output]
    return dict(zip(names, ReferenceEvaluator(model).run(None, feed)))


def test_linear_attention_is_expanded_and_unrolled(tmp_path):
    b, t, heads, dk = 2, 3, 2, 4
    node = helper.make_node("LinearAttention", ["q", "k", "v", "past", "decay", "beta"],
                            ["y", "state"], q_num_heads=heads, kv_num_heads=heads,
                            update_rule="gated_delta")
    io = [_info("q", [b, t, heads * dk]), _info("k", [b, t, heads * dk]),
          _info("v", [b, t, heads * dk]), _info("past", [b, heads, dk, dk]),
          _info("decay", [b, t, heads * dk]), _info("beta", [b, t, heads])]
    model = _model([node], io, [_info("y", [b, t, heads * dk]),
                                _info("state", [b, heads, dk, dk])], opset=27)
    rng = np.random.default_rng(1)
    feed = {i.name: rng.standard_normal([d.dim_value for d in i.type.tensor_type.shape.dim])
            .astype(np.float32) * 0.5 for i in io}
    feed["decay"] = -np.abs(feed["decay"])
    feed["beta"] = 1 / (1 + np.exp(-feed["beta"]))
    _, got = _compiled(tmp_path, model, feed)
    for name, want in _reference(model, feed).items():
        np.testing.assert_allclose(got[name], want, rtol=1e-4, atol=1e-5, err_msg=name)


@pytest.mark.parametrize("dtype", [F, F16])
def test_causal_conv_with_state_silu_bias_and_past_state(tmp_path, dtype):
    np_dtype = np.float32 if dtype == F else np.float16
    node = helper.make_node("CausalConvWithState", ["x", "w", "bias", "past"],
                            ["y", "state"], activation="silu")
    io = [_info("x", [2, 3, 6], dtype), _info("w", [3, 1, 4], dtype),
          _info("bias", [3], dtype), _info("past", [2, 3, 3], dtype)]
    outputs = [_info("y", [2, 3, 6], dtype), _info("state", [2, 3, 3], dtype)]
    model = _model([node], io, outputs, opset=27)
    rng = np.random.default_rng(2)
    feed = {i.name: rng.standard_normal([d.dim_value for d in i.type.tensor_type.shape.dim])
            .astype(np_dtype) for i in io}
    _, got = _compiled(tmp_path, model, feed)
    tolerance = dict(rtol=1e-4, atol=1e-5) if dtype == F else dict(rtol=1e-3, atol=1e-3)
    for name, want in _reference(model, feed).items():
        assert got[name].dtype == want.dtype
        np.testing.assert_allclose(got[name], want, err_msg=name, **tolerance)
