"""Default CPU schedules for the kernels TVM still owns after the oneDNN offload.

TVM 0.27's default llvm pipeline leaves every PrimFunc unscheduled: one thread, scalar loop
nests. For what stays in TVM on the fast path (layout transposes, layer norm, softmax, GELU,
residual adds, means) that single thread is the bottleneck, so each top-level block gets
its leading data-parallel loops fused and marked ``parallel``; its innermost loop is
vectorized when it is data-parallel with a constant extent that is a multiple of the vector
width, and kept out of the fused loop when its extent is symbolic. Elementwise producers are
inlined into their consumers first (one pass over memory per fused chain). Functions a
tuning database covers are taken from the database instead (``MetaScheduleApplyDatabase``);
anything already scheduled is left alone.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import tvm
from tvm import s_tir, tirx

__all__ = ["schedule_cpu_kernels", "schedule_primfunc"]

log = logging.getLogger("paddlec.compiler.cpu")

VECTOR_LANES = 16  # float32 lanes of an AVX-512 register; LLVM splits it on narrower ISAs


def _spatial_prefix(sch: s_tir.Schedule, block) -> int:
    """How many leading loops of ``block`` carry only data-parallel iterators."""
    sblock = sch.get(block)
    loops = sch.get_loops(block)
    realize_iter_types = [int(iv.iter_type) for iv in sblock.iter_vars]
    if len(loops) != len(realize_iter_types):
        return 0
    count = 0
    for iter_type in realize_iter_types:
        if iter_type != 0:  # 0 = data parallel; 2 = reduction
            break
        count += 1
    return count


def _indexes_by_its_own_loops(sch: s_tir.Schedule, block) -> bool:
    """Whether ``block`` reads every input at its own iterators or constants (elementwise,
    broadcast, transpose), not at computed indices (a reshape's divisions and modulos).
    Inlined, those indices are copied into every consumer's loads, and a reshape chain on
    symbolic sizes multiplies them: a detector's DepthToSpace kept LLVM busy for minutes."""
    own = [iv.var for iv in sch.get(block).iter_vars]
    for region in sch.get(block).reads:
        for axis in region.region:
            index = axis.min
            plain = isinstance(index, tirx.IntImm) or any(index.same_as(v) for v in own)
            if not plain or not (isinstance(axis.extent, tirx.IntImm)
                                 and int(axis.extent.value) == 1):
                return False
    return True


def _read_once_by_each_consumer(sch: s_tir.Schedule, block) -> bool:
    """Whether every consumer of ``block`` loads its output once. Inlining copies the
    producer's expression into each load, so a chain whose consumers load twice (x * x, a
    cast read by a max and a subtract) grows exponentially: one attention case took 9 minutes
    in LLVM."""
    writes = sch.get(block).writes
    if len(writes) != 1:
        return False
    # TVM 0.27 exposes no TIR visitor to Python: count the loads in the printed consumer
    load = re.compile(rf"(?<![\w.]){re.escape(writes[0].source.name)}\[")
    for consumer in sch.get_consumers(block):
        if len(load.findall(sch.get(consumer).body.script())) > 1:
            return False
    return True


def _inline_elementwise(sch: s_tir.Schedule, blocks) -> bool:
    """Inline every block but the last into its consumers where TVM can (elementwise
    producers, as FuseOps leaves them: one buffer and one pass over memory per op of a fused
    chain, e.g. a batch norm's multiply and add and the five ops of a hard-swish).

    Nothing is inlined into a function with an opaque block (one that declares no writes:
    an extern call, a hand-written loop nest such as NMS's): TVM cannot see what it reads,
    and would inline a buffer it still uses."""
    if any(not sch.get(block).writes for block in blocks):
        return False
    inlined = False
    for block in blocks[:-1]:
        if not _indexes_by_its_own_loops(sch, block) or not _read_once_by_each_consumer(
                sch, block):
            continue
        try:
            sch.compute_inline(block)
            inlined = True
        except Exception:  # noqa: BLE001 - not inlinable (a reduction, a block read twice...)
            continue
    return inlined


def schedule_primfunc(func: tirx.PrimFunc) -> tirx.PrimFunc | None:
    """A parallel (+ vectorized) version of ``func``, or ``None`` when it does not apply."""
    sch = s_tir.Schedule(func)
    try:
        root = sch.get_sblock("root")
        blocks = sch.get_child_blocks(root)
    except Exception:  # noqa: BLE001 - no root block: nothing this schedule understands
        return None
    changed = _inline_elementwise(sch, blocks)
    blocks = sch.get_child_blocks(root)
    for block in blocks:
        try:
            loops = sch.get_loops(block)
            spatial = _spatial_prefix(sch, block)
            if spatial == 0:
                continue
            inner = loops[-1]
            extent = sch.get(inner).extent
            vectorize = (spatial == len(loops) and len(loops) > 1
                         and isinstance(extent, tirx.IntImm)
                         and int(extent.value) % VECTOR_LANES == 0)
            # A symbolic innermost extent (a dynamic width): keep that loop out of the fused
            # parallel loop. Fused, every element would pay a division and a modulo by the
            # symbolic sizes; alone, the contiguous inner loop is what LLVM vectorizes.
            symbolic_inner = (spatial == len(loops) and len(loops) > 1
                              and not isinstance(extent, tirx.IntImm))
            outer = loops[: spatial - 1] if vectorize or symbolic_inner else loops[:spatial]
            if vectorize:
                _, lanes = sch.split(inner, [None, VECTOR_LANES])
                sch.vectorize(lanes)
            if outer:
                fused = sch.fuse(*outer) if len(outer) > 1 else outer[0]
                sch.parallel(fused)
            changed = True
        except Exception as exc:  # noqa: BLE001 - a block we cannot schedule stays serial
            log.debug("cpu schedule skipped a block: %s", exc)
    return sch.mod["main"] if changed else None


def schedule_cpu_kernels(target, records: str | Path | None = None) -> tvm.transform.Pass:
    """A module pass: apply ``records`` (if any), then the default schedule to the rest."""

    @tvm.transform.module_pass(opt_level=0, name="PaddlecCPUSchedule")
    def _pass(mod: tvm.IRModule, _ctx) -> tvm.IRModule:
        if records is not None:
            from tvm import relax

            with target:
                mod = relax.transform.MetaScheduleApplyDatabase(str(records))(mod)
        updated = tvm.IRModule(dict(mod.functions), attrs=mod.attrs)
        for gvar, func in mod.functions.items():
            if not isinstance(func, tirx.PrimFunc):
                continue
            if func.attrs is not None and bool(func.attrs.get("tir.is_scheduled", False)):
                continue
            scheduled = schedule_primfunc(func)
            if scheduled is not None:
                updated[gvar] = scheduled.with_attr("tir.is_scheduled", True)
        return updated

    return _pass
