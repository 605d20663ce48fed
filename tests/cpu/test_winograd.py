"""Winograd F(4,3) / F(2,3) in the oneDNN conv kernel (compiler/cpu/kernels/winograd.h):
the 3x3 stride-1 layers it takes agree with onnxruntime and with the direct convolution
(``--no-winograd``), across odd sizes, pads, batches, epilogues and thread counts; and the
path really runs (oneDNN's verbose log shows its 36- or 16-GEMM batched matmul)."""

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

RTOL = 1e-4  # max |paddlec - ort| / max |ort|, as for the rest of the fast path


def _rel_err(value: np.ndarray, ref: np.ndarray) -> float:
    return float(np.max(np.abs(value - ref)) / max(float(np.max(np.abs(ref))), 1e-30))


def _winograd_net(height: int, width: int) -> onnx.ModelProto:
    """3x3 stride-1 convs in every form the kernel takes: bias + ReLU, residual + Clip,
    asymmetric pads, no pads (valid), no bias with a residual; plus one it must leave alone
    (channels not a multiple of 16) between them."""
    rng = np.random.default_rng(0)
    g = GraphBuilder()
    const, op = g.const, g.op

    def conv(x, cin, cout, bias=True, out=None, **attrs) -> str:
        weight = rng.standard_normal((cout, cin, 3, 3)) * (2.0 / (cin * 9)) ** 0.5
        args = [x, const(weight)] + ([const(rng.normal(0, 0.1, cout))] if bias else [])
        return op("Conv", *args, out=out, **attrs)

    a = op("Relu", conv("x", 16, 32, pads=[1, 1, 1, 1]))
    b = op("Clip", op("Add", conv(a, 32, 32, pads=[1, 1, 1, 1]), a), const(0.0), const(6.0))
    c = op("Relu", conv(b, 32, 32, bias=False, pads=[0, 0, 2, 2]))        # asymmetric, same size
    d = conv(c, 32, 24, pads=[1, 1, 1, 1])                                  # 24: direct only
    e = conv(d, 24, 32, pads=[1, 1, 1, 1])
    f = op("Add", conv(e, 32, 32, bias=False, pads=[1, 1, 1, 1]), c)       # residual, no bias
    conv(f, 32, 16, pads=[0, 0, 0, 0], out="y")                             # valid: shrinks
    inp = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 16, height, width])
    out = helper.make_tensor_value_info("y", TensorProto.FLOAT,
                                        ["N", 16, height - 2, width - 2])
    return g.model("g", [inp], [out])


@pytest.fixture(scope="module", params=[(13, 13), (18, 11)], ids=["13x13", "18x11"])
def artifacts(request, tmp_path_factory):
    height, width = request.param
    folder = tmp_path_factory.mktemp(f"wino{height}x{width}")
    path = save_model(folder, _winograd_net(height, width))
    on = compile_model(path, folder / "on", target="llvm")
    off = compile_model(path, folder / "off", target="llvm", winograd=False)
    return path, folder, (height, width), on, off


def test_manifest_records_the_choice(artifacts):
    _, _, _, on, off = artifacts
    assert on["cpu"]["winograd"] is True and off["cpu"]["winograd"] is False
    assert on["cpu"]["library_calls"]["conv2d"] == 7


@pytest.mark.parametrize("batch", [1, 2, 5])
def test_matches_onnxruntime_and_direct(artifacts, batch):
    path, folder, (height, width), _, _ = artifacts
    x = np.random.default_rng(batch).standard_normal((batch, 16, height, width))
    x = x.astype(np.float32)
    want = ort_run(path, {"x": x})["y"]
    winograd = rt.load(folder / "on").run({"x": x})["y"]
    direct = rt.load(folder / "off").run({"x": x})["y"]
    assert _rel_err(direct, want) < RTOL
    assert _rel_err(winograd, want) < RTOL
    assert _rel_err(winograd, direct) < RTOL


def test_thread_counts_agree(artifacts):
    path, folder, (height, width), _, _ = artifacts
    x = np.random.default_rng(9).standard_normal((3, 16, height, width)).astype(np.float32)
    one = rt.load(folder / "on", num_threads=1).run({"x": x})["y"]
    two = rt.load(folder / "on", num_threads=2).run({"x": x})["y"]
    want = ort_run(path, {"x": x})["y"]
    assert _rel_err(one, want) < RTOL and _rel_err(two, want) < RTOL


_VERBOSE_RUN = """
import sys, numpy as np, paddlec.runtime as rt
m = rt.load(sys.argv[1])
m.run({"x": np.ones((int(sys.argv[2]), 16, int(sys.argv[3]), int(sys.argv[4])), np.float32)})
"""


def _verbose_primitives(artifact, batch: int, height: int, width: int) -> list[str]:
    env = dict(os.environ, ONEDNN_VERBOSE="1")
    proc = subprocess.run([sys.executable, "-c", _VERBOSE_RUN, str(artifact), str(batch),
                           str(height), str(width)], capture_output=True, text=True, env=env,
                          check=True)
    return [line.split(",")[3] + " " + line.split(",")[9] for line in proc.stdout.splitlines()
            if ",exec," in line]


def test_the_winograd_path_runs_only_where_it_should(artifacts):
    _, folder, (height, width), _, _ = artifacts
    tiles = -(-height // 4) * -(-width // 4)
    on = _verbose_primitives(folder / "on", 2, height, width)
    off = _verbose_primitives(folder / "off", 2, height, width)
    # 32 -> 32 with residual + Clip, with asymmetric pads, and without bias (residual) keep
    # the input size; 16 -> 32 and the valid conv are the other two; 32 -> 24 and 24 -> 32
    # have a channel count that is not a multiple of 16
    same = f"matmul 36x{2 * tiles}x32:36x32x32"
    assert sum(line == same for line in on) == 3
    assert sum(line.startswith("matmul 36x") for line in on) == 5
    assert sum(line.startswith("convolution") for line in on) == 2
    assert not any(line.startswith("matmul") for line in off)
    assert sum(line.startswith("convolution") for line in off) == 7


def test_small_layers_take_f23_and_too_few_tiles_stay_direct(artifacts):
    """One 13x13 / 18x11 image has 16 / 15 F(4,3) tiles: at 16 (the threshold) and up to
    dnnl_kernels.cc's kMaxSmallLayerTiles the layer runs F(2,3) (16 GEMMs over 2x2 output
    tiles: 7x7 of them on 13x13), below it the direct convolution; F(2,3) results are checked
    against onnxruntime by test_matches_onnxruntime_and_direct at batch 1."""
    _, folder, (height, width), _, _ = artifacts
    tiles = -(-height // 4) * -(-width // 4)
    on = _verbose_primitives(folder / "on", 1, height, width)
    small = -(-height // 2) * -(-width // 2)
    assert not any(line.startswith("matmul 36x") for line in on)
    if tiles >= 16:
        assert sum(line == f"matmul 16x{small}x32:16x32x32" for line in on) == 3
    else:
        assert not any(line.startswith("matmul") for line in on)


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="blocks are used with 2+ threads only")
def test_large_layers_run_in_blocks_and_agree(artifacts):
    """Past 16 MB of whole-layer tile buffers, each thread transforms, multiplies and
    transforms back blocks of 128 tiles (here: batch 201); 1 thread keeps the whole-layer
    path. Both agree with onnxruntime, and the last block is a partial one."""
    path, folder, (height, width), _, _ = artifacts
    batch = 201
    assert batch * -(-height // 4) * -(-width // 4) % 128 != 0  # a partial last block
    x = np.random.default_rng(4).standard_normal((batch, 16, height, width)).astype(np.float32)
    want = ort_run(path, {"x": x})["y"]
    two = rt.load(folder / "on", num_threads=2).run({"x": x})["y"]
    one = rt.load(folder / "on", num_threads=1).run({"x": x})["y"]
    assert _rel_err(two, want) < RTOL and _rel_err(one, want) < RTOL
    code = _VERBOSE_RUN.replace("rt.load(sys.argv[1])", "rt.load(sys.argv[1], num_threads=2)")
    proc = subprocess.run([sys.executable, "-c", code, str(folder / "on"), str(batch),
                           str(height), str(width)], capture_output=True, text=True,
                          env=dict(os.environ, ONEDNN_VERBOSE="1"), check=True)
    assert ",36x128x16:36x16x32," in proc.stdout  # the 16 -> 32 layer, in blocks
