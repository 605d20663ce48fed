"""Spatial rearrangements: CenterCropPad (18), Col2Im (18), SpaceToDepth (1, CRD mode).

* ``y = CenterCropPad(x, shape, axes?)``: crop (a centred slice) or zero-pad (centred,
  the odd element at the end) each listed axis to ``shape``; ``shape`` must be constant.
* ``y = Col2Im(x, image_shape, block_shape, dilations, pads, strides)``: the sum of
  sliding blocks back into an image (the adjoint of im2col). Every image pixel receives at
  most one column entry per block offset, so this is a constant-index ``gather_elements``
  (a zero column stands for "none") followed by a sum over the block offsets.
* ``y = SpaceToDepth(x, blocksize, mode)``: TVM 0.27 ignores ``mode`` (opset 28 added
  ``CRD``) and always gives ``DCR``; here both orders are reshape/transpose/reshape.
* ``y = DepthToSpace(x, blocksize, mode)`` (1, 11, 13): one gather-like compute (TOPI's
  ``depth_to_space``), not TVM's reshape/transpose/reshape, whose flat indices divide by
  the symbolic sizes on every element (and took LLVM minutes once fused with a tail).
"""

from __future__ import annotations

import itertools

import numpy as np
from tvm import relax

from ._common import attr_str, dtype_of, ndim, normalize_axes, require_const, static_shape
from .registry import ConverterError, converter

__all__ = ["center_crop_pad", "col2im", "depth_to_space", "space_to_depth"]

_op = relax.op


@converter("", "DepthToSpace", 1)
def depth_to_space(bb, inputs, attrs, ctx):
    """y[n, c, h*b + i, w*b + j] = x[n, channel, h, w]: channel (i*b + j)*C + c (DCR) or
    c*b*b + i*b + j (CRD)."""
    from tvm import topi

    x = inputs[0]
    if ndim(x) != 4:
        raise ConverterError("DepthToSpace: the input must be 4-D (NCHW)")
    mode = attr_str(attrs, "mode", "DCR")
    if mode not in ("DCR", "CRD"):
        raise ConverterError(f"DepthToSpace: unknown mode {mode!r}")
    # TOPI spells CRD "CDR"
    return bb.emit_te(topi.nn.depth_to_space, x, int(attrs["blocksize"]), "NCHW",
                      "DCR" if mode == "DCR" else "CDR")


@converter("", "CenterCropPad", 18)
def center_crop_pad(bb, inputs, attrs, ctx):
    """y = x cropped / zero-padded around the centre to ``shape`` on ``axes``."""
    x = inputs[0]
    dims = static_shape(x)
    if dims is None:
        raise ConverterError("the input needs a static shape")
    target = [int(v) for v in np.asarray(require_const(inputs[1], "shape")).reshape(-1)]
    axes = normalize_axes(attrs.get("axes", range(len(dims))), len(dims))
    if len(axes) != len(target):
        raise ConverterError(f"shape has {len(target)} values for {len(axes)} axes")
    begin, pad_before, pad_after = [], [0] * len(dims), [0] * len(dims)
    for axis, size in zip(axes, target):
        dim = dims[axis]
        if size < dim:
            start = (dim - size) // 2
            begin.append((axis, start, start + size))
        elif size > dim:
            pad_before[axis] = (size - dim) // 2
            pad_after[axis] = size - dim - (size - dim) // 2
    result = x
    if begin:
        result = bb.emit(_op.strided_slice(result, [a for a, _, _ in begin],
                                           [b for _, b, _ in begin], [e for _, _, e in begin]))
    if any(pad_before) or any(pad_after):
        widths = [w for pair in zip(pad_before, pad_after) for w in pair]
        result = _op.nn.pad(result, widths, pad_value=0.0)
    return result


def _col2im_index(image, block, dilations, pads, strides):
    """For each block offset and image pixel, the column (sliding-block) index that lands
    there, or ``columns`` (a zero column) when none does; returns ``(index, columns)``."""
    spatial = len(image)
    counts = [(image[d] + pads[d] + pads[d + spatial] - dilations[d] * (block[d] - 1) - 1)
              // strides[d] + 1 for d in range(spatial)]
    columns = int(np.prod(counts))
    index = np.full((int(np.prod(block)), int(np.prod(image))), columns, np.int64)
    for offset_number, offset in enumerate(itertools.product(*map(range, block))):
        for column_number, column in enumerate(itertools.product(*map(range, counts))):
            pixel = [column[d] * strides[d] - pads[d] + offset[d] * dilations[d]
                     for d in range(spatial)]
            if all(0 <= pixel[d] < image[d] for d in range(spatial)):
                index[offset_number, np.ravel_multi_index(pixel, image)] = column_number
    return index, columns


@converter("", "Col2Im", 18)
def col2im(bb, inputs, attrs, ctx):
    """y[n, c, pixel] = sum over block offsets of x[n, c * blocks + offset, column]."""
    x = inputs[0]
    shape = static_shape(x)
    image = [int(v) for v in np.asarray(require_const(inputs[1], "image_shape")).reshape(-1)]
    block = [int(v) for v in np.asarray(require_const(inputs[2], "block_shape")).reshape(-1)]
    spatial = len(image)
    dilations = list(attrs.get("dilations", [1] * spatial))
    pads = list(attrs.get("pads", [0] * (2 * spatial)))
    strides = list(attrs.get("strides", [1] * spatial))
    if shape is None or len(shape) != 3 or len(block) != spatial:
        raise ConverterError("the input needs a static shape [N, C * prod(block), L]")
    index, columns = _col2im_index(image, block, dilations, pads, strides)
    per_block = index.shape[0]
    if shape[1] % per_block or shape[2] != columns:
        raise ConverterError(f"input {shape} does not match {columns} sliding blocks of "
                             f"{per_block} elements")
    batch, channels = shape[0], shape[1] // per_block
    grouped = _op.reshape(x, [batch, channels, per_block, columns])
    padded = bb.emit(_op.concat([grouped, _op.zeros([batch, channels, per_block, 1],
                                                    dtype_of(x))], axis=3))
    gather = np.broadcast_to(index, (batch, channels) + index.shape).copy()
    gather = relax.const(gather, "int64")
    summed = _op.sum(_op.gather_elements(padded, gather, 3), [2])
    return _op.reshape(summed, [batch, channels] + image)


@converter("", "SpaceToDepth", 1)
def space_to_depth(bb, inputs, attrs, ctx):
    """y = SpaceToDepth(x, blocksize, mode=DCR|CRD) for NCHW input."""
    x = inputs[0]
    dims = static_shape(x)
    if dims is None or ndim(x) != 4:
        raise ConverterError("the input needs a static 4-D shape")
    size = int(attrs["blocksize"])
    n, c, h, w = dims
    if h % size or w % size:
        raise ConverterError(f"H and W ({h}, {w}) must be multiples of blocksize {size}")
    mode = attr_str(attrs, "mode", "DCR")
    order = {"DCR": [0, 3, 5, 1, 2, 4], "CRD": [0, 1, 3, 5, 2, 4]}.get(mode)
    if order is None:
        raise ConverterError(f"unknown mode {mode!r}")
    split = _op.reshape(x, [n, c, h // size, size, w // size, size])
    return _op.reshape(_op.permute_dims(split, order), [n, c * size * size, h // size,
                                                         w // size])
