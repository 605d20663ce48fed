"""Det (compiler/converters/linalg.py) against numpy (LAPACK) and the ONNX reference."""

from __future__ import annotations

import numpy as np
from _op_check import assert_matches_reference, assert_refused, make_model
from onnx import helper


def test_det_batch_with_pivoting_and_singular_matrices(tmp_path):
    rng = np.random.default_rng(0)
    batch = rng.standard_normal((5, 4, 4)).astype(np.float32)
    batch[1, 0, 0] = 0.0  # needs a row swap
    batch[2, 3] = batch[2, 1] * 2  # singular
    batch[3] = np.eye(4, dtype=np.float32)[[1, 0, 3, 2]]  # permutation, det +1
    feeds = {"batch": batch, "single": np.array([[0.0, 1.0], [2.0, 3.0]], np.float32)}
    nodes = [helper.make_node("Det", ["batch"], ["dets"]),
             helper.make_node("Det", ["single"], ["det"])]
    model = make_model(nodes, feeds, ["dets", "det"], opset=22)
    got = assert_matches_reference(tmp_path, model, feeds, rtol=1e-4, atol=1e-5)
    assert got["det"].shape == () and got["dets"][3] == 1.0


def test_det_of_non_square_matrices_is_refused(tmp_path):
    x = helper.make_tensor_value_info("x", 1, [2, 3])
    y = helper.make_tensor_value_info("y", 1, [])
    graph = helper.make_graph([helper.make_node("Det", ["x"], ["y"])], "g", [x], [y])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 22)],
                              ir_version=10)
    assert_refused(tmp_path, model, r"Det \(opset 22\): the input needs a static shape")
