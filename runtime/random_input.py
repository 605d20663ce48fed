"""Seeded random inputs for a tensor spec (``paddlec run --random``, pass verification)."""

from __future__ import annotations

import math

import numpy as np

from ..errors import InputMismatchError

__all__ = ["random_array", "MAX_RANDOM_ELEMENTS"]

MAX_RANDOM_ELEMENTS = 1 << 30  # 4 GB of float32: beyond it a declared shape is not a feed


def random_array(rng: np.random.Generator, dims: list, dtype: np.dtype) -> np.ndarray:
    """An array of ``dims`` (symbolic dims become 1): normal floats, 0/1 bools, ints in [0, 10)."""
    shape = [d if isinstance(d, int) else 1 for d in dims]
    if math.prod(shape) > MAX_RANDOM_ELEMENTS:
        raise InputMismatchError(f"refusing to make a random input of shape {shape} "
                                 f"(more than {MAX_RANDOM_ELEMENTS} elements)")
    try:
        dtype = np.dtype(dtype)
    except TypeError:  # float8 / int4...: numpy knows these names once ml_dtypes is imported
        import ml_dtypes  # noqa: F401

        dtype = np.dtype(dtype)
    if dtype.kind == "V":  # an ml_dtypes type: float8 / float4 normal, 2-bit-safe ints
        if dtype.name.startswith("float"):
            return rng.standard_normal(shape).astype(dtype)
        return rng.integers(0, 2, shape).astype(dtype)
    if dtype.kind == "f":
        return rng.standard_normal(shape).astype(dtype)
    if dtype.kind == "b":
        return rng.integers(0, 2, shape).astype(dtype)
    return rng.integers(0, 10, shape).astype(dtype)
