"""The runtime's region dispatch end to end on the CPU: ``llvm -byoc=tensorrt`` artifacts
whose regions run in onnxruntime *standing in for the TensorRT engine*, or in the TVM
fallback code. Checks the call_dps_packed plumbing, the region ONNX files, the manifest
and dynamic batch — not TensorRT itself."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import onnx
import pytest
from _helpers import ort_run, save_model
from _trt_models import two_region_model

import paddlec.runtime as rt
from paddlec.errors import InputMismatchError, TensorRTUnavailableError

TARGET = "llvm -byoc=tensorrt"


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    return save_model(tmp_path_factory.mktemp("trt"), two_region_model(), "two_regions.onnx")


@pytest.fixture(scope="module")
def trt_artifact(model_file, tmp_path_factory):
    from paddlec.compiler import compile_model

    out = tmp_path_factory.mktemp("trt") / "artifact"
    compile_model(model_file, out, target=TARGET, trt_fallback=True,
                  input_shape_ranges={"x": ([1, 3, 16, 16], [4, 3, 16, 16], [8, 3, 16, 16])})
    return out


def test_manifest_lists_regions_files_and_outside_ops(trt_artifact):
    manifest = json.loads((trt_artifact / "manifest.json").read_text())
    section = manifest["tensorrt"]
    assert [r["file"] for r in section["regions"]] == ["regions/region_0.onnx",
                                                       "regions/region_1.onnx"]
    assert section["outside_ops"] == {"relax.round": 1}
    assert section["dim_ranges"] == {"N": [1, 4, 8]}
    for region in section["regions"]:
        assert region["file"] in manifest["files"]  # checksummed like model.so
        assert region["fallback"] == f"paddlec_region_{region['index']}"
        onnx.checker.check_model(onnx.load(trt_artifact / region["file"]), full_check=True)
    assert section["regions"][0]["inputs"] == [{"name": "x", "dtype": "float32",
                                                "shape": ["N", 3, 16, 16]}]


@pytest.mark.parametrize("backend", ["onnxruntime", "tvm"])
@pytest.mark.parametrize("batch", [1, 3, 8])
def test_onnxruntime_stand_in_and_tvm_fallback_match_the_model(trt_artifact, model_file,
                                                               backend, batch):
    model = rt.load(trt_artifact, region_backend=backend)
    assert model.region_backend == backend
    x = np.random.default_rng(batch).standard_normal((batch, 3, 16, 16)).astype(np.float32)
    got = model.run({"x": x})
    want = ort_run(model_file, {"x": x})
    for name in ("probs", "feat"):
        np.testing.assert_allclose(got[name], want[name], rtol=1e-4, atol=1e-5)


def test_auto_backend_uses_the_fallback_without_tensorrt(trt_artifact):
    model = rt.load(trt_artifact)
    assert model.region_backend == "tvm"


def test_without_fallback_a_typed_error_says_what_to_do(model_file, tmp_path):
    from paddlec.compiler import compile_model

    out = tmp_path / "no_fallback"
    manifest = compile_model(model_file, out, target=TARGET)
    assert all(r["fallback"] is None for r in manifest["tensorrt"]["regions"])
    with pytest.raises(TensorRTUnavailableError, match="--trt-fallback"):
        rt.load(out)
    with pytest.raises(TensorRTUnavailableError, match="no TVM fallback"):
        rt.load(out, region_backend="tvm")
    model = rt.load(out, region_backend="onnxruntime")  # the stand-in still runs it
    x = np.ones((2, 3, 16, 16), np.float32)
    np.testing.assert_allclose(model.run({"x": x})["probs"],
                               ort_run(model_file, {"x": x})["probs"], rtol=1e-4, atol=1e-5)
    proc = subprocess.run([sys.executable, "-m", "paddlec.cli", "run", str(out), "--random"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "--trt-fallback" in proc.stderr


def test_tampered_region_file_is_refused_before_loading(trt_artifact, tmp_path):
    import shutil

    from paddlec.errors import ArtifactError

    copy = tmp_path / "tampered"
    shutil.copytree(trt_artifact, copy)
    with open(copy / "regions" / "region_1.onnx", "ab") as handle:
        handle.write(b"\0")
    with pytest.raises(ArtifactError, match="checksum mismatch"):
        rt.load(copy, region_backend="onnxruntime")


@pytest.mark.parametrize("ranges, fragment", [
    ({"y": ([1, 3, 16, 16],) * 3}, "no such input"),
    ({"x": ([1, 3, 16, 16], [4, 3, 16, 16], [2, 3, 16, 16])}, "min <= opt <= max"),
    ({"x": ([1, 3, 16, 16], [1, 3, 16, 16], [1, 3, 32, 32])}, "static"),
    ({"x": ([1, 3, 16], [1, 3, 16], [1, 3, 16])}, "rank"),
])
def test_bad_shape_ranges_are_typed_errors(model_file, tmp_path, ranges, fragment):
    from paddlec.compiler import compile_model

    with pytest.raises(InputMismatchError, match=fragment):
        compile_model(model_file, tmp_path / "bad", target=TARGET, input_shape_ranges=ranges)
    assert not (tmp_path / "bad").exists()


def test_int8_stores_calibration_inputs(model_file, tmp_path):
    from paddlec.compiler import compile_model

    with pytest.raises(InputMismatchError, match="--calib-data"):
        compile_model(model_file, tmp_path / "a", target=TARGET, trt_precision="int8")
    calib = tmp_path / "calib"
    calib.mkdir()
    for i in range(3):
        np.savez(calib / f"s{i}.npz", x=np.full((2, 3, 16, 16), i, np.float32))
    manifest = compile_model(model_file, tmp_path / "b", target=TARGET, trt_precision="int8",
                             calib_data=str(calib))
    assert manifest["tensorrt"]["calibration"] == {"file": "calibration.npz", "samples": 3}
    with np.load(tmp_path / "b" / "calibration.npz") as data:
        assert sorted(data.files) == ["0/x", "1/x", "2/x"]
        assert float(data["2/x"].mean()) == 2.0


def test_cli_compile_with_tensorrt_options_and_inspect(model_file, tmp_path):
    out = tmp_path / "cli"
    proc = subprocess.run([sys.executable, "-m", "paddlec.cli", "compile", str(model_file),
                           "-t", "llvm --byoc tensorrt", "--trt-fallback",
                           "--min-subgraph-size", "8",
                           "--input-shape-range", "x:1x3x16x16:2x3x16x16:4x3x16x16",
                           "-o", str(out)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    proc = subprocess.run([sys.executable, "-m", "paddlec.cli", "inspect", str(out)],
                          capture_output=True, text=True)
    assert "tensorrt: 1 region(s), precision fp32, min_subgraph_size 8, fallback yes" in proc.stdout
    assert "outside (TVM):" in proc.stdout and "round 1" in proc.stdout


ISOLATION = r"""
import sys, json
import numpy as np
import paddlec.runtime as rt
model = rt.load(sys.argv[1], region_backend="tvm")
model.run({"x": np.zeros((2, 3, 16, 16), np.float32)})
print(json.dumps(sorted(sys.modules)))
"""


def test_region_runtime_imports_no_compiler_side_code(trt_artifact):
    proc = subprocess.run([sys.executable, "-c", ISOLATION, str(trt_artifact)],
                          capture_output=True, text=True, check=True)
    modules = json.loads(proc.stdout.strip().splitlines()[-1])
    forbidden = ("paddlec.compiler", "paddlec.passes", "onnx", "onnx_ir", "click", "tvm.relax")
    assert [m for m in modules if m in forbidden or m.startswith(tuple(f + "." for f in forbidden))] == []
    assert "paddlec.runtime.tensorrt" in modules
