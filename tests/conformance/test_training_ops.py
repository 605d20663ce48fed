"""Optimizer steps (ai.onnx.preview.training Adam / Adagrad / Momentum) and
BatchNormalization's training-mode statistics, against onnx's reference (rtol 1e-3,
atol 1e-5); R and T are runtime inputs, so both sides of the ``T > 0`` branches run."""

from __future__ import annotations

import numpy as np
import pytest
from _reference_check import check_against_reference, make_model
from onnx import TensorProto, helper

from paddlec.compiler import compile_model
from paddlec.errors import UnsupportedModelError

_TRAINING = {"": 18, "ai.onnx.preview.training": 1}


def _optimizer_model(op, state_names, outputs, **attrs):
    shapes = {"1": [3], "2": [2, 2]}
    inputs = [helper.make_tensor_value_info("R", TensorProto.FLOAT, []),
              helper.make_tensor_value_info("T", TensorProto.INT64, [])]
    for kind in state_names:
        inputs += [helper.make_tensor_value_info(f"{kind}{i}", TensorProto.FLOAT, shapes[i])
                   for i in ("1", "2")]
    outs = [helper.make_tensor_value_info(f"{kind}{i}_new", TensorProto.FLOAT, shapes[i])
            for kind in outputs for i in ("1", "2")]
    node = helper.make_node(op, [v.name for v in inputs], [v.name for v in outs],
                            domain="ai.onnx.preview.training", **attrs)
    return make_model([node], inputs, outs, _TRAINING)


def _feed(model, step):
    rng = np.random.default_rng(step)
    feed = {"R": np.array(0.1, np.float32), "T": np.array(step, np.int64)}
    for value in model.graph.input[2:]:
        dims = [d.dim_value for d in value.type.tensor_type.shape.dim]
        feed[value.name] = rng.random(dims).astype(np.float32)
    return feed


@pytest.mark.parametrize("op,states,outputs,attrs", [
    ("Adam", "XGVH", "XVH", dict(alpha=0.9, beta=0.99, epsilon=1e-6, norm_coefficient=0.01,
                                 norm_coefficient_post=0.02)),
    ("Adagrad", "XGH", "XH", dict(decay_factor=0.1, epsilon=1e-5, norm_coefficient=0.01)),
    ("Momentum", "XGV", "XV", dict(alpha=0.9, beta=0.8, mode="nesterov",
                                   norm_coefficient=0.01)),
])
def test_optimizer_step_matches_reference_at_step_zero_and_later(tmp_path, op, states,
                                                                 outputs, attrs):
    model = _optimizer_model(op, states, outputs, **attrs)
    for step in (0, 3):
        folder = tmp_path / f"step{step}"
        folder.mkdir()
        check_against_reference(folder, model, _feed(model, step))


def test_batch_normalization_training_mode_running_statistics(tmp_path):
    shape = [4, 3, 5]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)
    params = [helper.make_tensor_value_info(n, TensorProto.FLOAT, [3])
              for n in ("s", "b", "m", "v")]
    outs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, shape),
            helper.make_tensor_value_info("rm", TensorProto.FLOAT, [3]),
            helper.make_tensor_value_info("rv", TensorProto.FLOAT, [3])]
    node = helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"],
                            ["y", "rm", "rv"], training_mode=1, momentum=0.7, epsilon=1e-3)
    model = make_model([node], [x, *params], outs, {"": 15})
    rng = np.random.default_rng(5)
    feed = {"x": rng.standard_normal(shape).astype(np.float32) * 2 + 1,
            **{n: rng.random(3).astype(np.float32) + 0.5 for n in ("s", "b", "m", "v")}}
    check_against_reference(tmp_path, model, feed)


def test_unknown_momentum_mode_is_refused(tmp_path):
    model = _optimizer_model("Momentum", "XGV", "XV", alpha=0.9, beta=0.8, mode="heavy",
                             norm_coefficient=0.0)
    path = tmp_path / "m.onnx"
    path.write_bytes(model.SerializeToString())
    with pytest.raises(UnsupportedModelError, match=r"Momentum \(opset 1\).*heavy"):
        compile_model(path, tmp_path / "out")
