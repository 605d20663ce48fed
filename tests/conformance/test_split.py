"""Split with zero-size pieces (compiler/converters/split.py) against the ONNX reference."""

from __future__ import annotations

import numpy as np
from _op_check import assert_matches_reference, make_model
from onnx import helper, numpy_helper


def test_split_with_empty_pieces_and_the_tvm_path_for_the_rest(tmp_path):
    feeds = {"x": np.arange(12, dtype=np.float32).reshape(2, 6)}
    sizes = numpy_helper.from_array(np.array([0, 4, 0, 2], np.int64), "sizes")
    nodes = [helper.make_node("Split", ["x", "sizes"], ["a", "b", "c", "d"], axis=1),
             helper.make_node("Split", ["x"], ["e", "f", "g"], axis=1, num_outputs=3)]
    model = make_model(nodes, feeds, list("abcdefg"), opset=18, initializers=[sizes])
    got = assert_matches_reference(tmp_path, model, feeds)
    assert got["a"].shape == (2, 0) and got["d"].shape == (2, 2)
