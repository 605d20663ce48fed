"""The CUDA Relax pipeline: TVM's default GPU pipeline, with the dlight rules counted.

Same passes as ``tvm.relax.backend.cuda.get_default_pipeline`` (TVM 0.27): library dispatch
(sampling, sort/scan), legalize → fuse → ``tvm.s_tir.dlight`` default schedules, dataflow
lowering, memory planning and CUDA-graph rewriting. The dlight rules are tried in order
Matmul, GEMV, Reduction, GeneralReduction, Fallback; each is wrapped so the build records
which rule scheduled how many kernels (and how many of them are convolutions). In 0.27 the
Matmul rule matches the legalized ``conv2d_nchw`` blocks (ResNet-50: 23 of 23 distinct conv
kernels), so convolutions get its tiled, shared-memory schedule, not the Fallback (one
thread per output element). cuDNN/cuBLAS offload is not an option: the wheel's CUDA
runtime has neither. Whether tuning (MetaSchedule) beats these schedules needs a GPU.
"""

from __future__ import annotations

import collections

__all__ = ["RULE_ORDER", "cuda_pipeline", "rule_report"]

RULE_ORDER = ("Matmul", "GEMV", "Reduction", "GeneralReduction", "Fallback")


def _has_conv_block(func) -> bool:
    """Legalized convolutions compute a block named ``conv*`` (e.g. ``conv2d_nchw``)."""
    return 'sblock("conv' in str(func.body)


def _counted_rules(counts: collections.Counter) -> list:
    from tvm.s_tir import dlight as dl
    from tvm.s_tir.dlight.base import ScheduleRule

    class Counted(ScheduleRule):
        """Delegates to a dlight rule and counts the kernels it scheduled."""

        def __init__(self, name: str, rule) -> None:
            self.name, self.rule = name, rule

        def apply(self, func, target, tunable):
            result = self.rule.apply(func, target, tunable)
            if result is not None:
                counts[self.name] += 1
                if _has_conv_block(func):
                    counts[f"conv:{self.name}"] += 1
            return result

    return [Counted(name, getattr(dl.gpu, name)()) for name in RULE_ORDER]


def cuda_pipeline(target, counts: collections.Counter):
    """TVM 0.27's default CUDA pipeline with counted dlight rules (fills ``counts``)."""
    import tvm
    from tvm import relax
    from tvm.relax.backend.cuda import pipeline as cuda_backend
    from tvm.s_tir import dlight as dl

    legalize = [
        relax.transform.LegalizeOps(),
        relax.transform.AnnotateTIROpPattern(),
        relax.transform.FoldConstant(),
        relax.transform.FuseOps(),
        relax.transform.FuseTIR(),
        dl.ApplyDefaultSchedule(*_counted_rules(counts)),
    ]

    @tvm.transform.module_pass(opt_level=0, name="PaddlecCudaPipeline")
    def _pipeline(mod, _ctx):
        with target:
            return tvm.transform.Sequential(
                cuda_backend.library_dispatch_passes(target)
                + legalize
                + cuda_backend.dataflow_lower_passes(target)
                + cuda_backend.finalize_passes(target)
            )(mod)

    return _pipeline


def rule_report(counts: collections.Counter) -> dict:
    """``{"kernels": {"Matmul": 24, ...}, "conv_kernels": {"Matmul": 23}}`` for the manifest."""
    kernels = {name: counts[name] for name in RULE_ORDER if counts[name]}
    convs = {name: counts[f"conv:{name}"] for name in RULE_ORDER if counts[f"conv:{name}"]}
    return {"pipeline": "tvm relax default CUDA pipeline + dlight", "kernels": kernels,
            "conv_kernels": convs}
