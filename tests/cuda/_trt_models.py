"""Small ONNX models for the TensorRT tests, built inline with onnx.helper."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def two_region_model(seed: int = 0) -> onnx.ModelProto:
    """conv-bn-relu-conv-relu → Round (not in TensorRT's table) → conv-relu → GAP → flatten
    → gemm → softmax; outputs ``probs`` and ``feat``: two regions, ``round`` outside."""
    rng = np.random.default_rng(seed)

    def w(name, *shape, scale=0.3):
        return numpy_helper.from_array((rng.standard_normal(shape) * scale).astype(np.float32),
                                       name)

    inits = [w("w1", 8, 3, 3, 3), w("b1", 8), w("w2", 8, 8, 3, 3), w("w3", 8, 8, 1, 1),
             w("b3", 8), w("wf", 8, 5), w("bf", 5),
             numpy_helper.from_array((rng.random(8) + 0.5).astype(np.float32), "bn_s"),
             w("bn_b", 8), w("bn_m", 8),
             numpy_helper.from_array((rng.random(8) + 0.5).astype(np.float32), "bn_v")]
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c1", "bn_s", "bn_b", "bn_m", "bn_v"], ["n1"]),
        helper.make_node("Relu", ["n1"], ["r1"]),
        helper.make_node("Conv", ["r1", "w2"], ["c2"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c2"], ["r2"]),
        helper.make_node("Round", ["r2"], ["q"]),
        helper.make_node("Conv", ["q", "w3", "b3"], ["c3"]),
        helper.make_node("Relu", ["c3"], ["r3"]),
        helper.make_node("GlobalAveragePool", ["r3"], ["g"]),
        helper.make_node("Flatten", ["g"], ["feat"]),
        helper.make_node("Gemm", ["feat", "wf", "bf"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probs"], axis=-1),
    ]
    graph = helper.make_graph(
        nodes, "two_regions",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 16, 16])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["N", 5]),
         helper.make_tensor_value_info("feat", TensorProto.FLOAT, ["N", 8])],
        initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model, full_check=True)
    return model


def concat_layernorm_model(seed: int = 0) -> onnx.ModelProto:
    """Two conv branches (relu, sigmoid) → Concat → conv → LayerNormalization: one region
    with a tuple-taking op (concat) and a three-input op (layer norm)."""
    rng = np.random.default_rng(seed)

    def w(name, *shape):
        return numpy_helper.from_array((rng.standard_normal(shape) * 0.3).astype(np.float32),
                                       name)

    nodes = [helper.make_node("Conv", ["x", "w1"], ["a"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["a"], ["ra"]),
             helper.make_node("Conv", ["x", "w2"], ["b"]),
             helper.make_node("Sigmoid", ["b"], ["sb"]),
             helper.make_node("Concat", ["ra", "sb"], ["c"], axis=1),
             helper.make_node("Conv", ["c", "w3"], ["y0"]),
             helper.make_node("LayerNormalization", ["y0", "g", "bb"], ["y"], axis=-1)]
    graph = helper.make_graph(
        nodes, "concat_layernorm",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4, 8, 8])],
        initializer=[w("w1", 4, 3, 3, 3), w("w2", 4, 3, 1, 1), w("w3", 4, 8, 1, 1),
                     w("g", 8), w("bb", 8)])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
