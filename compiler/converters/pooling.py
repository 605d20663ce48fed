"""Max pooling with indices: MaxPool's ``Indices`` output and MaxUnpool's ``output_shape``.

* ``Y, Indices = MaxPool(X, ...)``: TVM 0.27 returns only ``Y`` ("Missing outputs").
  With two outputs this takes, for every kernel offset, the strided slice of the input
  padded with ``-inf``, reduces them with ``max`` / ``argmax`` (the first maximum in
  row-major kernel order, as the reference's strict ``>`` scan), and maps the winning
  offset to the flat input index (``storage_order`` 0: row-major, 1: column-major in
  each ``H x W`` plane) through a constant table. One output still goes to TVM.
* ``Y = MaxUnpool(X, I, output_shape?)``: TVM reads a constant ``output_shape`` with
  ``.tolist()`` and crashes; this scatters ``X`` at ``I`` into zeros of that shape.
"""

from __future__ import annotations

import itertools

import numpy as np
from tvm import relax
from tvm.relax.frontend.onnx import onnx_frontend as tvm_onnx

from ._common import attr_str, dtype_of, require_const, static_shape
from .reduce import mean_axis_by_axis
from .registry import ConverterError, converter

__all__ = ["explicit_same_pads", "global_average_pool", "max_pool", "max_unpool"]

_op = relax.op


def _geometry(dims, kernel, strides, dilations, pads, auto_pad, ceil_mode):
    """(output sizes, pads before) per spatial axis, as the ONNX reference computes them."""
    outputs, before = [], []
    for i, size in enumerate(dims):
        extent = (kernel[i] - 1) * dilations[i] + 1
        if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
            out = -(-size // strides[i])
            total = max((out - 1) * strides[i] + extent - size, 0)
            begin = total // 2 if auto_pad == "SAME_UPPER" else total - total // 2
        elif auto_pad == "VALID":
            out, begin = (size - extent) // strides[i] + 1, 0
        else:
            begin, end = pads[i], pads[i + len(dims)]
            span = size + begin + end - extent
            out = (-(-span // strides[i]) if ceil_mode else span // strides[i]) + 1
            if ceil_mode and (out - 1) * strides[i] >= size + begin:
                out -= 1
        outputs.append(out)
        before.append(begin)
    return outputs, before


def _max_pool_with_indices(bb, x, attrs):
    shape = static_shape(x)
    if shape is None:
        raise ConverterError("MaxPool with Indices needs a static input shape")
    spatial = shape[2:]
    rank = len(spatial)
    kernel = list(attrs["kernel_shape"])
    strides = list(attrs.get("strides", [1] * rank))
    dilations = list(attrs.get("dilations", [1] * rank))
    pads = list(attrs.get("pads", [0] * 2 * rank))
    order = int(attrs.get("storage_order", 0))
    outputs, before = _geometry(spatial, kernel, strides, dilations, pads,
                                attr_str(attrs, "auto_pad", "NOTSET"),
                                bool(attrs.get("ceil_mode", 0)))
    dtype = dtype_of(x)
    lowest = float("-inf") if dtype.startswith(("float", "bfloat")) else \
        int(np.iinfo(np.dtype(dtype)).min)
    after = [max((outputs[i] - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1
                 - spatial[i] - before[i], 0) for i in range(rank)]
    widths = [0, 0, 0, 0] + [w for pair in zip(before, after) for w in pair]
    padded = bb.emit(_op.nn.pad(x, widths, pad_value=lowest))
    offsets = list(itertools.product(*map(range, kernel)))
    windows, table = [], []
    axes = list(range(2, 2 + rank))
    grids = np.meshgrid(*[np.arange(n) for n in outputs], indexing="ij")
    for offset in offsets:
        begin = [offset[i] * dilations[i] for i in range(rank)]
        end = [begin[i] + (outputs[i] - 1) * strides[i] + 1 for i in range(rank)]
        windows.append(_op.strided_slice(padded, axes, begin, end, strides))
        where = [grids[i] * strides[i] - before[i] + begin[i] for i in range(rank)]
        dims = list(spatial) if order == 0 else list(spatial)[::-1]
        where = where if order == 0 else where[::-1]
        table.append(np.ravel_multi_index(where, dims, mode="clip"))
    stacked = bb.emit(_op.stack(windows, axis=0))  # [K, N, C, *out]
    values = _op.max(stacked, [0])
    winner = bb.emit(_op.astype(_op.argmax(stacked, axis=0, keepdims=True), "int64"))
    table = np.stack(table).reshape([len(offsets), 1, 1] + outputs).astype(np.int64)
    table = np.broadcast_to(table, [len(offsets)] + shape[:2] + outputs).copy()
    flat = _op.squeeze(_op.gather_elements(relax.const(table, "int64"), winner, 0), [0])
    plane = int(np.prod(spatial))
    base = (np.arange(shape[0] * shape[1], dtype=np.int64) * plane).reshape(
        shape[:2] + [1] * rank)
    return relax.Tuple([bb.emit(values), bb.emit(_op.add(flat, relax.const(base, "int64")))])


def explicit_same_pads(x, attrs: dict) -> dict:
    """``attrs`` with ``auto_pad`` SAME_UPPER / SAME_LOWER spelled out as ``pads`` where the
    padding does not depend on the input size: every stride 1, total ``(k - 1) * dilation``
    per axis (the extra one at the end for UPPER, at the start for LOWER). TVM computes
    SAME padding from static sizes only; this keeps symbolic H / W working."""
    mode = attrs.get("auto_pad", b"NOTSET")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    kernel = list(attrs.get("kernel_shape", ()))
    strides = list(attrs.get("strides", [1] * len(kernel)))
    if mode not in ("SAME_UPPER", "SAME_LOWER") or not kernel or any(s != 1 for s in strides) \
            or x.ty.shape is None or static_shape(x) is not None:
        return attrs
    dilations = list(attrs.get("dilations", [1] * len(kernel)))
    totals = [(k - 1) * d for k, d in zip(kernel, dilations)]
    small = [t // 2 for t in totals]
    large = [t - t // 2 for t in totals]
    begin, end = (small, large) if mode == "SAME_UPPER" else (large, small)
    rewritten = {key: value for key, value in attrs.items() if key != "auto_pad"}
    rewritten["pads"] = begin + end
    return rewritten


def _make_max_pool(since: int):
    def convert(bb, inputs, attrs, ctx):
        if ctx.num_outputs < 2:
            attrs = explicit_same_pads(inputs[0], attrs)
            return tvm_onnx.MaxPool.get_converter(ctx.opset)(bb, inputs, attrs, ctx.params)
        return _max_pool_with_indices(bb, inputs[0], attrs)

    convert.__name__ = f"max_pool_v{since}"
    convert.__doc__ = "MaxPool: with Indices here, without through TVM."
    return convert


for _since in (8, 10, 11, 12):
    converter("", "MaxPool", _since)(_make_max_pool(_since))
max_pool = _make_max_pool(12)


@converter("", "MaxUnpool", 9)
def max_unpool(bb, inputs, attrs, ctx):
    """y = zeros(inferred); y.flat[I] = X; then zero-extended (or cropped) at the end of
    each axis to ``output_shape``, as the ONNX reference places it."""
    x, indices = inputs[0], inputs[1]
    shape = static_shape(x)
    if shape is None:
        raise ConverterError("the input needs a static shape")
    kernel = list(attrs["kernel_shape"])
    rank = len(kernel)
    strides = list(attrs.get("strides", [1] * rank))
    pads = list(attrs.get("pads", [0] * 2 * rank))
    inferred = shape[:2] + [(shape[2 + i] - 1) * strides[i] + kernel[i] - pads[i]
                            - pads[i + rank] for i in range(rank)]
    zeros = relax.const(np.zeros([int(np.prod(inferred))], dtype_of(x)))
    flat = _op.scatter_elements(zeros, _op.reshape(indices, [-1]), _op.reshape(x, [-1]), 0)
    result = bb.emit(_op.reshape(flat, inferred))
    if len(inputs) < 3 or inputs[2] is None:
        return result
    target = [int(v) for v in require_const(inputs[2], "output_shape").reshape(-1)]
    if len(target) != len(inferred) or target[:2] != inferred[:2]:
        raise ConverterError(f"output_shape {target} does not fit the input {shape}")
    crop = [i for i in range(2, len(target)) if target[i] < inferred[i]]
    if crop:
        result = bb.emit(_op.strided_slice(result, crop, [0] * len(crop),
                                           [target[i] for i in crop]))
    grow = [max(target[i] - inferred[i], 0) for i in range(2, len(target))]
    if any(grow):
        result = _op.nn.pad(result, [0, 0, 0, 0] + [w for g in grow for w in (0, g)])
    return result


@converter("", "GlobalAveragePool", 1)
def global_average_pool(bb, inputs, attrs, ctx):
    """Y = mean of X over its spatial axes. Static spatial sizes: one mean, which the CPU fast
    path runs as a oneDNN average pool. Symbolic ones stay with TVM, whose single sequential
    sum over H x W drifts (1.3e-5 relative on a 640x640 map); per axis it is one sum over W,
    then one over H."""
    x = inputs[0]
    axes = list(range(2, int(x.ty.ndim)))
    if not dtype_of(x).startswith(("float", "bfloat")):
        return _op.mean(x, axes, keepdims=True)
    return mean_axis_by_axis(x, axes, True)  # one mean where the spatial sizes are static
