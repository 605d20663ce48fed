"""The build for llvm (CPU) targets: oneDNN fast path + TVM for the rest.

    fold batch norm into conv (numpy, fold_bn.py) → fold constants → offload conv/dense/matmul/pool to oneDNN
    (with bias / residual / activation tails) → TVM's default CPU pipeline for the rest,
    with simple parallel + vectorized schedules (``schedule.py``) or tuning records applied
    → export ``model.so`` with the kernel object linked in.

Without the fast path this is TVM's default pipeline (plus the same schedules).
"""

from __future__ import annotations

import logging
from pathlib import Path

import tvm
from tvm import relax

from ...errors import CompileError
from ..target import ResolvedTarget

__all__ = ["build_cpu"]

log = logging.getLogger("paddlec.compiler.cpu")


def build_cpu(mod, target: ResolvedTarget, out_file: Path, fast_path: bool = True,
              records: str | Path | None = None, kernel_choice: str = "auto",
              winograd: bool = True, fuse_blocks: bool = True,
              blocked_layout: bool = True) -> dict:
    """Build ``mod`` for a CPU target into ``out_file``; returns the manifest fields this path
    adds (``native_libraries``, ``cpu``). With ``records`` on the fast path, each conv /
    dense workload the records cover is timed both ways and runs where it is faster
    (``kernel_choice``: "auto", or "library" / "tvm" to force one; see ``choose.py``).
    ``winograd`` lets the convolution kernel run 3x3 stride-1 layers as Winograd F(4,3);
    ``fuse_blocks`` runs inverted residual blocks as one kernel each; ``blocked_layout``
    keeps eligible convolution chains in nChw16c (``block_layouts.py``)."""
    from ..determinism import SortShapeFuncStores
    from ..specialize import add_batch_one
    from .fold_bn import fold_batch_norm
    from .fuse_inverted_residual import target_has_avx512
    from .native import RUNTIME_SUPPORT_FUNCTIONS, runtime_support
    from .offload import offload_to_dnnl
    from .rename_sort_externs import RenameSortExterns
    from .schedule import schedule_cpu_kernels

    tvm_target = target.to_tvm()
    mod = relax.transform.FoldConstant()(fold_batch_norm(mod))
    stats: dict = {}
    blocked_feature_maps = 0
    chooser = None
    kernels = None
    if fast_path:
        if records is not None and kernel_choice != "library":
            from .choose import KernelChooser

            kernels = _native_kernels()
            chooser = KernelChooser(mod, tvm_target, records, kernels, mode=kernel_choice)
        # both rest on AVX-512 kernels (the fused block code; oneDNN's nChw16c convolutions)
        avx512 = target_has_avx512(tvm_target)
        fuse_blocks, blocked_layout = fuse_blocks and avx512, blocked_layout and avx512
        mod, counts = offload_to_dnnl(mod, chooser, winograd=winograd,
                                      fuse_blocks=fuse_blocks,
                                      blocked_layout=blocked_layout)
        blocked_feature_maps = counts.pop("blocked_layout", 0)  # not a library call
        stats = dict(sorted(counts.items()))
    mod, batch_one = add_batch_one(mod)
    if stats and kernels is None:
        kernels = _native_kernels()
    pipeline = _pipeline(tvm_target, schedule_cpu_kernels(tvm_target, records),
                         SortShapeFuncStores, RenameSortExterns)
    with tvm_target, _pass_context(mod):
        executable = relax.build(mod, target=tvm_target, relax_pipeline=pipeline)
    support = str(_native(runtime_support))
    if not stats:
        executable.export_library(str(out_file), addons=[support])
    else:
        executable.export_library(str(out_file), addons=[str(kernels.object_file), support],
                                  options=list(kernels.link_options))
    log.info("cpu fast path: %s", stats or "off")
    return {
        **({"batch_one": batch_one} if batch_one else {}),
        "native_libraries": list(kernels.libraries) if stats else [],
        "runtime_support": list(RUNTIME_SUPPORT_FUNCTIONS),
        "cpu": {"fast_path": bool(stats), "library_calls": stats,
                "winograd": bool(stats) and winograd,
                "fused_blocks": stats.get("inverted_residual", 0),
                "blocked_feature_maps": blocked_feature_maps if stats else 0,
                "records": str(records) if records else None,
                **({"choices": chooser.choices} if chooser is not None else {})},
    }


def _pipeline(tvm_target, schedule, *finally_passes) -> tvm.transform.Pass:
    """TVM's default CPU pipeline with ``schedule`` between fusion and lowering."""
    from tvm.relax.backend.cpu_generic import pipeline as cpu_generic

    passes = (cpu_generic.library_dispatch_passes(tvm_target)
              + cpu_generic.legalize_passes(tvm_target) + [schedule]
              + cpu_generic.dataflow_lower_passes(tvm_target)
              + cpu_generic.finalize_passes(tvm_target) + list(finally_passes))
    return tvm.transform.Sequential(passes)


def _pass_context(mod) -> tvm.transform.PassContext:
    """The current pass context, with TIR's common-subexpression elimination off when the
    model interpolates linearly / cubically on a symbolic size. There TVM 0.27's CSE binds
    float expressions of the sizes (``float(W) / float(2 * W) * x``) to variables, and a
    later pass (LowerIntrin) builds an integer interval of that float variable and aborts,
    depending on the order in which CSE meets the expressions. LLVM eliminates the same
    subexpressions anyway."""
    current = tvm.transform.PassContext.current()
    if not _symbolic_interpolation(mod):
        return current
    return tvm.transform.PassContext(
        opt_level=current.opt_level, required_pass=list(current.required_pass),
        disabled_pass=list(current.disabled_pass), instruments=list(current.instruments),
        config={**dict(current.config), "tirx.disable_cse_tir": True})


def _symbolic_interpolation(mod) -> bool:
    resize = tvm.ir.Op.get("relax.image.resize2d")
    found = False

    @relax.expr_functor.visitor
    class _Finder(relax.PyExprVisitor):
        def visit_call_(self, call) -> None:
            nonlocal found
            if call.op == resize and call.attrs.method != "nearest_neighbor":
                shape = getattr(call.args[0].ty, "shape", None)
                if shape is None or not all(isinstance(d, tvm.tirx.IntImm)
                                            for d in shape.values):
                    found = True
            super().visit_call_(call)

    for function in mod.functions.values():
        if isinstance(function, relax.Function):
            _Finder().visit_expr(function)
    return found


def _native_kernels():
    from .native import dnnl_kernels

    return _native(dnnl_kernels)


def _native(build):
    try:
        return build()
    except CompileError:
        raise
    except Exception as exc:  # noqa: BLE001 - surface any toolchain failure as a compile error
        raise CompileError(f"building the native code of model.so failed: {exc}") from exc
