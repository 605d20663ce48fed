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
from tvm import relax, tirx
from tvm.topi.image import resize as topi_resize

from ._common import attr_str, const_value, dtype_of, normalize_axes, shape_of, static_shape
from .registry import ConverterError, converter

__all__ = ["resize", "upsample"]

# ONNX nearest_mode / coordinate_transformation_mode → TVM resize2d's names (the same rules)
_NEAREST = {"round_prefer_floor": "round_prefer_floor", "round_prefer_ceil": "round_prefer_ceil",
            "floor": "floor", "ceil": "ceil"}
_COORDINATES = ("half_pixel", "align_corners", "asymmetric", "pytorch_half_pixel",
                "tf_half_pixel_for_nn")

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
    inputs = [_shape_as_constant(value) for value in inputs]
    x = inputs[0]
    shape = static_shape(x) if x.ty.shape is not None else None
    if shape is None:
        return _resize_symbolic(bb, x, inputs, attrs)
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


def _multiply_to_intdiv_check(origin_size, scaled_size) -> bool:
    """TOPI's check whether ``scaled / origin`` is a whole number, for a symbolic origin
    too (TVM 0.27 reads ``.value`` of the quotient, which only a static one has): with a
    symbolic input size the general (multiplying) coordinate code is the one that applies."""
    if not isinstance(origin_size, tirx.IntImm):
        return False
    return _TOPI_INTDIV_CHECK(origin_size, scaled_size)


_TOPI_INTDIV_CHECK = topi_resize.can_convert_multiply_to_intdiv
topi_resize.can_convert_multiply_to_intdiv = _multiply_to_intdiv_check


def _shape_as_constant(value):
    """A sizes operand computed from shapes (a ShapeExpr) as an int64 constant when every
    element is static; otherwise as it is."""
    if isinstance(value, relax.ShapeExpr) and all(
            isinstance(v, tirx.IntImm) for v in value.values):
        return relax.const(np.array([int(v) for v in value.values], np.int64))
    return value


def _resize_symbolic(bb, x, inputs, attrs):
    """Resize of a 4-D NCHW tensor whose height / width are symbolic, with TVM's resize2d
    (which takes the output size as expressions). Its coordinate rule uses in / out sizes,
    which is ONNX's rule for ``sizes`` and, for ``scales``, equal to it when the scale is a
    whole number (out = in * scale exactly); other cases are refused. An input whose dims
    Relax could not name (a sum of two tensors it cannot prove the same size) gets fresh
    symbolic dims, bound at run time."""
    if x.ty.shape is None:
        if x.ty.ndim != 4:
            raise ConverterError("a symbolic input shape is supported for 4-D (NCHW) inputs "
                                 "only")
        dims = [tirx.Var(f"resize_in_{axis}", "int64") for axis in "nchw"]
        x = bb.match_cast(x, relax.TensorType(dims, dtype_of(x)))
    shape = shape_of(x)
    if len(shape) != 4:
        raise ConverterError("a symbolic input shape is supported for 4-D (NCHW) inputs only")
    operands = [inputs[i] if len(inputs) > i else None for i in (1, 2, 3)]
    roi, scales, sizes = operands
    if attrs.get("axes") is not None or int(attrs.get("antialias", 0)) or \
            attr_str(attrs, "keep_aspect_ratio_policy", "stretch") != "stretch":
        raise ConverterError("axes / antialias / keep_aspect_ratio_policy need a static shape")
    mode = attr_str(attrs, "mode", "nearest")
    transform = attr_str(attrs, "coordinate_transformation_mode", "half_pixel")
    if transform not in _COORDINATES:
        raise ConverterError(f"coordinate_transformation_mode={transform!r} needs a static "
                             "shape")
    scale_values = const_value(scales) if scales is not None else None
    size_values = const_value(sizes) if sizes is not None else None
    if scale_values is not None and scale_values.size:
        factors = [float(v) for v in scale_values.reshape(-1)]
        if factors[:2] != [1.0, 1.0] or any(f < 1 or f != int(f) for f in factors[2:]):
            raise ConverterError(f"scales {factors} on a symbolic shape (whole-number "
                                 "spatial factors only)")
        out = [shape[2] * int(factors[2]), shape[3] * int(factors[3])]
    elif size_values is not None and size_values.size:
        out = [int(v) for v in size_values.reshape(-1)[2:]]
    elif isinstance(sizes, relax.ShapeExpr):
        out = list(sizes.values)[2:]  # sizes computed from shapes, known as expressions
    elif sizes is not None and isinstance(sizes.ty, relax.ShapeType) and \
            sizes.ty.values is not None:
        out = list(sizes.ty.values)[2:]
    else:
        raise ConverterError("sizes computed at run time that are not shape expressions")
    method = {"nearest": "nearest_neighbor", "linear": "linear", "cubic": "cubic"}[mode]
    return _op.image.resize2d(
        x, out, layout="NCHW", method=method, coordinate_transformation_mode=transform,
        rounding_method=_NEAREST.get(attr_str(attrs, "nearest_mode", "round_prefer_floor"),
                                     "round_prefer_floor") if mode == "nearest" else "",
        cubic_alpha=float(attrs.get("cubic_coeff_a", -0.75)),
        cubic_exclude=int(attrs.get("exclude_outside", 0)))


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
