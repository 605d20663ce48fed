"""CenterCropPad, Col2Im, SpaceToDepth (compiler/converters/spatial.py) against the ONNX
reference."""

from __future__ import annotations

import numpy as np
from _op_check import assert_matches_reference, assert_refused, make_model
from onnx import helper, numpy_helper


def _const(name, values):
    return numpy_helper.from_array(np.array(values, np.int64), name)


def test_crop_pad_col2im_and_space_to_depth_modes(tmp_path):
    rng = np.random.default_rng(0)
    feeds = {"img": rng.standard_normal((3, 9, 4)).astype(np.float32),
             "cols": rng.standard_normal((2, 6, 8)).astype(np.float32),
             "nchw": rng.standard_normal((1, 2, 4, 6)).astype(np.float32)}
    nodes = [
        helper.make_node("CenterCropPad", ["img", "crop_pad"], ["centred"], axes=[1, -1]),
        helper.make_node("Col2Im", ["cols", "image", "block"], ["folded"], pads=[1, 0, 0, 1],
                         strides=[2, 1], dilations=[1, 2]),
        helper.make_node("SpaceToDepth", ["nchw"], ["crd"], blocksize=2, mode="CRD"),
        helper.make_node("SpaceToDepth", ["nchw"], ["dcr"], blocksize=2),
    ]
    consts = [_const("crop_pad", [6, 7]), _const("image", [5, 5]), _const("block", [3, 2])]
    model = make_model(nodes, feeds, ["centred", "folded", "crd", "dcr"], opset=28,
                       initializers=consts)
    got = assert_matches_reference(tmp_path, model, feeds)
    assert got["centred"].shape == (3, 6, 7) and got["folded"].shape == (2, 1, 5, 5)


def test_center_crop_pad_with_a_runtime_shape_is_refused(tmp_path):
    x = helper.make_tensor_value_info("x", 1, [4, 4])
    shape = helper.make_tensor_value_info("shape", 7, [2])
    y = helper.make_tensor_value_info("y", 1, [None, None])
    graph = helper.make_graph([helper.make_node("CenterCropPad", ["x", "shape"], ["y"])], "g",
                              [x, shape], [y])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)],
                              ir_version=10)
    assert_refused(tmp_path, model, r"CenterCropPad \(opset 18\): shape must be a constant")
