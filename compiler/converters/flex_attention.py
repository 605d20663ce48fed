"""FlexAttention (``ai.onnx.preview`` opset 1): attention with user subgraphs.

``Y = FlexAttention(Q, K, V)`` with optional graph attributes ``score_mod`` (applied to the
``[B, Hq, L, S]`` scores before the softmax) and ``prob_mod`` (applied to the probabilities
after it). The subgraphs are inlined: their nodes are converted by the same importer, with
the subgraph's input bound to the scores (probs) tensor.

Follows ``onnx/reference/ops/aionnx_preview/op_flex_attention.py`` step by step: rank-4
inputs only, grouped-query heads by repeating K/V, ``sqrt(scale)`` (computed in float32, cast
to the input type) applied to both Q and K, ``Q @ K^T`` in the input type (float16 /
bfloat16 products summed in float32 and rounded, as numpy does), scores cast to the softmax
type (``softmax_precision``, else float32 for 16-bit inputs, else the input type), a plain
softmax (a fully ``-inf`` row gives NaN, as in the reference), ``probs @ V`` in the softmax
type and a cast back to V's type. Refused: inputs that are not static rank-4, heads that
do not divide, modifier graphs with other than one input and one output.
"""

from __future__ import annotations

import math

import numpy as np
from onnx import helper
from tvm import relax

from ._common import dtype_of, static_shape
from .attention import matmul_like_numpy, rounder, row_sum_like_numpy
from .registry import ConverterError, converter

__all__ = ["flex_attention"]

_op = relax.op


def _np_dtype_name(elem_type: int) -> str:
    name = str(helper.tensor_dtype_to_np_dtype(int(elem_type)))
    return "bfloat16" if "bfloat16" in name else name


def _softmax_dtype(dtype: str, precision) -> str:
    if precision is not None:
        name = _np_dtype_name(precision)
        if name not in ("float16", "bfloat16", "float32", "float64"):
            raise ConverterError(f"softmax_precision {precision} is not a float type")
        return name
    return "float32" if dtype in ("float16", "bfloat16") else dtype


def _apply_mod(bb, ctx, graph, value, what: str, dtype: str):
    """Inline ``graph`` on ``value``; its output keeps the softmax dtype (the reference casts
    it with ``np.asarray(..., dtype=compute_dtype)``)."""
    if graph is None:
        return value
    if len(graph.input) != 1 or len(graph.output) != 1:
        raise ConverterError(f"{what} must have exactly one input and one output")
    if ctx.inline_graph is None:
        raise ConverterError(f"{what} needs the importer to inline it")
    (result,) = ctx.inline_graph(graph, [bb.normalize(value)])
    result = bb.normalize(result)
    return result if dtype_of(result) == dtype else _op.astype(result, dtype)


@converter("ai.onnx.preview", "FlexAttention", 1)
def flex_attention(bb, inputs, attrs, ctx):
    """Scaled dot-product attention with ``score_mod`` / ``prob_mod`` subgraphs inlined."""
    q, k, v = (bb.normalize(x) for x in inputs[:3])
    shapes = [static_shape(x) for x in (q, k, v)]
    if any(shape is None or len(shape) != 4 for shape in shapes):
        raise ConverterError("Q, K and V need static rank-4 shapes")
    (_, q_heads, _, head_size), (_, kv_heads, _, _), _ = shapes
    dtype, v_dtype = dtype_of(q), dtype_of(v)
    if q_heads != kv_heads:
        if q_heads % kv_heads:
            raise ConverterError(f"{q_heads} query heads are not a multiple of {kv_heads}")
        k = _op.repeat(k, q_heads // kv_heads, axis=1)
        v = _op.repeat(v, q_heads // kv_heads, axis=1)
    scale = attrs.get("scale")
    scale = 1.0 / math.sqrt(head_size) if scale is None else float(scale)
    root = relax.const(float(np.sqrt(np.float32(scale))), dtype)
    rnd = rounder(bb, dtype)
    scores = matmul_like_numpy(rnd(_op.multiply(q, root)),
                               _op.permute_dims(rnd(_op.multiply(k, root)), [0, 1, 3, 2]),
                               dtype, rnd)
    soft = _softmax_dtype(dtype, attrs.get("softmax_precision"))
    soft_rnd = rounder(bb, soft)
    scores = soft_rnd(_op.astype(scores, soft)) if soft != dtype else scores
    scores = _apply_mod(bb, ctx, attrs.get("score_mod"), scores, "score_mod", soft)
    length = static_shape(bb.normalize(scores))[-1]
    peak = _op.max(scores, axis=-1, keepdims=True)
    exps = soft_rnd(_op.exp(soft_rnd(_op.subtract(scores, peak))))
    probs = soft_rnd(_op.divide(exps, row_sum_like_numpy(exps, soft, length, soft_rnd)))
    probs = _apply_mod(bb, ctx, attrs.get("prob_mod"), probs, "prob_mod", soft)
    values = soft_rnd(_op.astype(v, soft)) if soft != v_dtype else v
    out = matmul_like_numpy(probs, values, soft, soft_rnd)
    return out if soft == v_dtype else _op.astype(out, v_dtype)
