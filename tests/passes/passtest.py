"""Helpers for pass tests: build a small graph inline, run one pass, compare the numbers.

Every numeric check runs the ONNX reference evaluator on the graph before and after the pass
with the same inputs and compares with the tolerances the test states.
"""

from __future__ import annotations

import numpy as np
import onnx
import onnx_ir as ir
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

FLOAT = TensorProto.FLOAT


def io(name: str, shape, dtype: int = FLOAT) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, dtype, shape)


def make_model(nodes, inputs, outputs, initializers: dict | None = None,
               opset: int = 17, infer: bool = True) -> ir.Model:
    """An ``onnx_ir.Model`` from onnx.helper pieces, shape-inferred (``infer``; outputs given
    without a shape get one) and checked by onnx's checker."""
    inits = [numpy_helper.from_array(np.asarray(a), name)
             for name, a in (initializers or {}).items()]
    graph = helper.make_graph(nodes, "test", inputs, outputs, initializer=inits)
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    proto.ir_version = 8
    if infer:
        proto = onnx.shape_inference.infer_shapes(proto, strict_mode=True)
    onnx.checker.check_model(proto)
    return ir.from_proto(proto)


def run(model: ir.Model, feeds: dict[str, np.ndarray], runner: str = "reference"):
    """The model's outputs from the ONNX reference evaluator, or onnxruntime (``"ort"``; for
    ops whose reference implementation is wrong, e.g. grouped ConvTranspose in onnx 1.23)."""
    proto = ir.to_proto(model)
    onnx.checker.check_model(proto)
    if runner == "ort":
        return ort_run(proto.SerializeToString(), feeds)
    return ReferenceEvaluator(proto).run(None, feeds)


def ort_run(proto: bytes, feeds):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(proto, options, providers=["CPUExecutionProvider"])
    return session.run(None, feeds)


def apply(pass_, model: ir.Model, feeds: dict[str, np.ndarray], rtol: float = 1e-5,
          atol: float = 1e-6, runner: str = "reference"):
    """Run ``pass_`` on ``model`` assert the outputs did not move; return the result."""
    before = run(model, feeds, runner)
    result = pass_(model)
    after = run(result.model, feeds, runner)
    assert len(before) == len(after)
    for want, got in zip(before, after):
        assert got.shape == want.shape and got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)
    return result


def ops(model: ir.Model) -> list[str]:
    return [node.op_type for node in model.graph]


def rand(*shape, seed: int = 0, dtype=np.float32) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)
