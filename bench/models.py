"""The benchmark suite's reference networks, generated offline as ONNX with random weights.

ResNet-18 / ResNet-50 (conv + batch norm, as in the ONNX model zoo), MobileNetV2 (depthwise
convs, ReLU6 as ``Clip``, linear bottlenecks) and a BERT-base-like encoder (12 layers, hidden
768, 12 heads, FFN 3072, sequence 128; input is the embedded sequence). Every model has a
symbolic batch ``N``. Seeded, so the same call writes the same bytes; nothing is downloaded.

    python -m paddlec.bench.models OUT_DIR [NAME ...]
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

__all__ = ["MODELS", "build", "ensure_model", "make_bert", "make_mobilenet_v2", "make_resnet"]

OPSET = 17


class _Graph:
    """A tiny ONNX graph builder: unique names, initializers and nodes in order."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self.count = 0

    def name(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}_{self.count}"

    def const(self, prefix: str, array: np.ndarray) -> str:
        name = self.name(prefix)
        self.initializers.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def weight(self, prefix: str, shape: tuple[int, ...], fan_in: int) -> str:
        data = self.rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)
        return self.const(prefix, data.astype(np.float32))

    def node(self, op: str, inputs: list[str], **attrs) -> str:
        out = self.name(op.lower())
        self.nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    def conv_bn(self, x: str, cin: int, cout: int, k: int, stride: int, act: str | None,
                groups: int = 1) -> str:
        w = self.weight("w", (cout, cin // groups, k, k), cin // groups * k * k)
        y = self.node("Conv", [x, w], kernel_shape=[k, k], strides=[stride, stride],
                      pads=[k // 2] * 4, group=groups)
        f32 = np.float32
        scale = self.const("gamma", self.rng.uniform(0.5, 1.5, cout).astype(f32))
        shift = self.const("beta", self.rng.normal(0, 0.1, cout).astype(f32))
        mean = self.const("mean", self.rng.normal(0, 0.1, cout).astype(f32))
        var = self.const("var", self.rng.uniform(0.5, 1.5, cout).astype(f32))
        y = self.node("BatchNormalization", [y, scale, shift, mean, var], epsilon=1e-5)
        if act == "relu":
            return self.node("Relu", [y])
        if act == "relu6":
            lo, hi = self.const("lo", np.float32(0)), self.const("hi", np.float32(6))
            return self.node("Clip", [y, lo, hi])
        return y

    def head(self, x: str, channels: int, classes: int) -> str:
        y = self.node("Flatten", [self.node("GlobalAveragePool", [x])], axis=1)
        w = self.weight("fc_w", (classes, channels), channels)
        b = self.const("fc_b", np.zeros(classes, np.float32))
        return self.node("Gemm", [y, w, b], transB=1)

    def model(self, name: str, inputs: list, output: str, out_shape: list) -> onnx.ModelProto:
        outputs = [helper.make_tensor_value_info(output, TensorProto.FLOAT, out_shape)]
        graph = helper.make_graph(self.nodes, name, inputs, outputs, self.initializers)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                                  producer_name="paddlec-bench")
        onnx.checker.check_model(model)
        return model


def make_resnet(depth: int = 18, classes: int = 1000, image: int = 224) -> onnx.ModelProto:
    """ResNet-18/34 (basic blocks) or ResNet-50/101 (bottlenecks), torchvision layout."""
    plans = {18: ("basic", [2, 2, 2, 2]), 34: ("basic", [3, 4, 6, 3]),
             50: ("bottleneck", [3, 4, 6, 3]), 101: ("bottleneck", [3, 4, 23, 3])}
    kind, repeats = plans[depth]
    g = _Graph(seed=depth)
    x = g.node("MaxPool", [g.conv_bn("image", 3, 64, 7, 2, "relu")], kernel_shape=[3, 3],
               strides=[2, 2], pads=[1, 1, 1, 1])
    cin, expansion = 64, (1 if kind == "basic" else 4)
    for stage, count in enumerate(repeats):
        width = 64 * 2**stage
        for index in range(count):
            stride = 2 if (stage > 0 and index == 0) else 1
            cout = width * expansion
            if kind == "basic":
                y = g.conv_bn(x, cin, width, 3, stride, "relu")
                y = g.conv_bn(y, width, cout, 3, 1, None)
            else:
                y = g.conv_bn(x, cin, width, 1, 1, "relu")
                y = g.conv_bn(y, width, width, 3, stride, "relu")
                y = g.conv_bn(y, width, cout, 1, 1, None)
            short = x if (cin == cout and stride == 1) else g.conv_bn(x, cin, cout, 1, stride,
                                                                      None)
            x = g.node("Relu", [g.node("Add", [y, short])])
            cin = cout
    logits = g.head(x, cin, classes)
    inp = helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 3, image, image])
    return g.model(f"resnet{depth}", [inp], logits, ["N", classes])


def make_mobilenet_v2(classes: int = 1000, image: int = 224, width: float = 1.0
                      ) -> onnx.ModelProto:
    """MobileNetV2 (inverted residuals, depthwise 3x3, ReLU6, linear bottlenecks)."""
    g = _Graph(seed=2)
    channels = int(32 * width)
    x = g.conv_bn("image", 3, channels, 3, 2, "relu6")
    settings = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
                (6, 160, 3, 2), (6, 320, 1, 1)]
    for expand, c, repeats, first_stride in settings:
        cout = int(c * width)
        for index in range(repeats):
            stride = first_stride if index == 0 else 1
            hidden = channels * expand
            y = x if expand == 1 else g.conv_bn(x, channels, hidden, 1, 1, "relu6")
            y = g.conv_bn(y, hidden, hidden, 3, stride, "relu6", groups=hidden)
            y = g.conv_bn(y, hidden, cout, 1, 1, None)
            x = g.node("Add", [x, y]) if (stride == 1 and channels == cout) else y
            channels = cout
    x = g.conv_bn(x, channels, 1280, 1, 1, "relu6")
    logits = g.head(x, 1280, classes)
    inp = helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 3, image, image])
    return g.model("mobilenet_v2", [inp], logits, ["N", classes])


def make_bert(layers: int = 12, hidden: int = 768, heads: int = 12, ffn: int = 3072,
              seq: int = 128) -> onnx.ModelProto:
    """A BERT-base-like encoder on an embedded input ``hidden_states: float32[N,seq,hidden]``:
    per layer Q/K/V projections, scaled-dot-product attention with softmax, output
    projection, residual + LayerNorm, GELU (erf form, as exporters write it) FFN, residual +
    LayerNorm."""
    g = _Graph(seed=7)
    head_dim = hidden // heads
    i64 = np.int64

    def dense(x: str, cin: int, cout: int) -> str:
        w = g.weight("w", (cin, cout), cin)
        b = g.const("b", (g.rng.normal(0, 0.02, cout)).astype(np.float32))
        return g.node("Add", [g.node("MatMul", [x, w]), b])

    def layer_norm(x: str) -> str:
        gamma = g.const("ln_g", np.ones(hidden, np.float32))
        beta = g.const("ln_b", np.zeros(hidden, np.float32))
        return g.node("LayerNormalization", [x, gamma, beta], axis=-1, epsilon=1e-12)

    split_shape = g.const("split_shape", np.array([0, seq, heads, head_dim], i64))
    merge_shape = g.const("merge_shape", np.array([0, seq, hidden], i64))
    scale = g.const("scale", np.float32(1.0 / np.sqrt(head_dim)))
    half, one = g.const("half", np.float32(0.5)), g.const("one", np.float32(1.0))
    rsqrt2 = g.const("rsqrt2", np.float32(1.0 / np.sqrt(2.0)))
    x = "hidden_states"
    for _ in range(layers):
        def heads_of(t: str, perm: list[int]) -> str:
            return g.node("Transpose", [g.node("Reshape", [t, split_shape])], perm=perm)

        q = heads_of(dense(x, hidden, hidden), [0, 2, 1, 3])
        k = heads_of(dense(x, hidden, hidden), [0, 2, 3, 1])
        v = heads_of(dense(x, hidden, hidden), [0, 2, 1, 3])
        scores = g.node("Mul", [g.node("MatMul", [q, k]), scale])
        probs = g.node("Softmax", [scores], axis=-1)
        context = g.node("Transpose", [g.node("MatMul", [probs, v])], perm=[0, 2, 1, 3])
        context = g.node("Reshape", [context, merge_shape])
        x = layer_norm(g.node("Add", [dense(context, hidden, hidden), x]))
        h = dense(x, hidden, ffn)
        erf = g.node("Erf", [g.node("Mul", [h, rsqrt2])])
        h = g.node("Mul", [g.node("Mul", [h, half]), g.node("Add", [erf, one])])
        x = layer_norm(g.node("Add", [dense(h, ffn, hidden), x]))
    inp = helper.make_tensor_value_info("hidden_states", TensorProto.FLOAT, ["N", seq, hidden])
    return g.model("bert_like", [inp], x, ["N", seq, hidden])


MODELS: dict[str, Callable[[], onnx.ModelProto]] = {
    "resnet18": lambda: make_resnet(18),
    "resnet50": lambda: make_resnet(50),
    "mobilenet_v2": make_mobilenet_v2,
    "bert_base": make_bert,
}


def build(name: str) -> onnx.ModelProto:
    """The suite model ``name`` (one of :data:`MODELS`)."""
    return MODELS[name]()


def ensure_model(name: str, folder: str | Path) -> Path:
    """Write ``folder/name.onnx`` unless it is there already; return its path."""
    path = Path(folder) / f"{name}.onnx"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".onnx.tmp")
        onnx.save(build(name), str(tmp))
        tmp.replace(path)
    return path


if __name__ == "__main__":
    out_dir = Path(sys.argv[1] if len(sys.argv) > 1 else "bench/out/models")
    for model_name in sys.argv[2:] or list(MODELS):
        print(ensure_model(model_name, out_dir))
