"""Interpolation: Paddle's ``*_interp_v2`` (and v1) ops → ONNX Resize.

    y = nearest_interp_v2(x; scale | out_h, out_w | OutSize | SizeTensor)
      → Resize(x, roi="", scales=[1, 1, sh, sw])  or  Resize(x, "", "", sizes=[N, C, h, w])

The coordinate rule follows Paddle's kernels (``phi/kernels/funcs/interpolate_function.h``):
``align_corners`` maps corner to corner (ONNX ``align_corners``); otherwise nearest reads
``floor(dst * ratio)`` (``asymmetric`` + ``floor``), linear/cubic with ``align_mode == 0``
sample at ``(dst + 0.5) * ratio - 0.5`` (``half_pixel``) and with ``align_mode == 1`` at
``dst * ratio`` (``asymmetric``). The ratio is ``1 / scale`` when a scale is given and
``in / out`` otherwise, which is ONNX's rule for scales and for sizes respectively. The size
sources in Paddle's order of precedence: SizeTensor, OutSize, Scale (tensor), the ``scale``
attribute, ``out_h`` / ``out_w``. Tensor sizes computed at run time become a sizes operand
that the lowering resolves (``passes/resolve_shape_operands.py`` where it can).
"""

from __future__ import annotations

import numpy as np
import onnx_ir as ir

from .registry import register

__all__ = ["interpolate"]

_MODES = {"nearest": "nearest", "bilinear": "linear", "linear": "linear",
          "trilinear": "linear", "bicubic": "cubic"}
_SPATIAL = {"linear": 1, "bilinear": 2, "nearest": 2, "bicubic": 2, "trilinear": 3}


def _method(op) -> str:
    method = op.attr("interp_method", op.type.split("_interp")[0])
    if method not in _MODES:
        raise op.unsupported(f"interp_method={method!r}")
    return method


def _coordinate_mode(op, method: str) -> dict:
    align_corners = bool(op.attr("align_corners", False))
    if method == "nearest":
        if align_corners:
            return {"coordinate_transformation_mode": "align_corners",
                    "nearest_mode": "round_prefer_ceil"}
        return {"coordinate_transformation_mode": "asymmetric", "nearest_mode": "floor"}
    if align_corners:
        return {"coordinate_transformation_mode": "align_corners"}
    if int(op.attr("align_mode", 1)) == 0:
        return {"coordinate_transformation_mode": "half_pixel"}
    return {"coordinate_transformation_mode": "asymmetric"}


def _static_scales(op, spatial: int) -> list[float] | None:
    """The ``scale`` attribute (a list in v2, a float in v1) as per-axis factors, or None."""
    scale = op.attr("scale", None)
    if scale is None:
        return None
    values = [float(v) for v in np.asarray(scale, np.float64).reshape(-1)]
    if not values or any(v <= 0 for v in values):
        return None
    if len(values) == 1:
        values = values * spatial
    if len(values) != spatial:
        raise op.unsupported(f"scale {values} for {spatial} spatial dims")
    return values


@register("nearest_interp", "bilinear_interp", "bicubic_interp", "linear_interp",
          "trilinear_interp",
          legacy=("nearest_interp_v2", "bilinear_interp_v2", "bicubic_interp_v2",
                  "linear_interp_v2", "trilinear_interp_v2", "nearest_interp",
                  "bilinear_interp", "bicubic_interp", "linear_interp", "trilinear_interp"),
          ins=("X", "OutSize", "SizeTensor*", "Scale"))
def interpolate(cx, op):
    layout = op.attr("data_layout", op.attr("data_format", "NCHW"))
    if layout not in ("NCHW", "NCW", "NCDHW", "AnyLayout"):
        raise op.unsupported(f"data_layout={layout!r}: only channels-first is supported")
    method = _method(op)
    spatial = _SPATIAL[method]
    x, out_size, size_tensor, scale_tensor = op.inputs
    attrs = {"mode": _MODES[method], **_coordinate_mode(op, method)}
    if method == "bicubic":
        attrs["cubic_coeff_a"] = -0.75
    empty = cx.const(np.zeros(0, np.float32))
    if size_tensor or out_size is not None:
        if size_tensor:
            parts = [cx.op("Reshape", [cx.op("Cast", [v], {"to": int(ir.DataType.INT64)}),
                                       cx.ints([-1])]) for v in size_tensor]
            sizes = cx.op("Concat", parts, {"axis": 0})
        else:
            sizes = cx.op("Reshape", [cx.op("Cast", [out_size], {"to": int(ir.DataType.INT64)}),
                                      cx.ints([-1])])
        leading = cx.op("Shape", [x], {"start": 0, "end": 2})
        full = cx.op("Concat", [leading, sizes], {"axis": 0})
        return [cx.op("Resize", [x, empty, empty, full], attrs)]
    scales = None
    if scale_tensor is not None:
        constant = op.const(3)
        if constant is None:
            raise op.unsupported("a scale computed at run time")
        scales = [float(v) for v in np.asarray(constant, np.float64).reshape(-1)]
        scales = scales * spatial if len(scales) == 1 else scales
    if scales is None:
        scales = _static_scales(op, spatial)
    if scales is not None:
        factors = cx.const(np.asarray([1.0, 1.0, *scales], np.float32))
        return [cx.op("Resize", [x, empty, factors], attrs)]
    names = ("out_d", "out_h", "out_w")[3 - spatial:]
    sizes = [int(op.attr(name, -1)) for name in names]
    if any(size <= 0 for size in sizes):
        raise op.unsupported("no output size: neither a size, a scale nor out_h/out_w")
    leading = cx.op("Shape", [x], {"start": 0, "end": 2})
    full = cx.op("Concat", [leading, cx.ints(sizes)], {"axis": 0})
    return [cx.op("Resize", [x, empty, empty, full], attrs)]
