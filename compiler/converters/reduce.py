"""Reduce* ops: ``y = ReduceX(x, axes)`` with axes as attribute (old opsets) or input (new).

TVM 0.27 rejects axes given as an input ("Only constant axes currently supported") even
when the input is a constant; these converters read a constant axes input, honour
``noop_with_empty_axes``, and give the identity element for reductions over empty axes
(``ReduceMax`` of nothing is ``-inf``, as the spec says, where a plain loop would give the
dtype's lowest finite value). For the same reason TOPI's max / min of a float row that holds
only ``-inf`` (``+inf``) gives the lowest (highest) finite value, since its reducer starts
from it: ``exact_max`` / ``exact_min`` give the infinity there (masked attention rows test
``ReduceMax(bias) == -inf``).
"""

from __future__ import annotations

import numpy as np
from tvm import relax

from ._common import dtype_of, ndim, normalize_axes, require_const, shape_of, static_shape
from .registry import converter

__all__ = ["REDUCE_OPS", "exact_max", "exact_min", "mean_axis_by_axis"]

_op = relax.op


def _exact_extreme(reduce, x, axes, keep, dtype: str, infinity: float):
    result = reduce(x, axes, keep)
    if not dtype.startswith(("float", "bfloat")):
        return result
    is_infinity = _op.astype(_op.equal(x, relax.const(infinity, dtype)), "uint8")
    only_infinity = _op.astype(_op.min(is_infinity, axes, keep), "bool")
    return _op.where(only_infinity, relax.const(infinity, dtype), result)


def exact_max(x, axes, keep: bool, dtype: str):
    """``max(x, axes)``: ``-inf`` where all are ``-inf`` (not the lowest finite value)."""
    return _exact_extreme(_op.max, x, axes, keep, dtype, -np.inf)


def exact_min(x, axes, keep: bool, dtype: str):
    """``min(x, axes)``: ``+inf`` where all are ``+inf`` (not the highest finite value)."""
    return _exact_extreme(_op.min, x, axes, keep, dtype, np.inf)


def _axis_by_axis(reduce):
    """``reduce`` over several axes as one reduction per axis, innermost first. TVM sums a
    reduction in one sequential loop, whose float rounding error grows with the number of
    elements: a mean over a 320x320 map (a detector's squeeze-excite) was 5e-5 off. Per axis
    it grows with the longest axis only. Exact in real arithmetic for sums, and for float means
    (every partial mean averages the same count). Only where a reduced axis is symbolic: a
    static mean over H and W is what the CPU fast path runs as a oneDNN pool."""

    def emit(x, axes, keep):
        if axes is None or len(axes) < 2:
            return reduce(x, axes, keep)
        if getattr(x.ty, "shape", None) is not None:  # (an unnormalized abs(x): unknown)
            dims = shape_of(x)
            if all(isinstance(dims[axis], int) for axis in axes):
                return reduce(x, axes, keep)
        for axis in sorted(axes, reverse=True):
            x = reduce(x, [axis], True)
        return x if keep else _op.squeeze(x, sorted(axes))

    return emit


_sum = _axis_by_axis(_op.sum)
mean_axis_by_axis = _axis_by_axis(_op.mean)


def _log_sum_exp(x, axes, keep):
    peak = _op.max(x, axes, True)
    peak = _op.where(_op.isinf(peak), _op.zeros_like(peak), peak)
    total = _op.sum(_op.exp(_op.subtract(x, peak)), axes, True)
    result = _op.add(_op.log(total), peak)
    return result if keep else _op.squeeze(result, axes)


# name -> (emit(x, axes, keepdims), value over an empty set, computes in float)
_REDUCTIONS = {
    "ReduceSum": (_sum, 0.0, False),
    "ReduceMean": (mean_axis_by_axis, np.nan, False),
    "ReduceMax": (_op.max, -np.inf, False),
    "ReduceMin": (_op.min, np.inf, False),
    "ReduceProd": (lambda x, a, k: _op.prod(x, a, k), 1.0, False),
    "ReduceL1": (lambda x, a, k: _sum(_op.abs(x), a, k), 0.0, False),
    "ReduceL2": (lambda x, a, k: _op.sqrt(_sum(_op.multiply(x, x), a, k)), 0.0, True),
    "ReduceSumSquare": (lambda x, a, k: _sum(_op.multiply(x, x), a, k), 0.0, False),
    "ReduceLogSum": (lambda x, a, k: _op.log(_sum(x, a, k)), -np.inf, True),
    "ReduceLogSumExp": (_log_sum_exp, -np.inf, True),
}
# the opset where axes moved from an attribute to an input
_AXES_INPUT_SINCE = {name: (13 if name == "ReduceSum" else 18) for name in _REDUCTIONS}
REDUCE_OPS = tuple(_REDUCTIONS)


def _empty_fill(fill: float, dtype: str):
    if np.issubdtype(np.dtype(dtype), np.floating):
        return fill
    info = np.iinfo(np.dtype(dtype)) if dtype != "bool" else None
    if info is None:
        return fill > 0 if np.isfinite(fill) else fill > 0
    if fill == -np.inf:
        return info.min
    if fill == np.inf:
        return info.max
    return 0 if np.isnan(fill) else int(fill)


def _make(name: str):
    emit, empty_value, in_float = _REDUCTIONS[name]

    def convert(bb, inputs, attrs, ctx):
        x = inputs[0]
        rank = ndim(x)
        keep = bool(attrs.get("keepdims", 1))
        if ctx.opset >= _AXES_INPUT_SINCE[name]:
            axes_input = inputs[1] if len(inputs) > 1 else None
            axes = [] if axes_input is None else list(require_const(axes_input, "axes"))
        else:
            axes = list(attrs.get("axes", []))
        if not axes:
            if attrs.get("noop_with_empty_axes", 0):
                return x
            axes = list(range(rank))
        axes = sorted(set(normalize_axes(axes, rank)))
        dtype = dtype_of(x)
        shape = static_shape(x)
        if shape is not None and any(shape[a] == 0 for a in axes):
            out_shape = [1 if i in axes else d for i, d in enumerate(shape)
                         if keep or i not in axes]
            return relax.const(np.full(out_shape, _empty_fill(empty_value, dtype), dtype))
        if rank == 0:
            return x
        if dtype == "bool":  # TOPI has no min/max value for bool: reduce as uint8
            return _op.astype(emit(_op.astype(x, "uint8"), axes, keep), "bool")
        if in_float and not dtype.startswith("float"):
            return _op.astype(emit(_op.astype(x, "float32"), axes, keep), dtype)
        if name in ("ReduceMax", "ReduceMin"):
            exact = exact_max if name == "ReduceMax" else exact_min
            return exact(x, axes, keep, dtype)
        if name == "ReduceMean" and not dtype.startswith(("float", "bfloat")):
            return _op.mean(x, axes, keep)  # integer means truncate once, not per axis
        return emit(x, axes, keep)

    convert.__name__ = f"convert_{name}"
    convert.__doc__ = f"y = {name}(x, axes): reduction with constant axes."
    return convert


for _name in REDUCE_OPS:
    converter("", _name, 1)(_make(_name))
    if _AXES_INPUT_SINCE[_name] > 1:
        converter("", _name, _AXES_INPUT_SINCE[_name])(_make(_name))
