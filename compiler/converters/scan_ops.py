"""Scans: ``y = CumProd(x, axis)`` (opset 26) with ``exclusive`` and ``reverse``.

TVM 0.27 has ``relax.op.cumprod`` but no ONNX converter for it. ``reverse`` is a flip
before and after the scan; ``exclusive`` shifts by one, starting from the identity 1.
``axis`` must be a constant (it picks the scanned dimension).
"""

from __future__ import annotations

import numpy as np
from tvm import relax

from ._common import ndim, normalize_axes, require_const
from .registry import converter

__all__ = ["cum_prod"]

_op = relax.op


@converter("", "CumProd", 26)
def cum_prod(bb, inputs, attrs, ctx):
    """y = CumProd(x, axis): running product along ``axis``."""
    x = inputs[0]
    axis = int(np.asarray(require_const(inputs[1], "axis")).reshape(-1)[0])
    axis = normalize_axes([axis], ndim(x))[0]
    exclusive = bool(attrs.get("exclusive", 0))
    if attrs.get("reverse", 0):
        flipped = bb.emit(_op.flip(x, axis))
        return _op.flip(bb.emit(_op.cumprod(flipped, axis, exclusive=exclusive)), axis)
    return _op.cumprod(x, axis, exclusive=exclusive)
