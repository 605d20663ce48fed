"""Attention (opset 23/24, window attributes of 25) and RotaryEmbedding.

``Y, present_k, present_v, qk = Attention(Q, K, V, attn_mask?, past_key?, past_value?,
nonpad_kv_seqlen?)``.

TVM 0.27 maps ONNX Attention to the com.microsoft contrib op (it needs ``num_heads`` and
fails on every standard model). This follows the spec's reference implementation
(``onnx/reference/ops/op_attention.py``) step by step: 3-D inputs split into heads,
``sqrt(scale)`` applied to both Q and K, KV cache concatenation, boolean or additive masks
padded to the KV length, bottom-right causal and sliding-window masks (per batch with
``nonpad_kv_seqlen``), grouped-query heads, softcap, the four ``qk_matmul_output`` modes,
``softmax_precision``, and fully-masked rows giving zeros instead of NaN.
"""

from __future__ import annotations

import math

import numpy as np
from onnx import helper
from tvm import relax, te, tirx

from ._common import dtype_of, static_shape
from .reduce import exact_max
from .registry import ConverterError, converter

__all__ = ["attention", "matmul_like_numpy", "rotary_embedding", "rounder",
           "row_sum_like_numpy"]

_op = relax.op
_HALF = ("float16", "bfloat16")


def _scalar(value: float, dtype: str):
    return relax.const(value, dtype)


def _split_heads(x, heads: int):
    batch, seq, hidden = static_shape(x)
    x = _op.reshape(x, [batch, seq, heads, hidden // heads])
    return _op.permute_dims(x, [0, 2, 1, 3])


def _bool_to_bias(mask, dtype: str):
    return _op.where(mask, _scalar(0.0, dtype), _scalar(-math.inf, dtype))


def _position_mask(q_len: int, kv_len: int, offset, batch: int, left: int, right: int,
                   causal: bool):
    """Boolean ``allowed[q, kv]`` (or ``[batch, 1, q, kv]`` for a per-batch offset)."""
    i = _op.reshape(_op.arange(0, q_len, 1, "int64"), [q_len, 1])
    j = _op.reshape(_op.arange(0, kv_len, 1, "int64"), [1, kv_len])
    if isinstance(offset, int):
        position = _op.add(i, relax.const(offset, "int64"))
    else:
        position = _op.add(_op.reshape(i, [1, q_len, 1]),
                           _op.reshape(offset, [batch, 1, 1]))
    if causal:
        allowed = _op.less_equal(j, position)
    else:
        diff = _op.subtract(position, j)
        allowed = _op.astype(_op.ones_like(diff), "bool")
        if left >= 0:
            allowed = _op.logical_and(
                allowed, _op.less_equal(diff, relax.const(left, "int64")))
        if right >= 0:
            allowed = _op.logical_and(allowed, _op.less_equal(
                _op.negative(diff), relax.const(right, "int64")))
    if not isinstance(offset, int):
        allowed = _op.reshape(allowed, [batch, 1, q_len, kv_len])
    return allowed


@converter("", "Attention", 23)
def attention(bb, inputs, attrs, ctx):
    """Scaled dot-product attention as the ONNX reference computes it."""
    q, k, v = inputs[0], inputs[1], inputs[2]
    extra = list(inputs[3:]) + [None] * 4
    mask, past_key, past_value, nonpad = extra[0], extra[1], extra[2], extra[3]
    dtype = dtype_of(q)
    rank = len(static_shape(q) or [])
    if rank not in (3, 4):
        raise ConverterError("Q, K and V need static 3-D or 4-D shapes")
    if rank == 3:
        if "q_num_heads" not in attrs or "kv_num_heads" not in attrs:
            raise ConverterError("3-D inputs need the q_num_heads and kv_num_heads attributes")
        q = _split_heads(q, int(attrs["q_num_heads"]))
        k = _split_heads(k, int(attrs["kv_num_heads"]))
        v = _split_heads(v, int(attrs["kv_num_heads"]))
    batch, q_heads, q_len, head_size = static_shape(bb.normalize(q))
    scale = attrs.get("scale")
    scale = 1 / math.sqrt(head_size) if scale is None else float(scale)
    root = _scalar(float(np.sqrt(np.float32(scale))), dtype)
    if past_key is not None:
        k = _op.concat([past_key, k], axis=2)
    if past_value is not None:
        v = _op.concat([past_value, v], axis=2)
    k, v = bb.normalize(k), bb.normalize(v)
    present_key, present_value = k, v
    kv_heads, kv_len = static_shape(k)[1], static_shape(k)[2]
    bias = _attention_bias(bb, attrs, mask, past_key, nonpad, dtype, batch, q_len, kv_len)
    if q_heads != kv_heads and q_heads % kv_heads == 0:
        k = _op.repeat(k, q_heads // kv_heads, axis=1)
        v = _op.repeat(v, q_heads // kv_heads, axis=1)
    rnd = rounder(bb, dtype)
    scores = matmul_like_numpy(rnd(_op.multiply(q, root)),
                     _op.permute_dims(rnd(_op.multiply(k, root)), [0, 1, 3, 2]), dtype, rnd)
    softcap = float(attrs.get("softcap", 0.0))
    if softcap > 0:
        capped = rnd(_op.tanh(rnd(_op.divide(scores, _scalar(softcap, dtype)))))
        scores = rnd(_op.multiply(capped, _scalar(softcap, dtype)))
    mode = int(attrs.get("qk_matmul_output_mode", 0))
    with_bias = scores if bias is None else rnd(_op.add(scores, bias))
    qk_output = with_bias if mode == 2 else scores
    precision = attrs.get("softmax_precision")
    soft_dtype = dtype
    if precision is not None:
        soft_dtype = str(helper.tensor_dtype_to_np_dtype(int(precision)))
        soft_dtype = "bfloat16" if "bfloat16" in soft_dtype else soft_dtype
        with_bias = rounder(bb, soft_dtype)(_op.astype(with_bias, soft_dtype))
    probs = _safe_softmax(with_bias, soft_dtype, kv_len, rounder(bb, soft_dtype))
    if bias is not None:
        row_masked = _op.equal(exact_max(bias, [-1], True, dtype), _scalar(-math.inf, dtype))
        probs = _op.where(row_masked, _scalar(0.0, soft_dtype), probs)
    if mode == 3:
        qk_output = probs
    qk_output = rnd(_op.astype(qk_output, dtype))
    y = matmul_like_numpy(rnd(_op.astype(probs, dtype)), v, dtype, rnd)
    if rank == 3:
        y = bb.normalize(_op.permute_dims(y, [0, 2, 1, 3]))
        heads, v_size = static_shape(y)[2:]
        y = _op.reshape(y, [batch, q_len, heads * v_size])
    return relax.Tuple([y, present_key, present_value, qk_output])


def _round_bfloat16(x: te.Tensor) -> te.Tensor:
    """Round to bfloat16 with integer arithmetic (to nearest, ties to even), on the float32
    value that TVM computes a fused bfloat16 expression in."""
    one, half, shift = (tirx.const(v, "uint32") for v in (1, 0x7FFF, 16))

    def element(*index):
        bits = tirx.reinterpret("uint32", x(*index).astype("float32"))
        bits = (bits + half + ((bits >> shift) & one)) >> shift
        return tirx.reinterpret("bfloat16", bits.astype("uint16"))

    return te.compute(x.shape, element, name="round_bfloat16")


def rounder(bb, dtype: str):
    """``x -> x`` rounded to ``dtype`` after every step, as the reference's numpy does.

    TVM computes a fused chain of bfloat16 ops in float32 and rounds only when it stores the
    result (a cast to float32 and back is folded away), so every bfloat16 intermediate that
    numpy rounds is rounded here explicitly. float16 ops round by themselves (LLVM's half)."""
    if dtype != "bfloat16":
        return lambda x: x
    return lambda x: bb.emit_te(_round_bfloat16, bb.emit(x))


def matmul_like_numpy(a, b, dtype: str, rnd):
    """``a @ b`` as numpy computes it: float16 / bfloat16 products summed in float32 and
    rounded once (TOPI would round every partial sum to the half type)."""
    if dtype in _HALF:
        return rnd(_op.astype(_op.matmul(a, b, out_dtype="float32"), dtype))
    return _op.matmul(a, b)


def row_sum_like_numpy(x, dtype: str, length: int, rnd):
    """Sum over the last axis in numpy's order and precision: float16 rows accumulate in
    float32 (numpy's half loops do), bfloat16 rows add element after element, rounding each
    partial sum to bfloat16 (ml_dtypes' add ufunc)."""
    if dtype == "bfloat16":
        total = _strided(x, 0, 1)
        for j in range(1, length):
            total = rnd(_op.add(total, _strided(x, j, j + 1)))
        return total
    if dtype == "float16":
        return _op.astype(_op.sum(_op.astype(x, "float32"), axis=-1, keepdims=True), dtype)
    return _op.sum(x, axis=-1, keepdims=True)


def _safe_softmax(x, dtype: str, length: int, rnd):
    """Softmax over the last axis where an all ``-inf`` row gives zeros, not NaN."""
    peak = exact_max(x, [-1], True, dtype)
    peak = _op.where(_op.equal(peak, _scalar(-math.inf, dtype)), _scalar(0.0, dtype), peak)
    exps = rnd(_op.exp(rnd(_op.subtract(x, peak))))
    total = row_sum_like_numpy(exps, dtype, length, rnd)
    total = _op.where(_op.equal(total, _scalar(0.0, dtype)), _scalar(1.0, dtype), total)
    return rnd(_op.divide(exps, total))


def _attention_bias(bb, attrs, mask, past_key, nonpad, dtype, batch, q_len, kv_len):
    """The additive bias (None when nothing is masked), as in the reference."""
    if mask is not None:
        mask_shape = static_shape(mask)
        pad = kv_len - mask_shape[-1]
        if pad > 0:
            pad_value = False if dtype_of(mask) == "bool" else -math.inf
            filler = relax.const(np.full(mask_shape[:-1] + [pad], pad_value,
                                         "bool" if pad_value is False else "float32"))
            if dtype_of(mask) != "bool":
                filler = _op.astype(filler, dtype_of(mask))
            mask = bb.normalize(_op.concat([mask, filler], axis=-1))
        if dtype_of(mask) == "bool":
            mask = _bool_to_bias(mask, dtype)
    zeros = relax.const(np.zeros((q_len, kv_len), "float32"))
    zeros = _op.astype(zeros, dtype)
    left = int(attrs.get("left_window_size", -1))
    right = int(attrs.get("right_window_size", -1))
    windowed = left >= 0 or right >= 0
    if past_key is None and nonpad is not None:
        offset = _op.subtract(_op.astype(nonpad, "int64"), relax.const(q_len, "int64"))
    else:
        offset = static_shape(past_key)[2] if past_key is not None else 0
    bias = None
    if int(attrs.get("is_causal", 0)):
        base = zeros if mask is None else mask
        if windowed:
            base = _op.add(zeros, base)
        allowed = _position_mask(q_len, kv_len, offset, batch, -1, -1, causal=True)
        bias = _op.add(base, _bool_to_bias(allowed, dtype))
    elif mask is not None:
        bias = _op.add(zeros, mask)
    if windowed:
        bias = zeros if bias is None else _op.add(zeros, bias)
        allowed = _position_mask(q_len, kv_len, offset, batch, left, right, causal=False)
        bias = _op.add(bias, _bool_to_bias(allowed, dtype))
    if nonpad is not None:
        keys = _op.reshape(_op.arange(0, kv_len, 1, "int64"), [1, kv_len])
        valid = _op.less(keys, _op.reshape(_op.astype(nonpad, "int64"), [batch, 1]))
        padding = _op.reshape(_bool_to_bias(valid, dtype), [batch, 1, 1, kv_len])
        bias = padding if bias is None else _op.add(bias, padding)
    return bias


def _strided(x, begin: int, end: int, step: int = 1):
    return _op.strided_slice(x, axes=[3], begin=[begin], end=[end], strides=[step])


@converter("", "RotaryEmbedding", 23)
def rotary_embedding(bb, inputs, attrs, ctx):
    """Y = RotaryEmbedding(X, cos_cache, sin_cache, position_ids?) as the ONNX reference:
    halves (or interleaved pairs) of the first ``rotary_embedding_dim`` channels rotated."""
    x, cos, sin = inputs[0], inputs[1], inputs[2]
    positions = inputs[3] if len(inputs) > 3 else None
    shape = static_shape(x)
    if shape is None or len(shape) not in (3, 4):
        raise ConverterError("the input needs a static 3-D or 4-D shape")
    if len(shape) == 4:
        x = _op.permute_dims(x, [0, 2, 1, 3])
    else:
        heads = int(attrs.get("num_heads", 0))
        if not heads:
            raise ConverterError("3-D inputs need the num_heads attribute")
        x = _op.reshape(x, [shape[0], shape[1], heads, shape[2] // heads])
    x = bb.normalize(x)
    batch, seq, heads, head_size = static_shape(x)
    dim = int(attrs.get("rotary_embedding_dim", 0)) or head_size
    if positions is not None:
        cos, sin = _op.take(cos, positions, axis=0), _op.take(sin, positions, axis=0)
    cos, sin = _op.expand_dims(cos, 2), _op.expand_dims(sin, 2)
    rotate = _strided(x, 0, dim)
    interleaved = int(attrs.get("interleaved", 0))
    if interleaved:
        x1, x2 = _strided(rotate, 0, dim, 2), _strided(rotate, 1, dim, 2)
    else:
        x1, x2 = _strided(rotate, 0, dim // 2), _strided(rotate, dim // 2, dim)
    real = _op.subtract(_op.multiply(cos, x1), _op.multiply(sin, x2))
    imag = _op.add(_op.multiply(sin, x1), _op.multiply(cos, x2))
    if interleaved:
        pairs = _op.concat([_op.expand_dims(real, -1), _op.expand_dims(imag, -1)], axis=-1)
        rotated = _op.reshape(pairs, [batch, seq, heads, dim])
    else:
        rotated = _op.concat([real, imag], axis=-1)
    if dim < head_size:
        rotated = _op.concat([rotated, _strided(x, dim, head_size)], axis=-1)
    if len(shape) == 3:
        return _op.reshape(rotated, shape)
    return _op.permute_dims(rotated, [0, 2, 1, 3])
