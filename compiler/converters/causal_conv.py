"""CausalConvWithState (opset 27): depthwise causal 1-D convolution with a carried state.

``output, present_state = CausalConvWithState(input, weight, bias?, past_state?,
activation)`` as ``onnx/reference/ops/op_causal_conv_with_state.py`` computes it: the input
(B, C, L) is left-padded with ``past_state`` (zeros when absent) to L + k - 1, convolved
depthwise with ``weight`` (C, 1, k) (+ ``bias``), the result rounded to the input dtype, then
SiLU ("silu"/"swish") evaluated in float32 and rounded again; ``present_state`` is the last
k - 1 positions of the padded input. The ONNX function body (what ``_expanded`` cases run)
applies SiLU in the input precision instead, one ulp away in float16.
"""

from __future__ import annotations

import numpy as np
from tvm import relax

from ._common import attr_str, dtype_of, static_shape
from .registry import ConverterError, converter

__all__ = ["causal_conv_with_state"]

_op = relax.op


@converter("", "CausalConvWithState", 27)
def causal_conv_with_state(bb, inputs, attrs, ctx):
    """Depthwise causal conv1d over [past_state, input] with optional fused SiLU."""
    x, weight = inputs[0], inputs[1]
    bias = inputs[2] if len(inputs) > 2 else None
    past = inputs[3] if len(inputs) > 3 else None
    activation = attr_str(attrs, "activation", "none")
    if activation not in ("none", "silu", "swish"):
        raise ConverterError(f"activation {activation!r} is not one of none, silu, swish")
    shape, w_shape = static_shape(x), static_shape(weight)
    if shape is None or w_shape is None or len(shape) != 3 or len(w_shape) != 3:
        raise ConverterError("input and weight need static 3-D shapes")
    batch, channels, length = shape
    k = w_shape[2]
    dtype = dtype_of(x)
    if past is None and k > 1:
        past = relax.const(np.zeros((batch, channels, k - 1), dtype))
    padded = x if k == 1 and past is None else bb.normalize(_op.concat([past, x], axis=2))
    conv = _op.nn.conv1d(_op.astype(padded, "float32"), _op.astype(weight, "float32"),
                         groups=channels, out_dtype="float32")
    if bias is not None:
        conv = _op.add(conv, _op.reshape(_op.astype(bias, "float32"), [1, channels, 1]))
    out = _op.astype(conv, dtype)
    if activation != "none":
        wide = _op.astype(out, "float32")
        out = _op.astype(_op.multiply(wide, _op.sigmoid(wide)), dtype)
    total = length + k - 1
    present = _op.strided_slice(padded, axes=[2], begin=[total - (k - 1)], end=[total])
    return relax.Tuple([out, present])
