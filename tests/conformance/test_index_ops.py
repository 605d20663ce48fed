"""ReverseSequence and TensorScatter (compiler/converters/index_ops.py) against the ONNX
reference, with runtime lengths / write positions (one compiled model, several feeds)."""

from __future__ import annotations

import numpy as np
from _op_check import assert_refused, make_model, reference, run_paddlec
from onnx import helper


def _check(got: dict, want: dict) -> None:
    for name, expected in want.items():
        np.testing.assert_array_equal(got[name], expected, err_msg=name)


def test_reverse_sequence_and_tensor_scatter_for_several_runtime_positions(tmp_path):
    from paddlec.runtime import load

    rng = np.random.default_rng(0)
    feeds = {"x": rng.standard_normal((4, 5, 2)).astype(np.float32),
             "lens": np.array([0, 2, 5, 3], np.int64),
             "past": rng.standard_normal((2, 3, 6, 4)).astype(np.float32),
             "update": rng.standard_normal((2, 3, 2, 4)).astype(np.float32),
             "write": np.array([1, 4], np.int64), "wrap": np.array([1, 5], np.int64)}
    nodes = [helper.make_node("ReverseSequence", ["x", "lens"], ["by_batch"], batch_axis=0,
                              time_axis=1),
             helper.make_node("Transpose", ["x"], ["xt"], perm=[1, 0, 2]),
             helper.make_node("ReverseSequence", ["xt", "lens"], ["by_time"]),
             helper.make_node("TensorScatter", ["past", "update", "wrap"], ["circular"],
                              mode="circular"),
             helper.make_node("TensorScatter", ["past", "update", "write"], ["linear"])]
    model = make_model(nodes, feeds, ["by_batch", "by_time", "circular", "linear"],
                       opset=24)
    _check(run_paddlec(tmp_path, model, feeds), reference(model, feeds))
    compiled = load(tmp_path / "art")
    for lens, write, wrap in (([5, 1, 4, 0], [0, 4], [5, 0]), ([1, 1, 1, 1], [3, 0], [4, 3])):
        feeds.update(lens=np.array(lens, np.int64), write=np.array(write, np.int64),
                     wrap=np.array(wrap, np.int64))
        _check(compiled.run(feeds), reference(model, feeds))


def test_reverse_sequence_of_a_symbolic_shape_is_refused(tmp_path):
    x = helper.make_tensor_value_info("x", 1, ["T", 2])
    lens = helper.make_tensor_value_info("lens", 7, [2])
    y = helper.make_tensor_value_info("y", 1, ["T", 2])
    node = helper.make_node("ReverseSequence", ["x", "lens"], ["y"])
    graph = helper.make_graph([node], "g", [x, lens], [y])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 24)],
                              ir_version=10)
    assert_refused(tmp_path, model, r"ReverseSequence \(opset 24\): the input needs a static")
