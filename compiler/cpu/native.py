"""Compile the C++ parts of ``model.so``: the oneDNN kernels (``kernels/dnnl_kernels.cc``) and
the runtime support every llvm artifact carries (``kernels/runtime_support.cc``: functions
TVM's kernels call by name that only TVM's compiler library would provide).

Each object is built once per (source, compiler flags, header versions) and cached under
``$PADDLEC_CACHE_DIR`` (default ``~/.cache/paddlec``), so a compile pays the ~5 s of C++ only
the first time. oneDNN comes from the ``onednn-cpu-gomp`` wheel (CPU only, GNU OpenMP): its
``libdnnl.so.3`` and headers are installed into the environment's ``lib/`` and ``include/``.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ...errors import CompileError

__all__ = ["DNNL_PACKAGE", "RUNTIME_SUPPORT_FUNCTIONS", "NativeKernels", "dnnl_kernels",
           "runtime_support"]

DNNL_PACKAGE = "onednn-cpu-gomp"
DNNL_SONAME = "libdnnl.so.3"
SOURCE = Path(__file__).with_name("kernels") / "dnnl_kernels.cc"
HEADERS = tuple(SOURCE.with_name(name)
                for name in ("winograd.h", "inverted_residual.h", "huge_pages.h", "v16.h",
                             "openmp_launch.h"))
SUPPORT_SOURCE = SOURCE.with_name("runtime_support.cc")
# what runtime_support.cc registers when model.so is loaded (unless the process has them)
# (under paddlec's names: rename_sort_externs.py points the kernels at them)
RUNTIME_SUPPORT_FUNCTIONS = ("paddlec.contrib.sort.argsort", "paddlec.contrib.sort.argsort_nms",
                             "paddlec.contrib.sort.sort", "paddlec.contrib.sort.topk")


@dataclass(frozen=True)
class NativeKernels:
    """An object file to link into ``model.so`` and the link options it needs."""

    object_file: Path
    link_options: tuple[str, ...]
    libraries: tuple[dict, ...]  # manifest entries: soname, package, version


def _dnnl_paths() -> tuple[Path, Path, str]:
    """(include dir, lib dir, package version) of the installed oneDNN wheel."""
    try:
        dist = importlib.metadata.distribution(DNNL_PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        raise CompileError(
            f"the oneDNN fast path needs the {DNNL_PACKAGE!r} and 'onednn-devel-cpu-gomp' "
            "packages (pip install paddlec installs them); or compile with --no-fast-path"
        ) from None
    lib = next((Path(dist.locate_file(f)).resolve() for f in dist.files or [] if f.name == DNNL_SONAME),
               None)
    if lib is None or not lib.is_file():
        raise CompileError(f"{DNNL_PACKAGE} is installed but {DNNL_SONAME} is missing")
    include = lib.parent.parent / "include"
    if not (include / "oneapi" / "dnnl" / "dnnl.hpp").is_file():
        raise CompileError(f"oneDNN headers not found in {include}: "
                           "pip install onednn-devel-cpu-gomp")
    return include, lib.parent, dist.version


def _cache_dir() -> Path:
    """``$PADDLEC_KERNEL_CACHE_DIR``, else ``kernels/`` in the paddlec cache."""
    if os.environ.get("PADDLEC_KERNEL_CACHE_DIR"):
        return Path(os.environ["PADDLEC_KERNEL_CACHE_DIR"])
    root = os.environ.get("PADDLEC_CACHE_DIR") or Path.home() / ".cache" / "paddlec"
    return Path(root) / "kernels"


def _compile_object(source: Path, headers: tuple[Path, ...], flags: list[str],
                    stamp: str) -> Path:
    """``source`` compiled with ``flags`` into the cache (once per content and flags)."""
    compiler = os.environ.get("CXX") or shutil.which("g++") or shutil.which("c++")
    if compiler is None:
        raise CompileError("building model.so needs a C++ compiler (g++) on PATH")
    key = hashlib.sha256(source.read_bytes())
    for header in headers:
        key.update(header.read_bytes())
    key.update(" ".join([compiler, *flags, stamp]).encode())
    target = _cache_dir() / f"{source.stem}-{key.hexdigest()[:16]}.o"
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(suffix=".o", dir=target.parent)
        os.close(fd)
        proc = subprocess.run([compiler, *flags, "-c", str(source), "-o", tmp],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            os.unlink(tmp)
            raise CompileError(f"compiling {source.name} failed:\n{proc.stderr[-2000:]}")
        os.replace(tmp, target)
    return target


def dnnl_kernels() -> NativeKernels:
    """Build (or reuse) the kernel object file; raise :class:`CompileError` when the compiler,
    oneDNN or the tvm-ffi headers are missing."""
    import tvm_ffi

    include, lib_dir, version = _dnnl_paths()
    ffi_include = Path(tvm_ffi.__file__).parent / "include"
    flags = ["-std=c++17", "-O2", "-fPIC", "-fopenmp", f"-I{ffi_include}", f"-I{include}"]
    target = _compile_object(SOURCE, HEADERS, flags, f"{version} {tvm_ffi.__version__}")
    # --no-as-needed: the options precede the objects on the link line; without it the
    # linker drops both libraries and model.so would not record its dependencies.
    options = ("-Wl,--no-as-needed", f"-L{lib_dir}", "-l:" + DNNL_SONAME, "-lgomp")
    library = {"soname": DNNL_SONAME, "package": DNNL_PACKAGE, "version": version}
    return NativeKernels(target, options, (library,))


def runtime_support() -> Path:
    """The object file of ``kernels/runtime_support.cc`` (tvm-ffi headers only)."""
    import tvm_ffi

    ffi_include = Path(tvm_ffi.__file__).parent / "include"
    flags = ["-std=c++17", "-O2", "-fPIC", f"-I{ffi_include}"]
    return _compile_object(SUPPORT_SOURCE, (), flags, tvm_ffi.__version__)
