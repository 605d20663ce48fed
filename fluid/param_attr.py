"""``ParamAttr``: how a layer's parameter is named, initialized and trained (Paddle 1.x)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ParamAttr", "to_param_attr"]


@dataclass
class ParamAttr:
    """Name (shared parameters reuse one name), initializer, per-parameter learning-rate
    factor, regularizer and whether the optimizer updates it."""

    name: str | None = None
    initializer: object | None = None
    learning_rate: float = 1.0
    regularizer: object | None = None
    trainable: bool = True


def to_param_attr(attr) -> ParamAttr | None:
    """Paddle accepts a ParamAttr, a name, an initializer, None (defaults) or False (no
    parameter, e.g. ``bias_attr=False``); returns None for False."""
    from .initializer import Initializer

    if attr is False:
        return None
    if attr is None or attr is True:
        return ParamAttr()
    if isinstance(attr, ParamAttr):
        return attr
    if isinstance(attr, str):
        return ParamAttr(name=attr)
    if isinstance(attr, Initializer):
        return ParamAttr(initializer=attr)
    raise TypeError(f"expected a ParamAttr, a name, an initializer or False, got {attr!r}")
