"""Detection post-processing: NonMaxSuppression's threshold, RoiAlign's ``max`` mode.

* ``NonMaxSuppression``: the spec removes a box when its IoU with a kept box is *greater
  than* ``iou_threshold``; TVM's kernel tests ``iou >= threshold``. Passing the next
  float32 above the threshold makes ``>=`` mean ``>`` exactly (no float32 lies between).
  The thresholds and the box count must be constants: TVM's converter silently uses
  defaults (0.5, 0.0, 0 boxes) for anything else, which this refuses instead.
* ``RoiAlign`` ``mode="max"``: the ONNX reference (like onnxruntime) takes, per sample
  point, the largest of the four *weighted* bilinear corners ``w_i * x_i`` (not the
  interpolated value), then the largest over the bin's samples. Emitted with Relax ops
  over all ROIs at once for a fixed ``sampling_ratio``; ``avg`` goes to TVM's converter.
"""

from __future__ import annotations

import numpy as np
from tvm import relax
from tvm.relax.frontend.onnx import onnx_frontend as tvm_onnx

from ._common import attr_str, const_value, dtype_of, static_shape
from .registry import ConverterError, converter

__all__ = ["non_max_suppression", "roi_align"]

_op = relax.op


@converter("", "NonMaxSuppression", 10)
def non_max_suppression(bb, inputs, attrs, ctx):
    """selected = NonMaxSuppression(boxes, scores, max_boxes?, iou?, score?)."""
    inputs = list(inputs) + [None] * (5 - len(inputs))
    for position, name in ((2, "max_output_boxes_per_class"), (3, "iou_threshold"),
                           (4, "score_threshold")):
        if inputs[position] is not None and const_value(inputs[position]) is None:
            raise ConverterError(f"{name} must be a constant (an initializer)")
    if inputs[3] is not None:
        threshold = np.float32(const_value(inputs[3]).reshape(-1)[0])
        above = np.nextafter(threshold, np.float32(np.inf), dtype=np.float32)
        inputs[3] = relax.const(np.array([above], np.float32))
    return tvm_onnx.NonMaxSuppression.get_converter(ctx.opset)(bb, inputs, attrs, ctx.params)


def _sample_axis(start, bin_size, pooled: int, grid: int, dtype: str):
    """Sample coordinates ``[R, pooled * grid]``: start + p * bin + (i + 0.5) * bin / grid."""
    steps = np.array([p + (i + 0.5) / grid for p in range(pooled) for i in range(grid)])
    steps = relax.const(steps.reshape(1, -1).astype(dtype), dtype)
    return _op.add(_op.reshape(start, [-1, 1]), _op.multiply(_op.reshape(bin_size, [-1, 1]),
                                                             steps))


def _corners(coordinate, size: int, dtype: str):
    """Per sample: (low index, high index, low weight, high weight, valid), as the
    reference's ``pre_calc_for_bilinear_interpolate`` computes them along one axis."""
    valid = _op.logical_and(_op.greater_equal(coordinate, relax.const(-1.0, dtype)),
                            _op.less_equal(coordinate, relax.const(float(size), dtype)))
    coordinate = _op.maximum(coordinate, relax.const(0.0, dtype))
    low = _op.floor(coordinate)
    at_edge = _op.greater_equal(low, relax.const(float(size - 1), dtype))
    low = _op.where(at_edge, relax.const(float(size - 1), dtype), low)
    coordinate = _op.where(at_edge, low, coordinate)
    high = _op.where(at_edge, low, _op.add(low, relax.const(1.0, dtype)))
    fraction = _op.subtract(coordinate, low)
    return (_op.astype(low, "int64"), _op.astype(high, "int64"),
            _op.subtract(relax.const(1.0, dtype), fraction), fraction, valid)


def _roi_align_max(bb, x, rois, batch_indices, attrs, half_pixel: bool):
    n, channels, height, width = static_shape(x)
    dtype = dtype_of(x)
    pooled_h, pooled_w = int(attrs.get("output_height", 1)), int(attrs.get("output_width", 1))
    grid = int(attrs.get("sampling_ratio", 0))
    scale = float(attrs.get("spatial_scale", 1.0))
    rois = bb.emit(_op.astype(rois, dtype) if dtype_of(rois) != dtype else rois)
    num_rois = static_shape(rois)[0]
    offset = 0.5 if half_pixel else 0.0
    box = []
    for i in range(4):  # x1, y1, x2, y2 scaled and shifted
        coordinate = _op.squeeze(_op.strided_slice(rois, [1], [i], [i + 1]), [1])
        box.append(bb.emit(_op.subtract(_op.multiply(coordinate, relax.const(scale, dtype)),
                                        relax.const(offset, dtype))))
    roi_w, roi_h = _op.subtract(box[2], box[0]), _op.subtract(box[3], box[1])
    if not half_pixel:
        roi_w = _op.maximum(roi_w, relax.const(1.0, dtype))
        roi_h = _op.maximum(roi_h, relax.const(1.0, dtype))
    bin_h = bb.emit(_op.divide(roi_h, relax.const(float(pooled_h), dtype)))
    bin_w = bb.emit(_op.divide(roi_w, relax.const(float(pooled_w), dtype)))
    ys = _corners(bb.emit(_sample_axis(box[1], bin_h, pooled_h, grid, dtype)), height, dtype)
    xs = _corners(bb.emit(_sample_axis(box[0], bin_w, pooled_w, grid, dtype)), width, dtype)
    ys = [bb.emit(_op.reshape(v, [num_rois, pooled_h * grid, 1])) for v in ys]
    xs = [bb.emit(_op.reshape(v, [num_rois, 1, pooled_w * grid])) for v in xs]
    valid = _op.logical_and(ys[4], xs[4])
    images = bb.emit(_op.take(_op.reshape(x, [n, channels, height * width]),
                              _op.astype(batch_indices, "int64"), axis=0))  # [R, C, HW]
    samples = pooled_h * grid * pooled_w * grid
    best = None
    for y_index, y_weight in ((0, 2), (1, 3)):
        for x_index, x_weight in ((0, 2), (1, 3)):
            position = _op.add(_op.multiply(ys[y_index], relax.const(width, "int64")),
                               xs[x_index])
            position = _op.where(valid, position, relax.const(0, "int64"))
            weight = _op.where(valid, _op.multiply(ys[y_weight], xs[x_weight]),
                               relax.const(0.0, dtype))
            position = _op.broadcast_to(_op.reshape(position, [num_rois, 1, samples]),
                                        [num_rois, channels, samples])
            value = _op.multiply(_op.gather_elements(images, bb.emit(position), 2),
                                 _op.reshape(weight, [num_rois, 1, samples]))
            best = value if best is None else _op.maximum(best, value)
            best = bb.emit(best)
    best = _op.reshape(best, [num_rois, channels, pooled_h, grid, pooled_w, grid])
    return _op.max(best, [3, 5])


def _make_roi_align(since: int, default_mode: str):
    def convert(bb, inputs, attrs, ctx):
        if attr_str(attrs, "mode", "avg") != "max":
            return tvm_onnx.RoiAlign.get_converter(ctx.opset)(bb, inputs, attrs, ctx.params)
        transform = attr_str(attrs, "coordinate_transformation_mode", default_mode)
        if transform not in ("half_pixel", "output_half_pixel"):
            raise ConverterError(f"unknown coordinate_transformation_mode {transform!r}")
        if int(attrs.get("sampling_ratio", 0)) <= 0:
            raise ConverterError("mode='max' needs sampling_ratio > 0 (an adaptive grid "
                                 "depends on each ROI's size)")
        if static_shape(inputs[0]) is None or static_shape(inputs[1]) is None:
            raise ConverterError("X and rois need static shapes")
        return _roi_align_max(bb, inputs[0], inputs[1], inputs[2], attrs,
                              transform == "half_pixel")

    convert.__name__ = f"roi_align_v{since}"
    convert.__doc__ = "RoiAlign: max mode as the ONNX reference computes it, avg via TVM."
    return convert


converter("", "RoiAlign", 10)(_make_roi_align(10, "output_half_pixel"))
converter("", "RoiAlign", 16)(_make_roi_align(16, "half_pixel"))
roi_align = _make_roi_align(16, "half_pixel")
