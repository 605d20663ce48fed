"""Neural-network layers: convolution, pooling, normalization, dropout, embedding.

    y = conv2d(x, w)            → Conv(x, w, strides, pads, dilations, group)
    y = conv2d_transpose(x, w)  → ConvTranspose(x, w, strides, pads, dilations, group,
                                                output_padding)
    y = pool2d(x, ksize)        → MaxPool / AveragePool / Global*Pool
    y = batch_norm(x, m, v, s, b) → BatchNormalization(x, s, b, m, v, epsilon)
    y = layer_norm(x, s, b)     → LayerNormalization(x, s, b, axis=begin_norm_axis)
    y = dropout(x) (test mode)  → x (upscale_in_train) or x * (1 - p) (downgrade_in_infer)
    y = embedding(ids, w)       → Gather(w, ids); rows of padding_idx read as zeros
"""

from __future__ import annotations

import numpy as np

from .registry import register

__all__ = ["conv2d", "conv2d_transpose", "pool2d", "batch_norm", "layer_norm", "dropout", "embedding"]


def _check_nchw(op, key: str) -> None:
    layout = op.attr(key, "NCHW")
    if layout not in ("NCHW", "AnyLayout"):
        raise op.unsupported(f"{key}={layout!r}: only NCHW is supported")


def _pads(op, paddings: list[int], rank: int = 2) -> list[int]:
    """Paddle [ph, pw] or [top, bottom, left, right] → ONNX [top, left, bottom, right]."""
    paddings = [int(p) for p in paddings]
    if len(paddings) == rank:
        return paddings + paddings
    if len(paddings) == 2 * rank:
        return paddings[0::2] + paddings[1::2]
    raise op.unsupported(f"paddings {paddings} of unexpected length")


def _padding_attrs(op, paddings: list[int]) -> dict:
    algorithm = op.attr("padding_algorithm", "EXPLICIT")
    if algorithm == "SAME":
        return {"auto_pad": "SAME_UPPER"}
    if algorithm == "VALID":
        return {"pads": [0, 0, 0, 0]}
    return {"pads": _pads(op, paddings)}


@register("conv2d", "depthwise_conv2d", ins=("Input", "Filter"), outs=("Output",))
def conv2d(cx, op):
    _check_nchw(op, "data_format")
    x, w = op.inputs
    attrs = {"strides": [int(s) for s in op.attr("strides")],
             "dilations": [int(d) for d in op.attr("dilations", [1, 1])],
             "group": int(op.attr("groups", 1))}
    attrs.update(_padding_attrs(op, op.attr("paddings", [0, 0])))
    return [cx.op("Conv", [x, w], attrs)]


@register("conv2d_transpose", "depthwise_conv2d_transpose",
          ins=("Input", "Filter", "output_size"), outs=("Output",))
def conv2d_transpose(cx, op):
    """Paddle's filter is [C_in, C_out / groups, kH, kW], as ONNX's. Paddle computes
    ``(in - 1) * stride - pads + dilation * (k - 1) + 1 + output_padding`` like ONNX; an
    ``output_size`` picks a size in ``[that, that + stride)``, i.e. an output_padding."""
    _check_nchw(op, "data_format")
    x, w = op.inputs[0], op.inputs[1]
    strides = [int(s) for s in op.attr("strides", [1, 1])]
    dilations = [int(d) for d in op.attr("dilations", [1, 1])]
    attrs = {"strides": strides, "dilations": dilations, "group": int(op.attr("groups", 1))}
    attrs.update(_padding_attrs(op, op.attr("paddings", [0, 0])))
    padding = [int(p) for p in (op.attr("output_padding", []) or [])]
    size = op.const(2) if len(op.inputs) > 2 and op.inputs[2] is not None else \
        op.attr("output_size", [])
    size = [int(s) for s in np.asarray(size if size is not None else [], np.int64).reshape(-1)]
    if size:
        shape, kernel = op.shape(0), op.shape(1)
        pads = attrs.get("pads")
        if shape is None or kernel is None or any(d < 0 for d in shape[2:]) or pads is None:
            raise op.unsupported("output_size needs a static input size and explicit pads")
        base = [(n - 1) * s - pads[i] - pads[i + 2] + d * (k - 1) + 1 for i, (n, s, d, k)
                in enumerate(zip(shape[2:], strides, dilations, kernel[2:]))]
        padding = [want - got for want, got in zip(size, base)]
        if any(p < 0 or p >= s for p, s in zip(padding, strides)):
            raise op.unsupported(f"output_size {size} is not reachable from {base}")
    if padding and any(padding):
        attrs["output_padding"] = padding
    return [cx.op("ConvTranspose", [x, w], attrs)]


@register("pool2d", ins=("X", "ksize"))
def pool2d(cx, op):
    """Adaptive pooling is exact only when the output size divides the input size."""
    _check_nchw(op, "data_format")
    x = op.inputs[0]
    kernel = op.const(1) if op.inputs[1] is not None else op.attr("ksize")
    if kernel is None:
        raise op.unsupported("the pool size is computed at run time")
    kernel = [int(k) for k in np.asarray(kernel).reshape(-1)]
    kind = op.attr("pooling_type")
    if kind not in ("max", "avg"):
        raise op.unsupported(f"pooling_type={kind!r}")
    onnx_kind = "MaxPool" if kind == "max" else "AveragePool"
    strides = [int(s) for s in op.attr("strides", [1, 1])]
    if op.attr("global_pooling", False) or (op.attr("adaptive", False) and kernel == [1, 1]):
        return [cx.op("GlobalMaxPool" if kind == "max" else "GlobalAveragePool", [x])]
    if op.attr("adaptive", False):
        shape = op.shape(0)
        if shape is None or any(d <= 0 for d in shape[2:]):
            raise op.unsupported("adaptive pooling needs a static spatial input size")
        spatial = shape[2:]
        if any(size % out for size, out in zip(spatial, kernel)):
            raise op.unsupported(f"adaptive pooling {spatial} → {kernel} is not a plain pool")
        kernel = [size // out for size, out in zip(spatial, kernel)]
        strides = kernel
        paddings = [0, 0]
    else:
        paddings = op.attr("paddings", [0, 0])
    attrs = {"kernel_shape": kernel, "strides": strides,
             "ceil_mode": int(bool(op.attr("ceil_mode", False)))}
    attrs.update(_padding_attrs(op, paddings))
    if kind == "avg":
        attrs["count_include_pad"] = 0 if op.attr("exclusive", True) else 1
    return [cx.op(onnx_kind, [x], attrs)]


@register("batch_norm", ins=("X", "Mean", "Variance", "Scale", "Bias"), outs=("Y",))
def batch_norm(cx, op):
    _check_nchw(op, "data_format" if op.fmt == "paddle-pir" else "data_layout")
    x, mean, variance, scale, bias = op.inputs
    if op.attr("is_test", True) is False and not op.attr("use_global_stats", False):
        raise op.unsupported("batch_norm in training mode (save with save_inference_model)")
    return [cx.op("BatchNormalization", [x, scale, bias, mean, variance],
                  {"epsilon": float(op.attr("epsilon", 1e-5))})]


@register("layer_norm", ins=("X", "Scale", "Bias"), outs=("Y",))
def layer_norm(cx, op):
    """Paddle flattens scale/bias to 1-D over the normalized dims; ONNX wants their shape."""
    x, scale, bias = op.inputs
    axis = int(op.attr("begin_norm_axis", 1))
    shape = op.shape(0)
    rank = len(shape) if shape is not None else None
    if rank is None:
        raise op.unsupported("input rank unknown")
    axis = axis + rank if axis < 0 else axis
    normalized = shape[axis:]
    if scale is None or (len(normalized) > 1 and bias is None):
        if any(d < 0 for d in normalized):
            raise op.unsupported("layer_norm without scale over dynamic dims")
    if scale is None:
        scale = cx.const(np.ones(int(np.prod(normalized)), op.dtype(0)))
    if len(normalized) > 1:
        target = cx.ints(normalized)
        scale = cx.op("Reshape", [scale, target])
        bias = cx.op("Reshape", [bias, target]) if bias is not None else None
    inputs = [x, scale] + ([bias] if bias is not None else [])
    return [cx.op("LayerNormalization", inputs,
                  {"axis": axis, "epsilon": float(op.attr("epsilon", 1e-5))})]


@register("dropout", ins=("X", "Seed", "p"))
def dropout(cx, op):
    x = op.inputs[0]
    if op.fmt == "paddle-pir":
        mode = op.attr("mode", "upscale_in_train")
        prob = op.const(2)
        if prob is None:
            raise op.unsupported("dropout probability computed at run time")
        prob = float(np.asarray(prob).reshape(-1)[0])
    else:
        mode = op.attr("dropout_implementation", "downgrade_in_infer")
        prob = float(op.attr("dropout_prob", 0.5))
    if not op.attr("is_test", True):
        raise op.unsupported("dropout in training mode")
    if mode == "upscale_in_train" or prob == 0.0:
        return [x]
    return [cx.op("Mul", [x, cx.const(1.0 - prob, op.dtype(0))])]


@register("embedding", legacy="lookup_table_v2", ins=("Ids", "W"))
def embedding(cx, op):
    ids, weight = op.inputs
    out = cx.op("Gather", [weight, ids], {"axis": 0})
    padding_idx = int(op.attr("padding_idx", -1))
    if padding_idx != -1:
        rows = op.shape(1)[0] if op.shape(1) else -1
        if padding_idx < 0 and rows > 0:
            padding_idx += rows
        is_pad = cx.op("Equal", [ids, cx.const(padding_idx, op.dtype(0))])
        is_pad = cx.op("Unsqueeze", [is_pad, cx.ints([-1])])
        out = cx.op("Where", [is_pad, cx.const(0, op.dtype(1)), out])
    return [out]
