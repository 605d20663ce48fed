"""Fluid-style API (placeholder: only the legacy inference names in ``core``)."""

from . import core

__all__ = ["core"]
