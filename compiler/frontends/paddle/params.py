"""Paddle parameter files: ``*.pdiparams`` (all tensors concatenated) and per-variable files.

Record layout (little endian), one per tensor, no names in the file::

    u32 version = 0 | u64 lod_level_count | (u64 nbytes, lod data) * count
    u32 version = 0 | i32 desc_len | TensorDesc protobuf (1: data_type, 2: dims)
    raw C-order data

In a combined file the records follow the Python ``sorted()`` order of the program's
persistable variable names. Reading maps the file (``np.memmap``) and returns *views*
into it, so a 500 MB model is never held twice in memory; the arrays are read-only.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import ml_dtypes
import numpy as np

from ....errors import ModelLoadError
from .wire import TENSOR_DESC, WireError, decode

__all__ = ["DTYPES", "ParamRecord", "read_records", "read_param_file", "write_record",
           "write_params", "dtype_code"]

# VarType.Type codes → numpy dtypes (framework.proto)
DTYPES: dict[int, np.dtype] = {
    0: np.dtype(np.bool_), 1: np.dtype("<i2"), 2: np.dtype("<i4"), 3: np.dtype("<i8"),
    4: np.dtype("<f2"), 5: np.dtype("<f4"), 6: np.dtype("<f8"), 20: np.dtype(np.uint8),
    21: np.dtype(np.int8), 22: np.dtype(ml_dtypes.bfloat16), 23: np.dtype("<c8"),
    24: np.dtype("<c16"),
}


def dtype_code(dtype: np.dtype) -> int:
    """The Paddle ``VarType.Type`` code of a numpy dtype (raises KeyError if it has none)."""
    for code, known in DTYPES.items():
        if np.dtype(dtype) == known:
            return code
    raise KeyError(f"no Paddle data type for numpy {np.dtype(dtype)}")


@dataclass
class ParamRecord:
    """One tensor record: where it starts in the file and a read-only view of its data."""

    offset: int
    array: np.ndarray


def _fail(path: Path, offset: int, message: str) -> ModelLoadError:
    return ModelLoadError(f"{path}: {message} (byte offset {offset})")


def _read_record(path: Path, buf: np.ndarray, pos: int, index: int) -> tuple[ParamRecord, int]:
    size = len(buf)
    start = pos

    def take(count: int, what: str) -> int:
        nonlocal pos
        if pos + count > size:
            raise _fail(path, pos, f"truncated in tensor #{index}: {what} needs {count} bytes, "
                                   f"{size - pos} left")
        at = pos
        pos += count
        return at

    at = take(4, "version")
    version = int.from_bytes(buf[at:at + 4].tobytes(), "little")
    if version != 0:
        raise _fail(path, at, f"tensor #{index}: unsupported record version {version}")
    at = take(8, "LoD level count")
    levels = int.from_bytes(buf[at:at + 8].tobytes(), "little")
    if levels > 64:
        raise _fail(path, at, f"tensor #{index}: implausible LoD level count {levels}")
    for _ in range(levels):
        at = take(8, "LoD level size")
        take(int.from_bytes(buf[at:at + 8].tobytes(), "little"), "LoD level")
    at = take(4, "tensor version")
    version = int.from_bytes(buf[at:at + 4].tobytes(), "little")
    if version != 0:
        raise _fail(path, at, f"tensor #{index}: unsupported tensor version {version}")
    at = take(4, "TensorDesc length")
    (desc_len,) = struct.unpack("<i", buf[at:at + 4].tobytes())
    if desc_len < 0:
        raise _fail(path, at, f"tensor #{index}: negative TensorDesc length {desc_len}")
    at = take(desc_len, "TensorDesc")
    try:
        desc = decode(buf[at:at + desc_len].tobytes(), TENSOR_DESC)
    except WireError as exc:
        raise _fail(path, at + exc.offset, f"tensor #{index}: bad TensorDesc: {exc}") from None
    code = desc.get("data_type", -1)
    if code not in DTYPES:
        raise _fail(path, at, f"tensor #{index}: unknown data type code {code}")
    dims = [int(d) for d in desc.get("dims", [])]
    if any(d < 0 for d in dims):
        raise _fail(path, at, f"tensor #{index}: negative dimension in {dims}")
    dtype = DTYPES[code]
    nbytes = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    at = take(nbytes, f"data of shape {dims} {dtype.name}")
    array = buf[at:at + nbytes].view(dtype).reshape(dims)  # a view into the mapping: no copy
    return ParamRecord(start, array), pos


def _map(path: Path) -> np.ndarray:
    try:
        if path.stat().st_size == 0:
            return np.zeros(0, np.uint8)
        return np.memmap(path, dtype=np.uint8, mode="r")
    except OSError as exc:
        raise ModelLoadError(f"{path}: cannot read: {exc}") from None


def read_records(path: str | Path, count: int | None = None) -> list[ParamRecord]:
    """All tensor records of a combined params file, in file order.

    With ``count`` given, exactly that many records must be present: fewer raises a
    truncation error, bytes left after the last one raise "more tensors than the program".
    """
    path = Path(path)
    buf = _map(path)
    records: list[ParamRecord] = []
    pos = 0
    while pos < len(buf) and (count is None or len(records) < count):
        record, pos = _read_record(path, buf, pos, len(records))
        records.append(record)
    if count is not None and len(records) < count:
        raise _fail(path, pos, f"holds {len(records)} tensors but the program needs {count}")
    if pos < len(buf):
        raise _fail(path, pos, f"{len(buf) - pos} bytes left after the {len(records)} tensors "
                               f"the program needs (more tensors than the program has?)")
    return records


def read_param_file(path: str | Path) -> ParamRecord:
    """The single tensor of a legacy per-variable parameter file."""
    return read_records(path, count=1)[0]


def write_record(handle: BinaryIO, array: np.ndarray) -> None:
    """Append one tensor record (Paddle's layout) to an open binary file."""
    array = np.asarray(array)
    code = dtype_code(array.dtype)
    desc = bytes([0x08]) + _varint(code)
    for dim in array.shape:
        desc += bytes([0x10]) + _varint(dim)  # dims are written unpacked, as Paddle does
    handle.write(struct.pack("<IQIi", 0, 0, 0, len(desc)))
    handle.write(desc)
    handle.write(np.ascontiguousarray(array).tobytes())  # x86/ARM hosts are little endian


def write_params(path: str | Path, tensors: dict[str, np.ndarray]) -> None:
    """Write a combined ``.pdiparams`` file (records in ``sorted()`` name order)."""
    with open(path, "wb") as handle:
        for name in sorted(tensors):
            write_record(handle, tensors[name])


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)
