"""What the CPU rewrites share: the oneDNN kernel symbols, the per-kernel call counter, and
walking a Relax module's dataflow blocks.

A lower layer than ``offload.py`` and the rewrites it calls (fused blocks, blocked
layouts, BN folding), so that none of them imports another's module.
"""

from __future__ import annotations

import collections
from collections.abc import Callable

import tvm
from tvm import relax

__all__ = ["KERNELS", "OffloadStats", "map_dataflow_blocks", "op_name"]

KERNELS = {
    "conv2d": "paddlec_dnnl_conv2d",
    "dense": "paddlec_dnnl_dense",
    "batch_matmul": "paddlec_dnnl_batch_matmul",
    "pool2d": "paddlec_dnnl_pool2d",
    "softmax": "paddlec_dnnl_softmax",
    "layer_norm": "paddlec_dnnl_layer_norm",
    "reorder": "paddlec_dnnl_reorder",
}

OffloadStats = collections.Counter  # kernel kind → number of call sites


def op_name(expr) -> str | None:
    """``relax.nn.conv2d`` for a call of that operator, else None."""
    if isinstance(expr, tvm.ir.Call) and isinstance(expr.op, tvm.ir.Op):
        return str(expr.op.name)
    return None


def map_dataflow_blocks(mod, rewrite: Callable) -> object:
    """A copy of ``mod`` with ``rewrite`` applied to every dataflow block of every Relax
    function."""
    updated = tvm.IRModule(dict(mod.functions), attrs=mod.attrs)
    for gvar, func in mod.functions.items():
        if not isinstance(func, relax.Function) or not isinstance(func.body, relax.SeqExpr):
            continue
        blocks = [rewrite(block) if isinstance(block, relax.DataflowBlock) else block
                  for block in func.body.blocks]
        body = relax.SeqExpr(blocks, func.body.body)
        updated[gvar] = relax.Function(func.params, body, func.ret_ty, func.is_pure, func.attrs)
    return updated
