"""Compile a small ONNX model with paddlec and compare every output with onnx's
ReferenceEvaluator (the spec's reference implementation) under a stated tolerance."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import helper
from onnx.reference import ReferenceEvaluator

from paddlec.compiler import compile_model
from paddlec.runtime import load

__all__ = ["check_against_reference", "make_model"]


def make_model(nodes, inputs, outputs, opsets: dict[str, int], initializers=()):
    graph = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(initializers))
    return helper.make_model(graph, ir_version=10, opset_imports=[
        helper.make_opsetid(domain, version) for domain, version in opsets.items()])


def check_against_reference(tmp_path: Path, model: onnx.ModelProto, feed: dict,
                            rtol: float = 1e-3, atol: float = 1e-5) -> dict:
    """paddlec's outputs; asserts dtype, shape and values against the reference."""
    path = tmp_path / "model.onnx"
    onnx.save(model, str(path))
    compile_model(path, tmp_path / "art", target="llvm")
    got = load(tmp_path / "art").run(feed)
    names = [value.name for value in model.graph.output]
    want = ReferenceEvaluator(model).run(None, feed)
    for name, expected in zip(names, want):
        expected = np.asarray(expected)
        actual = got[name]
        assert actual.dtype == expected.dtype, (name, actual.dtype, expected.dtype)
        assert actual.shape == expected.shape, (name, actual.shape, expected.shape)
        if expected.dtype.kind in "iub":
            np.testing.assert_array_equal(actual, expected, err_msg=name)
        else:
            np.testing.assert_allclose(actual.astype(np.float64), expected.astype(np.float64),
                                       rtol=rtol, atol=atol, err_msg=name)
    return got
