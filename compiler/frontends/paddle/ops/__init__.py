"""Paddle op → ONNX-semantics mappers, one module per op family, in one explicit registry.

Importing this package registers every mapper (``registry.REGISTRY``); ``lookup(format,
op_type)`` finds one. See ``registry.py`` for the mapper contract.
"""

from __future__ import annotations

from . import activation, elementwise, math, nn, resize, tensor  # noqa: F401  (registers)
from .registry import REGISTRY, lookup

__all__ = ["REGISTRY", "lookup", "coverage"]


def coverage() -> list[tuple[str, str, str]]:
    """(format, Paddle op type, mapper function) for every registered op, sorted."""
    return sorted((fmt, op_type, mapper.fn.__module__.rsplit(".", 1)[-1] + "." +
                   mapper.fn.__name__) for (fmt, op_type), mapper in REGISTRY.items())
