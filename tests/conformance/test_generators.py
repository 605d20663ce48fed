"""EyeLike (compiler/converters/generators.py) against the ONNX reference."""

from __future__ import annotations

import numpy as np
from _op_check import assert_matches_reference, make_model
from onnx import TensorProto, helper


def test_eye_like_with_dtype_attribute_and_offsets(tmp_path):
    feeds = {"x": np.zeros((4, 5), np.int32)}
    nodes = [helper.make_node("EyeLike", ["x"], ["f64"], dtype=TensorProto.DOUBLE),
             helper.make_node("EyeLike", ["x"], ["above"], dtype=TensorProto.FLOAT, k=1),
             helper.make_node("EyeLike", ["x"], ["below"], k=-2)]
    model = make_model(nodes, feeds, ["f64", "above", "below"], opset=22)
    assert_matches_reference(tmp_path, model, feeds)
