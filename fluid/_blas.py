"""Run the Executor's kernels with one BLAS thread.

The Executor multiplies small matrices (MNIST-sized layers); OpenBLAS's thread pool makes a
64x256 @ 256x64 product ~150x slower on a busy 2-core machine (measured: 18 ms vs 0.1 ms)
because its workers spin. numpy's bundled OpenBLAS has a thread-count setter; this finds it
with ctypes (best effort: without it nothing changes) and scopes the setting to a run.
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import os
from collections.abc import Iterator

import numpy as np

__all__ = ["single_blas_thread"]

_API: tuple | None = None
_LOOKED = False


def _find_api():
    global _API, _LOOKED
    if _LOOKED:
        return _API
    _LOOKED = True
    libs = os.path.join(os.path.dirname(os.path.dirname(np.__file__)), "numpy.libs")
    for path in glob.glob(os.path.join(libs, "*openblas*.so*")):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for suffix in ("64_", "_64_", ""):
            getter = getattr(lib, f"scipy_openblas_get_num_threads{suffix}", None)
            setter = getattr(lib, f"scipy_openblas_set_num_threads{suffix}", None)
            if getter is not None and setter is not None:
                getter.restype = ctypes.c_int
                setter.argtypes = [ctypes.c_int]
                _API = (getter, setter)
                return _API
    return None


@contextlib.contextmanager
def single_blas_thread() -> Iterator[None]:
    api = _find_api()
    if api is None:
        yield
        return
    getter, setter = api
    previous = getter()
    setter(1)
    try:
        yield
    finally:
        setter(previous)
