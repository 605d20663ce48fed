"""Fuse MobileNetV2-style inverted residual blocks into one oneDNN-path kernel call.

Runs after :func:`offload.offload_to_dnnl`, on its NHWC kernel calls. Rewrites, inside each
dataflow block:

    e = dnnl_conv2d(x, We, be)           1x1, stride 1, no padding, ungrouped (optional)
    d = dnnl_conv2d(e, Wd, bd)           3x3 depthwise (groups = channels), undilated
    y = dnnl_conv2d(d, Wp, bp [, r])     1x1, stride 1, no padding, ungrouped
      →  y = dnnl_inverted_residual(x, We, be, Wd, bd, Wp, bp [, r])

and, for the network's stem (a KxK convolution of an image with at most 4 channels, which
offloading left behind an NCHW → NHWC reorder of the model's input),

    s = dnnl_conv2d(dnnl_reorder(x_nchw), Ws, bs); d = ...(s); y = ...(d)
      →  y = dnnl_inverted_residual(x_nchw, Ws, bs, Wd, bd, Wp, bp)

with each layer's activation (ReLU, clip, linear; not GELU) and the project layer's residual
add carried over. The kernel (``kernels/inverted_residual.h``) computes the same three layers
strip by strip, so ``e`` and ``d`` never go through memory whole.

Safe because ``e`` and ``d`` must have no other user (they are not computed anywhere else),
every weight and bias is a constant (offloading only makes such calls), and the kernel's
limits (depthwise channels a multiple of 16; a stem of at most 4 input channels whose
channels x kernel height is at most 64) are checked here; anything else is left as the
separate calls. The kernel's GEMMs and depthwise sums
accumulate in a different order than oneDNN's, so results differ by float rounding only
(checked against onnxruntime in ``tests/cpu/test_inverted_residual.py``).
"""

from __future__ import annotations

import collections

import tvm
from tvm import relax

from .relax_blocks import KERNELS, OffloadStats, map_dataflow_blocks

__all__ = ["FUSED_KERNEL", "fuse_inverted_residuals", "target_has_avx512"]

FUSED_KERNEL = "paddlec_dnnl_inverted_residual"
_LANES, _GELU = 16, 3
_STEM_CHANNELS, _MAX_STEM_ROWS = 4, 64  # stem input channels; input channels x kernel height
_NONE, _EXPAND, _STEM = 0, 1, 2  # the block's first layer

# Attribute positions of a paddlec_dnnl_conv2d call (see offload.py / dnnl_kernels.cc).
_STRIDE, _PAD, _DILATION, _GROUPS, _HAS_BIAS, _HAS_RESIDUAL, _ACT = 0, 2, 6, 8, 9, 10, 11


class _Conv:
    """One ``paddlec_dnnl_conv2d`` call: its arguments and integer attributes."""

    def __init__(self, index: int, binding) -> None:
        self.index = index
        self.var = binding.var
        self.data, self.weight, self.bias, self.residual, attrs = binding.value.args[1].fields
        self.attrs = [int(v) for v in attrs.values]
        self.shape = [int(s) for s in self.weight.value.shape]  # O, I/groups, KH, KW

    @property
    def act(self) -> list[int]:
        return self.attrs[_ACT:_ACT + 3]

    def plain(self) -> bool:
        """Bias present, no GELU: what the fused kernel's epilogues cover."""
        return self.attrs[_HAS_BIAS] == 1 and self.attrs[_ACT] != _GELU

    def pointwise(self) -> bool:
        a = self.attrs
        return (self.plain() and self.shape[2:] == [1, 1] and a[_STRIDE:_STRIDE + 2] == [1, 1]
                and a[_PAD:_PAD + 4] == [0, 0, 0, 0] and a[_GROUPS] == 1)

    def stem(self) -> bool:
        """A convolution the kernel can run on the NCHW input as the block's first layer."""
        a, (_, c_in, kh, _) = self.attrs, self.shape
        return (self.plain() and a[_GROUPS] == 1 and a[_DILATION:_DILATION + 2] == [1, 1]
                and a[_HAS_RESIDUAL] == 0 and c_in <= _STEM_CHANNELS
                and c_in * kh <= _MAX_STEM_ROWS)

    def depthwise(self) -> bool:
        a, channels = self.attrs, self.shape[0]
        return (self.plain() and self.shape[1:] == [1, 3, 3] and a[_GROUPS] == channels
                and a[_DILATION:_DILATION + 2] == [1, 1] and a[_HAS_RESIDUAL] == 0
                and channels % _LANES == 0)


def _kernel_calls(block, kernel: str) -> dict:
    """{bound variable: (index, binding)} for every call of ``kernel`` in ``block``."""
    calls = {}
    for index, binding in enumerate(block.bindings):
        value = binding.value
        if (isinstance(value, tvm.ir.Call) and len(value.args) == 2
                and getattr(value.args[0], "global_symbol", None) == KERNELS[kernel]):
            calls[binding.var] = (index, binding)
    return calls


def _use_counts(block) -> collections.Counter:
    """How often each variable is read in ``block``, counting a variable passed twice to one
    kernel call twice."""
    uses: collections.Counter = collections.Counter()
    for binding in block.bindings:
        value = binding.value
        args = value.args[1].fields if (isinstance(value, tvm.ir.Call) and len(value.args) == 2
                                        and isinstance(value.args[1], relax.Tuple)) else None
        for var in (args if args is not None else relax.analysis.free_vars(value)):
            if isinstance(var, relax.Var):
                uses[var] += 1
    return uses


def _fuse_block(block, stats: OffloadStats):
    convs = {var: _Conv(*found) for var, found in _kernel_calls(block, "conv2d").items()}
    to_nhwc = {var: (index, binding.value.args[1].fields[0])
               for var, (index, binding) in _kernel_calls(block, "reorder").items()
               if [int(v) for v in binding.value.args[1].fields[1].values] == [0]}
    uses = _use_counts(block)

    def only_feeds(conv: _Conv) -> bool:  # a block-local value read once
        return isinstance(conv.var, relax.DataflowVar) and uses[conv.var] == 1

    replaced: dict[int, relax.VarBinding] = {}
    dropped: set[int] = set()
    for project in convs.values():
        if not project.pointwise() or project.index in dropped:
            continue
        dw = convs.get(project.data)
        if dw is None or not dw.depthwise() or not only_feeds(dw) or dw.index in replaced:
            continue
        channels = dw.shape[0]
        if project.shape[1] != channels:
            continue
        expand = convs.get(dw.data)
        first, stem_attrs = _EXPAND, [0] * 6
        if (expand is None or expand.attrs[_HAS_RESIDUAL] or not only_feeds(expand)
                or expand.index in replaced):
            expand = None
        elif not expand.pointwise():
            source = to_nhwc.get(expand.data)
            if (expand.stem() and source is not None and uses[expand.data] == 1
                    and isinstance(expand.data, relax.DataflowVar)):
                first = _STEM
                out_h, out_w = (int(v) for v in dw.data.ty.shape.values[1:3])
                stem_attrs = (expand.attrs[_STRIDE:_STRIDE + 2] + expand.attrs[_PAD:_PAD + 2]
                              + [out_h, out_w])
            else:
                expand = None
        if expand is None:
            first = _NONE
        data = expand.data if expand is not None else dw.data
        if first == _STEM:
            dropped.add(source[0])
            data = source[1]
        if expand is None and int(data.ty.shape.values[3]) != channels:
            continue
        has_residual = project.attrs[_HAS_RESIDUAL]
        a = dw.attrs
        attrs = ([first, *(expand.act if expand else [0, 0, 0])]
                 + a[_STRIDE:_STRIDE + 2] + a[_PAD:_PAD + 4] + dw.act + project.act
                 + [has_residual] + stem_attrs)
        head = expand if expand is not None else dw
        args = [data, head.weight, head.bias, dw.weight, dw.bias, project.weight,
                project.bias, project.residual if has_residual else project.weight,
                relax.ShapeExpr(attrs)]
        call = relax.call_dps_packed(FUSED_KERNEL, args, project.var.ty)
        replaced[project.index] = relax.VarBinding(project.var, call)
        dropped.add(dw.index)
        if expand is not None:
            dropped.add(expand.index)
        stats["inverted_residual"] += 1
        stats["conv2d"] -= 3 if expand is not None else 2
        stats["reorder"] -= 1 if first == _STEM else 0
    if not replaced:
        return block
    bindings = [replaced.get(i, b) for i, b in enumerate(block.bindings) if i not in dropped]
    return relax.DataflowBlock(bindings)


def target_has_avx512(tvm_target) -> bool:
    """Whether the artifact's CPU has AVX-512 (the fused kernel's fast path): the target's
    ``mcpu``, or this machine's CPU for a target without one (plain ``llvm``: the kernel
    checks again at run time and falls back to scalar loops without it)."""
    from tvm.target import Target, codegen

    triple = str(tvm_target.attrs.get("mtriple", "") or "")
    if triple and not triple.startswith("x86_64"):
        return False
    if tvm_target.attrs.get("mcpu"):
        return bool(codegen.llvm_cpu_has_features(["avx512f"], tvm_target))
    host = Target({"kind": "llvm", "mcpu": str(codegen.llvm_get_system_cpu())})
    return bool(codegen.llvm_cpu_has_features(["avx512f"], host))


def fuse_inverted_residuals(mod, stats: OffloadStats):
    """``mod`` with every eligible expand → depthwise → project chain of oneDNN convolution
    calls replaced by one ``paddlec_dnnl_inverted_residual`` call; counts them in ``stats``."""
    return map_dataflow_blocks(mod, lambda block: _fuse_block(block, stats))
