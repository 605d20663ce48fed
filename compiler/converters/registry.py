"""paddlec's own ONNX → Relax converters, keyed by (domain, op_type, since_version).

A converter is a plain function ``convert(bb, inputs, attrs, ctx) -> relax.Expr`` (a
``relax.Tuple`` for several outputs), registered with ``@converter("", "ReduceSum", 13)``.
For a model of opset N the newest registration with ``since_version <= N`` wins; these take
precedence over TVM's own converters. ``@unsupported(...)`` records an op that neither paddlec
nor TVM lowers, with the reason the user sees.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ConverterContext",
    "ConverterError",
    "converter",
    "find_converter",
    "registered_ops",
    "unsupported",
    "unsupported_reason",
]

Converter = Callable[..., Any]

_CONVERTERS: dict[tuple[str, str], list[tuple[int, Converter]]] = {}
_UNSUPPORTED: dict[tuple[str, str], str] = {}


class ConverterError(Exception):
    """A converter cannot lower this node (an attribute value or input form it rejects).

    The lowering reports it as ``op (opset N): reason`` next to every other failing node.
    """


@dataclass
class ConverterContext:
    """What a converter may need beyond its inputs: the opset, and the importer's table of
    values so that ``constant(value)`` can read constants. ``inline_graph(graph, inputs)``
    converts a graph attribute (``score_mod``...) in place with its inputs bound to
    ``inputs`` and returns its outputs (None outside the importer)."""

    opset: int
    node_name: str
    num_outputs: int
    params: list = field(default_factory=list)
    inline_graph: Callable[..., list] | None = None


def _domain(domain: str) -> str:
    return "" if domain == "ai.onnx" else domain


def converter(domain: str, op_type: str,
              since_version: int) -> Callable[[Converter], Converter]:
    """Register ``fn`` for ``op_type`` of ``domain`` from opset ``since_version`` on."""

    def register(fn: Converter) -> Converter:
        versions = _CONVERTERS.setdefault((_domain(domain), op_type), [])
        if any(version == since_version for version, _ in versions):
            raise ValueError(f"{domain}::{op_type} v{since_version} registered twice")
        versions.append((since_version, fn))
        versions.sort(key=lambda item: item[0])
        return fn

    return register


def unsupported(domain: str, op_type: str, reason: str) -> None:
    """Record that ``op_type`` is not lowered, and why (shown in the compile error)."""
    _UNSUPPORTED[(_domain(domain), op_type)] = reason


def find_converter(domain: str, op_type: str, opset: int) -> Converter | None:
    """The newest converter registered at or below ``opset``; None if there is none."""
    versions = _CONVERTERS.get((_domain(domain), op_type), [])
    chosen = None
    for version, fn in versions:
        if version <= opset:
            chosen = fn
    return chosen


def registered_ops() -> set[tuple[str, str]]:
    return set(_CONVERTERS)


def unsupported_reason(domain: str, op_type: str) -> str | None:
    return _UNSUPPORTED.get((_domain(domain), op_type))
