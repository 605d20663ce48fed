"""DeformConv (opset 19/22), 2-D: a convolution whose kernel taps are moved by learned
offsets and sampled bilinearly.

``Y = DeformConv(X, W, offset, B?, mask?)``. For output pixel ``(i, j)`` and kernel tap
``(a, b)`` of offset group ``g`` the tap samples ``X`` at
``(i·stride_h - pad_top + a·dilation_h + offset_h, j·stride_w - pad_left + b·dilation_w +
offset_w)`` with bilinear interpolation and zeros outside the image (what the reference does
through ``GridSample(align_corners=1)``), scaled by ``mask``; the samples are then contracted
with ``W`` per group (one batched matmul) and ``B`` is added.

Lowered as: sampling coordinates in float64 (as the reference), four corner indices and
weights per tap, ``gather_elements`` on the flattened image, a weighted sum, and a grouped
matmul. Refused: other than 2-D inputs, non-static shapes.
"""

from __future__ import annotations

import numpy as np
from tvm import relax

from ._common import dtype_of, static_shape
from .registry import ConverterError, converter

__all__ = ["deform_conv"]

_op = relax.op


def _ints(attrs, name: str, default: list[int]) -> list[int]:
    value = attrs.get(name)
    return default if value is None else [int(v) for v in value]


def _tap_origins(kernel, out_size, strides, pads, dilations):
    """float64 constants ``[1, 1, K, oh, 1]`` and ``[1, 1, K, 1, ow]``: where tap k of
    output pixel (i, j) samples before the offsets are added."""
    (kh, kw), (oh, ow) = kernel, out_size
    taps_h = np.repeat(np.arange(kh), kw) * dilations[0]
    taps_w = np.tile(np.arange(kw), kh) * dilations[1]
    rows = taps_h[:, None] + np.arange(oh)[None, :] * strides[0] - pads[0]
    cols = taps_w[:, None] + np.arange(ow)[None, :] * strides[1] - pads[1]
    return (relax.const(rows.reshape(1, 1, kh * kw, oh, 1).astype("float64"), "float64"),
            relax.const(cols.reshape(1, 1, kh * kw, 1, ow).astype("float64"), "float64"))


def _corners(bb, pos_h, pos_w, size):
    """(flat index, weight, inside) of the four bilinear neighbours of each sample."""
    height, width = size
    top, left = _op.floor(pos_h), _op.floor(pos_w)
    frac_h, frac_w = _op.subtract(pos_h, top), _op.subtract(pos_w, left)
    one = relax.const(1.0, "float64")
    found = []
    for step_h, weight_h in ((0, _op.subtract(one, frac_h)), (1, frac_h)):
        for step_w, weight_w in ((0, _op.subtract(one, frac_w)), (1, frac_w)):
            row = _op.add(top, relax.const(float(step_h), "float64"))
            col = _op.add(left, relax.const(float(step_w), "float64"))
            inside = _op.logical_and(
                _op.logical_and(_op.greater_equal(row, relax.const(0.0, "float64")),
                                _op.less_equal(row, relax.const(height - 1.0, "float64"))),
                _op.logical_and(_op.greater_equal(col, relax.const(0.0, "float64")),
                                _op.less_equal(col, relax.const(width - 1.0, "float64"))))
            index = _op.add(_op.multiply(_op.clip(row, 0, height - 1),
                                         relax.const(float(width), "float64")),
                            _op.clip(col, 0, width - 1))
            weight = _op.where(inside, _op.multiply(weight_h, weight_w),
                               relax.const(0.0, "float64"))
            found.append((bb.normalize(_op.astype(index, "int64")), weight))
    return found


@converter("", "DeformConv", 19)
def deform_conv(bb, inputs, attrs, ctx):
    """Y = conv(bilinear samples of X at the offset taps · mask, W) + B."""
    x, w, offset = inputs[0], inputs[1], inputs[2]
    bias = inputs[3] if len(inputs) > 3 else None
    mask = inputs[4] if len(inputs) > 4 else None
    x_shape, w_shape, off_shape = (static_shape(v) for v in (x, w, offset))
    if x_shape is None or w_shape is None or off_shape is None or len(x_shape) != 4:
        raise ConverterError("only 2-D DeformConv with static shapes is supported")
    n, ic, ih, iw = x_shape
    oc, icpg, kh, kw = w_shape
    kernel = _ints(attrs, "kernel_shape", [kh, kw])
    if kernel != [kh, kw]:
        raise ConverterError(f"kernel_shape {kernel} does not match W's {[kh, kw]}")
    groups, offset_groups = int(attrs.get("group", 1)), int(attrs.get("offset_group", 1))
    if ic != icpg * groups or oc % groups or ic % offset_groups:
        raise ConverterError("channel counts do not divide into the groups")
    oh, ow = off_shape[2:]
    taps = kh * kw
    if off_shape[1] != offset_groups * taps * 2:
        raise ConverterError(f"offset has {off_shape[1]} channels, expected "
                             f"{offset_groups * taps * 2}")
    dtype = dtype_of(x)
    origin_h, origin_w = _tap_origins(
        (kh, kw), (oh, ow), _ints(attrs, "strides", [1, 1]),
        _ints(attrs, "pads", [0, 0, 0, 0]), _ints(attrs, "dilations", [1, 1]))
    moves = _op.reshape(_op.astype(offset, "float64"), [n, offset_groups, taps, 2, oh, ow])
    pos_h = _op.add(origin_h, _op.squeeze(_op.strided_slice(moves, [3], [0], [1]), [3]))
    pos_w = _op.add(origin_w, _op.squeeze(_op.strided_slice(moves, [3], [1], [2]), [3]))
    scale = None
    if mask is not None:
        scale = _op.reshape(_op.astype(mask, "float64"), [n, offset_groups, taps, oh, ow])
    per_group = ic // offset_groups
    samples = taps * oh * ow
    image = _op.reshape(x, [n, ic, ih * iw])

    def per_channel(value):  # [n, og, K, oh, ow] -> [n, ic, K*oh*ow]
        value = _op.reshape(value, [n, offset_groups, 1, samples])
        value = _op.broadcast_to(value, [n, offset_groups, per_group, samples])
        return _op.reshape(value, [n, ic, samples])

    sampled = None
    for index, weight in _corners(bb, pos_h, pos_w, (ih, iw)):
        if scale is not None:
            weight = _op.multiply(weight, scale)
        values = _op.gather_elements(image, per_channel(index), axis=2)
        term = _op.multiply(values, _op.astype(per_channel(weight), dtype))
        sampled = term if sampled is None else _op.add(sampled, term)
    sampled = _op.reshape(sampled, [n, groups, icpg * taps, oh * ow])
    weights = _op.reshape(w, [groups, oc // groups, icpg * taps])
    y = _op.reshape(_op.matmul(weights, sampled), [n, oc, oh, ow])
    if bias is not None:
        y = _op.add(y, _op.reshape(bias, [1, oc, 1, 1]))
    return y
