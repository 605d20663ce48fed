"""Dense layers with at most 16 rows (a classifier at a small batch) run on the inverted
residual kernel's GEMM instead of oneDNN's matmul (dnnl_kernels.cc, ``DenseFewRows``):
both paths against onnxruntime, with bias, no bias, a residual, ReLU and GELU (which stays
on oneDNN), output widths that are not a multiple of 16 or of 64."""

from __future__ import annotations

import numpy as np
import pytest
from _helpers import GraphBuilder, ort_run, save_model
from onnx import TensorProto, helper

import paddlec.runtime as rt
from paddlec.compiler import compile_model

RTOL = 1e-4


def _rel_err(value: np.ndarray, ref: np.ndarray) -> float:
    return float(np.max(np.abs(value - ref)) / max(float(np.max(np.abs(ref))), 1e-30))


def _dense_net():
    """x [N, 96] -> Gemm 96 -> 200 + ReLU -> MatMul 200 -> 37 (no bias) -> + r (residual)
    -> Gemm 37 -> 80 -> GELU (erf form)."""
    rng = np.random.default_rng(0)
    g = GraphBuilder()
    const, op = g.const, g.op

    a = op("Relu", op("Gemm", "x", const(rng.standard_normal((96, 200)) * 0.1),
                      const(rng.normal(0, 0.1, 200))))
    b = op("Add", op("MatMul", a, const(rng.standard_normal((200, 37)) * 0.1)), "r")
    h = op("Gemm", b, const(rng.standard_normal((37, 80)) * 0.2), const(rng.normal(0, 0.1, 80)))
    erf = op("Erf", op("Div", h, const(np.sqrt(2.0))))
    op("Mul", op("Mul", h, op("Add", erf, const(1.0))), const(0.5), out="y")
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 96]),
              helper.make_tensor_value_info("r", TensorProto.FLOAT, ["N", 37])]
    outputs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 80])]
    return g.model("dense", inputs, outputs)


@pytest.fixture(scope="module")
def artifact(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dense")
    path = save_model(folder, _dense_net())
    manifest = compile_model(path, folder / "art", target="llvm")
    assert manifest["cpu"]["library_calls"]["dense"] == 3
    return path, folder / "art"


@pytest.mark.parametrize("rows", [1, 5, 16, 17, 64])  # 17 and 64: oneDNN's matmul
@pytest.mark.parametrize("threads", [1, 2])
def test_matches_onnxruntime(artifact, rows, threads):
    path, folder = artifact
    rng = np.random.default_rng(rows)
    feed = {"x": rng.standard_normal((rows, 96)).astype(np.float32),
            "r": rng.standard_normal((rows, 37)).astype(np.float32)}
    ours = rt.load(folder, num_threads=threads).run(feed)["y"]
    assert _rel_err(ours, ort_run(path, feed)["y"]) < RTOL
