"""Compile the oneDNN kernels (``kernels/dnnl_kernels.cc``) into an object file for ``model.so``.

The object is built once per (source, compiler flags, header versions) and cached under
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

__all__ = ["DNNL_PACKAGE", "NativeKernels", "dnnl_kernels"]

DNNL_PACKAGE = "onednn-cpu-gomp"
DNNL_SONAME = "libdnnl.so.3"
SOURCE = Path(__file__).with_name("kernels") / "dnnl_kernels.cc"
HEADERS = tuple(SOURCE.with_name(name)
                for name in ("winograd.h", "inverted_residual.h", "huge_pages.h", "v16.h",
                             "openmp_launch.h"))


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
    root = os.environ.get("PADDLEC_CACHE_DIR") or Path.home() / ".cache" / "paddlec"
    return Path(root) / "kernels"


def dnnl_kernels() -> NativeKernels:
    """Build (or reuse) the kernel object file; raise :class:`CompileError` when the compiler,
    oneDNN or the tvm-ffi headers are missing."""
    import tvm_ffi

    include, lib_dir, version = _dnnl_paths()
    ffi_include = Path(tvm_ffi.__file__).parent / "include"
    compiler = os.environ.get("CXX") or shutil.which("g++") or shutil.which("c++")
    if compiler is None:
        raise CompileError("the oneDNN fast path needs a C++ compiler (g++) on PATH")
    flags = ["-std=c++17", "-O2", "-fPIC", "-fopenmp", f"-I{ffi_include}", f"-I{include}"]
    key = hashlib.sha256(SOURCE.read_bytes())
    for header in HEADERS:
        key.update(header.read_bytes())
    key.update(" ".join([compiler, *flags, version, tvm_ffi.__version__]).encode())
    target = _cache_dir() / f"dnnl_kernels-{key.hexdigest()[:16]}.o"
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(suffix=".o", dir=target.parent)
        os.close(fd)
        proc = subprocess.run([compiler, *flags, "-c", str(SOURCE), "-o", tmp],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            os.unlink(tmp)
            raise CompileError(f"compiling the oneDNN kernels failed:\n{proc.stderr[-2000:]}")
        os.replace(tmp, target)
    # --no-as-needed: the options precede the objects on the link line; without it the
    # linker drops both libraries and model.so would not record its dependencies.
    options = ("-Wl,--no-as-needed", f"-L{lib_dir}", "-l:" + DNNL_SONAME, "-lgomp")
    library = {"soname": DNNL_SONAME, "package": DNNL_PACKAGE, "version": version}
    return NativeKernels(target, options, (library,))
