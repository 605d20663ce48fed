"""Hand the heavy CPU operators to the oneDNN kernels that are linked into ``model.so``.

Rewrites, inside each dataflow block of every Relax function (the graph is NCHW, as the ONNX
importer writes it):

    y = act(conv2d(x, W) + b [+ r])     →  y = to_nchw(dnnl_conv2d(to_nhwc(x), W, b, to_nhwc(r)))
    y = act(matmul(x, W) + b [+ r])     →  y = dnnl_dense(x, W, b, r)       (W constant, 2-D)
    y = matmul(a, b) [* c]              →  y = dnnl_batch_matmul(a, b)      (rank ≥ 3, same batch;
                                           permutes of a, b and y become strides of the call)
    y = max_pool2d / avg_pool2d(x)      →  y = to_nchw(dnnl_pool2d(to_nhwc(x)))
    y = mean(x, axis=[2, 3], keepdims)  →  y = to_nchw(dnnl_pool2d(to_nhwc(x)))  (global average)
    y = softmax(x, axis=-1)             →  y = dnnl_softmax(x)
    y = layer_norm(x, γ, β, axes=[-1])  →  y = dnnl_layer_norm(x, γ, β)     (γ, β constant)

``act`` is ReLU, a clip (ReLU6) or GELU (its erf form, ``x·½·(1 + erf(x/√2))``, as
exporters write it), ``c`` a scalar constant, ``b`` a constant bias, ``r`` a tensor of the output's shape
(the residual add of ResNets); each tail op is absorbed only when the intermediate value has no
other user, so nothing is computed twice. oneDNN runs convolutions fastest on NHWC data, so the
rewrite wraps each kernel in layout transposes; :func:`cancel_transposes` then removes every
``to_nchw`` → ``to_nhwc`` pair between two kernels, which leaves transposes only where the graph
enters or leaves a run of NHWC kernels; :func:`reorder_layouts` hands those that are left
to oneDNN's reorder (``dnnl_reorder``), which is several times faster than TVM's transpose
on 3-channel image inputs.
"""

from __future__ import annotations

import collections
import re
import struct
from collections.abc import Callable

import numpy as np
import tvm
import tvm_ffi
from tvm import relax, tirx

from .relax_blocks import KERNELS, OffloadStats, map_dataflow_blocks, op_name

__all__ = ["KERNELS", "OffloadStats", "cancel_transposes", "offload_to_dnnl", "reorder_layouts"]

TO_NHWC, TO_NCHW = [0, 2, 3, 1], [0, 3, 1, 2]


def _float_bits(value: float) -> int:
    return struct.unpack("<I", struct.pack("<f", float(value)))[0]


def _call_tir_name(expr) -> str | None:
    """``maximum`` for ``R.call_tir(maximum3, ...)`` (the importer's Clip lowering)."""
    if op_name(expr) == "relax.call_tir" and isinstance(expr.args[0], tvm.ir.GlobalVar):
        return re.sub(r"\d+$", "", str(expr.args[0].name_hint))
    return None


def _scalar(expr) -> float | None:
    if isinstance(expr, tvm.ir.GenericConst):
        data = expr.value.numpy()
        if data.size == 1:
            return float(data.reshape(()))
    return None


def _is_f32(expr, ndim: int | None = None) -> bool:
    ty = expr.ty
    return (hasattr(ty, "dtype") and str(ty.dtype) == "float32" and ty.shape is not None
            and (ndim is None or ty.ndim == ndim))


def _same_shape(a, b) -> bool:
    return a.ty.shape is not None and tvm_ffi.structural_equal(a.ty.shape, b.ty.shape)


class _BlockRewriter:
    """Walks one dataflow block; collects, per tail binding, the bindings that replace it."""

    def __init__(self, block, stats: OffloadStats, decide: Callable | None = None,
                 winograd: bool = True) -> None:
        self.bindings = list(block.bindings)
        self.stats = stats
        self.decide = decide
        self.winograd = winograd
        self.users: dict = collections.defaultdict(list)
        self.index_of = {binding.var: index for index, binding in enumerate(self.bindings)}
        for index, binding in enumerate(self.bindings):
            for var in relax.analysis.free_vars(binding.value):
                self.users[var].append(index)
        self.dropped: set[int] = set()
        self.replaced: dict[int, list] = {}
        self.count = 0

    # -- helpers ------------------------------------------------------------------------
    def sole_user(self, index: int) -> int | None:
        """The binding that is the only user of binding ``index``'s variable, if any."""
        var = self.bindings[index].var
        users = self.users.get(var, [])
        if not isinstance(var, relax.DataflowVar) or len(users) != 1:
            return None
        value = self.bindings[users[0]].value
        if isinstance(value, tvm.ir.Call) and sum(arg.same_as(var) for arg in value.args) > 1:
            return None
        taken = users[0] in self.dropped or users[0] in self.replaced
        return None if taken else users[0]

    def fresh(self, expr, name: str):
        self.count += 1
        expr = relax.BlockBuilder().normalize(expr)
        var = relax.DataflowVar(f"dnnl_{name}{self.count}", expr.ty)
        return var, relax.VarBinding(var, expr)

    def activation(self, index: int) -> tuple[int, tuple[int, int, int], list[int]]:
        """Absorb a ReLU / clip / GELU after binding ``index``:
        (new tail index, (kind, alpha bits, beta bits), bindings consumed)."""
        gelu = self.gelu(index)
        if gelu is not None:
            return gelu[-1], (3, 0, 0), gelu
        none = (index, (0, 0, 0), [])
        user = self.sole_user(index)
        if user is None:
            return none
        value, var = self.bindings[user].value, self.bindings[index].var
        if op_name(value) == "relax.nn.relu":
            return user, (1, 0, 0), [user]
        if op_name(value) == "relax.clip":
            lo, hi = (_scalar(arg) for arg in value.args[1:3])
            if lo is not None and hi is not None:
                return user, (2, _float_bits(lo), _float_bits(hi)), [user]
        if _call_tir_name(value) == "maximum":
            lo = _scalar(value.args[1].fields[1])
            if lo is None or not value.args[1].fields[0].same_as(var):
                return none
            after = self.sole_user(user)
            upper = self.bindings[after].value if after is not None else None
            if upper is not None and _call_tir_name(upper) == "minimum":
                hi = _scalar(upper.args[1].fields[1])
                if hi is not None:
                    return after, (2, _float_bits(lo), _float_bits(hi)), [user, after]
            if lo == 0.0:
                return user, (1, 0, 0), [user]
        return none

    def _scaled(self, index: int, op: str, var) -> float | None:
        """c when binding ``index`` is ``op(var, c)`` or ``op(c, var)`` with a scalar c."""
        value = self.bindings[index].value
        if op_name(value) != op:
            return None
        lhs, rhs = value.args
        if lhs.same_as(var):
            return _scalar(rhs)
        return _scalar(lhs) if rhs.same_as(var) and op != "relax.divide" else None

    def gelu(self, index: int) -> list[int] | None:
        """Bindings computing ``h·½·(1 + erf(h/√2))`` from binding ``index`` (h), the last
        one being the result; ``None`` unless every intermediate is used only there."""
        h = self.bindings[index].var
        users = self.users.get(h, [])
        if not isinstance(h, relax.DataflowVar) or len(users) != 2:
            return None
        for scale_at, other_at in (users, users[::-1]):
            c = self._scaled(scale_at, "relax.multiply", h)
            d = self._scaled(scale_at, "relax.divide", h)
            if not ((c is not None and abs(c - 0.5**0.5) < 1e-6)
                    or (d is not None and abs(d - 2**0.5) < 1e-6)):
                continue
            erf_at = self.sole_user(scale_at)
            if erf_at is None or op_name(self.bindings[erf_at].value) != "relax.erf":
                return None
            plus_at = self.sole_user(erf_at)
            if plus_at is None or self._scaled(plus_at, "relax.add",
                                               self.bindings[erf_at].var) != 1.0:
                return None
            plus = self.bindings[plus_at].var
            if self._scaled(other_at, "relax.multiply", h) == 0.5:        # (h·½)·(1+erf)
                last = self.sole_user(other_at)
                if last is None or self.sole_user(plus_at) != last:
                    return None
                half = self.bindings[other_at].var
                args = self.bindings[last].value.args
                pair = (args[0].same_as(half) and args[1].same_as(plus)) or (
                    args[1].same_as(half) and args[0].same_as(plus))
                if op_name(self.bindings[last].value) != "relax.multiply" or not pair:
                    return None
                return [scale_at, erf_at, plus_at, other_at, last]
            value = self.bindings[other_at].value                         # (h·(1+erf))·½
            if (op_name(value) == "relax.multiply" and self.sole_user(plus_at) == other_at
                    and any(a.same_as(plus) for a in value.args)):
                last = self.sole_user(other_at)
                if last is not None and self._scaled(
                        last, "relax.multiply", self.bindings[other_at].var) == 0.5:
                    return [scale_at, erf_at, plus_at, other_at, last]
            return None
        return None

    def bias(self, index: int, channels: int, nchw: bool) -> tuple[int, object | None]:
        """Absorb ``+ constant`` broadcast along the channel axis after binding ``index``."""
        user = self.sole_user(index)
        if user is None or op_name(self.bindings[user].value) != "relax.add":
            return index, None
        var = self.bindings[index].var
        lhs, rhs = self.bindings[user].value.args
        const = rhs if lhs.same_as(var) else lhs
        if not isinstance(const, tvm.ir.GenericConst) or str(const.value.dtype) != "float32":
            return index, None
        data = const.value.numpy()
        wanted = (channels, 1, 1) if nchw else (channels,)
        if data.size != channels or data.shape[-len(wanted):] != wanted:
            return index, None
        return user, relax.const(np.ascontiguousarray(data.reshape(channels)), "float32")

    def residual(self, index: int):
        """Absorb ``+ r`` (r computed, same shape as the output) after binding ``index``."""
        user = self.sole_user(index)
        if user is None or op_name(self.bindings[user].value) != "relax.add":
            return index, None
        var = self.bindings[index].var
        lhs, rhs = self.bindings[user].value.args
        other = rhs if lhs.same_as(var) else lhs
        if (isinstance(other, tvm.ir.GenericConst) or other.same_as(var) or not _is_f32(other)
                or not _same_shape(other, var)):
            return index, None
        return user, other

    def keep_in_tvm(self, kind: str, consumed: list[int], tail: int, call, layout: dict,
                    output_axes: list[int] | None = None) -> bool:
        """Ask ``decide`` (the kernel chooser, with tuning records) whether a tuned TVM
        kernel should run this call site instead of the library."""
        if self.decide is None:
            return False
        original = [self.bindings[i] for i in sorted(set(consumed))]
        return not self.decide(kind, original, self.bindings[tail].var, call, layout,
                               output_axes)

    def emit(self, first: int, tail: int, consumed: list[int], new_bindings: list) -> None:
        for index in consumed:
            if index != tail:
                self.dropped.add(index)
        self.replaced[tail] = new_bindings
        self.dropped.discard(tail)

    def transpose(self, expr, axes: list[int], out: list, name: str):
        var, binding = self.fresh(relax.op.permute_dims(expr, axes), name)
        out.append(binding)
        return var

    # -- rewrites -----------------------------------------------------------------------
    def conv2d(self, index: int) -> None:
        call = self.bindings[index].value
        data, weight = call.args
        attrs = call.attrs
        if (str(attrs.data_layout) != "NCHW" or str(attrs.kernel_layout) != "OIHW"
                or str(attrs.out_layout) != "NCHW" or not isinstance(weight, tvm.ir.GenericConst)
                or not _is_f32(data, 4) or not _is_f32(weight, 4)
                or str(attrs.out_dtype) not in ("", "None", "void", "float32")):
            return
        channels = int(weight.value.shape[0])
        consumed = [index]
        tail, bias = self.bias(index, channels, nchw=True)
        consumed.append(tail)
        tail, residual = self.residual(tail)
        consumed.append(tail)
        tail, act, absorbed = self.activation(tail)
        consumed += absorbed
        pad = [int(p) for p in attrs.padding]
        pad = pad * 2 if len(pad) == 2 else pad
        params = ([int(s) for s in attrs.strides] + pad + [int(d) for d in attrs.dilation]
                  + [int(attrs.groups), bias is not None, residual is not None, *act,
                     self.winograd])
        out: list = []
        x = self.transpose(data, TO_NHWC, out, "x")
        r = self.transpose(residual, TO_NHWC, out, "r") if residual is not None else weight
        out_shape = self.bindings[tail].var.ty.shape.values
        nhwc = relax.TensorType([out_shape[i] for i in TO_NHWC], "float32")
        kernel = relax.call_dps_packed(
            KERNELS["conv2d"], [x, weight, bias if bias is not None else weight, r,
                                relax.ShapeExpr([int(p) for p in params])], nhwc)
        layout = {x: (data, TO_NHWC)}
        if residual is not None:
            layout[r] = (residual, TO_NHWC)
        if self.keep_in_tvm("conv2d", consumed, tail, kernel, layout, TO_NCHW):
            return
        y, binding = self.fresh(kernel, "conv")
        out.append(binding)
        out.append(relax.VarBinding(self.bindings[tail].var,
                                    relax.op.permute_dims(y, TO_NCHW)))
        self.emit(index, tail, consumed, out)
        self.stats["conv2d"] += 1

    def pool2d(self, index: int) -> None:
        call = self.bindings[index].value
        kind = {"relax.nn.max_pool2d": 0, "relax.nn.avg_pool2d": 1}[op_name(call)]
        attrs, data = call.attrs, call.args[0]
        if str(attrs.layout) != "NCHW" or bool(attrs.ceil_mode) or not _is_f32(data, 4):
            return
        if kind == 1 and bool(attrs.count_include_pad):
            kind = 2
        pad = [int(p) for p in attrs.padding]
        pad = pad * 2 if len(pad) == 2 else pad
        params = ([kind] + [int(k) for k in attrs.pool_size] + [int(s) for s in attrs.strides]
                  + pad + [int(d) for d in attrs.dilation])
        self._emit_pool(index, data, params)

    def _emit_pool(self, index: int, data: relax.Expr, params: list[int]) -> None:
        """Replace binding ``index`` by a oneDNN pool of NCHW ``data`` run on NHWC
        (``params``: kind, kernel h/w, strides, pads, dilations as the kernel reads them)."""
        out: list = []
        x = self.transpose(data, TO_NHWC, out, "x")
        shape = self.bindings[index].var.ty.shape.values
        nhwc = relax.TensorType([shape[i] for i in TO_NHWC], "float32")
        y, binding = self.fresh(relax.call_dps_packed(
            KERNELS["pool2d"], [x, relax.ShapeExpr(params)], nhwc), "pool")
        out.append(binding)
        out.append(relax.VarBinding(self.bindings[index].var,
                                    relax.op.permute_dims(y, TO_NCHW)))
        self.emit(index, index, [index], out)
        self.stats["pool2d"] += 1

    def global_mean(self, index: int) -> None:
        """``mean(x, axis=[2, 3], keepdims=True)`` of NCHW data (GlobalAveragePool) as an
        average pool over the whole image, so it reads the NHWC output of the conv before it
        instead of a transposed copy."""
        call = self.bindings[index].value
        data = call.args[0]
        if not _is_f32(data, 4) or not bool(call.attrs.keepdims) or call.attrs.axis is None:
            return
        if sorted(int(a) % 4 for a in call.attrs.axis) != [2, 3]:
            return
        height, width = data.ty.shape.values[2:]
        if not isinstance(height, tirx.IntImm) or not isinstance(width, tirx.IntImm):
            return
        params = [1, int(height), int(width), 1, 1, 0, 0, 0, 0, 1, 1]
        self._emit_pool(index, data, params)

    def matmul(self, index: int) -> None:
        call = self.bindings[index].value
        lhs, rhs = call.args
        if str(call.attrs.out_dtype) not in ("", "None", "void", "float32") or not _is_f32(lhs):
            return
        if isinstance(rhs, tvm.ir.GenericConst) and _is_f32(rhs, 2) and lhs.ty.ndim >= 2:
            consumed = [index]
            tail, bias = self.bias(index, int(rhs.value.shape[1]), nchw=False)
            consumed.append(tail)
            tail, residual = self.residual(tail)
            consumed.append(tail)
            tail, act, absorbed = self.activation(tail)
            consumed += absorbed
            args = [lhs, rhs, bias if bias is not None else rhs,
                    residual if residual is not None else rhs,
                    relax.ShapeExpr([bias is not None, residual is not None, *act])]
            value = relax.call_dps_packed(KERNELS["dense"], args, self.bindings[tail].var.ty)
            same = list(range(lhs.ty.ndim))
            layout = {lhs: (lhs, same)}
            if residual is not None:
                layout[residual] = (residual, same)
            if self.keep_in_tvm("dense", consumed, tail, value, layout):
                return
            self.emit(index, tail, consumed, [relax.VarBinding(self.bindings[tail].var, value)])
            self.stats["dense"] += 1
        elif (not isinstance(rhs, tvm.ir.GenericConst) and _is_f32(rhs) and lhs.ty.ndim >= 3
              and lhs.ty.ndim == rhs.ty.ndim):
            if not tvm_ffi.structural_equal(lhs.ty.shape.values[:-2], rhs.ty.shape.values[:-2]):
                return
            self.batch_matmul(index, lhs, rhs)

    def permuted_source(self, var) -> tuple[object, list[int] | None]:
        """(x, axes) when ``var`` is ``permute_dims(x, axes)`` bound in this block and one of
        its last two axes is x's innermost (oneDNN's matmul reads such a view in place);
        else (var, None)."""
        at = self.index_of.get(var)
        if at is None or at in self.dropped or at in self.replaced:  # e.g. another call's tail
            return var, None
        value = self.bindings[at].value
        if op_name(value) != "relax.permute_dims" or value.attrs.axes is None:
            return var, None
        axes = [int(axis) for axis in value.attrs.axes]
        inner = len(axes) - 1
        return (value.args[0], axes) if inner in axes[-2:] else (var, None)

    def batch_matmul(self, index: int, lhs, rhs) -> None:
        """``matmul(a, b) [* c]``, a and b computed. Head splits and merges around it
        (``permute_dims`` of the operands, of the result) become strides of the call: BERT's
        attention reads Q, K and V as the dense layers wrote them and writes its output in
        the layout the next dense layer reads, without four transposes per layer."""
        rank = lhs.ty.ndim
        identity = list(range(rank))
        (lhs, lhs_axes), (rhs, rhs_axes) = self.permuted_source(lhs), self.permuted_source(rhs)
        tail, act = index, [0, 0, 0]
        user = self.sole_user(index)
        if user is not None:
            var = self.bindings[index].var
            scale = self._scaled(user, "relax.multiply", var)
            divisor = self._scaled(user, "relax.divide", var)
            if divisor:
                scale = 1.0 / divisor
            if scale is not None:
                tail, act = user, [4, _float_bits(scale), _float_bits(0.0)]
        consumed, out_axes = [index, tail], None
        user = self.sole_user(tail)
        if user is not None and op_name(self.bindings[user].value) == "relax.permute_dims":
            axes = self.bindings[user].value.attrs.axes
            if axes is not None and int(axes[-1]) == rank - 1:  # rows stay contiguous
                out_axes, tail = [int(axis) for axis in axes], user
                consumed.append(user)
        if lhs_axes or rhs_axes or out_axes:
            act += [*(lhs_axes or identity), *(rhs_axes or identity), *(out_axes or identity)]
        var = self.bindings[tail].var
        value = relax.call_dps_packed(KERNELS["batch_matmul"],
                                      [lhs, rhs, relax.ShapeExpr(act)], var.ty)
        self.emit(index, tail, consumed, [relax.VarBinding(var, value)])
        self.stats["batch_matmul"] += 1

    def softmax(self, index: int) -> None:
        call = self.bindings[index].value
        data = call.args[0]
        if not _is_f32(data) or int(call.attrs.axis) not in (-1, data.ty.ndim - 1):
            return
        var = self.bindings[index].var
        value = relax.call_dps_packed(KERNELS["softmax"], [data, relax.ShapeExpr([0])], var.ty)
        self.emit(index, index, [index], [relax.VarBinding(var, value)])
        self.stats["softmax"] += 1

    def layer_norm(self, index: int) -> None:
        call = self.bindings[index].value
        data, gamma, beta = call.args
        axes = [int(a) for a in call.attrs.axes]
        if (not _is_f32(data) or axes not in ([-1], [data.ty.ndim - 1])
                or not bool(call.attrs.center) or not bool(call.attrs.scale)
                or not all(isinstance(t, tvm.ir.GenericConst) and _is_f32(t, 1)
                           for t in (gamma, beta))):
            return
        var = self.bindings[index].var
        eps = relax.ShapeExpr([_float_bits(float(call.attrs.epsilon))])
        value = relax.call_dps_packed(KERNELS["layer_norm"], [data, gamma, beta, eps], var.ty)
        self.emit(index, index, [index], [relax.VarBinding(var, value)])
        self.stats["layer_norm"] += 1

    def run(self):
        handlers: dict[str, Callable[[int], None]] = {
            "relax.nn.conv2d": self.conv2d, "relax.matmul": self.matmul,
            "relax.nn.max_pool2d": self.pool2d, "relax.nn.avg_pool2d": self.pool2d,
            "relax.nn.softmax": self.softmax, "relax.nn.layer_norm": self.layer_norm,
            "relax.mean": self.global_mean,
        }
        for index, binding in enumerate(self.bindings):
            handler = handlers.get(op_name(binding.value) or "")
            if handler is not None and index not in self.dropped and index not in self.replaced:
                handler(index)
        result = []
        for index, binding in enumerate(self.bindings):
            if index in self.replaced:
                result.extend(self.replaced[index])
            elif index not in self.dropped:
                result.append(binding)
        return relax.DataflowBlock(result)


def offload_to_dnnl(mod, decide: Callable | None = None, winograd: bool = True,
                    fuse_blocks: bool = True,
                    blocked_layout: bool = True) -> tuple[object, OffloadStats]:
    """Rewrite ``mod`` (an NCHW Relax module with constants bound) to call the oneDNN kernels;
    returns the new module and how many call sites of each kind it created. ``decide``
    (see ``choose.KernelChooser``) may keep a conv / dense call site in TVM. ``winograd``
    lets the kernel run eligible 3x3 convolutions as Winograd F(4,3) (``winograd.h``);
    ``fuse_blocks`` fuses inverted residual blocks and 1x1 conv + global average pool heads
    (``fuse_inverted_residual.py``, ``fuse_pointwise_mean.py``; for AVX-512 targets);
    ``blocked_layout`` then stores eligible feature maps as nChw16c (``block_layouts.py``)."""
    from .block_layouts import block_layouts
    from .fuse_inverted_residual import fuse_inverted_residuals
    from .fuse_pointwise_mean import fuse_pointwise_means

    stats: OffloadStats = collections.Counter()
    mod = map_dataflow_blocks(
        mod, lambda block: _BlockRewriter(block, stats, decide, winograd).run())
    mod = cancel_transposes(mod)
    if stats:
        mod = reorder_layouts(mod, stats)
    if fuse_blocks and stats["conv2d"]:
        mod = fuse_pointwise_means(fuse_inverted_residuals(mod, stats), stats)
    if blocked_layout and stats["conv2d"]:
        mod = block_layouts(mod, stats)
    return mod, +stats


def cancel_transposes(mod):
    """``y = permute(permute(x, p), q)`` with ``q ∘ p`` the identity → ``y = x``; the dead
    transposes left behind are removed by ``CanonicalizeBindings`` + ``DeadCodeElimination``."""
    def rewrite(block):
        axes_of: dict = {}
        result = []
        for binding in block.bindings:
            value = binding.value
            if op_name(value) == "relax.permute_dims" and value.attrs.axes is not None:
                axes = [int(a) for a in value.attrs.axes]
                source = value.args[0]
                if source in axes_of:
                    inner, inner_axes = axes_of[source]
                    if [inner_axes[a] for a in axes] == list(range(len(axes))):
                        result.append(relax.VarBinding(binding.var, inner))
                        continue
                axes_of[binding.var] = (source, axes)
            result.append(binding)
        return relax.DataflowBlock(result)

    mod = map_dataflow_blocks(mod, rewrite)
    return relax.transform.DeadCodeElimination()(relax.transform.CanonicalizeBindings()(mod))


def reorder_layouts(mod, stats: OffloadStats):
    """``permute_dims(x, [0,2,3,1])`` / ``[0,3,1,2]`` of a 4-D float32 tensor → the
    equivalent ``dnnl_reorder`` call (a pure layout change, bit-exact)."""
    def rewrite(block):
        result = []
        for binding in block.bindings:
            value = binding.value
            if (op_name(value) == "relax.permute_dims" and value.attrs.axes is not None
                    and _is_f32(value.args[0], 4) and _is_f32(binding.var, 4)):
                axes = [int(a) for a in value.attrs.axes]
                if axes in (TO_NHWC, TO_NCHW):
                    direction = relax.ShapeExpr([0 if axes == TO_NHWC else 1])
                    value = relax.call_dps_packed(KERNELS["reorder"],
                                                  [value.args[0], direction], binding.var.ty)
                    binding = relax.VarBinding(binding.var, value)
                    stats["reorder"] += 1
            result.append(binding)
        return relax.DataflowBlock(result)

    return map_dataflow_blocks(mod, rewrite)
