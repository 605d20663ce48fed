"""Make TVM's CUDA codegen available in a process that has no GPU driver.

``libtvm_runtime_cuda.so`` registers the function that wraps compiled kernels into a CUDA
module (``ffi.Module.create.cuda``). It links against the driver library ``libcuda.so.1``;
when that is missing, ``import tvm`` skips the library *silently* and every CUDA build
degrades to a source-only module. On a GPU-less CI machine we therefore:

1. use the real ``libcuda.so.1`` when it loads (a machine with a driver, GPU or not);
2. otherwise build a stub ``libcuda.so.1`` with gcc — every driver symbol TVM's CUDA runtime
   imports, each returning ``CUDA_ERROR_NO_DEVICE`` — cache it, and load it ``RTLD_GLOBAL``.
   Its SONAME is ``libcuda.so.1``, so the dynamic linker satisfies TVM's dependency with it;
3. load ``libtvm_runtime_cuda.so`` ourselves. Its static initializers register the CUDA
   module factory even though ``import tvm`` already ran, so the compile stays in this process
   (measured: no re-exec, no second ``import tvm``; a child process would cost ~1 s of
   imports plus re-reading the model).

The stub only ever serves code generation: any kernel launch through it fails with "no
device", and the runtime (``paddlec.runtime``) never loads it.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from ...errors import CompileError

__all__ = ["cache_dir", "ensure_cuda_codegen", "stub_library"]

CUDA_MODULE_FACTORY = "ffi.Module.create.cuda"
# The driver symbols libtvm_runtime_cuda.so of apache-tvm 0.27 imports; the list read from
# the library itself (``nm -D``) is merged in, so a newer wheel needing more still works.
_KNOWN_SYMBOLS = (
    "cuDeviceGetName", "cuFuncSetAttribute", "cuGetErrorName", "cuGetErrorString",
    "cuLaunchKernelEx", "cuModuleGetFunction", "cuModuleLoadData", "cuModuleUnload",
    "cuTensorMapEncodeTiled",
)
_CUDA_ERROR_NO_DEVICE = 100


def cache_dir() -> Path:
    """``$PADDLEC_CACHE_DIR``, else ``$XDG_CACHE_HOME/paddlec``, else ``~/.cache/paddlec``."""
    if os.environ.get("PADDLEC_CACHE_DIR"):
        return Path(os.environ["PADDLEC_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "paddlec"


def _runtime_cuda_library() -> Path:
    import tvm

    lib_dir = Path(tvm.__file__).parent / "lib"
    found = sorted(lib_dir.glob("libtvm_runtime_cuda*.so*"))
    if not found:
        raise CompileError(f"this TVM installation has no CUDA support ({lib_dir} has no "
                           "libtvm_runtime_cuda.so); install the CUDA-enabled apache-tvm wheel")
    return found[0]


def _driver_symbols(library: Path) -> list[str]:
    symbols = set(_KNOWN_SYMBOLS)
    if shutil.which("nm"):
        out = subprocess.run(["nm", "-D", "--undefined-only", str(library)],
                             capture_output=True, text=True).stdout
        symbols.update(re.findall(r"^\s*U (cu[A-Z]\w*)$", out, flags=re.MULTILINE))
    return sorted(symbols)


def _stub_source(symbols: list[str]) -> str:
    lines = ["/* paddlec: stub CUDA driver for code generation only (no GPU). */"]
    lines += [f"int {name}(void) {{ return {_CUDA_ERROR_NO_DEVICE}; }}" for name in symbols]
    return "\n".join(lines) + "\n"


def stub_library() -> Path:
    """Build (once per symbol set, cached on disk) and return the stub ``libcuda.so.1``."""
    source = _stub_source(_driver_symbols(_runtime_cuda_library()))
    key = hashlib.sha256(source.encode()).hexdigest()[:16]
    target = cache_dir() / "cuda-driver-stub" / key / "libcuda.so.1"
    if target.is_file():
        return target
    compiler = shutil.which(os.environ.get("CC", "gcc")) or shutil.which("cc")
    if compiler is None:
        raise CompileError("building for CUDA without a GPU driver needs a C compiler (gcc) to "
                           "build a stub libcuda.so.1; none found on PATH")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
        c_file = Path(scratch) / "libcuda_stub.c"
        c_file.write_text(source)
        built = Path(scratch) / "libcuda.so.1"
        proc = subprocess.run([compiler, "-shared", "-fPIC", "-O1", "-Wl,-soname,libcuda.so.1",
                               "-o", str(built), str(c_file)], capture_output=True, text=True)
        if proc.returncode != 0:
            raise CompileError(f"building the stub libcuda.so.1 failed:\n{proc.stderr.strip()}")
        os.replace(built, target)  # atomic: concurrent compiles see a whole file or none
    return target


def _load_driver() -> str:
    """Load the real driver if there is one, else the stub; return which one."""
    try:
        ctypes.CDLL("libcuda.so.1", mode=ctypes.RTLD_GLOBAL)
        return "driver"
    except OSError:
        pass
    stub = stub_library()
    try:
        ctypes.CDLL(str(stub), mode=ctypes.RTLD_GLOBAL)
    except OSError as exc:
        raise CompileError(f"cannot load the stub driver {stub}: {exc}") from None
    return "stub"


def _preload_cudart() -> None:
    """TVM's CUDA runtime needs ``libcudart.so.13``; take the toolkit's when the loader's
    search path does not have it."""
    from .toolkit import find_toolkit

    root = find_toolkit().root
    for folder in (root / "lib64", root / "lib"):
        for candidate in sorted(folder.glob("libcudart.so.[0-9]*")):
            try:
                ctypes.CDLL(str(candidate), mode=ctypes.RTLD_GLOBAL)
                return
            except OSError:
                continue


def ensure_cuda_codegen() -> str:
    """Make sure this process can build real CUDA modules; returns ``"loaded"`` (TVM had it
    already), ``"driver"`` or ``"stub"``. Raises :class:`CompileError` when it cannot."""
    import tvm

    if tvm.get_global_func(CUDA_MODULE_FACTORY, allow_missing=True) is not None:
        return "loaded"
    how = _load_driver()
    library = _runtime_cuda_library()
    _preload_cudart()
    try:
        ctypes.CDLL(str(library), mode=ctypes.RTLD_LOCAL)
    except OSError as exc:
        raise CompileError(f"cannot load TVM's CUDA runtime {library}: {exc}") from None
    if tvm.get_global_func(CUDA_MODULE_FACTORY, allow_missing=True) is None:
        raise CompileError(f"{library} loaded but did not register {CUDA_MODULE_FACTORY}; "
                           "TVM would emit CUDA source only")
    return how
