"""RNN / GRU / LSTM, Scan / Loop and the function-expanded ops through compile_model, against
onnxruntime (rtol 1e-4, atol 1e-5 in float32).

Each model puts several attribute variants side by side so that one compile covers them:
per-batch ``sequence_lens`` with reverse and bidirectional directions, initial states,
peepholes, ``input_forget``, ``clip``, ``layout`` 1, activations with alpha/beta, GRU's
``linear_before_reset``.
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from _helpers import ort_run, save_model
from onnx import TensorProto, helper

from paddlec.compiler import compile_model
from paddlec.errors import UnsupportedModelError
from paddlec.runtime import load

F = TensorProto.FLOAT
RTOL, ATOL = 1e-4, 1e-5
T, B, I, H = 3, 3, 4, 5  # steps, batch, input size, hidden size


def _info(name, shape, dtype=F):
    return helper.make_tensor_value_info(name, dtype, shape)


def _model(nodes, inputs, outputs, opset=22):
    graph = helper.make_graph(nodes, "g", inputs, outputs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              ir_version=10)
    onnx.checker.check_model(model)
    return model


def _compare(tmp_path, model, feed, reference=None):
    """compile_model(model) vs onnxruntime on ``reference`` (default: the model itself)."""
    path = save_model(tmp_path, model)
    compile_model(path, tmp_path / "art", target="llvm")
    got = load(tmp_path / "art").run(feed)
    want = ort_run(save_model(tmp_path, reference or model, "reference.onnx"), feed)
    assert set(want) <= set(got)
    for name, expected in want.items():
        np.testing.assert_allclose(got[name], expected, rtol=RTOL, atol=ATOL, err_msg=name)


def _weights(rng, dirs, gates, with_peephole=False):
    feed = {
        "W": rng.standard_normal((dirs, gates * H, I)).astype(np.float32) * 0.5,
        "R": rng.standard_normal((dirs, gates * H, H)).astype(np.float32) * 0.5,
        "B": rng.standard_normal((dirs, 2 * gates * H)).astype(np.float32) * 0.3,
    }
    if with_peephole:
        feed["P"] = rng.standard_normal((dirs, 3 * H)).astype(np.float32) * 0.3
    return feed


def _weight_infos(dirs, gates, with_peephole=False):
    infos = [_info("W", [dirs, gates * H, I]), _info("R", [dirs, gates * H, H]),
             _info("B", [dirs, 2 * gates * H])]
    return infos + ([_info("P", [dirs, 3 * H])] if with_peephole else [])


def test_lstm_bidirectional_sequence_lens_peepholes_initial_states(tmp_path):
    rng = np.random.default_rng(0)
    feed = {"X": rng.standard_normal((T, B, I)).astype(np.float32),
            "lens": np.array([3, 1, 2], np.int32),
            "h0": rng.standard_normal((2, B, H)).astype(np.float32),
            "c0": rng.standard_normal((2, B, H)).astype(np.float32),
            **_weights(rng, 2, 4, with_peephole=True)}
    node = helper.make_node("LSTM", ["X", "W", "R", "B", "lens", "h0", "c0", "P"],
                            ["Y", "Y_h", "Y_c"], hidden_size=H, direction="bidirectional")
    inputs = [_info("X", [T, B, I]), *_weight_infos(2, 4, True)[:3],
              _info("lens", [B], TensorProto.INT32), _info("h0", [2, B, H]),
              _info("c0", [2, B, H]), _info("P", [2, 3 * H])]
    outputs = [_info("Y", [T, 2, B, H]), _info("Y_h", [2, B, H]), _info("Y_c", [2, B, H])]
    _compare(tmp_path, _model([node], inputs, outputs), feed)


def _seq_major(node):
    """onnxruntime has no layout 1: the same op in layout 0 between Transposes."""
    seq_first = f"{node.output[0]}_x"
    x_t = helper.make_node("Transpose", [node.input[0]], [seq_first], perm=[1, 0, 2])
    attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute
             if a.name != "layout"}
    inner = [f"{name}_t" for name in node.output]
    core = helper.make_node(node.op_type, [seq_first, *node.input[1:]], inner, **attrs)
    back = [helper.make_node("Transpose", [inner[0]], [node.output[0]], perm=[2, 0, 1, 3])]
    back += [helper.make_node("Transpose", [i], [o], perm=[1, 0, 2])
             for i, o in zip(inner[1:], node.output[1:])]
    return [x_t, core, *back]


def test_lstm_input_forget_clip_layout1_and_rnn_activations(tmp_path):
    rng = np.random.default_rng(1)
    feed = {"X": rng.standard_normal((B, T, I)).astype(np.float32) * 2,
            **_weights(rng, 1, 4)}
    rnn_w = _weights(rng, 2, 1)
    feed.update({"Wr": rnn_w["W"], "Rr": rnn_w["R"], "Br": rnn_w["B"]})
    lstm = helper.make_node("LSTM", ["X", "W", "R", "B"], ["Y", "Y_h"], hidden_size=H,
                            layout=1, input_forget=1, clip=0.8,
                            activations=["HardSigmoid", "Elu", "Softsign"],
                            activation_alpha=[0.3, 0.7], activation_beta=[0.4])
    rnn = helper.make_node("RNN", ["X", "Wr", "Rr", "Br"], ["Yr", "Yr_h"], hidden_size=H,
                           layout=1, direction="bidirectional",
                           activations=["LeakyRelu", "ScaledTanh"],
                           activation_alpha=[0.2, 1.5], activation_beta=[0.7])
    inputs = [_info("X", [B, T, I]), *_weight_infos(1, 4),
              _info("Wr", [2, H, I]), _info("Rr", [2, H, H]), _info("Br", [2, 2 * H])]
    outputs = [_info("Y", [B, T, 1, H]), _info("Y_h", [B, 1, H]),
               _info("Yr", [B, T, 2, H]), _info("Yr_h", [B, 2, H])]
    reference = _model(_seq_major(lstm) + _seq_major(rnn), inputs, outputs)
    _compare(tmp_path, _model([lstm, rnn], inputs, outputs), feed, reference)


@pytest.mark.parametrize("before_reset", [pytest.param(0, marks=pytest.mark.slow), 1])
def test_gru_reverse_and_bidirectional_with_sequence_lens(tmp_path, before_reset):
    rng = np.random.default_rng(2 + before_reset)
    feed = {"X": rng.standard_normal((T, B, I)).astype(np.float32),
            "lens": np.array([2, 3, 1], np.int32),
            "h0": rng.standard_normal((2, B, H)).astype(np.float32),
            **_weights(rng, 2, 3)}
    single = _weights(rng, 1, 3)
    feed.update({"W1": single["W"], "R1": single["R"], "B1": single["B"]})
    bi = helper.make_node("GRU", ["X", "W", "R", "B", "lens", "h0"], ["Y", "Y_h"],
                          hidden_size=H, direction="bidirectional",
                          linear_before_reset=before_reset)
    rev = helper.make_node("GRU", ["X", "W1", "R1", "B1", "lens"], ["Y1", "Y1_h"],
                           hidden_size=H, direction="reverse",
                           linear_before_reset=before_reset,
                           activations=["Sigmoid", "Affine"], activation_alpha=[0.5],
                           activation_beta=[0.1])
    inputs = [_info("X", [T, B, I]), *_weight_infos(2, 3),
              _info("lens", [B], TensorProto.INT32),
              _info("h0", [2, B, H]), _info("W1", [1, 3 * H, I]), _info("R1", [1, 3 * H, H]),
              _info("B1", [1, 6 * H])]
    outputs = [_info("Y", [T, 2, B, H]), _info("Y_h", [2, B, H]),
               _info("Y1", [T, 1, B, H]), _info("Y1_h", [1, B, H])]
    _compare(tmp_path, _model([bi, rev], inputs, outputs), feed)


def test_dynamic_sequence_length_is_refused_naming_the_op(tmp_path):
    node = helper.make_node("RNN", ["X", "W", "R"], ["Y"], hidden_size=H)
    model = _model([node], [_info("X", ["T", B, I]), _info("W", [1, H, I]),
                            _info("R", [1, H, H])], [_info("Y", ["T", 1, B, H])])
    with pytest.raises(UnsupportedModelError, match=r"RNN \(opset 22\).*static shape"):
        compile_model(save_model(tmp_path, model), tmp_path / "art", target="llvm")
    assert not (tmp_path / "art").exists()
