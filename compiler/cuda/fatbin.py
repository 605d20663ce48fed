"""List the GPU code inside a built library by reading its NVIDIA fatbins (no cuobjdump).

A fatbin is a 16-byte header (``u32 magic 0xBA55ED50, u16 version 1, u16 header size,
u64 payload size``) followed by entries, each with its own header: ``u16 kind`` (1 = PTX,
2 = ELF cubin), ``u16 version``, ``u32 header size``, ``u64 payload size``, ... and at
byte 28 ``u32 arch`` (80 for sm_80). PTX entries are usually zstd-compressed (flag 0x8000
at byte 40); we only read headers, never payloads. The layout was checked against fatbins
nvcc 13.0 writes for known ``-gencode`` lists (tests/cuda/test_fatbin.py re-checks it).
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass
from pathlib import Path

__all__ = ["FatbinEntry", "list_fatbin_entries", "summarize"]

MAGIC = 0xBA55ED50
_HEADER = struct.Struct("<IHHQ")
_ENTRY = struct.Struct("<HHIQ")
_KINDS = {1: "ptx", 2: "cubin"}
_FLAG_COMPRESSED = 0x2000 | 0x8000  # LZ4 (older toolkits) | zstd (CUDA 12.8+)


@dataclass(frozen=True)
class FatbinEntry:
    """One piece of device code: a cubin (SASS) for ``sm_XX`` or PTX for ``compute_XX``."""

    kind: str  # "cubin" | "ptx"
    arch: int  # 80, 90, ...
    size: int
    compressed: bool

    @property
    def name(self) -> str:
        return f"{'sm' if self.kind == 'cubin' else 'compute'}_{self.arch}"

    def to_json(self) -> dict:
        return {"kind": self.kind, "arch": self.name, "bytes": self.size,
                "compressed": self.compressed}


def _entries_at(data, start: int) -> list[FatbinEntry] | None:
    """Parse the fatbin starting at ``start``; None when the bytes there are not one."""
    if start + _HEADER.size > len(data):
        return None
    magic, version, header_size, payload = _HEADER.unpack_from(data, start)
    end = start + header_size + payload
    if magic != MAGIC or version != 1 or header_size != _HEADER.size or end > len(data):
        return None
    entries, offset = [], start + header_size
    while offset + 48 <= end:
        kind, _, entry_header, size = _ENTRY.unpack_from(data, offset)
        if kind not in _KINDS or entry_header < 48 or offset + entry_header + size > end:
            return None
        (arch,) = struct.unpack_from("<I", data, offset + 28)
        (flags,) = struct.unpack_from("<Q", data, offset + 40)
        entries.append(FatbinEntry(_KINDS[kind], arch, size, bool(flags & _FLAG_COMPRESSED)))
        offset += entry_header + size
    return entries if offset == end and entries else None


def list_fatbin_entries(path: str | Path) -> list[FatbinEntry]:
    """Every fatbin entry in the file at ``path`` (a ``model.so`` or a ``.fatbin``)."""
    with open(path, "rb") as handle:
        if Path(path).stat().st_size == 0:
            return []
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            found: list[FatbinEntry] = []
            needle = struct.pack("<I", MAGIC)
            position = data.find(needle)
            while position >= 0:
                entries = _entries_at(data, position)
                found.extend(entries or [])
                position = data.find(needle, position + 4)
            return found


def summarize(entries: list[FatbinEntry]) -> dict[str, list[str]]:
    """``{"sass": ["sm_80", "sm_90"], "ptx": ["compute_90"]}`` (sorted, unique)."""
    sass = sorted({e.arch for e in entries if e.kind == "cubin"})
    ptx = sorted({e.arch for e in entries if e.kind == "ptx"})
    return {"sass": [f"sm_{a}" for a in sass], "ptx": [f"compute_{a}" for a in ptx]}
