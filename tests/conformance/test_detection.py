"""NonMaxSuppression's strict IoU threshold and RoiAlign's max mode
(compiler/converters/detection.py) against the ONNX reference."""

from __future__ import annotations

import numpy as np
from _op_check import assert_matches_reference, assert_refused, make_model
from onnx import helper, numpy_helper


def _const(name, value, dtype):
    return numpy_helper.from_array(np.array(value, dtype), name)


def test_nms_keeps_a_box_whose_iou_equals_the_threshold_and_roi_align_max(tmp_path):
    rng = np.random.default_rng(0)
    feeds = {
        "boxes": np.array([[[0, 0, 1, 1], [0.5, 0.5, 1.5, 1.5], [0, 0, 0.9, 1]]], np.float32),
        "scores": np.array([[[0.9, 0.8, 0.7]]], np.float32),
        "x": rng.standard_normal((2, 3, 10, 10)).astype(np.float32),
        "rois": np.array([[0, 0, 9, 9], [0, 5, 4, 9], [5, 5, 9, 9], [-2, 1, 3, 12]],
                         np.float32),
        "batch": np.array([0, 1, 1, 0], np.int64),
    }
    iou = np.float32(0.25) / np.float32(1.75)  # exactly the IoU of boxes 0 and 1
    nodes = [helper.make_node("NonMaxSuppression", ["boxes", "scores", "max", "iou",
                                                    "score"], ["selected"]),
             helper.make_node("RoiAlign", ["x", "rois", "batch"], ["out_half"], mode="max",
                              output_height=3, output_width=4, sampling_ratio=2,
                              spatial_scale=0.9,
                              coordinate_transformation_mode="output_half_pixel"),
             helper.make_node("RoiAlign", ["x", "rois", "batch"], ["half"], mode="max",
                              output_height=2, output_width=2, sampling_ratio=3)]
    consts = [_const("max", [3], np.int64), _const("iou", [iou], np.float32),
              _const("score", [0.0], np.float32)]
    model = make_model(nodes, feeds, ["selected", "out_half", "half"], opset=22,
                       initializers=consts)
    got = assert_matches_reference(tmp_path, model, feeds)
    assert got["selected"].shape == (2, 3)  # box 1 kept (IoU == threshold), box 2 not


def test_nms_with_a_runtime_threshold_is_refused(tmp_path):
    feeds = {"boxes": np.zeros((1, 2, 4), np.float32),
             "scores": np.zeros((1, 1, 2), np.float32), "iou": np.array([0.5], np.float32)}
    model = make_model([helper.make_node("NonMaxSuppression", ["boxes", "scores", "", "iou"],
                                         ["selected"])], feeds, ["selected"], opset=11)
    assert_refused(tmp_path, model,
                   r"NonMaxSuppression \(opset 11\): iou_threshold must be a constant")
