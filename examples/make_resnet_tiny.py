"""Generate ``examples/resnet_tiny.onnx``: a small ResNet-style classifier with random weights.

conv-bn-relu stem, max pool, two residual blocks (the second downsamples with a 1x1
shortcut), global average pool, flatten, gemm, softmax; input ``image: float32[N,3,64,64]``
with a symbolic batch. Deterministic (seeded), so rerunning rewrites the same bytes.

    python examples/make_resnet_tiny.py [OUT.onnx]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


class _Builder:
    def __init__(self, seed: int = 0) -> None:
        self.rng = np.random.default_rng(seed)
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self.count = 0

    def name(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}_{self.count}"

    def weight(self, prefix: str, array: np.ndarray) -> str:
        name = self.name(prefix)
        self.initializers.append(numpy_helper.from_array(array.astype(np.float32), name))
        return name

    def node(self, op: str, inputs: list[str], **attrs) -> str:
        out = self.name(op.lower())
        self.nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    def conv_bn(self, x: str, cin: int, cout: int, k: int, stride: int, relu: bool) -> str:
        fan_in = cin * k * k
        w = self.weight("w", self.rng.standard_normal((cout, cin, k, k)) * np.sqrt(2 / fan_in))
        y = self.node("Conv", [x, w], kernel_shape=[k, k], strides=[stride, stride],
                      pads=[k // 2] * 4)
        scale = self.weight("gamma", self.rng.uniform(0.5, 1.5, cout))
        bias = self.weight("beta", self.rng.normal(0, 0.1, cout))
        mean = self.weight("mean", self.rng.normal(0, 0.1, cout))
        var = self.weight("var", self.rng.uniform(0.5, 1.5, cout))
        y = self.node("BatchNormalization", [y, scale, bias, mean, var], epsilon=1e-5)
        return self.node("Relu", [y]) if relu else y

    def block(self, x: str, cin: int, cout: int, stride: int) -> str:
        y = self.conv_bn(x, cin, cout, 3, stride, relu=True)
        y = self.conv_bn(y, cout, cout, 3, 1, relu=False)
        shortcut = x if (cin == cout and stride == 1) else self.conv_bn(x, cin, cout, 1, stride, False)
        return self.node("Relu", [self.node("Add", [y, shortcut])])


def build_model(classes: int = 10) -> onnx.ModelProto:
    b = _Builder()
    x = b.conv_bn("image", 3, 16, 3, 1, relu=True)
    x = b.node("MaxPool", [x], kernel_shape=[2, 2], strides=[2, 2])
    x = b.block(x, 16, 16, 1)
    x = b.block(x, 16, 32, 2)
    x = b.node("GlobalAveragePool", [x])
    x = b.node("Flatten", [x], axis=1)
    w = b.weight("fc_w", b.rng.standard_normal((classes, 32)) * 0.1)
    bias = b.weight("fc_b", b.rng.normal(0, 0.1, classes))
    x = b.node("Gemm", [x, w, bias], transB=1)
    b.nodes.append(helper.make_node("Softmax", [x], ["probs"], axis=1, name="softmax"))
    graph = helper.make_graph(
        b.nodes, "resnet_tiny",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 3, 64, 64])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["N", classes])],
        b.initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="paddlec-examples")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("resnet_tiny.onnx")
    onnx.save(build_model(), out)
    print(f"wrote {out}")
