"""Per-batch index arithmetic: ReverseSequence (opset 10) and TensorScatter (opset 24).

Both are data-dependent gathers along one axis, emitted as ``gather_elements`` with an
index tensor computed from the runtime lengths / write positions (no loops):

* ``y = ReverseSequence(x, sequence_lens, batch_axis=1, time_axis=0)``: for batch ``b``,
  time ``t < len[b]`` reads ``x[len[b] - 1 - t]``, the rest is copied.
* ``present = TensorScatter(past, update, write_indices?, axis=-2, mode)``: for batch
  ``b``, cache position ``p`` takes ``update[p - w[b]]`` (``mod`` the cache length in
  ``circular`` mode) when that falls inside the update, else keeps ``past[p]``.
"""

from __future__ import annotations

from tvm import relax

from ._common import attr_str, normalize_axes, static_shape
from .registry import ConverterError, converter

__all__ = ["reverse_sequence", "tensor_scatter"]

_op = relax.op


def _per_batch_positions(batch: int, length: int, rank: int, batch_axis: int, axis: int):
    """``[batch]``-shaped and ``[length]``-shaped int64 ranges reshaped to broadcast in a
    tensor of ``rank`` dims along ``batch_axis`` and ``axis``."""
    batch_shape = [batch if d == batch_axis else 1 for d in range(rank)]
    time_shape = [length if d == axis else 1 for d in range(rank)]
    time = _op.reshape(_op.arange(0, length, 1, "int64"), time_shape)
    return batch_shape, time


@converter("", "ReverseSequence", 10)
def reverse_sequence(bb, inputs, attrs, ctx):
    """y[b, t] = x[b, len[b] - 1 - t] for t < len[b], else x[b, t]."""
    x, lengths = inputs[0], inputs[1]
    shape = static_shape(x)
    if shape is None:
        raise ConverterError("the input needs a static shape")
    rank = len(shape)
    batch_axis = normalize_axes([int(attrs.get("batch_axis", 1))], rank)[0]
    time_axis = normalize_axes([int(attrs.get("time_axis", 0))], rank)[0]
    batch_shape, time = _per_batch_positions(shape[batch_axis], shape[time_axis], rank,
                                             batch_axis, time_axis)
    length = _op.reshape(_op.astype(lengths, "int64"), batch_shape)
    index = _op.where(_op.less(time, length),
                      _op.subtract(_op.subtract(length, relax.const(1, "int64")), time), time)
    index = bb.emit(_op.broadcast_to(index, shape))
    return _op.gather_elements(x, index, time_axis)


@converter("", "TensorScatter", 24)
def tensor_scatter(bb, inputs, attrs, ctx):
    """present[b, p] = update[b, p - w[b]] where that index exists, else past[b, p]."""
    past, update = inputs[0], inputs[1]
    write = inputs[2] if len(inputs) > 2 else None
    shape, update_shape = static_shape(past), static_shape(update)
    if shape is None or update_shape is None:
        raise ConverterError("past_cache and update need static shapes")
    rank = len(shape)
    axis = normalize_axes([int(attrs.get("axis", -2))], rank)[0]
    if axis == 0:
        raise ConverterError("axis must not be the batch axis 0")
    mode = attr_str(attrs, "mode", "linear")
    if mode not in ("linear", "circular"):
        raise ConverterError(f"unknown mode {mode!r}")
    batch_shape, position = _per_batch_positions(shape[0], shape[axis], rank, 0, axis)
    if write is None:
        start = relax.const(0, "int64")
    else:
        start = _op.reshape(_op.astype(write, "int64"), batch_shape)
    source = _op.subtract(position, start)
    if mode == "circular":
        source = _op.floor_mod(source, relax.const(shape[axis], "int64"))
    source = bb.emit(source)
    count = update_shape[axis]
    inside = _op.logical_and(_op.greater_equal(source, relax.const(0, "int64")),
                             _op.less(source, relax.const(count, "int64")))
    clamped = _op.clip(source, 0, count - 1)
    gather_shape = [shape[d] if d == axis else update_shape[d] for d in range(rank)]
    index = bb.emit(_op.broadcast_to(clamped, gather_shape))
    taken = _op.gather_elements(update, index, axis)
    keep = bb.emit(_op.broadcast_to(inside, shape))
    return _op.where(keep, taken, past)
