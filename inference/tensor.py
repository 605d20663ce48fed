"""``Tensor``: a predictor's input or output handle (Paddle's zero-copy tensor).

An input handle holds the array the next ``run()`` feeds: ``copy_from_cpu`` snapshots it,
``share_external_data`` keeps a reference (later writes to the array are seen by ``run``).
An output handle holds the last result on the model's device; ``copy_to_cpu`` copies it to
a numpy array, and an array given to ``share_external_data`` receives each result.
Dtype, rank and static dimensions are checked when the data is set, so a wrong feed fails
at the line that sets it rather than inside ``run``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import InputMismatchError, PredictorUsageError
from ..runtime.manifest import TensorSpec

__all__ = ["Tensor", "DataType", "PlaceType"]


class DataType(enum.IntEnum):
    """Paddle's tensor data types (``Tensor.type()``)."""

    FLOAT64 = 0
    FLOAT32 = 1
    FLOAT16 = 2
    BFLOAT16 = 3
    INT64 = 4
    INT32 = 5
    UINT8 = 6
    INT8 = 7
    BOOL = 8


class PlaceType(enum.IntEnum):
    UNK = -1
    CPU = 0
    GPU = 1


_DATA_TYPES = {
    "float64": DataType.FLOAT64,
    "float32": DataType.FLOAT32,
    "float16": DataType.FLOAT16,
    "bfloat16": DataType.BFLOAT16,
    "int64": DataType.INT64,
    "int32": DataType.INT32,
    "uint8": DataType.UINT8,
    "int8": DataType.INT8,
    "bool": DataType.BOOL,
}


class Tensor:
    """One named input or output of a :class:`~paddlec.inference.Predictor`."""

    def __init__(self, spec: TensorSpec, is_input: bool,
                 copy_out: Callable[[Any], np.ndarray] | None = None) -> None:
        self._spec = spec
        self._is_input = is_input
        # output: the model's copy of a result tensor into a new numpy array
        self._copy_out = copy_out or (lambda result: result.numpy())
        self._shape: list[int] | None = None  # set by reshape() / the data
        self._value: np.ndarray | None = None  # input: what run() feeds
        self._result: Any = None  # output: TVM tensor of the last run
        self._external: np.ndarray | None = None  # output: user buffer filled by run()

    def name(self) -> str:
        return self._spec.name

    def type(self) -> DataType:
        """The model's dtype for this tensor as a :class:`DataType`."""
        try:
            return _DATA_TYPES[self._spec.dtype]
        except KeyError:
            raise PredictorUsageError(
                f"tensor {self.name()!r} has dtype {self._spec.dtype}, which Paddle's "
                "DataType cannot express; use the numpy dtype from copy_to_cpu()"
            ) from None

    def shape(self) -> list[int]:
        """The current shape; before data is set, the model's with -1 for symbolic dims."""
        if not self._is_input and self._result is not None:
            return [int(d) for d in self._result.shape]
        if self._is_input and self._value is not None:
            return list(self._value.shape)
        if self._shape is not None:
            return list(self._shape)
        return [d if isinstance(d, int) else -1 for d in self._spec.shape]

    def reshape(self, shape: list[int] | tuple[int, ...]) -> None:
        """Declare an input's shape before filling it (Paddle's allocation step)."""
        if not self._is_input:
            raise PredictorUsageError(
                f"reshape() on output {self.name()!r}: outputs take the shape the model "
                "computes"
            )
        shape = [int(d) for d in shape]
        self._check_shape(shape)
        if self._value is not None and list(self._value.shape) != shape:
            self._value = None
        self._shape = shape

    def copy_from_cpu(self, data: np.ndarray) -> None:
        """Copy ``data`` into this input (a snapshot: later changes to it are not seen)."""
        self._set_input(np.array(self._checked(data), order="C", copy=True))

    def share_external_data(self, data: np.ndarray) -> None:
        """Input: feed ``data`` itself at each ``run()`` (no snapshot). Output: ``run()``
        writes each result into ``data``, whose dtype and shape must match the result."""
        if not isinstance(data, np.ndarray):
            raise InputMismatchError(
                f"share_external_data({self.name()!r}): expected a numpy array, got "
                f"{type(data).__name__}"
            )
        if self._is_input:
            self._set_input(self._checked(data))
            return
        if data.dtype != np.dtype(self._spec.dtype):
            raise InputMismatchError(
                f"output {self.name()!r}: buffer dtype {data.dtype}, "
                f"the model produces {self._spec.dtype}"
            )
        if not data.flags.writeable:
            raise PredictorUsageError(
                f"output {self.name()!r}: the shared buffer is read-only"
            )
        self._external = data

    def copy_to_cpu(self) -> np.ndarray:
        """The last result as a new numpy array (inputs: the data that was set)."""
        if self._is_input:
            if self._value is None:
                raise PredictorUsageError(f"input {self.name()!r} holds no data yet")
            return np.array(self._value, copy=True)
        if self._result is None:
            raise PredictorUsageError(
                f"copy_to_cpu() on output {self.name()!r} before run(): call "
                "predictor.run() first"
            )
        return self._copy_out(self._result)

    # -- used by the Predictor -----------------------------------------------------------
    def _checked(self, data: Any) -> np.ndarray:
        if not self._is_input:
            raise PredictorUsageError(f"{self.name()!r} is an output; set data on inputs only")
        if not isinstance(data, np.ndarray):
            raise InputMismatchError(
                f"input {self.name()!r}: expected a numpy array, got {type(data).__name__}"
            )
        if data.dtype != np.dtype(self._spec.dtype):
            raise InputMismatchError(
                f"input {self.name()!r}: expected dtype {self._spec.dtype},"
                f" got {data.dtype}; convert with .astype(np."
                f"{self._spec.dtype})"
            )
        self._check_shape(list(data.shape))
        return data

    def _check_shape(self, shape: list[int]) -> None:
        want = self._spec.shape
        ok = len(shape) == len(want) and all(
            not isinstance(w, int) or w == g for w, g in zip(want, shape)
        )
        if not ok or any(d < 0 for d in shape):
            wanted = "x".join(str(d) for d in want) or "scalar"
            got = "x".join(str(d) for d in shape) or "scalar"
            raise InputMismatchError(
                f"input {self.name()!r}: expected shape {wanted}, got {got}"
            )

    def _set_input(self, value: np.ndarray) -> None:
        self._value = value
        self._shape = list(value.shape)

    def _feed_value(self) -> np.ndarray:
        if self._value is None:
            raise PredictorUsageError(
                f"input {self.name()!r} was not set: call get_input_handle({self.name()!r})"
                ".copy_from_cpu(array) before run()"
            )
        return self._value

    def _set_result(self, result: Any) -> None:
        self._result = result
        if self._external is not None:
            if tuple(self._external.shape) != tuple(result.shape):
                raise PredictorUsageError(
                    f"output {self.name()!r}: shared buffer has shape {self._external.shape}, "
                    f"the result has {tuple(result.shape)}"
                )
            np.copyto(self._external, self._copy_out(result))

    def __repr__(self) -> str:
        kind = "input" if self._is_input else "output"
        return f"Tensor({self.name()!r}, {kind}, {self._spec.dtype}, shape={self.shape()})"
