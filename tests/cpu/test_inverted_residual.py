"""Inverted residual blocks as one kernel (compiler/cpu/fuse_inverted_residual.py and
kernels/inverted_residual.h): which chains are fused, and that the fused kernel agrees with
onnxruntime and with the three separate oneDNN layers (``fuse_blocks=False``) across image
sizes that take one or several strips, a stem read from NCHW, strides, asymmetric pads,
activations, channel counts that are not a multiple of 16, batches and thread counts."""

from __future__ import annotations

import os
import subprocess
import sys

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
                                reason="blocks are fused for AVX-512 CPUs only")

RTOL = 1e-4  # max |paddlec - ort| / max |ort|, as for the rest of the fast path


def _rel_err(value: np.ndarray, ref: np.ndarray) -> float:
    return float(np.max(np.abs(value - ref)) / max(float(np.max(np.abs(ref))), 1e-30))


def _blocks_net(height: int, width: int, stem_pads: list[int]) -> onnx.ModelProto:
    """A 3-channel image through five MobileNetV2-style blocks:
    s: the stem (3x3 stride-2 conv of the NCHW input, ``stem_pads``), depthwise, 16 -> 32;
    a: expand 32 -> 160, stride 1, Clip(0, 6), residual (project: 160 input channels, two
       passes of the GEMM over 128 + 32);
    b: expand 32 -> 48, stride 2 with pads [0, 0, 1, 1], ReLU, project to 40 (not 16k);
    d: its expand output is also a graph output, so only depthwise + project fuse;
    e: a 24-channel depthwise layer, which the kernel does not take;
    and a head on d: 1x1 conv 24 -> 72 (not 16k), Clip, global average pool."""
    rng = np.random.default_rng(0)
    g = GraphBuilder()
    const, op = g.const, g.op

    def conv(x, cin, cout, k=1, group=1, act=None, out=None, **attrs) -> str:
        fan_in = cin // group * k * k
        weight = rng.standard_normal((cout, cin // group, k, k)) * (2.0 / fan_in) ** 0.5
        y = op("Conv", x, const(weight), const(rng.normal(0, 0.1, cout)), group=group,
               out=None if act else out, **attrs)
        if act == "relu":
            return op("Relu", y, out=out)
        if act == "relu6":
            return op("Clip", y, const(0.0), const(6.0), out=out)
        return y

    def depthwise(x, c, act, stride=1, pads=(1, 1, 1, 1)) -> str:
        return conv(x, c, c, k=3, group=c, act=act, strides=[stride, stride], pads=list(pads))

    stem = conv("x", 3, 16, k=3, act="relu6", strides=[2, 2], pads=stem_pads)
    p = conv(depthwise(stem, 16, "relu6"), 16, 32)
    a = op("Add", conv(depthwise(conv(p, 32, 160, act="relu6"), 160, "relu6"), 160, 32), p)
    b = conv(depthwise(conv(a, 32, 48, act="relu"), 48, "relu", 2, (0, 0, 1, 1)), 48, 40)
    side = conv(b, 40, 64, act="relu6", out="side")
    d = conv(depthwise(side, 64, "relu6"), 64, 24)
    conv(depthwise(d, 24, "relu6"), 24, 16, out="y")
    op("GlobalAveragePool", conv(d, 24, 72, act="relu6"), out="pooled")  # the head
    sh = (height + stem_pads[0] + stem_pads[2] - 3) // 2 + 1
    sw = (width + stem_pads[1] + stem_pads[3] - 3) // 2 + 1
    oh, ow = (sh + 1 - 3) // 2 + 1, (sw + 1 - 3) // 2 + 1
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, height, width])]
    outputs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 16, oh, ow]),
               helper.make_tensor_value_info("side", TensorProto.FLOAT, ["N", 64, oh, ow]),
               helper.make_tensor_value_info("pooled", TensorProto.FLOAT, ["N", 72, 1, 1])]
    return g.model("blocks", inputs, outputs)


# 13x13: every block in one strip; 160x90 (stem output 80x45): the 160-channel block takes
# strips of 8 rows (GEMMs of 360 rows, in blocks of 96), and the stem's pads are asymmetric.
@pytest.fixture(scope="module", params=[(13, 13, [1, 1, 1, 1]), (160, 90, [0, 0, 1, 1])],
                ids=["13x13", "160x90"])
def artifacts(request, tmp_path_factory):
    height, width, stem_pads = request.param
    folder = tmp_path_factory.mktemp(f"blocks{height}x{width}")
    path = save_model(folder, _blocks_net(height, width, stem_pads))
    fused = compile_model(path, folder / "fused", target="llvm")
    layers = compile_model(path, folder / "layers", target="llvm", fuse_blocks=False)
    return path, folder, (height, width), fused, layers


def test_only_eligible_chains_are_fused(artifacts):
    _, _, _, fused, layers = artifacts
    calls, separate = fused["cpu"]["library_calls"], layers["cpu"]["library_calls"]
    assert calls["inverted_residual"] == fused["cpu"]["fused_blocks"] == 4  # stem + p, a, b, d
    assert calls["pointwise_mean"] == 1  # the head
    assert calls["conv2d"] == 3  # d's expand, e's two layers
    assert calls["reorder"] == 2  # y and side back to NCHW; the stem reads x as given
    assert "pool2d" not in calls
    assert "inverted_residual" not in separate and "pointwise_mean" not in separate
    assert separate["conv2d"] == 15 and separate["reorder"] == 4
    assert separate["pool2d"] == 1


@pytest.mark.parametrize("batch,threads", [(1, 2), (2, 2), (3, 2), (3, 1)])
def test_matches_onnxruntime_and_the_separate_layers(artifacts, batch, threads):
    path, folder, (height, width), _, _ = artifacts
    x = np.random.default_rng(batch).standard_normal((batch, 3, height, width))
    x = x.astype(np.float32)
    want = ort_run(path, {"x": x})
    fused = rt.load(folder / "fused", num_threads=threads).run({"x": x})
    layers = rt.load(folder / "layers", num_threads=threads).run({"x": x})
    for name in ("y", "side", "pooled"):
        assert _rel_err(layers[name], want[name]) < RTOL
        assert _rel_err(fused[name], want[name]) < RTOL
        assert _rel_err(fused[name], layers[name]) < RTOL



_RUN = """
import sys, numpy as np, paddlec.runtime as rt
x = np.load(sys.argv[2])
out = rt.load(sys.argv[1], num_threads=2).run({"x": x})
np.save(sys.argv[3], out["y"])
"""


def test_portable_loops_agree(artifacts, tmp_path):
    """PADDLEC_PORTABLE_KERNELS=1 runs the scalar loops a CPU without AVX-512 would run."""
    path, folder, (height, width), _, _ = artifacts
    x = np.random.default_rng(7).standard_normal((3, 3, height, width)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    env = dict(os.environ, PADDLEC_PORTABLE_KERNELS="1")
    subprocess.run([sys.executable, "-c", _RUN, str(folder / "fused"), str(tmp_path / "x.npy"),
                    str(tmp_path / "y.npy")], env=env, check=True)
    portable = np.load(tmp_path / "y.npy")
    fast = rt.load(folder / "fused", num_threads=2).run({"x": x})["y"]
    assert _rel_err(portable, ort_run(path, {"x": x})["y"]) < RTOL
    assert _rel_err(portable, fast) < RTOL


def test_targets_without_avx512_keep_the_separate_layers(artifacts, tmp_path):
    path = artifacts[0]
    manifest = compile_model(path, tmp_path / "skylake", target="llvm -mcpu=skylake")
    assert manifest["cpu"]["fused_blocks"] == 0
    assert "inverted_residual" not in manifest["cpu"]["library_calls"]
