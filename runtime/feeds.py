"""Checks of the arrays fed to a model against its manifest (names, dtypes, dims), shared by
both engines (``model.py``, ``native.py``), and the low-precision views of inputs/outputs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import ArtifactError, InputMismatchError
from .manifest import TensorSpec

__all__ = ["Feed", "ManifestSpecs", "arrays_in_order", "check_arrays", "check_shape", "logical_view",
           "ml_dtype", "numpy_dtype", "plain_input_checks", "storage_view"]

Feed = Mapping[str, np.ndarray] | Sequence[np.ndarray]
PlainChecks = tuple[tuple[np.dtype, tuple[int | None, ...]], ...] | None


class ManifestSpecs:
    """``inputs`` / ``outputs`` (and their names) of a loaded model, from its ``manifest``."""

    manifest: Any

    @property
    def inputs(self) -> tuple[TensorSpec, ...]:
        return self.manifest.inputs

    @property
    def outputs(self) -> tuple[TensorSpec, ...]:
        return self.manifest.outputs

    @property
    def input_names(self) -> list[str]:
        return [spec.name for spec in self.inputs]

    @property
    def output_names(self) -> list[str]:
        return [spec.name for spec in self.outputs]


def arrays_in_order(feed: Feed | Mapping[str, Any] | Sequence[Any], names: list[str]
                    ) -> list[Any]:
    """The fed values in input order; unknown, missing or surplus inputs are an
    InputMismatchError naming them."""
    if isinstance(feed, dict) and len(feed) == len(names):
        try:
            return [feed[name] for name in names]
        except KeyError:
            pass  # explained below
    if isinstance(feed, Mapping):
        unknown = sorted(set(feed) - set(names))
        if unknown:
            raise InputMismatchError(
                f"unknown input(s) {unknown}; the model's inputs are {names}"
            )
        missing = [name for name in names if name not in feed]
        if missing:
            raise InputMismatchError(f"missing input(s) {missing}; expected {names}")
        return [feed[name] for name in names]
    values = list(feed)
    if len(values) != len(names):
        raise InputMismatchError(f"expected {len(names)} input(s) {names}, got {len(values)}")
    return values


def check_arrays(specs: Sequence[TensorSpec], plain: PlainChecks,
                 arrays: list[np.ndarray],
                 ranges: Mapping[str, tuple[int, int]] | None = None) -> list[np.ndarray]:
    """Validate numpy arrays (in input order) against ``specs``; returns them, low-precision
    ones viewed as their uint8 storage. ``plain`` (from plain_input_checks) is the fast path
    for the common case; errors are explained by the full walk."""
    if plain is not None and all(
            array.dtype == dtype and len(array.shape) == len(dims)
            and all(want is None or want == got for want, got in zip(dims, array.shape))
            for array, (dtype, dims) in zip(arrays, plain)):
        return arrays
    bound: dict[str, tuple[int, str]] = {}
    for index, (spec, array) in enumerate(zip(specs, arrays)):
        if spec.storage is not None:  # float8 / 4-bit...: the same bytes as uint8
            arrays[index] = storage_view(spec, array)
        elif array.dtype != np.dtype(spec.dtype):
            raise InputMismatchError(
                f"input {spec.name!r}: expected dtype {spec.dtype}, got {array.dtype}"
            )
        check_shape(spec, array.shape, bound, ranges)
    return arrays


def plain_input_checks(specs: Sequence[TensorSpec],
                       ranges: Mapping[str, tuple[int, int]] | None = None
                       ) -> tuple[tuple[np.dtype, tuple[int | None, ...]], ...] | None:
    """Per input (numpy dtype, dims with None for a named dimension) when a feed can be
    checked dimension by dimension: no low-precision storage, no dimension name shared
    by two places and no dim ranges (those need check_feed's full walk). None otherwise."""
    names = [d for spec in specs for d in spec.shape if not isinstance(d, int)]
    if len(names) != len(set(names)) or any(spec.storage is not None for spec in specs) or \
            ranges:
        return None
    return tuple((np.dtype(spec.dtype),
                  tuple(d if isinstance(d, int) else None for d in spec.shape))
                 for spec in specs)


def numpy_dtype(name: str) -> np.dtype | None:
    try:
        return np.dtype(name)
    except TypeError:  # bfloat16 and the like without ml_dtypes imported
        return None


def ml_dtype(spec: TensorSpec) -> np.dtype:
    """The numpy dtype of a low-precision spec (``ml_dtypes`` registers them with numpy)."""
    try:
        import ml_dtypes  # noqa: F401  (imported only for models that use these types)
    except ImportError:
        raise ArtifactError(
            f"{spec.name!r} is {spec.dtype}: exchanging it needs the ml_dtypes package "
            "(pip install ml_dtypes)"
        ) from None
    return np.dtype(spec.dtype)


def storage_view(spec: TensorSpec, array: np.ndarray) -> np.ndarray:
    """A feed of ``spec``'s ml_dtypes dtype, viewed (no copy) as its uint8 storage."""
    if array.dtype != ml_dtype(spec):
        raise InputMismatchError(
            f"input {spec.name!r}: expected dtype {spec.dtype} (a numpy array of "
            f"ml_dtypes.{spec.dtype}), got {array.dtype}"
        )
    return np.require(array, requirements="C").view(spec.storage)


def logical_view(spec: TensorSpec, array: np.ndarray) -> np.ndarray:
    """An output as the user sees it: low-precision storage viewed as its ml_dtypes dtype."""
    return array if spec.storage is None else array.view(ml_dtype(spec))


def check_shape(spec: TensorSpec, shape: tuple[int, ...], bound: dict[str, tuple[int, str]],
                ranges: Mapping[str, tuple[int, int]] | None = None) -> None:
    def mismatch() -> InputMismatchError:
        want = "x".join(str(d) for d in spec.shape) or "scalar"
        got = "x".join(str(d) for d in shape) or "scalar"
        return InputMismatchError(f"input {spec.name!r}: expected shape {want}, got {got}")

    if len(shape) != len(spec.shape):
        raise mismatch()
    for axis, (want, got) in enumerate(zip(spec.shape, shape)):
        if not isinstance(want, int) and ranges and want in ranges and \
                not ranges[want][0] <= got <= ranges[want][1]:
            low, high = ranges[want]
            raise InputMismatchError(
                f"input {spec.name!r}: dimension {axis} ({want!r}) is {got}, outside the "
                f"range {low}..{high} the model was compiled for (--input-shape-range)")
        if isinstance(want, int):
            if want != got:
                raise mismatch()
        elif want in bound and bound[want][0] != got:
            size, owner = bound[want]
            raise InputMismatchError(
                f"input {spec.name!r}: dimension {want!r} is {got} here but {size} in "
                f"input {owner!r}"
            )
        else:
            bound.setdefault(want, (got, spec.name))
