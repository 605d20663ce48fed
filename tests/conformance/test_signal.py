"""DFT / STFT converters (compiler/converters/signal.py) against the ONNX reference."""

from __future__ import annotations

import numpy as np
from _op_check import assert_matches_reference, assert_refused, make_model
from onnx import helper, numpy_helper


def _const(name, value):
    return numpy_helper.from_array(np.asarray(value), name)


def test_dft_variants_and_stft_match_the_reference(tmp_path):
    rng = np.random.default_rng(0)
    feeds = {
        "real": rng.standard_normal((3, 8, 5, 1)).astype(np.float32),
        "cplx": rng.standard_normal((2, 8, 2)).astype(np.float32),
        "half": rng.standard_normal((2, 6, 2)).astype(np.float32),
        "signal": rng.standard_normal((2, 64, 1)).astype(np.float32),
    }
    window = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(16) / 16)).astype(np.float32)
    nodes = [
        helper.make_node("DFT", ["real", "", "one"], ["forward_axis1"]),
        helper.make_node("DFT", ["real", "", "two"], ["forward_axis2"]),
        helper.make_node("DFT", ["real", "ten", "one"], ["rfft_padded"], onesided=1),
        helper.make_node("DFT", ["cplx", "", "one"], ["inverse"], inverse=1),
        helper.make_node("DFT", ["half", "", "one"], ["irfft"], inverse=1, onesided=1),
        helper.make_node("DFT", ["cplx", "six", "one"], ["truncated"]),
        helper.make_node("STFT", ["signal", "step", "window"], ["stft"]),
        helper.make_node("STFT", ["signal", "step", "", "length"], ["stft_plain"],
                         onesided=0),
    ]
    initializers = [_const("one", np.int64(1)), _const("two", np.int64(2)),
                    _const("ten", np.int64(10)), _const("six", np.int64(6)),
                    _const("step", np.int64(8)), _const("window", window),
                    _const("length", np.int64(16))]
    model = make_model(nodes, feeds, ["forward_axis1", "forward_axis2", "rfft_padded",
                                      "inverse", "irfft", "truncated", "stft", "stft_plain"],
                       opset=20, initializers=initializers)
    got = assert_matches_reference(tmp_path, model, feeds, rtol=1e-4, atol=1e-4)
    assert got["irfft"].shape == (2, 10, 1) and got["stft"].shape == (2, 7, 9, 2)


def test_dft_opset17_axis_attribute(tmp_path):
    x = np.random.default_rng(1).standard_normal((2, 4, 6, 1)).astype(np.float32)
    model = make_model([helper.make_node("DFT", ["x"], ["y"], axis=2, onesided=1)],
                       {"x": x}, ["y"], opset=17)
    assert_matches_reference(tmp_path, model, {"x": x}, atol=1e-4)


def test_dft_with_a_runtime_axis_is_refused(tmp_path):
    x = np.zeros((1, 4, 1), np.float32)
    model = make_model([helper.make_node("DFT", ["x", "", "axis"], ["y"])],
                       {"x": x, "axis": np.array(1, np.int64)}, ["y"], opset=20)
    assert_refused(tmp_path, model, r"DFT \(opset 20\): axis must be a constant")


def test_window_functions_of_a_constant_size(tmp_path):
    feeds = {"x": np.zeros((2,), np.float32)}
    nodes = [helper.make_node("HannWindow", ["size"], ["hann"]),
             helper.make_node("HammingWindow", ["size"], ["hamming"], periodic=0),
             helper.make_node("BlackmanWindow", ["size"], ["blackman"], output_datatype=11),
             helper.make_node("Identity", ["x"], ["x_out"])]
    model = make_model(nodes, feeds, ["hann", "hamming", "blackman", "x_out"], opset=17,
                       initializers=[_const("size", np.int32(10))])
    assert_matches_reference(tmp_path, model, feeds, atol=1e-6)
