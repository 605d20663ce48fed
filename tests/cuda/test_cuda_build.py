"""A CUDA artifact built without a GPU: real device code, loud failures, clear load errors."""

from __future__ import annotations

import ctypes
import functools
import json
import subprocess
import sys

import pytest
from _helpers import EXAMPLE_MODEL

from paddlec.compiler.cuda.build import verify_device_code
from paddlec.compiler.cuda.fatbin import list_fatbin_entries, summarize
from paddlec.errors import CompileError, DeviceUnavailableError

CLI = [sys.executable, "-m", "paddlec.cli"]


def test_artifact_holds_sass_for_each_arch_and_ptx_of_the_newest(cuda_artifact):
    manifest = json.loads((cuda_artifact / "manifest.json").read_text())
    assert manifest["target"]["device"] == "cuda"
    cuda = manifest["cuda"]
    assert cuda["architectures"] == ["sm_80", "sm_90"]
    assert cuda["cuda_version"].split(".")[0].isdigit()
    found = summarize(list_fatbin_entries(cuda_artifact / "model.so"))
    assert found == {"sass": ["sm_80", "sm_90"], "ptx": ["compute_90"]}
    assert (cuda["sass"], cuda["ptx"]) == (found["sass"], found["ptx"])


def test_no_cuda_source_module_is_shipped(cuda_artifact):
    # A source-only module (TVM's silent fallback) embeds the kernels as CUDA C text.
    data = (cuda_artifact / "model.so").read_bytes()
    assert b'extern "C" __global__' not in data
    assert b"__launch_bounds__" not in data


def test_convolutions_are_not_left_to_the_fallback_rule(cuda_artifact):
    schedule = json.loads((cuda_artifact / "manifest.json").read_text())["cuda"]["schedule"]
    assert schedule["conv_kernels"].get("Matmul", 0) >= 1
    assert "Fallback" not in schedule["conv_kernels"]


def test_guard_rejects_a_library_without_device_code(example_artifact):
    with pytest.raises(CompileError, match="no device code for sm_80, sm_90, compute_90"):
        verify_device_code(example_artifact / "model.so", ["sm_80", "sm_90"])


# TVM's silent fallback, reproduced: a fresh process where the CUDA runtime library was
# never loaded (no driver, and our stub step skipped) makes TVM emit CUDA source only.
FALLBACK_SCRIPT = r"""
import sys
import paddlec.compiler.cuda.build as cuda_build
cuda_build.ensure_cuda_codegen = lambda: "skipped"
from paddlec.compiler import compile_model
from paddlec.errors import CompileError
try:
    compile_model(sys.argv[1], sys.argv[2], target="cuda -arch=sm_80")
except CompileError as exc:
    print("COMPILE_ERROR", exc)
"""


def test_source_only_fallback_fails_loudly_and_leaves_nothing(cuda_toolkit, tmp_path):
    if _has_driver():
        pytest.skip("a CUDA driver is installed here: TVM cannot fall back to source only")
    out = tmp_path / "fallback"
    proc = subprocess.run([sys.executable, "-c", FALLBACK_SCRIPT, str(EXAMPLE_MODEL), str(out)],
                          capture_output=True, text=True, timeout=600)
    assert "COMPILE_ERROR" in proc.stdout, proc.stdout + proc.stderr[-2000:]
    assert "no device code for sm_80, compute_80" in proc.stdout
    assert "source-only" in proc.stdout
    assert not out.exists()


NO_GPU_SCRIPT = r"""
import sys, json
import paddlec.runtime as rt
try:
    rt.load(sys.argv[1], device=sys.argv[2])
    print(json.dumps({"loaded": True}))
except rt.DeviceUnavailableError as exc:
    print(json.dumps({"error": type(exc).__name__, "message": str(exc)}))
"""


@functools.lru_cache(maxsize=1)
def _has_driver() -> bool:
    """A real libcuda.so.1, asked in a fresh process (this one may hold our stub)."""
    probe = "import ctypes; ctypes.CDLL('libcuda.so.1')"
    return subprocess.run([sys.executable, "-c", probe], capture_output=True).returncode == 0


@pytest.mark.parametrize("device, fragment", [
    ("cuda", "no CUDA device"),
    ("cuda:0", "no CUDA device"),
    ("cpu", "compiled for 'cuda'"),
])
def test_loading_without_a_gpu_is_a_typed_error_in_a_fresh_runtime(cuda_artifact, device,
                                                                    fragment):
    if device.startswith("cuda") and _has_driver():
        pytest.skip("this machine has a CUDA driver")
    proc = subprocess.run([sys.executable, "-c", NO_GPU_SCRIPT, str(cuda_artifact), device],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report.get("error") == "DeviceUnavailableError", report
    assert fragment in report["message"]


def test_loading_in_the_compiling_process_is_a_typed_error_too(cuda_artifact):
    # This process loaded the stub driver for the build: the runtime must still say
    # "no CUDA device" instead of touching the stub.
    import paddlec.runtime as rt

    if _has_driver():
        pytest.skip("this machine has a CUDA driver")
    with pytest.raises(DeviceUnavailableError, match="no CUDA device"):
        rt.load(cuda_artifact, device="cuda")


def test_cli_inspect_lists_the_fatbin_architectures(cuda_artifact):
    proc = subprocess.run([*CLI, "inspect", str(cuda_artifact)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "architectures sm_80,sm_90" in proc.stdout
    assert "SASS sm_80, sm_90; PTX compute_90" in proc.stdout


def test_cli_run_on_cuda_without_gpu_exits_2(cuda_artifact):
    if _has_driver():
        pytest.skip("this machine has a CUDA driver")
    proc = subprocess.run([*CLI, "run", str(cuda_artifact), "--random", "--device", "cuda"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "no CUDA device" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_cli_bad_arch_exits_2_and_writes_nothing(tmp_path):
    out = tmp_path / "bad"
    proc = subprocess.run([*CLI, "compile", str(EXAMPLE_MODEL), "-t", "cuda -arch=sm_60",
                           "-o", str(out)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "too old" in proc.stderr
    assert not out.exists()


def test_stub_driver_is_cached_and_answers_no_device(stub_cache, cuda_artifact):
    from paddlec.compiler.cuda.driver_stub import stub_library

    first = stub_library()
    assert first.is_relative_to(stub_cache)
    mtime = first.stat().st_mtime_ns
    assert stub_library() == first and first.stat().st_mtime_ns == mtime  # not rebuilt
    library = ctypes.CDLL(str(first))
    assert library.cuModuleLoadData() == 100  # CUDA_ERROR_NO_DEVICE


def test_compiling_the_same_model_twice_gives_identical_artifacts(cuda_artifact, tmp_path):
    from paddlec.compiler import compile_model

    again = tmp_path / "again"
    compile_model(EXAMPLE_MODEL, again, target="cuda -arch=sm_80,sm_90")
    assert (again / "manifest.json").read_text() == (cuda_artifact / "manifest.json").read_text()
