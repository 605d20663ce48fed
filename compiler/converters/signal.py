"""Signal processing: DFT (opset 17 and 20) and STFT (opset 17).

TVM 0.27 converts neither. Both are lowered as matrix products with constant cosine / sine
matrices (the DFT *is* a linear map; for the frame sizes of audio front ends a dense matmul
is as fast as an FFT and reuses the matmul fast path):

* ``y = DFT(x, dft_length?, axis?)``: real (``[..., 1]``) or complex (``[..., 2]``) input,
  forward or ``inverse`` (scaled by ``1/n``), ``onesided`` forward (first ``n//2 + 1``
  bins) and ``onesided`` inverse (``irfft``: a Hermitian half spectrum in, a real signal
  out), the signal zero-padded or truncated to ``dft_length``. Semantics follow
  ``onnx/reference/ops/op_dft.py``.
* ``y = STFT(signal, frame_step, window?, frame_length?)``: frames gathered with constant
  indices, weighted by the window, then the DFT along the frame (``onesided`` by default).

* ``y = HannWindow / HammingWindow / BlackmanWindow(size, periodic, output_datatype)``:
  the spec's formulas for a constant ``size`` (the window is a constant then; these ops have
  no TVM converter, and their expanded function bodies do not import).

Refused: ``dft_length``, ``axis``, ``frame_step``, ``frame_length`` and a window ``size``
that are not constants (they set the output shape), and a signal whose length along the
axis is symbolic.
"""

from __future__ import annotations

import numpy as np
from onnx import helper
from tvm import relax

from ._common import dtype_of, ndim, require_const, static_shape
from .registry import ConverterError, converter

__all__ = ["dft", "stft", "window"]

_op = relax.op


def _compute_dtype(dtype: str) -> str:
    return "float64" if dtype == "float64" else "float32"


def _bases(used: int, length: int, bins: int, dtype: str):
    """cos and sin of ``2 pi k t / length`` as ``[used, bins]`` constants (t rows, k cols)."""
    t = np.arange(used, dtype=np.float64)[:, None]
    k = np.arange(bins, dtype=np.float64)[None, :]
    angle = 2.0 * np.pi * ((t * k) % length) / length  # exact reduction before the cos
    return (relax.const(np.cos(angle).astype(dtype), dtype),
            relax.const(np.sin(angle).astype(dtype), dtype))


def _split_complex(bb, x, dtype: str):
    """``[..., 1]`` or ``[..., 2]`` → (real, imag or None), both ``[...]`` in ``dtype``."""
    x = bb.emit(_op.astype(x, dtype)) if dtype_of(x) != dtype else x
    last = ndim(x) - 1
    real = bb.emit(_op.squeeze(_op.strided_slice(x, [last], [0], [1]), [last]))
    if static_shape(x)[-1] == 1:
        return real, None
    imag = bb.emit(_op.squeeze(_op.strided_slice(x, [last], [1], [2]), [last]))
    return real, imag


def _transform(bb, real, imag, length: int, bins: int, inverse: bool, half_spectrum: bool):
    """DFT of ``real + i imag`` along the last axis → (real, imag) with ``bins`` points.

    ``half_spectrum`` (irfft): the input holds bins ``0..n//2`` of a Hermitian spectrum;
    the others count twice, and the output is real (``imag`` result None)."""
    dtype = dtype_of(real)
    used = min(static_shape(real)[-1], length if not half_spectrum else length // 2 + 1)
    if static_shape(real)[-1] > used:
        last = ndim(real) - 1
        real = bb.emit(_op.strided_slice(real, [last], [0], [used]))
        imag = None if imag is None else bb.emit(_op.strided_slice(imag, [last], [0], [used]))
    cos, sin = _bases(used, length, bins, dtype)
    if half_spectrum:
        weight = np.full((used, 1), 2.0)
        weight[0] = 1.0
        if length % 2 == 0 and used > length // 2:
            weight[length // 2] = 1.0
        scale = relax.const((weight / length).astype(dtype), dtype)
        cos, sin = _op.multiply(cos, scale), _op.multiply(sin, scale)
        out = _op.matmul(real, cos)
        out = out if imag is None else _op.subtract(out, _op.matmul(imag, sin))
        return bb.emit(out), None
    sign = 1.0 if inverse else -1.0
    out_real = _op.matmul(real, cos)
    out_imag = _op.multiply(_op.matmul(real, sin), relax.const(sign, dtype))
    if imag is not None:
        out_real = _op.subtract(out_real, _op.multiply(_op.matmul(imag, sin),
                                                       relax.const(sign, dtype)))
        out_imag = _op.add(out_imag, _op.matmul(imag, cos))
    if inverse:
        scale = relax.const(1.0 / length, dtype)
        out_real, out_imag = _op.multiply(out_real, scale), _op.multiply(out_imag, scale)
    return bb.emit(out_real), bb.emit(out_imag)


def _join(bb, real, imag, out_dtype: str):
    """(real, imag or None) → ``[..., 2]`` (or ``[..., 1]``) in ``out_dtype``."""
    parts = [real] if imag is None else [real, imag]
    joined = bb.emit(_op.stack(parts, axis=ndim(real)))
    return _op.astype(joined, out_dtype) if dtype_of(joined) != out_dtype else joined


def _optional_const(inputs: list, index: int, what: str):
    if len(inputs) > index and inputs[index] is not None:
        return int(np.asarray(require_const(inputs[index], what)).reshape(-1)[0])
    return None


@converter("", "DFT", 17)
def dft(bb, inputs, attrs, ctx):
    """y = DFT(x, dft_length?, axis?): forward/inverse, full or one-sided."""
    x = inputs[0]
    rank = ndim(x)
    shape = static_shape(x)
    if shape is None or shape[-1] not in (1, 2):
        raise ConverterError("the input needs a static shape ending in 1 (real) or 2 "
                             "(complex)")
    axis = _optional_const(inputs, 2, "axis") if ctx.opset >= 20 else None
    if axis is None:
        axis = int(attrs.get("axis", -2 if ctx.opset >= 20 else 1))
    axis = axis % rank
    if axis == rank - 1:
        raise ConverterError("axis must not be the last (real/imaginary) dimension")
    inverse, onesided = bool(attrs.get("inverse", 0)), bool(attrs.get("onesided", 0))
    length = _optional_const(inputs, 1, "dft_length")
    if length is None:
        length = 2 * (shape[axis] - 1) if inverse and onesided else shape[axis]
    if length < 1:
        raise ConverterError(f"dft_length must be positive, got {length}")
    out_dtype = dtype_of(x)
    real, imag = _split_complex(bb, x, _compute_dtype(out_dtype))
    # move the signal axis last, transform, move it back
    perm = [d for d in range(rank - 1) if d != axis] + [axis]
    back = list(np.argsort(perm))
    real = bb.emit(_op.permute_dims(real, perm))
    imag = None if imag is None else bb.emit(_op.permute_dims(imag, perm))
    if inverse and onesided:
        out_real, out_imag = _transform(bb, real, imag, length, length, True, True)
    else:
        bins = length // 2 + 1 if onesided else length
        out_real, out_imag = _transform(bb, real, imag, length, bins, inverse, False)
    out_real = bb.emit(_op.permute_dims(out_real, back))
    out_imag = None if out_imag is None else bb.emit(_op.permute_dims(out_imag, back))
    return _join(bb, out_real, out_imag, out_dtype)


@converter("", "STFT", 17)
def stft(bb, inputs, attrs, ctx):
    """y = STFT(signal, frame_step, window?, frame_length?): ``[batch, frames, bins, 2]``."""
    signal = inputs[0]
    shape = static_shape(signal)
    if shape is None or len(shape) != 3 or shape[-1] not in (1, 2):
        raise ConverterError("the signal needs a static shape [batch, length, 1 or 2]")
    step = _optional_const(inputs, 1, "frame_step")
    window = inputs[2] if len(inputs) > 2 else None
    frame_length = _optional_const(inputs, 3, "frame_length")
    if frame_length is None:
        if window is None:
            frame_length = shape[1]
        else:
            window_shape = static_shape(window)
            if window_shape is None or len(window_shape) != 1:
                raise ConverterError("the window needs a static 1-D shape")
            frame_length = window_shape[0]
    if step is None or step < 1 or frame_length < 1 or frame_length > shape[1]:
        raise ConverterError(f"frame_step {step} / frame_length {frame_length} do not fit a "
                             f"signal of length {shape[1]}")
    onesided = bool(attrs.get("onesided", 1))
    if onesided and shape[-1] == 2:
        raise ConverterError("onesided STFT of a complex signal is undefined")
    out_dtype = dtype_of(signal)
    dtype = _compute_dtype(out_dtype)
    frames = 1 + (shape[1] - frame_length) // step
    index = (np.arange(frames)[:, None] * step + np.arange(frame_length)[None, :])
    real, imag = _split_complex(bb, signal, dtype)
    gather = relax.const(index.astype(np.int64), "int64")
    real = bb.emit(_op.take(real, gather, axis=1))  # [batch, frames, frame_length]
    imag = None if imag is None else bb.emit(_op.take(imag, gather, axis=1))
    if window is not None:
        weights = bb.emit(_op.astype(window, dtype)) if dtype_of(window) != dtype else window
        real = bb.emit(_op.multiply(real, weights))
        imag = None if imag is None else bb.emit(_op.multiply(imag, weights))
    bins = frame_length // 2 + 1 if onesided else frame_length
    out_real, out_imag = _transform(bb, real, imag, frame_length, bins, False, False)
    return _join(bb, out_real, out_imag, out_dtype)


_WINDOWS = {
    "HannWindow": lambda phase: 0.5 - 0.5 * np.cos(phase),
    "HammingWindow": lambda phase: 25.0 / 46.0 - (21.0 / 46.0) * np.cos(phase),
    "BlackmanWindow": lambda phase: 0.42 - 0.5 * np.cos(phase) + 0.08 * np.cos(2 * phase),
}


def _make_window(name: str):
    def convert(bb, inputs, attrs, ctx):
        size = int(np.asarray(require_const(inputs[0], "size")).reshape(-1)[0])
        dtype = helper.tensor_dtype_to_np_dtype(int(attrs.get("output_datatype", 1))).name
        periodic = int(attrs.get("periodic", 1))
        denominator = size if periodic else size - 1
        phase = 2.0 * np.pi * np.arange(size, dtype=np.float64) / max(denominator, 1)
        return relax.const(_WINDOWS[name](phase).astype(dtype), dtype)

    convert.__name__ = f"window_{name}"
    convert.__doc__ = f"y = {name}(size): the spec's formula for a constant size."
    return convert


for _name in _WINDOWS:
    converter("", _name, 17)(_make_window(_name))
window = _make_window("HannWindow")
