"""Float8 / float4 / 4-bit / 2-bit element types, carried as their bit patterns in uint8.

TVM 0.27's llvm backend cannot cast these types (it builds wrong code or fails) and its
runtime cannot exchange packed sub-byte tensors, so paddlec never hands them to TVM: the
storage lowering (``compiler/storage_lowering.py``) rewrites the graph so that such a tensor
travels as one uint8 per element holding its bit pattern in the low bits (exactly the
bytes of the numpy array of the ``ml_dtypes`` dtype that onnx uses), and turns every
conversion into one of the ops below (domain ``paddlec.lowp``), lowered here to integer /
float bit arithmetic in TIR:

* ``LowPrecisionEncode(x; to, saturate)``: Cast / CastLike into the type. Floats round to
  nearest even; float8 ``saturate=1`` clips ±Inf and out-of-range values to ±max, ``0``
  makes them Inf (E5M2) or NaN (FN / FNUZ variants); FNUZ has no negative zero; FLOAT4E2M1
  always saturates; float64 rounds once (not through float32). INT4 / UINT4 / INT2 /
  UINT2 keep an integer's low bits and truncate a float toward zero (out of range and NaN:
  0, as ``ml_dtypes`` ≥ 0.7; the spec leaves it undefined).
* ``LowPrecisionDecode(x; from, to)``: Cast / CastLike out of the type (exact to float32).
* ``QuantizeLowPrecision`` / ``DequantizeLowPrecision``: QuantizeLinear / DequantizeLinear
  with such a quantized type (per-tensor, per-axis and blocked scales), as the reference:
  integers ``clip(rint(x / scale) + zero_point)``; float8 ``saturate_cast(x / scale)``
  (zero point ignored, it must be 0); FLOAT4E2M1 ``(x / scale + zero_point)`` rounded.

FLOAT8E8M0 (a bare power-of-two exponent) casts with its ``round_mode`` (up / down /
nearest) as ``onnx.numpy_helper.to_float8e8m0`` (which rounds its input to float32 first).
Refused: FLOAT6 types, and arithmetic on these types other than these conversions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from onnx import TensorProto, helper
from tvm import relax, te, tirx

from ._common import attr_str, dtype_of
from .quantize import _broadcast_param, _round_half_even
from .registry import ConverterError, converter

__all__ = ["DOMAIN", "LowPrecisionType", "TYPES", "STORAGE_DTYPE", "encode_scalar",
           "decode_scalar", "encode", "decode", "quantize", "dequantize"]

DOMAIN = "paddlec.lowp"
STORAGE_DTYPE = "uint8"


@dataclass(frozen=True)
class LowPrecisionType:
    """One ONNX element type paddlec carries as a bit pattern in uint8.

    ``kind`` is ``float``, ``int`` or ``uint``; floats have ``exp``/``man`` bits, ``bias``
    and a ``variant``: ``fn`` (all-ones magnitude is NaN, no Inf), ``fnuz`` (0x80 is NaN,
    no Inf, no -0), ``ieee`` (all-ones exponent is Inf/NaN) or ``finite`` (no Inf, no NaN).
    """

    code: int
    name: str  # the ml_dtypes / numpy dtype name
    bits: int
    kind: str
    exp: int = 0
    man: int = 0
    bias: int = 0
    variant: str = ""

    @property
    def max_pattern(self) -> int:
        """Bit pattern of the largest finite magnitude."""
        top = (1 << (self.bits - 1)) - 1
        return {"fn": top - 1, "ieee": top - (1 << self.man)}.get(self.variant, top)

    @property
    def range(self) -> tuple[int, int]:
        """(min, max) of an integer type."""
        if self.kind == "int":
            return -(1 << (self.bits - 1)), (1 << (self.bits - 1)) - 1
        return 0, (1 << self.bits) - 1


TYPES: dict[int, LowPrecisionType] = {t.code: t for t in (
    LowPrecisionType(TensorProto.FLOAT8E4M3FN, "float8_e4m3fn", 8, "float", 4, 3, 7, "fn"),
    LowPrecisionType(TensorProto.FLOAT8E4M3FNUZ, "float8_e4m3fnuz", 8, "float", 4, 3, 8,
                     "fnuz"),
    LowPrecisionType(TensorProto.FLOAT8E5M2, "float8_e5m2", 8, "float", 5, 2, 15, "ieee"),
    LowPrecisionType(TensorProto.FLOAT8E5M2FNUZ, "float8_e5m2fnuz", 8, "float", 5, 2, 16,
                     "fnuz"),
    LowPrecisionType(TensorProto.FLOAT4E2M1, "float4_e2m1fn", 4, "float", 2, 1, 1, "finite"),
    LowPrecisionType(TensorProto.FLOAT8E8M0, "float8_e8m0fnu", 8, "float", 8, 0, 127,
                     "e8m0"),
    LowPrecisionType(TensorProto.INT4, "int4", 4, "int"),
    LowPrecisionType(TensorProto.UINT4, "uint4", 4, "uint"),
    LowPrecisionType(TensorProto.INT2, "int2", 2, "int"),
    LowPrecisionType(TensorProto.UINT2, "uint2", 2, "uint"),
)}

def _lowp(attrs: dict, name: str) -> LowPrecisionType:
    code = int(attrs[name])
    if code not in TYPES:
        raise ConverterError(f"element type {code} is not a low-precision storage type")
    return TYPES[code]


# ------------------------------------------------------------------ scalar bit arithmetic

def _dt(expr) -> str:
    """The dtype of a TIR expression (TVM 0.27 PrimExprs carry a ``PrimType`` in ``ty``)."""
    return str(expr.ty)


def _u(value: int, dtype: str):
    return tirx.const(value, dtype)


# IEEE layouts of the source floats: (unsigned bit dtype, mantissa bits, exponent bias)
_SOURCE_LAYOUTS = {"float32": ("uint32", 23, 127), "float64": ("uint64", 52, 1023)}


def _encode_float(value, t: LowPrecisionType, saturate: bool):
    """float32 or float64 scalar → bit pattern (in the source's unsigned width), rounded
    once to nearest even: a float64 does not go through float32 (that would round twice)."""
    src = _dt(value)
    udt, src_man, src_bias = _SOURCE_LAYOUTS[src]
    width = 64 if udt == "uint64" else 32
    bits = tirx.reinterpret(udt, value)
    sign = bits >> _u(width - 1, udt)
    absbits = bits & _u((1 << (width - 1)) - 1, udt)
    absval = tirx.reinterpret(src, absbits)
    # normal results: round the source's mantissa bits to ``man`` on the integer pattern
    # (a carry moves into the exponent), then re-bias the exponent
    shift = src_man - t.man
    rounded = (absbits + _u((1 << (shift - 1)) - 1, udt)
               + ((absbits >> _u(shift, udt)) & _u(1, udt))) >> _u(shift, udt)
    normal = rounded - _u((src_bias - t.bias) << t.man, udt)
    # subnormal results: the count of subnormal steps is the pattern (2^man = min normal)
    min_normal = tirx.const(2.0 ** (1 - t.bias), src)
    steps = tirx.min(absval, min_normal) * tirx.const(2.0 ** (t.bias - 1 + t.man), src)
    subnormal = tirx.Cast(udt, tirx.nearbyint(steps))
    pattern = tirx.Select(absval < min_normal, subnormal, normal)
    top = 1 << (t.bits - 1)
    overflow_pattern = {"ieee": t.max_pattern + 1, "fn": top - 1, "fnuz": top}
    on_overflow = t.max_pattern if saturate or t.variant == "finite" else \
        overflow_pattern[t.variant]
    magnitude = tirx.Select(pattern > _u(t.max_pattern, udt), _u(on_overflow, udt), pattern)
    sign_bit = sign << _u(t.bits - 1, udt)
    if t.variant == "fnuz":  # no negative zero; 0x80 is NaN
        sign_bit = tirx.Select(magnitude == _u(0, udt), _u(0, udt), sign_bit)
    result = magnitude | sign_bit
    is_nan = absbits > _u(((1 << (width - 1 - src_man)) - 1) << src_man, udt)
    if t.variant == "finite":  # no NaN: ml_dtypes (the reference) gives -0 for +NaN
        nan = (sign ^ _u(1, udt)) << _u(t.bits - 1, udt)
    elif t.variant == "fnuz":
        nan = _u(top, udt)
    else:
        nan_magnitude = top - 1 if t.variant == "fn" else top - (1 << (t.man - 1))
        nan = _u(nan_magnitude, udt) | sign_bit
    return tirx.Select(is_nan, nan, result)


def _encode_e8m0(value, saturate: bool, round_mode: str):
    """float32 scalar → FLOAT8E8M0 pattern (a power of two, no sign), as onnx's
    ``numpy_helper.to_float8e8m0``: the float32 exponent rounded by ``round_mode``; Inf /
    NaN → 0xFF (NaN); ``saturate`` keeps 0xFE from rounding up to NaN."""
    bits = tirx.reinterpret("uint32", value)
    exponent = (bits >> _u(23, "uint32")) & _u(0xFF, "uint32")
    if round_mode == "up":
        round_up = (bits & _u(0x7FFFFF, "uint32")) > _u(0, "uint32")
    elif round_mode == "nearest":  # guard & (round | sticky | exponent > 0), as the reference
        guard = (bits & _u(0x400000, "uint32")) > _u(0, "uint32")
        rest = (bits & _u(0x3FFFFF, "uint32")) > _u(0, "uint32")
        round_up = tirx.all(guard, tirx.any(rest, exponent > _u(0, "uint32")))
    elif round_mode == "down":
        round_up = tirx.const(False, "bool")
    else:
        raise ConverterError(f"round_mode {round_mode!r} (expected up, down or nearest)")
    if saturate:
        round_up = tirx.all(round_up, exponent != _u(0xFE, "uint32"))
    rounded = exponent + tirx.Cast("uint32", round_up)
    return tirx.Select(exponent == _u(0xFF, "uint32"), _u(0xFF, "uint32"), rounded)


def _encode_int(value, t: LowPrecisionType):
    """Scalar → ``bits``-bit pattern. Integers keep their low bits (ONNX: out-of-range
    fixed point discards the higher bits). Floats truncate toward zero; a value that is then
    out of range, and NaN, give 0 (the spec leaves it undefined; ml_dtypes ≥ 0.7 does so)."""
    mask = tirx.const((1 << t.bits) - 1, "int64")
    if _dt(value) in ("float16", "bfloat16"):
        value = tirx.Cast("float32", value)
    if _dt(value).startswith("float"):
        low, high = t.range
        truncated = tirx.trunc(value)
        in_range = tirx.all(truncated >= tirx.const(low, _dt(value)),
                            truncated <= tirx.const(high, _dt(value)))  # NaN: False
        safe = tirx.Select(in_range, truncated, tirx.const(0, _dt(value)))
        return tirx.Cast("int64", safe) & mask
    return tirx.Cast("int64", value) & mask


def encode_scalar(value, t: LowPrecisionType, saturate: bool = True,
                  round_mode: str = "up"):
    """TIR scalar of any numeric dtype → uint8 bit pattern of type ``t`` (``round_mode``
    is FLOAT8E8M0's; the others round to nearest even)."""
    if t.kind == "float":
        if _dt(value) == "bool":
            value = tirx.Cast("int32", value)
        if _dt(value) not in _SOURCE_LAYOUTS or t.variant == "e8m0":
            # exact for f16 / bf16 and for integers up to 2^24; larger integers exceed
            # every float8 / float4 range but E8M0's, whose rounding float32 keeps
            value = tirx.Cast("float32", value)
        if t.variant == "e8m0":
            return tirx.Cast(STORAGE_DTYPE, _encode_e8m0(value, saturate, round_mode))
        return tirx.Cast(STORAGE_DTYPE, _encode_float(value, t, saturate))
    return tirx.Cast(STORAGE_DTYPE, _encode_int(value, t))


def decode_scalar(pattern, t: LowPrecisionType):
    """uint8 bit pattern of type ``t`` → float32 (floats) or int32 (integers), exactly."""
    p = tirx.Cast("uint32", pattern) & _u((1 << t.bits) - 1, "uint32")
    if t.kind != "float":
        value = tirx.Cast("int32", p)
        if t.kind == "int":
            half, full = 1 << (t.bits - 1), 1 << t.bits
            value = tirx.Select(value >= half, value - full, value)
        return value
    nan = tirx.reinterpret("float32", _u(0x7FC00000, "uint32"))
    if t.variant == "e8m0":  # 2^(p - 127); p = 0 is float32's subnormal 2^-127
        power = tirx.Select(p == _u(0, "uint32"), _u(0x400000, "uint32"), p << _u(23, "uint32"))
        return tirx.Select(p == _u(0xFF, "uint32"), nan, tirx.reinterpret("float32", power))
    sign = p >> _u(t.bits - 1, "uint32")
    magnitude = p & _u((1 << (t.bits - 1)) - 1, "uint32")
    exponent = magnitude >> _u(t.man, "uint32")
    mantissa = magnitude & _u((1 << t.man) - 1, "uint32")
    normal = tirx.reinterpret("float32", ((exponent + _u(127 - t.bias, "uint32")) << _u(
        23, "uint32")) | (mantissa << _u(23 - t.man, "uint32")))
    subnormal = tirx.Cast("float32", mantissa) * tirx.const(2.0 ** (1 - t.bias - t.man),
                                                            "float32")
    value = tirx.Select(exponent == _u(0, "uint32"), subnormal, normal)
    if t.variant == "fn":
        value = tirx.Select(magnitude == _u((1 << (t.bits - 1)) - 1, "uint32"), nan, value)
    elif t.variant == "ieee":
        top = (1 << t.exp) - 1
        inf = tirx.reinterpret("float32", _u(0x7F800000, "uint32"))
        special = tirx.Select(mantissa == _u(0, "uint32"), inf, nan)
        value = tirx.Select(exponent == _u(top, "uint32"), special, value)
    value = tirx.Select(sign == _u(1, "uint32"), -value, value)
    if t.variant == "fnuz":
        value = tirx.Select(p == _u(1 << (t.bits - 1), "uint32"), nan, value)
    return value


# ------------------------------------------------------------------ Relax emission

def encode(bb, x, t: LowPrecisionType, saturate: bool = True, round_mode: str = "up"):
    """Relax tensor of a numeric dtype → uint8 tensor of ``t``'s bit patterns."""
    x = x if isinstance(x, relax.Var) else bb.emit(x)
    return bb.emit_te(lambda a: te.compute(
        a.shape, lambda *i: encode_scalar(a(*i), t, saturate, round_mode),
        name=f"encode_{t.name}"), x, primfunc_name_hint=f"encode_{t.name}")


def decode(bb, x, t: LowPrecisionType, out_dtype: str | None = None):
    """uint8 tensor of ``t``'s bit patterns → float32 / int32 (or ``out_dtype``)."""
    x = x if isinstance(x, relax.Var) else bb.emit(x)
    value = bb.emit_te(lambda a: te.compute(
        a.shape, lambda *i: decode_scalar(a(*i), t), name=f"decode_{t.name}"), x,
        primfunc_name_hint=f"decode_{t.name}")
    natural = "float32" if t.kind == "float" else "int32"
    if out_dtype and out_dtype != natural:
        value = relax.op.astype(value, out_dtype)
    return value


def _check_storage(x, what: str) -> None:
    if dtype_of(x) != STORAGE_DTYPE:
        raise ConverterError(f"{what} must be carried as {STORAGE_DTYPE}, got {dtype_of(x)}")


@converter(DOMAIN, "LowPrecisionEncode", 1)
def encode_op(bb, inputs, attrs, ctx):
    """y(bits) = Cast(x, to) into a low-precision type."""
    return encode(bb, inputs[0], _lowp(attrs, "to"), bool(int(attrs.get("saturate", 1))),
                  attr_str(attrs, "round_mode", "up"))


@converter(DOMAIN, "LowPrecisionDecode", 1)
def decode_op(bb, inputs, attrs, ctx):
    """y = Cast(x(bits), to) out of a low-precision type."""
    _check_storage(inputs[0], "the input")
    to = int(attrs["to"])
    out_dtype = "bool" if to == TensorProto.BOOL else str(helper.tensor_dtype_to_np_dtype(to))
    t = _lowp(attrs, "from")
    if out_dtype == "bool":
        value = decode(bb, inputs[0], t)
        return relax.op.not_equal(value, relax.const(0, dtype_of(value)))
    return decode(bb, inputs[0], t, out_dtype)


@converter(DOMAIN, "QuantizeLowPrecision", 1)
def quantize(bb, inputs, attrs, ctx):
    """y(bits) = QuantizeLinear(x, scale, zero_point) into a low-precision type."""
    x, scale = inputs[0], inputs[1]
    zero = inputs[2] if len(inputs) > 2 and inputs[2] is not None else None
    t = _lowp(attrs, "to")
    axis, block = int(attrs.get("axis", 1)), int(attrs.get("block_size", 0))
    saturate = bool(int(attrs.get("saturate", 1)))
    # x / scale in numpy's promoted dtype, as the reference divides
    work = str(np.result_type(np.dtype(dtype_of(x)), np.dtype(dtype_of(scale))))
    scaled = relax.op.divide(relax.op.astype(x, work), relax.op.astype(
        _broadcast_param(bb, scale, x, axis, block), work))
    if zero is not None:
        _check_storage(zero, "the zero point")
    if t.kind == "float":
        if zero is not None and t.variant == "finite":  # FLOAT4E2M1 adds its zero point
            zero_value = decode(bb, zero, t)
            scaled = relax.op.add(relax.op.astype(scaled, "float32"),
                                  _broadcast_param(bb, zero_value, x, axis, block))
        return encode(bb, scaled, t, saturate)
    rounded = _round_half_even(relax.op.astype(scaled, "float32"))
    if zero is not None:
        zero_value = relax.op.astype(decode(bb, zero, t), "float32")
        rounded = relax.op.add(rounded, _broadcast_param(bb, zero_value, x, axis, block))
    low, high = t.range
    clipped = relax.op.astype(relax.op.clip(rounded, low, high), "int32")
    return encode(bb, clipped, t)


@converter(DOMAIN, "DequantizeLowPrecision", 1)
def dequantize(bb, inputs, attrs, ctx):
    """x = DequantizeLinear(y(bits), scale, zero_point) out of a low-precision type."""
    y, scale = inputs[0], inputs[1]
    zero = inputs[2] if len(inputs) > 2 and inputs[2] is not None else None
    _check_storage(y, "the input")
    t = _lowp(attrs, "from")
    axis, block = int(attrs.get("axis", 1)), int(attrs.get("block_size", 0))
    out_code = int(attrs.get("output_dtype", 0) or 0)
    out_dtype = str(helper.tensor_dtype_to_np_dtype(out_code)) if out_code else \
        dtype_of(scale)
    values = decode(bb, y, t, "float32")
    float8 = t.kind == "float" and t.bits == 8
    if zero is not None and not float8:  # float8 zero points must be 0 (reference: ignored)
        _check_storage(zero, "the zero point")
        zero_value = decode(bb, zero, t, "float32")
        values = relax.op.subtract(values, _broadcast_param(bb, zero_value, y, axis, block))
    scale32 = relax.op.astype(scale, "float32") if dtype_of(scale) != "float64" else scale
    if dtype_of(scale) == "float64":
        values = relax.op.astype(values, "float64")
    product = relax.op.multiply(values, _broadcast_param(bb, scale32, y, axis, block))
    return relax.op.astype(product, out_dtype) if dtype_of(bb.normalize(product)) != \
        out_dtype else product

