"""Compile TVM's generated CUDA source into one fatbin for several GPU architectures.

TVM calls the global function ``tvm_callback_cuda_compile(code)`` for the device code of a
build. Its own implementation targets one architecture (and defaults to NVRTC, which needs
the ``cuda-bindings`` package), so during a paddlec build we register ours: nvcc with one
``-gencode`` per listed architecture (SASS) plus PTX of the newest, so that the artifact
also runs, JIT-compiled by the driver, on GPUs newer than any listed.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from ...errors import CompileError
from .toolkit import CudaToolkit

__all__ = ["gencode_flags", "nvcc_fatbin_callback"]

CALLBACK = "tvm_callback_cuda_compile"
# The flags TVM 0.27's own nvcc path passes (support/nvcc.py), minus its ptxas tuning.
_NVCC_FLAGS = (
    "-O3",
    "-U__CUDA_NO_HALF_OPERATORS__", "-U__CUDA_NO_HALF_CONVERSIONS__",
    "-U__CUDA_NO_BFLOAT16_OPERATORS__", "-U__CUDA_NO_BFLOAT16_CONVERSIONS__",
    "-U__CUDA_NO_BFLOAT162_OPERATORS__", "-U__CUDA_NO_BFLOAT162_CONVERSIONS__",
    "--expt-relaxed-constexpr", "--expt-extended-lambda", "--use_fast_math",
)


def _number(arch: str) -> str:
    return arch.split("_", 1)[1]


def gencode_flags(archs: Sequence[str]) -> list[str]:
    """``sm_80, sm_90`` → SASS for both + ``compute_90`` PTX (the newest)."""
    flags: list[str] = []
    for arch in archs:
        flags += ["-gencode", f"arch=compute_{_number(arch)},code=sm_{_number(arch)}"]
    newest = _number(archs[-1])
    flags += ["-gencode", f"arch=compute_{newest},code=compute_{newest}"]
    return flags


def _compile(toolkit: CudaToolkit, archs: Sequence[str], code: str) -> bytearray:
    with tempfile.TemporaryDirectory(prefix="paddlec-nvcc-") as scratch:
        source = Path(scratch) / "kernels.cu"
        output = Path(scratch) / "kernels.fatbin"
        source.write_text(code)
        if os.environ.get("PADDLEC_CUDA_KEEP_SOURCE"):  # debugging: keep what nvcc saw
            Path(os.environ["PADDLEC_CUDA_KEEP_SOURCE"]).write_text(code)
        cmd = [str(toolkit.nvcc), "--fatbin", *_NVCC_FLAGS, *gencode_flags(archs),
               "-o", str(output), str(source)]
        env = dict(os.environ, CUDA_PATH=str(toolkit.root))
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if proc.returncode != 0 or not output.is_file() or output.stat().st_size == 0:
            lines = (proc.stdout + proc.stderr).strip().splitlines()
            errors = [line for line in lines if "error" in line] or lines[-20:]
            tail = "\n".join(errors[:20])
            raise CompileError(f"nvcc failed for {', '.join(archs)} (exit {proc.returncode}):"
                               f"\n{tail}")
        return bytearray(output.read_bytes())


@contextlib.contextmanager
def nvcc_fatbin_callback(toolkit: CudaToolkit, archs: Sequence[str]) -> Iterator[list[dict]]:
    """Register our nvcc callback for the duration of a build; yields a log of the calls
    (kernel source size, fatbin size) and restores TVM's callback afterwards."""
    import tvm_ffi

    calls: list[dict] = []
    previous = tvm_ffi.get_global_func(CALLBACK, allow_missing=True)

    def callback(code: str) -> bytearray:
        try:
            binary = _compile(toolkit, archs, code)
        except CompileError as exc:  # keep the message; TVM wraps it into a TVMError
            calls.append({"error": str(exc)})
            raise
        calls.append({"source_bytes": len(code), "fatbin_bytes": len(binary)})
        return binary

    tvm_ffi.register_global_func(CALLBACK, callback, override=True)
    try:
        yield calls
    finally:
        if previous is not None:
            tvm_ffi.register_global_func(CALLBACK, previous, override=True)
