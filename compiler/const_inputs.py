"""Bind graph inputs to given values: ``x`` (input) → ``x`` (initializer holding the value).

Real models carry shape-like operands (Reshape's ``shape``, Resize's ``sizes``, Reduce's
``axes``...) as constants; test graphs and some exporters expose them as inputs. Binding such
an input turns it back into a constant, so that the converters see a static value. The
compiled artifact is then *specialized* to that value: the input disappears from the
artifact's signature and a different value needs a new compile.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import onnx_ir as ir

from ..errors import ModelLoadError
from ..numpy_files import load_npy

__all__ = ["bind_constant_inputs", "load_const_inputs"]


def bind_constant_inputs(model: ir.Model, values: Mapping[str, np.ndarray]) -> list[str]:
    """Turn each named graph input into an initializer with the given value (in place).

    The value must match the input's declared dtype and rank (a mismatch is the user's
    error); returns the names that were bound, in input order.
    """
    inputs = {value.name: value for value in model.graph.inputs}
    unknown = sorted(set(values) - set(inputs))
    if unknown:
        raise ModelLoadError(
            f"--const-input names unknown input(s) {unknown}; the model's inputs are "
            f"{sorted(inputs)}"
        )
    bound = []
    for value in list(model.graph.inputs):
        if value.name not in values:
            continue
        array = np.asarray(values[value.name])
        if value.dtype is not None and array.dtype != value.dtype.numpy():
            raise ModelLoadError(
                f"--const-input {value.name}: dtype {array.dtype} does not match the "
                f"model's {value.dtype.numpy()}"
            )
        if value.shape is not None and len(value.shape) != array.ndim:
            raise ModelLoadError(
                f"--const-input {value.name}: rank {array.ndim} does not match the "
                f"model's rank {len(value.shape)}"
            )
        model.graph.inputs.remove(value)
        value.const_value = ir.tensor(array, name=value.name)
        value.shape = ir.Shape(array.shape)
        model.graph.register_initializer(value)
        bound.append(value.name)
    return bound


def load_const_inputs(specs: Iterable[str]) -> dict[str, np.ndarray]:
    """``NAME=FILE.npy`` strings (``paddlec compile --const-input``) → name → array; an
    unreadable or malformed file is the user's error (``ModelLoadError``)."""
    values = {}
    for spec in specs:
        name, sep, path = spec.partition("=")
        if not sep or not name or not path:
            raise ModelLoadError(f"--const-input {spec!r}: expected NAME=FILE.npy")
        values[name] = load_npy(path, ModelLoadError, f"--const-input {name}")
    return values
