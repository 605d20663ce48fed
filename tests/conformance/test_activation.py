"""SwiGLU and Elu (compiler/converters/activation.py) against the ONNX reference."""

from __future__ import annotations

import numpy as np
from _op_check import assert_matches_reference, make_model
from onnx import helper


def test_swiglu_and_half_precision_elu_celu(tmp_path):
    rng = np.random.default_rng(0)
    feeds = {"a": rng.standard_normal((2, 6)).astype(np.float32),
             "b": rng.standard_normal((2, 6)).astype(np.float32),
             "h": rng.standard_normal((5,)).astype(np.float16) * 3}
    nodes = [helper.make_node("SwiGLU", ["a", "b"], ["swiglu"]),
             helper.make_node("SwiGLU", ["a", "b"], ["swiglu_alpha"], alpha=1.702),
             helper.make_node("Elu", ["h"], ["elu16"], alpha=0.5),
             helper.make_node("Elu", ["a"], ["elu32"])]
    model = make_model(nodes, feeds, ["swiglu", "swiglu_alpha", "elu16", "elu32"], opset=28)
    assert_matches_reference(tmp_path, model, feeds, rtol=2e-3, atol=2e-3)
