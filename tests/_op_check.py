"""Compile a one-graph ONNX model with paddlec and compare it with the ONNX reference.

Used by the converter-family tests in ``tests/conformance/test_<family>.py``: the
reference is ``onnx.reference.ReferenceEvaluator`` (the spec's own semantics, independent
of paddlec's converters), optionally onnxruntime where it implements the op.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import helper
from onnx.reference import ReferenceEvaluator

from paddlec.compiler import compile_model
from paddlec.runtime import load

__all__ = ["assert_matches_reference", "assert_refused", "make_model", "reference",
           "run_paddlec"]


def make_model(nodes, inputs: dict, outputs: list, opset: int, initializers=(),
               infer: bool = True, declared: dict | None = None) -> onnx.ModelProto:
    """A model over ``inputs`` (name → example array); ``outputs``: names, typed by shape
    inference unless ``declared`` gives them (name → (TensorProto type, shape))."""
    infos = [helper.make_tensor_value_info(
        name, helper.np_dtype_to_tensor_dtype(value.dtype), list(value.shape))
        for name, value in inputs.items()]
    declared = declared or {}
    outs = [helper.make_tensor_value_info(name, *declared[name]) if name in declared
            else helper.make_empty_tensor_value_info(name) for name in outputs]
    graph = helper.make_graph(list(nodes), "g", infos, outs, initializer=list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              ir_version=10)
    return onnx.shape_inference.infer_shapes(model, strict_mode=True) if infer else model


def run_paddlec(tmp_path: Path, model: onnx.ModelProto, feeds: dict,
                const_inputs: dict | None = None) -> dict:
    path = tmp_path / "model.onnx"
    onnx.save(model, path)
    compile_model(path, tmp_path / "art", target="llvm", const_inputs=const_inputs or {})
    compiled = load(tmp_path / "art")
    bound = const_inputs or {}
    return compiled.run({k: v for k, v in feeds.items() if k not in bound})


def reference(model: onnx.ModelProto, feeds: dict) -> dict:
    evaluator = ReferenceEvaluator(model)
    names = [output.name for output in model.graph.output]
    return dict(zip(names, evaluator.run(None, feeds)))


def assert_matches_reference(tmp_path: Path, model: onnx.ModelProto, feeds: dict,
                             const_inputs: dict | None = None, rtol: float = 1e-4,
                             atol: float = 1e-5) -> dict:
    """Compile, run, compare every output (dtype, shape, values); returns paddlec's."""
    got = run_paddlec(tmp_path, model, feeds, const_inputs)
    want = reference(model, feeds)
    for name, expected in want.items():
        actual = got[name]
        assert actual.dtype == expected.dtype, (name, actual.dtype, expected.dtype)
        assert actual.shape == expected.shape, (name, actual.shape, expected.shape)
        if expected.dtype.kind in "fc":
            np.testing.assert_allclose(actual.astype(np.float64), expected.astype(np.float64),
                                       rtol=rtol, atol=atol, err_msg=name)
        else:
            np.testing.assert_array_equal(actual, expected, err_msg=name)
    return got


def assert_refused(tmp_path: Path, model: onnx.ModelProto, match: str,
                   const_inputs: dict | None = None) -> None:
    """Compiling ``model`` raises UnsupportedModelError matching ``match``, writes nothing."""
    import pytest

    from paddlec.errors import UnsupportedModelError

    path = tmp_path / "refused.onnx"
    onnx.save(model, path)
    with pytest.raises(UnsupportedModelError, match=match):
        compile_model(path, tmp_path / "refused", const_inputs=const_inputs or {})
    assert not (tmp_path / "refused").exists()
