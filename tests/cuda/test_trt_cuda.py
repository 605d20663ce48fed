"""``--target tensorrt`` builds on a machine without GPU or TensorRT (compile-only checks):
regions as ONNX, everything else (and the ``--trt-fallback`` copies) as CUDA kernels."""

from __future__ import annotations

import json
import subprocess
import sys

import onnx
import pytest
from _helpers import LIGHT_DIR, save_model
from _trt_models import two_region_model

from paddlec.compiler.cuda.fatbin import list_fatbin_entries, summarize

NO_GPU = r"""
import sys
import paddlec.runtime as rt
try:
    rt.load(sys.argv[1], device="cuda")
except rt.DeviceUnavailableError as exc:
    print("TYPED", type(exc).__name__, exc)
"""


def test_two_region_model_with_fallback_for_cuda(cuda_toolkit, stub_cache, tmp_path):
    from paddlec.compiler import compile_model

    model_file = save_model(tmp_path, two_region_model())
    out = tmp_path / "trt_cuda"
    manifest = compile_model(model_file, out, target="tensorrt -arch=sm_80", trt_fallback=True,
                             trt_precision="fp16")
    section = manifest["tensorrt"]
    assert len(section["regions"]) == 2 and section["outside_ops"] == {"relax.round": 1}
    assert manifest["target"]["byoc"] == "tensorrt" and manifest["target"]["device"] == "cuda"
    # round and the two fallback regions are CUDA kernels in a real fatbin
    assert summarize(list_fatbin_entries(out / "model.so")) == {"sass": ["sm_80"],
                                                               "ptx": ["compute_80"]}
    proc = subprocess.run([sys.executable, "-c", NO_GPU, str(out)], capture_output=True,
                          text=True, timeout=120)
    assert "TYPED DeviceUnavailableError" in proc.stdout and "no CUDA device" in proc.stdout


def test_light_resnet50_for_tensorrt(cuda_toolkit, stub_cache, tmp_path):
    from paddlec.compiler import compile_model

    out = tmp_path / "resnet50_trt"
    manifest = compile_model(LIGHT_DIR / "light_resnet50.onnx", out,
                             target="cuda --byoc tensorrt")
    section = manifest["tensorrt"]
    assert len(section["regions"]) == 1 and section["outside_ops"] == {}
    region = onnx.load(out / section["regions"][0]["file"])
    onnx.checker.check_model(region, full_check=True)
    ops = {node.op_type for node in region.graph.node}
    assert {"Conv", "Add", "Relu", "MaxPool", "AveragePool", "Reshape", "MatMul",
            "Softmax"} <= ops
    assert manifest["cuda"]["sass"] == []  # nothing left for TVM: no kernels at all
    proc = subprocess.run([sys.executable, "-m", "paddlec.cli", "inspect", str(out)],
                          capture_output=True, text=True)
    assert "tensorrt: 1 region(s)" in proc.stdout and "outside (TVM): nothing" in proc.stdout
    print(json.dumps({"regions": len(section["regions"]),
                      "ops": section["regions"][0]["ops"]}))


# A full-size Paddle MobileNetV2 TensorRT build (~1 min); scripts/gpu_check_models.py
# builds and runs it on a GPU host.
@pytest.mark.slow
def test_paddle_mobilenet_v2_for_tensorrt(cuda_toolkit, stub_cache, tmp_path):
    pytest.importorskip("paddlec.compiler.frontends.paddle")
    paddle = pytest.importorskip("paddle")
    from paddlec.compiler import compile_model

    net = paddle.vision.models.mobilenet_v2(num_classes=10)
    net.eval()
    spec = [paddle.static.InputSpec([None, 3, 224, 224], "float32", "image")]
    model_dir = tmp_path / "mobilenet_v2"
    paddle.jit.save(net, str(model_dir / "inference"), input_spec=spec)
    manifest = compile_model(model_dir, tmp_path / "out", target="tensorrt -arch=sm_80",
                             input_shape_ranges={"image": ([1, 3, 224, 224], [4, 3, 224, 224],
                                                           [8, 3, 224, 224])})
    section = manifest["tensorrt"]
    assert section["regions"]
    for region in section["regions"]:
        onnx.checker.check_model(onnx.load(tmp_path / "out" / region["file"]), full_check=True)
    print(json.dumps({"regions": len(section["regions"]), "outside": section["outside_ops"]}))
