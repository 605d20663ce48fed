"""Relax ``IRModule`` → ``model.so`` with a multi-architecture fatbin, verified after export.

The schedules are TVM's default CUDA pipeline with dlight rules (see :mod:`.schedule`);
the kernels go through our nvcc callback (:mod:`.nvcc`) and the exported library is checked
for real device code (:func:`verify_device_code`).
"""

from __future__ import annotations

import collections
import logging
import time
from pathlib import Path

from ...errors import CompileError
from ..target import ResolvedTarget
from .driver_stub import ensure_cuda_codegen
from .fatbin import list_fatbin_entries, summarize
from .names import sanitize_param_names
from .schedule import cuda_pipeline, rule_report
from .nvcc import nvcc_fatbin_callback
from .toolkit import find_toolkit

__all__ = ["build_cuda_library", "verify_device_code"]

log = logging.getLogger("paddlec.compiler.cuda")


def verify_device_code(library: Path, archs: list[str]) -> dict[str, list[str]]:
    """Check ``library`` holds SASS for every arch in ``archs`` and PTX of the newest.

    This is the guard against TVM's silent fallback to a CUDA-*source* module (which has no
    fatbin at all): the build fails here instead of shipping an artifact no GPU can run.
    """
    found = summarize(list_fatbin_entries(library))
    want_sass = {f"sm_{arch.split('_', 1)[1]}" for arch in archs}
    want_ptx = f"compute_{archs[-1].split('_', 1)[1]}"
    missing = sorted(want_sass - set(found["sass"]))
    if want_ptx not in found["ptx"]:
        missing.append(want_ptx)
    if missing:
        raise CompileError(
            f"{library.name}: no device code for {', '.join(missing)} (found SASS "
            f"{found['sass'] or 'none'}, PTX {found['ptx'] or 'none'}); TVM produced a "
            "CUDA-source-only module or nvcc skipped an architecture"
        )
    return found


def build_cuda_library(mod, target: ResolvedTarget, out_file: Path) -> dict:
    """Build ``mod`` for a cuda target; returns the manifest's ``cuda`` section."""
    import tvm
    from tvm import relax

    from ..determinism import SortShapeFuncStores

    archs = target.cuda_archs
    toolkit = find_toolkit()
    how = ensure_cuda_codegen()
    log.info("CUDA codegen via %s; nvcc %s at %s; archs %s", how, toolkit.version,
             toolkit.root, ",".join(archs))
    tvm_target = target.to_tvm()
    counts: collections.Counter = collections.Counter()
    pipeline = tvm.transform.Sequential([cuda_pipeline(tvm_target, counts), SortShapeFuncStores])
    start = time.perf_counter()
    mod = sanitize_param_names(mod)
    try:
        with nvcc_fatbin_callback(toolkit, archs) as calls, tvm_target:
            executable = relax.build(mod, target=tvm_target, relax_pipeline=pipeline)
        executable.export_library(str(out_file))
    except CompileError:
        raise
    except Exception as exc:  # TVM raises RuntimeError, TVMError, ValueError...
        failed = [call["error"] for call in calls if "error" in call]
        detail = failed[-1] if failed else str(exc).strip().splitlines()[-1]
        raise CompileError(f"TVM build for {target.given!r} failed: {detail}") from exc
    if _has_cuda_module(executable):
        found = verify_device_code(Path(out_file), archs)
    else:  # e.g. every op went to TensorRT regions: no kernels, nothing to verify
        found = {"sass": [], "ptx": []}
        log.info("no CUDA kernels in this module")
    log.info("cuda build %.1fs, %d nvcc call(s), fatbin %s bytes", time.perf_counter() - start,
             len(calls), sum(call.get("fatbin_bytes", 0) for call in calls))
    return {
        "architectures": archs,
        "sass": found["sass"],
        "ptx": found["ptx"],
        "cuda_version": toolkit.version,
        "schedule": rule_report(counts),
    }


def _has_cuda_module(executable) -> bool:
    """Whether the build produced a CUDA device module (binary or, wrongly, source)."""
    pending, seen = [executable.mod], 0
    while pending and seen < 1000:
        module = pending.pop()
        seen += 1
        if str(getattr(module, "kind", "")) == "cuda":
            return True
        pending.extend(module.imports)
    return False
