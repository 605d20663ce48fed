"""Relax ``IRModule`` → a shared library the runtime can ``dlopen`` (``model.so``)."""

from __future__ import annotations

from pathlib import Path

from ..errors import CompileError
from .target import ResolvedTarget

__all__ = ["build_library"]


def build_library(mod, target: ResolvedTarget, out_file: Path, options=None) -> dict:
    """Compile ``mod`` for ``target`` with TVM's default Relax pipeline for that target
    (legalize, fold, fuse, and the device schedules), and export it to ``out_file``.

    Returns extra manifest fields (``{"cuda": {...}}`` for CUDA targets, ``{"tensorrt":
    {...}}`` with BYOC, else ``{}``). ``options``: the CompileOptions (BYOC settings).
    llvm targets go through the CPU pipeline (``compiler/cpu``: oneDNN fast path, CPU
    schedules, tuning records; ``options.fast_path`` / ``options.records``), which adds
    ``native_libraries`` and ``cpu`` to the manifest."""
    if target.byoc == "tensorrt":
        from .tensorrt.build import build_tensorrt_library

        return build_tensorrt_library(mod, target, out_file, options)
    if target.kind == "cuda":
        from .cuda import build_cuda_library

        return {"cuda": build_cuda_library(mod, target, out_file)}
    import tvm
    from tvm import relax

    from .determinism import SortShapeFuncStores

    tvm_target = target.to_tvm()
    if tvm_target.kind.name == "llvm":
        from .cpu.pipeline import build_cpu

        try:
            return build_cpu(mod, target, out_file,
                             fast_path=getattr(options, "fast_path", True),
                             winograd=getattr(options, "winograd", True),
                             fuse_blocks=getattr(options, "fuse_blocks", True),
                             blocked_layout=getattr(options, "blocked_layout", True),
                             records=getattr(options, "records", None),
                             kernel_choice=getattr(options, "kernel_choice", "auto"))
        except (RuntimeError, ValueError, TypeError, tvm.error.InternalError) as exc:
            raise CompileError(
                f"TVM build for {target.given!r} failed: {_last_line(exc)}"
            ) from exc
    pipeline = tvm.transform.Sequential(
        [relax.get_default_pipeline(tvm_target), SortShapeFuncStores]
    )
    try:
        with tvm_target:
            executable = relax.build(mod, target=tvm_target, relax_pipeline=pipeline)
        executable.export_library(str(out_file))
    except Exception as exc:  # TVM 0.27 has no tvm.error.TVMError; passes raise anything
        raise CompileError(f"TVM build for {target.given!r} failed: {_last_line(exc)}") from exc
    return {}


def _last_line(exc: BaseException) -> str:
    lines = [line for line in str(exc).strip().splitlines() if line.strip()]
    return lines[-1] if lines else type(exc).__name__
