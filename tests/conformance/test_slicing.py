"""Slice with runtime starts/ends (compiler/converters/slicing.py): clamping, negative
indices and steps, on a static and on a runtime-sized input, against the ONNX reference."""

from __future__ import annotations

import numpy as np
from _op_check import assert_refused, make_model, reference, run_paddlec
from onnx import helper, numpy_helper


def test_runtime_starts_and_ends_for_several_values(tmp_path):
    from paddlec.runtime import load

    feeds = {"x": np.arange(60, dtype=np.float32).reshape(3, 4, 5),
             "starts": np.array([1, -1], np.int64), "ends": np.array([100, -100], np.int64),
             "n": np.array([2, 1], np.int64)}
    consts = [numpy_helper.from_array(np.array([2, 1], np.int64), "axes"),
              numpy_helper.from_array(np.array([2, -1], np.int64), "steps"),
              numpy_helper.from_array(np.array([0, 0], np.int64), "zeros")]
    nodes = [helper.make_node("Slice", ["x", "starts", "ends", "axes", "steps"], ["y"]),
             # a runtime-sized input: grow axes 2 and 1 by n at the start, slice back [0, n)
             helper.make_node("Concat", ["n", "zeros"], ["pad_all"], axis=0),
             helper.make_node("Pad", ["x", "pad_all", "", "axes"], ["grown"]),
             helper.make_node("Slice", ["grown", "zeros", "n", "axes"], ["z"])]
    model = make_model(nodes, feeds, ["y", "z"], opset=18, initializers=consts)
    got = run_paddlec(tmp_path, model, feeds)
    for name, want in reference(model, feeds).items():
        np.testing.assert_array_equal(got[name], want, err_msg=name)
    compiled = load(tmp_path / "art")
    for starts, ends, n in (([0, 3], [2, 0], [0, 3]), ([-2, 0], [-1, 4], [1, 0])):
        feeds.update(starts=np.array(starts, np.int64), ends=np.array(ends, np.int64),
                     n=np.array(n, np.int64))
        got = compiled.run(feeds)
        for name, want in reference(model, feeds).items():
            np.testing.assert_array_equal(got[name], want, err_msg=name)


def test_runtime_axes_are_refused(tmp_path):
    feeds = {"x": np.zeros((2, 3), np.float32), "starts": np.array([0], np.int64),
             "ends": np.array([1], np.int64), "axes": np.array([1], np.int64)}
    model = make_model([helper.make_node("Slice", ["x", "starts", "ends", "axes"], ["y"])],
                       feeds, ["y"], opset=18)
    assert_refused(tmp_path, model, r"Slice \(opset 18\): axes must be a constant")


def test_slice_of_a_symbolic_shape_stays_symbolic_for_reshape(tmp_path):
    """Shape → Slice → Concat → Reshape on a symbolic batch: the Slice of a ShapeExpr goes
    to TVM's converter, so Reshape still sees a shape (not a runtime tensor)."""
    from onnx import TensorProto

    from paddlec.runtime import load

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4, 6])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 24])
    consts = [numpy_helper.from_array(np.array([0], np.int64), "s"),
              numpy_helper.from_array(np.array([1], np.int64), "e"),
              numpy_helper.from_array(np.array([-1], np.int64), "m1")]
    nodes = [helper.make_node("Shape", ["x"], ["shape"]),
             helper.make_node("Slice", ["shape", "s", "e"], ["n"]),
             helper.make_node("Concat", ["n", "m1"], ["new"], axis=0),
             helper.make_node("Reshape", ["x", "new"], ["y"])]
    graph = helper.make_graph(nodes, "g", [x], [y], initializer=consts)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)],
                              ir_version=10)
    run_paddlec(tmp_path, model, {"x": np.zeros((1, 4, 6), np.float32)})
    compiled = load(tmp_path / "art")
    for batch in (1, 3):
        feeds = {"x": np.random.default_rng(batch).standard_normal((batch, 4, 6))
                 .astype(np.float32)}
        np.testing.assert_array_equal(compiled.run(feeds)["y"], reference(model, feeds)["y"])
