"""Acceptance models for the CUDA target, compiled on a machine without a GPU.

- ONNX light ResNet-50 (shipped in the onnx wheel);
- a Paddle ResNet-18 — needs the Paddle frontend (``paddlec.compiler.frontends.paddle``,
  built in parallel) and paddlepaddle to create the model; skipped until both exist.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from _helpers import LIGHT_DIR

from paddlec.compiler.cuda.fatbin import list_fatbin_entries, summarize

TARGET = "cuda -arch=sm_80,sm_90"
EXPECTED = {"sass": ["sm_80", "sm_90"], "ptx": ["compute_90"]}


def _check_cuda_artifact(out):
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["cuda"]["architectures"] == ["sm_80", "sm_90"]
    assert summarize(list_fatbin_entries(out / "model.so")) == EXPECTED
    assert b'extern "C" __global__' not in (out / "model.so").read_bytes()
    return manifest


def test_light_resnet50_for_sm80_sm90(cuda_toolkit, stub_cache, tmp_path):
    from paddlec.compiler import compile_model

    out = tmp_path / "resnet50_cuda"
    compile_model(LIGHT_DIR / "light_resnet50.onnx", out, target=TARGET)
    manifest = _check_cuda_artifact(out)
    assert [spec["name"] for spec in manifest["inputs"]] == ["gpu_0/data_0"]  # not renamed
    convs = manifest["cuda"]["schedule"]["conv_kernels"]
    assert convs.get("Matmul", 0) >= 20 and "Fallback" not in convs
    proc = subprocess.run([sys.executable, "-m", "paddlec.cli", "inspect", str(out)],
                          capture_output=True, text=True)
    assert "SASS sm_80, sm_90; PTX compute_90" in proc.stdout


# A full-size Paddle ResNet-18 CUDA build (~1 min); light ResNet-50 covers the default run.
@pytest.mark.slow
def test_paddle_resnet18_for_sm80_sm90(cuda_toolkit, stub_cache, tmp_path):
    pytest.importorskip("paddlec.compiler.frontends.paddle")
    paddle = pytest.importorskip("paddle")
    from paddlec.compiler import compile_model

    paddle.seed(0)
    net = paddle.vision.models.resnet18(num_classes=10)
    net.eval()
    spec = [paddle.static.InputSpec([None, 3, 224, 224], "float32", "image")]
    model_dir = tmp_path / "resnet18"
    paddle.jit.save(net, str(model_dir / "inference"), input_spec=spec)
    out = tmp_path / "resnet18_cuda"
    compile_model(model_dir, out, target=TARGET)
    _check_cuda_artifact(out)
