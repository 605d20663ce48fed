"""Run chains of oneDNN convolutions on the blocked nChw16c layout instead of NHWC.

Runs after :func:`offload.offload_to_dnnl` (and the block fusions), on its NHWC kernel
calls. Inside each dataflow block, a feature map

    v = dnnl_conv2d(...) | dnnl_pool2d(...) | dnnl_reorder(x_nchw, to NHWC)   [N, H, W, C]

becomes the same call producing ``[N, C/16, H, W, 16]`` (oneDNN's ``nChw16c``: 16 channels
innermost, then the pixels), and every reader of ``v`` gets the blocked value. oneDNN's
blocked convolutions are faster than its NHWC ones on this kind of CPU: ResNet-50's direct
convolutions back to back, 2 threads, ``python -m paddlec.bench.conv_floor``: batch 1
24.2 -> 21.8 ms, batch 8 155 -> 139 ms.

Feature maps change together: a convolution or pool links its input (and residual) to its
output, and each linked group is converted only when every member

* has a static channel count that is a multiple of 16,
* is a block-local value read only by ``dnnl_conv2d`` (as data or residual; ungrouped or
  depthwise), ``dnnl_pool2d`` or ``dnnl_reorder`` back to NCHW, the kernels that take
  either layout (``dnnl_kernels.cc`` reads a 5-D tensor as ``nChw16c``).

so no other operator ever sees a blocked tensor, and a convolution's data, residual and
output always share a layout. The one exception is a network's stem: an image of at most 4
channels that offloading reordered from NCHW to NHWC; its convolution reads the NCHW image
instead (the kernel reads 4-D data under a 5-D output as NCHW) and writes a blocked output,
which oneDNN runs with a jit kernel, and the reorder goes when nothing else reads it.

A pure layout change: results are those of the same oneDNN primitives (and Winograd
transforms) on another memory layout, equal up to accumulation order.
"""

from __future__ import annotations

import tvm
from tvm import relax, tirx

from .fuse_inverted_residual import _kernel_calls, _use_counts
from .relax_blocks import OffloadStats, map_dataflow_blocks

__all__ = ["block_layouts"]

BLOCK = 16
# oneDNN's blocked 1x1 kernels beat its NHWC ones, but its blocked 3x3 stride-2 kernel loses
# to the NHWC one and the Winograd transforms gain nothing: a group changes layout only when
# 1x1 layers hold at least this share of its multiply-adds. `python -m paddlec.bench.ab`
# (both load orders), 2 threads, blocked vs NHWC: ResNet-50 (47 % in 1x1 layers) b8 1.070
# (CI 1.060-1.081), b1 0.998 (no difference); ResNet-18 (2 %) b1 0.983 (CI 0.979-0.988),
# b8 1.012 (CI 0.998-1.022).
MIN_POINTWISE_SHARE = 1 / 3
_STEM_CHANNELS = 4
_GROUPS, _HAS_RESIDUAL = 8, 10  # attribute positions of a paddlec_dnnl_conv2d call


class _Groups:
    """Union-find over variables."""

    def __init__(self) -> None:
        self.parent: dict = {}

    def find(self, var):
        self.parent.setdefault(var, var)
        while self.parent[var] is not var:
            self.parent[var] = self.parent[self.parent[var]]
            var = self.parent[var]
        return var

    def union(self, a, b) -> None:
        self.parent[self.find(a)] = self.find(b)


def _nhwc_channels(var) -> int | None:
    """The channel count of a 4-D float32 NHWC variable whose channels are static."""
    ty = getattr(var, "ty", None)
    if not isinstance(ty, relax.TensorType) or ty.dtype != "float32" or ty.ndim != 4:
        return None
    dims = ty.shape.values if ty.shape is not None else []
    if len(dims) != 4 or not isinstance(dims[3], tirx.IntImm):
        return None
    return int(dims[3])


def _blocked_type(var) -> relax.TensorType:
    n, h, w, c = var.ty.shape.values
    return relax.TensorType([n, int(c) // BLOCK, h, w, BLOCK], "float32")


def _pointwise_share(bindings: list) -> float:
    """The fraction of these convolutions' multiply-adds (per image) in 1x1 layers."""
    total = pointwise = 0
    for binding in bindings:
        out_h, out_w = binding.var.ty.shape.values[1:3]
        if not isinstance(out_h, tirx.IntImm) or not isinstance(out_w, tirx.IntImm):
            return 0.0
        o, i, kh, kw = (int(d) for d in _args(binding)[1].value.shape)
        macs = int(out_h) * int(out_w) * o * i * kh * kw
        total += macs
        pointwise += macs if kh == kw == 1 else 0
    return pointwise / total if total else 0.0


def _args(binding) -> list:
    return list(binding.value.args[1].fields)


def _attrs(binding) -> list[int]:
    return [int(v) for v in _args(binding)[-1].values]


def _rewrite_block(block, stats: OffloadStats):
    convs = _kernel_calls(block, "conv2d")
    pools = _kernel_calls(block, "pool2d")
    reorders = _kernel_calls(block, "reorder")
    producers = {**convs, **pools,
                 **{v: f for v, f in reorders.items() if _attrs(f[1]) == [0]}}
    groups, vetoed, stems = _Groups(), set(), set()

    def is_stem_image(var) -> bool:
        channels = _nhwc_channels(var)
        return (var in reorders and _attrs(reorders[var][1]) == [0] and channels is not None
                and channels <= _STEM_CHANNELS)

    # Which uses are allowed, and which variables each kernel call links.
    allowed: set = set()  # (binding index, argument position)
    for var, (index, binding) in convs.items():
        args, attrs = _args(binding), _attrs(binding)
        conv_groups = attrs[_GROUPS]
        channels = int(args[1].value.shape[0])
        if conv_groups not in (1, channels):
            vetoed.add(var)
            continue
        linked = [args[0]] + ([args[3]] if attrs[_HAS_RESIDUAL] else [])
        for position, source in zip((0, 3), linked):
            if position == 0 and is_stem_image(source):
                stems.add(source)
                allowed.add((index, 0))
                continue
            allowed.add((index, position))
            groups.union(var, source)
    for var, (index, binding) in pools.items():
        allowed.add((index, 0))
        groups.union(var, _args(binding)[0])
    for var, (index, binding) in reorders.items():
        if _attrs(binding) == [1]:
            allowed.add((index, 0))

    # Veto variables read anywhere else, produced by anything else, or of the wrong shape.
    for index, binding in enumerate(block.bindings):
        value = binding.value
        kernel_args = (_args(binding) if isinstance(value, tvm.ir.Call) and len(value.args) == 2
                       and isinstance(value.args[1], relax.Tuple) else None)
        if kernel_args is not None:
            for position, arg in enumerate(kernel_args):
                if isinstance(arg, relax.Var) and (index, position) not in allowed:
                    vetoed.add(arg)
        else:
            vetoed.update(v for v in relax.analysis.free_vars(value))
    members: dict = {}
    for var in list(groups.parent):
        members.setdefault(groups.find(var), []).append(var)
    blocked: dict = {}
    for group in members.values():
        eligible = all(
            var in producers and isinstance(var, relax.DataflowVar) and var not in vetoed
            and (channels := _nhwc_channels(var)) is not None and channels % BLOCK == 0
            for var in group)
        if not eligible:
            continue
        if _pointwise_share([convs[v][1] for v in group if v in convs]) >= MIN_POINTWISE_SHARE:
            for var in group:
                blocked[var] = relax.DataflowVar(var.name, _blocked_type(var))
    if not blocked:
        return block

    # A stem convolution with a blocked output reads the NCHW image itself (oneDNN has no
    # fast kernel for NHWC -> nChw16c); its reorder goes when nothing else reads it.
    nchw_image = {}
    stem_readers = {var: 0 for var in stems}
    for var, (index, binding) in convs.items():
        image = _args(binding)[0]
        if image in stems and var in blocked:
            nchw_image[index] = _args(reorders[image][1])[0]
            stem_readers[image] += 1
    uses = _use_counts(block)
    dropped = {reorders[image][0] for image, count in stem_readers.items()
               if count and count == uses[image]}

    bindings = []
    for index, binding in enumerate(block.bindings):
        var, value = binding.var, binding.value
        if index in dropped:
            continue
        if isinstance(value, tvm.ir.Call) and len(value.args) == 2 and isinstance(
                value.args[1], relax.Tuple) and (var in blocked or any(
                    a in blocked for a in value.args[1].fields)):
            args = [blocked.get(a, a) if isinstance(a, relax.Var) else a
                    for a in value.args[1].fields]
            if index in nchw_image:
                args[0] = nchw_image[index]
            out_ty = blocked[var].ty if var in blocked else var.ty
            value = relax.call_dps_packed(value.args[0], args, out_ty)
            var = blocked.get(var, var)
        bindings.append(relax.VarBinding(var, value))
    stats["reorder"] -= len(dropped)
    stats["blocked_layout"] += len(blocked)
    return relax.DataflowBlock(bindings)


def block_layouts(mod, stats: OffloadStats):
    """``mod`` with every eligible group of NHWC feature maps between oneDNN kernel calls
    stored as ``nChw16c``; counts the converted feature maps in ``stats``."""
    return map_dataflow_blocks(mod, lambda block: _rewrite_block(block, stats))
