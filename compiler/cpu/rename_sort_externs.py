"""Point the CPU sort kernels at paddlec's own copies of TVM's sort functions.

    call_packed("tvm.contrib.sort.topk", ...)  →  call_packed("paddlec.contrib.sort.topk", ...)

topi's TopK / argsort / sort / NonMaxSuppression kernels call ``tvm.contrib.sort.*`` by
name, functions only TVM's compiler library registers. Every llvm ``model.so`` carries its
own (``kernels/runtime_support.cc``), registered in the process's global function table when
the library loads. Under TVM's names they would clash with the compiler library if a process
loaded that afterwards (its registration of the same names aborts the process), so the
kernels call them under paddlec's names instead. Safe: the name is the only change, the
functions take the same arguments and compute the same results (runtime_support.cc).
A TIR function is rewritten through its JSON form (TVM 0.27's Python API has no TIR
mutator); only kernels of the sort family (by name) are serialized.
"""

from __future__ import annotations

import tvm
from tvm import tirx

__all__ = ["RenameSortExterns", "TVM_PREFIX", "PADDLEC_PREFIX"]

TVM_PREFIX = "tvm.contrib.sort."
PADDLEC_PREFIX = "paddlec.contrib.sort."
_SORT_FAMILY = ("sort", "topk", "max_suppression", "nms")


@tvm.transform.module_pass(opt_level=0, name="RenameSortExterns")
def RenameSortExterns(mod: tvm.IRModule, _ctx) -> tvm.IRModule:  # noqa: N802 (TVM pass style)
    updates = {}
    for gvar, func in mod.functions_items():
        if not isinstance(func, tirx.PrimFunc):
            continue
        if not any(word in gvar.name_hint for word in _SORT_FAMILY):
            continue
        text = tvm.ir.save_json(func)
        if f'"{TVM_PREFIX}' in text:
            updates[gvar] = tvm.ir.load_json(text.replace(f'"{TVM_PREFIX}',
                                                          f'"{PADDLEC_PREFIX}'))
    for gvar, func in updates.items():
        mod[gvar] = func
    return mod
