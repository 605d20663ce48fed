"""Resize (opset 11+): every mode, coordinate mode, antialias, axes and aspect policy.

Resize is separable: along each resized axis, ``out[o] = Σ_k W[o, k] · in[k]`` with a weight
matrix ``W`` (n_out × n_in) that depends only on the static sizes and the attributes. With
constant ``scales``/``sizes``/``roi`` (initializers, or inputs bound as constants), ``W`` is
computed once at compile time by the ONNX reference implementation's own 1-D routine applied
to an identity matrix, so every mode the spec defines (nearest with its four rounding modes,
linear, cubic with ``cubic_coeff_a``/``exclude_outside``, antialias, ``half_pixel_symmetric``,
``tf_crop_and_resize`` with ``extrapolation_value``, ``keep_aspect_ratio_policy``, ``axes``)
matches the reference by construction. Nearest becomes a gather (exact for every dtype);
the others become one small matmul per axis in float32, rounded back for integer inputs.
"""

from __future__ import annotations

import math

import numpy as np
from onnx.reference.ops import op_resize as reference
from tvm import relax

from ._common import attr_str, const_value, dtype_of, normalize_axes, static_shape
from .registry import ConverterError, converter

__all__ = ["resize", "upsample"]

_op = relax.op


def _coeff_function(mode: str, attrs: dict):
    """The reference's coefficient function for ``mode`` (as in its ``Resize._run``)."""
    antialias = bool(attrs.get("antialias", 0))
    if mode == "nearest":
        nearest_mode = attr_str(attrs, "nearest_mode", "round_prefer_floor")
        return lambda x, scale: reference._nearest_coeffs(x, mode=nearest_mode)
    if mode == "cubic":
        cubic = reference._cubic_coeffs_antialias if antialias else reference._cubic_coeffs
        a = float(attrs.get("cubic_coeff_a", -0.75))
        return lambda x, scale: cubic(x, scale, A=a)
    if mode == "linear":
        return reference._linear_coeffs_antialias if antialias else reference._linear_coeffs
    raise ConverterError(f"unknown mode {mode!r}")


def _plan(shape, attrs, roi, scales, sizes):
    """Per-axis (scale, output length, roi) exactly as the reference's ``_interpolate_nd``."""
    rank = len(shape)
    axes = normalize_axes(attrs.get("axes", range(rank)), rank)
    full_scales = full_sizes = None
    full_roi = None
    if scales is not None:
        full_scales = [1.0] * rank
        for i, axis in enumerate(axes):
            full_scales[axis] = float(scales[i])
    if sizes is not None:
        full_sizes = list(shape)
        for i, axis in enumerate(axes):
            full_sizes[axis] = int(sizes[i])
    if roi is not None and roi.size:
        full_roi = [0.0] * rank + [1.0] * rank
        for i, axis in enumerate(axes):
            full_roi[axis], full_roi[rank + axis] = roi[i], roi[len(axes) + i]
    if full_sizes is not None:
        full_scales = [full_sizes[i] / shape[i] for i in range(rank)]
        policy = attr_str(attrs, "keep_aspect_ratio_policy", "stretch")
        if policy != "stretch":
            picked = [full_scales[a] for a in axes]
            scale = min(picked) if policy == "not_larger" else max(picked)
            full_scales = [scale if i in axes else 1.0 for i in range(rank)]
            full_sizes = [int(scale * shape[i] + 0.5) if i in axes else shape[i]
                          for i in range(rank)]
    else:
        full_sizes = [int(s) for s in (np.array(full_scales) * np.array(shape)).astype(int)]
    plan = []
    for axis in axes:
        axis_roi = None if full_roi is None else [full_roi[axis], full_roi[axis + rank]]
        identity = (math.isclose(full_scales[axis], 1.0) and full_sizes[axis] == shape[axis]
                    and (axis_roi is None or (math.isclose(axis_roi[0], 0.0)
                                              and math.isclose(axis_roi[1], 1.0))))
        if not identity:
            plan.append((axis, full_scales[axis], full_sizes[axis], axis_roi))
    return plan


def _weights(n_in, scale, n_out, axis_roi, coeffs, attrs) -> np.ndarray:
    """W (n_out × n_in), NaN rows where the output point is extrapolated."""
    ctm = attr_str(attrs, "coordinate_transformation_mode", "half_pixel")
    out = reference._interpolate_1d_along_axis(
        np.eye(n_in, dtype=np.float64), 1, scale, n_out, coeffs, roi=axis_roi,
        extrapolation_value=np.nan, coordinate_transformation_mode=ctm,
        exclude_outside=bool(attrs.get("exclude_outside", 0)))
    return np.ascontiguousarray(out.T)


@converter("", "Resize", 11)
def resize(bb, inputs, attrs, ctx):
    """Y = Resize(X, roi?, scales?, sizes?) with constant roi/scales/sizes."""
    x = inputs[0]
    shape = static_shape(x)
    if shape is None:
        raise ConverterError("the input needs a static shape")
    operands = []
    for index in (1, 2, 3):
        value = inputs[index] if len(inputs) > index else None
        if value is not None and const_value(value) is None:
            raise ConverterError("roi, scales and sizes must be constants; bind the inputs "
                                 "with const_inputs / --const-input")
        array = None if value is None else const_value(value)
        operands.append(None if array is None or array.size == 0 else array)
    roi, scales, sizes = operands
    mode = attr_str(attrs, "mode", "nearest")
    coeffs = _coeff_function(mode, attrs)
    dtype = dtype_of(x)
    plan = _plan(shape, attrs, roi, scales, sizes)
    compute = "float32" if dtype != "float64" else "float64"
    y = x if mode == "nearest" or dtype == compute else _op.astype(x, compute)
    valid_masks = []
    current = list(shape)
    for axis, scale, n_out, axis_roi in plan:
        weights = _weights(current[axis], scale, n_out, axis_roi, coeffs, attrs)
        invalid = np.isnan(weights).any(axis=1)
        weights = np.where(np.isnan(weights), 0.0, weights)
        if invalid.any():
            valid_masks.append((axis, ~invalid))
        if mode == "nearest":
            index = np.argmax(weights, axis=1).astype("int64")
            y = _op.take(y, relax.const(index), axis=axis)
        else:
            y = _apply_along(bb, y, relax.const(weights.T.astype(compute), compute), axis,
                             len(shape))
        current[axis] = n_out
    if valid_masks:
        y = _extrapolate(y, valid_masks, current, float(attrs.get("extrapolation_value", 0.0)),
                         compute if mode != "nearest" else dtype)
    if mode != "nearest" and dtype != compute:
        if not dtype.startswith(("float", "bfloat")):
            info = np.iinfo(np.dtype(dtype))
            y = _op.clip(_op.round(y), int(info.min), int(info.max))
        y = _op.astype(y, dtype)
    return y


def _apply_along(bb, y, weights_t, axis: int, rank: int):
    """Contract ``y``'s ``axis`` with ``weights_t`` (n_in × n_out), keeping the axis order."""
    if axis == rank - 1:
        return _op.matmul(y, weights_t)
    order = [i for i in range(rank) if i != axis] + [axis]
    moved = _op.matmul(_op.permute_dims(y, order), weights_t)
    back = [0] * rank
    for position, source in enumerate(order):
        back[source] = position
    return _op.permute_dims(moved, back)


def _extrapolate(y, valid_masks, shape, value: float, dtype: str):
    """Where any axis' output point lies outside the input, write ``extrapolation_value``."""
    valid = np.ones(shape, dtype=bool)
    for axis, mask in valid_masks:
        view = [1] * len(shape)
        view[axis] = len(mask)
        valid = valid & mask.reshape(view)
    return _op.where(relax.const(valid), y, relax.const(value, dtype))


@converter("", "Upsample", 7)
def upsample(bb, inputs, attrs, ctx):
    """Y = Upsample(X, scales): Resize with asymmetric coordinates and floor rounding."""
    scales = inputs[1] if len(inputs) > 1 else relax.const(
        np.array(attrs["scales"], np.float32))
    resize_attrs = {"mode": attr_str(attrs, "mode", "nearest"),
                    "coordinate_transformation_mode": "asymmetric", "nearest_mode": "floor"}
    return resize(bb, [inputs[0], None, scales], resize_attrs, ctx)
