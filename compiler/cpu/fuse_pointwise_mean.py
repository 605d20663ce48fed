"""Fuse a CNN's head — 1x1 convolution, activation, global average pool — into one call.

Runs after :func:`offload.offload_to_dnnl`, on its NHWC kernel calls. Rewrites, inside each
dataflow block:

    h = dnnl_conv2d(x, W, b)                 1x1, stride 1, no padding, ungrouped, no residual
    p = dnnl_pool2d(h)                       average over the whole image, no padding
    [q = dnnl_reorder(p)]                    NHWC [N, 1, 1, K] → NCHW [N, K, 1, 1]
      →  p (or q) = dnnl_pointwise_mean(x, W, b)

MobileNetV2's 320 → 1280 head writes its 7x7x1280 output only to average it; the fused
kernel (``dnnl_kernels.cc``, ``PointwiseMean``) sums each GEMM strip as it is computed, and
its threads split the output channels, which balances at batch 1 too. The reorder of a
1x1-pixel tensor moves nothing (the same N x K values in the same order), so the kernel
writes its result directly.

Safe because ``h`` and ``p`` must have no other user, the weights and bias are constants
(offloading only makes such calls), and the pool must cover exactly the image with no
padding (every pixel counted once, divided by H x W). Results differ from the separate
layers by float rounding (summation order), checked against onnxruntime in
``tests/cpu/test_inverted_residual.py``.
"""

from __future__ import annotations

from tvm import relax, tirx

from .fuse_inverted_residual import _HAS_RESIDUAL, _Conv, _kernel_calls, _use_counts
from .relax_blocks import OffloadStats, map_dataflow_blocks

__all__ = ["MEAN_KERNEL", "fuse_pointwise_means"]

MEAN_KERNEL = "paddlec_dnnl_pointwise_mean"


def _global_average(binding, data) -> bool:
    """A pool2d call that averages (kind 1 or 2) the whole NHWC image, without padding."""
    kind, kh, kw, _, _, *pads = [int(v) for v in binding.value.args[1].fields[1].values][:9]
    height, width = data.ty.shape.values[1:3]
    return (kind in (1, 2) and pads == [0, 0, 0, 0] and isinstance(height, tirx.IntImm)
            and isinstance(width, tirx.IntImm) and (kh, kw) == (height.value, width.value))


def _fuse_block(block, stats: OffloadStats):
    convs = {var: _Conv(*found) for var, found in _kernel_calls(block, "conv2d").items()}
    pools = _kernel_calls(block, "pool2d")
    to_nchw = {binding.value.args[1].fields[0]: (index, binding)
               for index, binding in _kernel_calls(block, "reorder").values()
               if [int(v) for v in binding.value.args[1].fields[1].values] == [1]}
    uses = _use_counts(block)

    def local_single_use(var) -> bool:
        return isinstance(var, relax.DataflowVar) and uses[var] == 1

    replaced: dict[int, relax.VarBinding] = {}
    dropped: set[int] = set()
    for pool_var, (pool_index, pool) in pools.items():
        head = convs.get(pool.value.args[1].fields[0])
        if (head is None or not head.pointwise() or head.attrs[_HAS_RESIDUAL]
                or not local_single_use(head.var) or not _global_average(pool, head.var)):
            continue  # pointwise(): with a bias, no GELU
        target_index, target_var = pool_index, pool_var
        reorder = to_nchw.get(pool_var)
        if reorder is not None and local_single_use(pool_var):
            target_index, target_var = reorder[0], reorder[1].var
            dropped.add(pool_index)
            stats["reorder"] -= 1
        call = relax.call_dps_packed(
            MEAN_KERNEL, [head.data, head.weight, head.bias, relax.ShapeExpr(head.act)],
            target_var.ty)
        replaced[target_index] = relax.VarBinding(target_var, call)
        dropped.add(head.index)
        stats["pointwise_mean"] += 1
        stats["conv2d"] -= 1
        stats["pool2d"] -= 1
    if not replaced:
        return block
    bindings = [replaced.get(i, b) for i, b in enumerate(block.bindings) if i not in dropped]
    return relax.DataflowBlock(bindings)


def fuse_pointwise_means(mod, stats: OffloadStats):
    """``mod`` with every 1x1 conv → global average pool chain of oneDNN calls replaced by
    one ``paddlec_dnnl_pointwise_mean`` call; counts them in ``stats``."""
    return map_dataflow_blocks(mod, lambda block: _fuse_block(block, stats))
