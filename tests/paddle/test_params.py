"""The ``.pdiparams`` reader: round trips of every dtype we map, zero-copy views, and typed
errors with byte offsets for truncated or oversized files. Needs no Paddle."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest

from paddlec.compiler.frontends.paddle.params import (DTYPES, read_param_file, read_records,
                                                      write_params, write_record)
from paddlec.errors import ModelLoadError


def _tensors() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {
        "a_fp32": rng.standard_normal((3, 4)).astype(np.float32),
        "b_fp16": rng.standard_normal((5,)).astype(np.float16),
        "c_int8": rng.integers(-128, 127, (2, 3, 2)).astype(np.int8),
        "d_int64": np.array([-(2**62), 0, 2**62 + 7], dtype=np.int64),
        "e_bool": np.array([[True, False], [False, True]]),
        "f_scalar": np.array(3.25, dtype=np.float32),          # 0-d
        "g_bf16": rng.standard_normal((4,)).astype(ml_dtypes.bfloat16),
        "h_uint8": np.arange(7, dtype=np.uint8),
        "i_fp64": rng.standard_normal((2, 2)),
        "j_int32_empty": np.zeros((0, 3), dtype=np.int32),
    }


def test_round_trip_every_dtype(tmp_path):
    tensors = _tensors()
    path = tmp_path / "model.pdiparams"
    write_params(path, tensors)
    records = read_records(path, count=len(tensors))
    for name, record in zip(sorted(tensors), records):
        expected = tensors[name]
        assert record.array.dtype == expected.dtype, name
        assert record.array.shape == expected.shape, name
        assert record.array.tobytes() == expected.tobytes(), name


def test_arrays_are_views_of_one_mapping(tmp_path):
    """No copy: every array is a read-only view into the same np.memmap of the file."""
    path = tmp_path / "model.pdiparams"
    write_params(path, {"w": np.ones((64, 64), np.float32), "x": np.zeros(10, np.float32)})
    records = read_records(path)
    bases = set()
    for record in records:
        base = record.array
        while getattr(base, "base", None) is not None and not isinstance(base, np.memmap):
            base = base.base
        assert isinstance(base, np.memmap)
        bases.add(id(base._mmap if hasattr(base, "_mmap") else base))
        assert not record.array.flags.writeable
    assert len(bases) == 1


def test_dtype_table_matches_design():
    assert {code: DTYPES[code].name for code in (0, 1, 2, 3, 4, 5, 6, 20, 21, 22)} == {
        0: "bool", 1: "int16", 2: "int32", 3: "int64", 4: "float16", 5: "float32",
        6: "float64", 20: "uint8", 21: "int8", 22: "bfloat16"}


def test_truncated_file_names_file_and_offset(tmp_path):
    path = tmp_path / "model.pdiparams"
    write_params(path, {"a": np.ones((10, 10), np.float32), "b": np.ones(3, np.float32)})
    data = path.read_bytes()
    path.write_bytes(data[:-5])
    with pytest.raises(ModelLoadError) as info:
        read_records(path, count=2)
    message = str(info.value)
    assert str(path) in message and "truncated in tensor #1" in message
    assert "byte offset" in message


@pytest.mark.parametrize("cut", [3, 10, 17, 22])
def test_truncated_inside_header(tmp_path, cut):
    path = tmp_path / "model.pdiparams"
    write_params(path, {"a": np.ones(4, np.float32)})
    path.write_bytes(path.read_bytes()[:cut])
    with pytest.raises(ModelLoadError, match="truncated in tensor #0"):
        read_records(path, count=1)


def test_fewer_and_more_tensors_than_needed(tmp_path):
    path = tmp_path / "model.pdiparams"
    write_params(path, {"a": np.ones(4, np.float32), "b": np.ones(2, np.float32)})
    with pytest.raises(ModelLoadError, match=r"holds 2 tensors but the program needs 3"):
        read_records(path, count=3)
    with pytest.raises(ModelLoadError, match=r"bytes left after the 1 tensors"):
        read_records(path, count=1)


def test_bad_version_and_dtype(tmp_path):
    path = tmp_path / "p"
    with open(path, "wb") as handle:
        write_record(handle, np.ones(2, np.float32))
    data = bytearray(path.read_bytes())
    data[0] = 7
    path.write_bytes(bytes(data))
    with pytest.raises(ModelLoadError, match="unsupported record version 7"):
        read_param_file(path)
    data[0] = 0
    data[21] = 99  # the TensorDesc data_type varint (header is 20 bytes, then 0x08)
    path.write_bytes(bytes(data))
    with pytest.raises(ModelLoadError, match="unknown data type code 99"):
        read_param_file(path)


def test_empty_file_has_no_tensors(tmp_path):
    path = tmp_path / "empty.pdiparams"
    path.write_bytes(b"")
    assert read_records(path) == []
    with pytest.raises(ModelLoadError, match="holds 0 tensors"):
        read_records(path, count=1)
