"""``outputs = Split(x, split?, axis, num_outputs?)`` with zero-size pieces.

TVM 0.27 lowers Split to ``relax.op.split`` at cumulative indices, and its build rejects
repeated indices ("split_indices must be sorted"), i.e. any piece of size 0, which the spec
allows. Those splits are emitted here as one ``strided_slice`` per piece; every other
Split goes to TVM's converter unchanged.
"""

from __future__ import annotations

import numpy as np
from tvm import relax
from tvm.relax.frontend.onnx import onnx_frontend as tvm_onnx

from ._common import const_value, ndim, normalize_axes
from .registry import converter

__all__ = ["split"]


def _sizes(inputs: list, attrs: dict, opset: int) -> list[int] | None:
    if opset >= 13 or (opset < 2 and len(inputs) > 1):
        given = inputs[1] if len(inputs) > 1 else None
        value = None if given is None else const_value(given)
        return None if value is None or value.ndim == 0 else [int(v) for v in value]
    return [int(v) for v in attrs["split"]] if "split" in attrs else None


def _make(since: int):
    def convert(bb, inputs, attrs, ctx):
        x = inputs[0]
        sizes = _sizes(inputs, attrs, ctx.opset)
        if not sizes or 0 not in sizes:
            attrs["tvm_custom"] = {"name": ctx.node_name, "num_outputs": ctx.num_outputs}
            padded = list(inputs) + [None] * (2 - len(inputs))
            return tvm_onnx.Split.get_converter(ctx.opset)(bb, padded, attrs, ctx.params)
        axis = normalize_axes([int(attrs.get("axis", 0))], ndim(x))[0]
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        return relax.Tuple([
            bb.emit(relax.op.strided_slice(x, [axis], [int(start)], [int(start + size)]))
            for start, size in zip(starts, sizes)])

    convert.__name__ = f"split_v{since}"
    convert.__doc__ = "Split: zero-size pieces as slices, the rest through TVM."
    return convert


for _since in (1, 2, 11, 13, 18):
    converter("", "Split", _since)(_make(_since))
split = _make(18)
