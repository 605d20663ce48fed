"""Pad with runtime pads (compiler/converters/padding.py): one compiled model, several pad
amounts (growing, cropping with negative pads), against the ONNX reference (numpy's pad,
which rejects negative pads: those are checked against the spec's crop, written out)."""

from __future__ import annotations

import numpy as np
from _op_check import assert_refused, make_model, reference, run_paddlec
from onnx import helper, numpy_helper


def _spec_pad(x, before, after, value):
    """Pad (positive amounts) then crop (negative amounts), axis by axis."""
    grown = np.pad(x, [(max(b, 0), max(a, 0)) for b, a in zip(before, after)],
                   constant_values=value)
    index = tuple(slice(max(-b, 0), grown.shape[i] - max(-a, 0))
                  for i, (b, a) in enumerate(zip(before, after)))
    return grown[index]


def test_runtime_pads_including_negative_ones_with_axes(tmp_path):
    from paddlec.runtime import load

    feeds = {"x": np.arange(24, dtype=np.float32).reshape(2, 3, 4),
             "pads": np.array([1, 0, 2, 1], np.int64), "value": np.array(-1.0, np.float32)}
    axes = numpy_helper.from_array(np.array([2, 0], np.int64), "axes")
    nodes = [helper.make_node("Pad", ["x", "pads", "value", "axes"], ["y"])]
    model = make_model(nodes, feeds, ["y"], opset=18, initializers=[axes])
    got = run_paddlec(tmp_path, model, feeds)["y"]
    np.testing.assert_array_equal(got, reference(model, feeds)["y"])
    np.testing.assert_array_equal(got, _spec_pad(feeds["x"], [0, 0, 1], [1, 0, 2], -1.0))
    compiled = load(tmp_path / "art")
    for pads in ([0, 0, 0, 0], [-1, 1, 2, -1], [3, 2, 0, -2]):
        feeds["pads"] = np.array(pads, np.int64)
        # axes [2, 0]: pads = [x2_before, x0_before, x2_after, x0_after]
        want = _spec_pad(feeds["x"], [pads[1], 0, pads[0]], [pads[3], 0, pads[2]], -1.0)
        np.testing.assert_array_equal(compiled.run(feeds)["y"], want)


def test_runtime_pads_in_reflect_mode_are_refused(tmp_path):
    feeds = {"x": np.zeros((2, 3), np.float32), "pads": np.array([1, 1, 1, 1], np.int64)}
    model = make_model([helper.make_node("Pad", ["x", "pads"], ["y"], mode="reflect")], feeds,
                       ["y"], opset=18)
    assert_refused(tmp_path, model, r"Pad \(opset 18\): runtime pads are supported for mode")
