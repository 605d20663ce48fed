"""TfIdfVectorizer (opset 9) on integer inputs.

``Y = TfIdfVectorizer(X)`` with ``X`` int32/int64 of shape ``[C]`` or ``[B, C]``: counts,
per row, the occurrences of every n-gram of ``pool_int64s`` whose length is within
``[min_gram_length, max_gram_length]``, where an n-gram's items may be ``d`` apart for
``d = 1 .. max_skip_count + 1`` (unigrams are counted once, with ``d = 1``), into the slot
``ngram_indexes[id]``; then ``TF`` (counts), ``IDF`` (``weights[i]`` or 1 where a count is
positive) or ``TFIDF`` (``weights[i] · count``). Same n-gram table as the reference
(``onnx/reference/ops/op_tfidf_vectorizer.py``): ids in pool order, a repeated n-gram keeps
its last id.

Lowered without loops: for each gram length ``n`` and distance ``d``, the ``n`` shifted
slices of ``X`` are compared with all pool n-grams at once and the matches summed over
positions; a constant 0/1 matrix maps n-gram ids to output slots. Refused: string pools
(paddlec's runtime has no string tensors), non-static shapes.
"""

from __future__ import annotations

import numpy as np
from tvm import relax

from ._common import attr_str, dtype_of, static_shape
from .registry import ConverterError, converter

__all__ = ["tfidf_vectorizer"]

_op = relax.op


def _ngram_table(pool: list[int], counts: list[int], low: int, high: int) -> dict:
    """{n-gram tuple: id - 1} for the grams the reference's trie marks as countable."""
    table: dict[tuple, int] = {}
    next_id = 0
    for size, start in enumerate(counts, start=1):
        end = counts[size] if size < len(counts) else len(pool)
        grams = (end - start) // size
        for g in range(grams):
            if low <= size <= high:
                table[tuple(pool[start + g * size:start + (g + 1) * size])] = next_id
            next_id += 1
    return table


@converter("", "TfIdfVectorizer", 9)
def tfidf_vectorizer(bb, inputs, attrs, ctx):
    """Y[b, slot] = weighting(number of matches of the n-grams of that slot in row b)."""
    x = inputs[0]
    if attrs.get("pool_strings"):
        raise ConverterError("string pools are not supported (no string tensors)")
    shape = static_shape(x)
    if shape is None or len(shape) not in (1, 2) or dtype_of(x) not in ("int32", "int64"):
        raise ConverterError("X must be a static [C] or [B, C] int32/int64 tensor")
    rows = x if len(shape) == 2 else _op.reshape(x, [1, shape[0]])
    batch, width = (shape if len(shape) == 2 else [1, shape[0]])
    low, high = int(attrs["min_gram_length"]), int(attrs["max_gram_length"])
    skips = int(attrs["max_skip_count"])
    indexes = [int(i) for i in attrs["ngram_indexes"]]
    slots = max(indexes) + 1
    table = _ngram_table([int(v) for v in attrs.get("pool_int64s", ())],
                         [int(c) for c in attrs["ngram_counts"]], low, high)
    counts = relax.const(np.zeros([batch, slots], "float32"), "float32")
    for size in sorted({len(gram) for gram in table}):
        grams = [gram for gram in table if len(gram) == size]
        values = np.array(grams, np.int64).astype(dtype_of(x))  # [G, size]
        to_slots = np.zeros([len(grams), slots], "float32")
        for row, gram in enumerate(grams):
            to_slots[row, indexes[table[gram]]] = 1.0
        for distance in range(1, (skips + 1 if size > 1 else 1) + 1):
            length = width - (size - 1) * distance
            if length <= 0:
                continue
            match = None
            for k in range(size):
                part = _op.strided_slice(rows, axes=[1], begin=[k * distance],
                                         end=[k * distance + length])
                hit = _op.equal(_op.reshape(part, [batch, length, 1]),
                                relax.const(values[:, k].copy(), dtype_of(x)))
                match = hit if match is None else _op.logical_and(match, hit)
            per_gram = _op.sum(_op.astype(match, "float32"), axis=[1])  # [B, G]
            counts = _op.add(counts, _op.matmul(per_gram, relax.const(to_slots, "float32")))
    mode = attr_str(attrs, "mode", "TF")
    weights = attrs.get("weights")
    if mode == "TF":
        result = counts
    elif mode in ("IDF", "TFIDF"):
        scale = relax.const(np.asarray(weights if weights else [1.0] * slots, "float32"),
                            "float32")
        if mode == "IDF":
            result = _op.where(_op.greater(counts, relax.const(0.0, "float32")),
                               _op.broadcast_to(scale, [batch, slots]),
                               relax.const(0.0, "float32"))
        else:
            result = _op.multiply(counts, scale)
    else:
        raise ConverterError(f"mode {mode!r} is not TF, IDF or TFIDF")
    return result if len(shape) == 2 else _op.reshape(result, [slots])
