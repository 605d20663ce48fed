"""Blocked nChw16c feature maps between oneDNN kernels (compiler/cpu/block_layouts.py): which
feature maps change layout, and that the blocked build agrees with onnxruntime and with the
NHWC build (``blocked_layout=False``) through a stem read from NCHW, max / average pools,
Winograd and direct 3x3 layers, strided 1x1 layers and residual adds."""

from __future__ import annotations

import json

import numpy as np
import onnx
import pytest
from _helpers import GraphBuilder, ort_run, save_model
from onnx import TensorProto, helper

import paddlec.runtime as rt
from paddlec.compiler import compile_model
from paddlec.compiler.cpu.fuse_inverted_residual import target_has_avx512
from paddlec.compiler.target import parse_target

pytestmark = pytest.mark.skipif(not target_has_avx512(parse_target("llvm", None).to_tvm()),
                                reason="feature maps are blocked for AVX-512 CPUs only")

RTOL = 1e-4  # max |paddlec - ort| / max |ort|, as for the rest of the fast path


def _rel_err(value: np.ndarray, ref: np.ndarray) -> float:
    return float(np.max(np.abs(value - ref)) / max(float(np.max(np.abs(ref))), 1e-30))


class _Net:
    """A GraphBuilder with He-initialized conv layers."""

    def __init__(self, seed: int = 0) -> None:
        self.rng = np.random.default_rng(seed)
        self.g = GraphBuilder()

    def conv(self, x: str, cin: int, cout: int, k: int = 1, stride: int = 1, act: bool = True,
             residual: str | None = None, out: str | None = None) -> str:
        weight = self.rng.standard_normal((cout, cin, k, k)) * (2.0 / (cin * k * k)) ** 0.5
        pads = [k // 2] * 4
        y = self.g.op("Conv", x, self.g.const(weight), self.g.const(self.rng.normal(0, 0.1, cout)),
                      strides=[stride, stride], pads=pads)
        if residual is not None:
            y = self.g.op("Add", y, residual)
        return self.g.op("Relu", y, out=out) if act else y

    def bottleneck(self, x: str, cin: int, mid: int, cout: int, stride: int = 1) -> str:
        shortcut = x if stride == 1 and cin == cout else self.conv(x, cin, cout, 1, stride,
                                                                   act=False)
        y = self.conv(self.conv(x, cin, mid), mid, mid, 3, stride)
        return self.conv(y, mid, cout, residual=shortcut)


H, W = 64, 52  # not square: the kernels' row and column offsets are not interchangeable


def _resnet_like() -> onnx.ModelProto:
    """Stem (7x7 stride 2, 3 -> 16), max pool, three bottlenecks (the second strided; 3x3
    layers on 16x13 maps: 16 F(4,3) tiles, so F(2,3) at batch 1 and F(4,3) from batch 2; and
    on 8x7 maps, direct), average pool 3x3, global average pool, flatten: a ResNet-50 in
    miniature, 1x1-heavy."""
    net = _Net()
    g = net.g
    x = net.conv("x", 3, 16, k=7, stride=2)
    x = g.op("MaxPool", x, kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    x = net.bottleneck(x, 16, 16, 64)
    x = net.bottleneck(x, 64, 32, 128, stride=2)
    x = net.bottleneck(x, 128, 32, 128)
    x = g.op("AveragePool", x, kernel_shape=[3, 3], strides=[1, 1], pads=[1, 1, 1, 1])
    g.op("Flatten", g.op("GlobalAveragePool", x), out="y")
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, H, W])]
    outputs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 128])]
    return g.model("resnet_like", inputs, outputs)


def _compile(tmp_path, model: onnx.ModelProto, name: str, **options) -> tuple[rt.Model, dict]:
    path = save_model(tmp_path, model, f"{name}.onnx")
    out = tmp_path / name
    compile_model(path, out, target="llvm", **options)
    manifest = json.loads((out / "manifest.json").read_text())
    return rt.load(out, num_threads=2), manifest["cpu"]


@pytest.fixture(scope="module")
def resnet_like(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("blocked")
    model = _resnet_like()
    path = save_model(tmp, model)
    blocked = _compile(tmp, model, "blocked")
    nhwc = _compile(tmp, model, "nhwc", blocked_layout=False)
    return path, blocked, nhwc


def test_every_feature_map_between_kernels_is_blocked(resnet_like):
    _, (_, cpu), (_, nhwc_cpu) = resnet_like
    convs = cpu["library_calls"]["conv2d"]
    # every conv and pool output; the stem reads the NCHW image, so its reorder is gone
    assert cpu["blocked_feature_maps"] == convs + cpu["library_calls"]["pool2d"]
    assert cpu["library_calls"]["reorder"] == 1  # only back to NCHW after the global pool
    assert nhwc_cpu["blocked_feature_maps"] == 0
    assert nhwc_cpu["library_calls"]["reorder"] == 2


@pytest.mark.parametrize("batch", [1, 3])
def test_blocked_build_matches_onnxruntime_and_nhwc(resnet_like, batch):
    path, (blocked, _), (nhwc, _) = resnet_like
    x = np.random.default_rng(batch).standard_normal((batch, 3, H, W)).astype(np.float32)
    ref = ort_run(path, {"x": x})["y"]
    got = blocked.run({"x": x})["y"]
    assert _rel_err(got, ref) < RTOL
    assert _rel_err(got, nhwc.run({"x": x})["y"]) < RTOL


def test_3x3_heavy_network_stays_nhwc(tmp_path):
    """Below the 1x1 share (block_layouts.MIN_POINTWISE_SHARE) blocked kernels lose."""
    net = _Net(1)
    x = net.conv("x", 3, 16, k=7, stride=2)
    net.conv(net.conv(x, 16, 32, k=3), 32, 32, k=3, out="y")
    model = net.g.model("plain", [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                                [1, 3, 32, 32])],
                        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 32, 16, 16])])
    _, cpu = _compile(tmp_path, model, "plain")
    assert cpu["library_calls"]["conv2d"] == 3
    assert cpu["blocked_feature_maps"] == 0


def test_group_with_odd_channels_stays_nhwc_and_nchw_readers_are_served(tmp_path):
    """Two 1x1-only chains on two inputs: in one a conv output is also read by a TVM op
    (Sigmoid, through a reorder back to NCHW): that group is blocked; the other has a layer
    of 24 channels: it stays NHWC. Both match onnxruntime."""
    net = _Net(2)
    g = net.g
    a = net.conv("x1", 16, 32)
    g.op("Sigmoid", a, out="side")
    net.conv(a, 32, 32, out="y1")
    net.conv(net.conv("x2", 16, 24), 24, 32, out="y2")
    shape, out_shape = [2, 16, 8, 8], [2, 32, 8, 8]
    model = g.model("readers",
                    [helper.make_tensor_value_info(n, TensorProto.FLOAT, shape)
                     for n in ("x1", "x2")],
                    [helper.make_tensor_value_info(n, TensorProto.FLOAT, out_shape)
                     for n in ("side", "y1", "y2")])
    model_run, cpu = _compile(tmp_path, model, "readers")
    assert cpu["library_calls"]["conv2d"] == 4
    assert cpu["blocked_feature_maps"] == 3  # x1 reordered to nChw16c, a, y1
    rng = np.random.default_rng(0)
    feed = {n: rng.standard_normal(shape).astype(np.float32) for n in ("x1", "x2")}
    ref = ort_run(save_model(tmp_path, model, "ref.onnx"), feed)
    got = model_run.run(feed)
    for name in ("side", "y1", "y2"):
        assert _rel_err(got[name], ref[name]) < RTOL


def test_large_batch_winograd_blocks_on_blocked_data(resnet_like):
    """At batch 240 the 16 -> 16 3x3 layer's whole-layer tile buffers pass 16 MB (3840 tiles):
    with 2 threads each thread transforms blocks of tiles from and to nChw16c data."""
    path, (blocked, _), _ = resnet_like
    x = np.random.default_rng(7).standard_normal((240, 3, H, W)).astype(np.float32)
    assert _rel_err(blocked.run({"x": x})["y"], ort_run(path, {"x": x})["y"]) < RTOL


def test_depthwise_layer_in_a_blocked_group(tmp_path):
    """1x1 32 -> 64, 3x3 depthwise (64 groups, stride 2), 1x1 64 -> 32: with blocks fused
    off, the three oneDNN layers run on nChw16c, depthwise included."""
    rng = np.random.default_rng(3)
    g = GraphBuilder()

    def conv(x, cin, cout, k=1, group=1, stride=1):
        fan_in = cin // group * k * k
        weight = rng.standard_normal((cout, cin // group, k, k)) * (2.0 / fan_in) ** 0.5
        return g.op("Relu", g.op("Conv", x, g.const(weight), g.const(rng.normal(0, 0.1, cout)),
                                 group=group, strides=[stride, stride], pads=[k // 2] * 4))

    y = conv(conv(conv("x", 32, 64), 64, 64, k=3, group=64, stride=2), 64, 32)
    g.op("Identity", y, out="y")
    model = g.model("dw", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 32, 9, 9])],
                    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 32, 5, 5])])
    model_run, cpu = _compile(tmp_path, model, "dw", fuse_blocks=False)
    assert cpu["library_calls"]["conv2d"] == 3
    assert cpu["blocked_feature_maps"] == 4  # the reordered input and the three outputs
    x = np.random.default_rng(0).standard_normal((2, 32, 9, 9)).astype(np.float32)
    ref = ort_run(save_model(tmp_path, model, "ref.onnx"), {"x": x})["y"]
    assert _rel_err(model_run.run({"x": x})["y"], ref) < RTOL
