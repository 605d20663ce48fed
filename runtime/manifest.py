"""The artifact manifest: the versioned contract between the compiler and the runtime.

An artifact is a folder holding ``manifest.json`` and the files it lists (``model.so``...).
The manifest records the format version, the versions that produced it, the target, the
model's inputs and outputs, and the sha256 of every file, so that the runtime can refuse a
folder that is incomplete or was modified before it ``dlopen``s native code from it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Iterable
from typing import Any

from ..errors import ArtifactError
from .signing import verify_manifest_signature

__all__ = [
    "FORMAT_VERSION",
    "MANIFEST_NAME",
    "TensorSpec",
    "Manifest",
    "sha256_file",
    "read_manifest",
    "manifest_problem",
]

FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
# the dtypes of plain (not low-precision) inputs and outputs, numpy's spelling
EXCHANGED_DTYPES = frozenset({"float32", "float16", "float64", "bfloat16", "int64", "int32",
                              "int16", "int8", "uint64", "uint32", "uint16", "uint8", "bool"})

Dim = int | str  # a static size, or the name of a symbolic dimension


@dataclass(frozen=True)
class TensorSpec:
    """Name, dtype (numpy spelling) and shape of a model input or output.

    ``storage`` is set for float8 / float4 / 4-bit / 2-bit tensors: ``dtype`` is then the
    ``ml_dtypes`` name (``float8_e4m3fn``, ``int4``...) the user sees, and the compiled
    code exchanges the same bytes as ``storage`` (uint8, one bit pattern per element).
    """

    name: str
    dtype: str
    shape: tuple[Dim, ...]
    storage: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = {"name": self.name, "dtype": self.dtype, "shape": list(self.shape)}
        if self.storage is not None:
            data["storage"] = self.storage
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "TensorSpec":
        return cls(data["name"], data["dtype"], tuple(data["shape"]), data.get("storage"))

    def __str__(self) -> str:
        dims = "x".join(str(d) for d in self.shape) or "scalar"
        return f"{self.name}: {self.dtype}[{dims}]"


@dataclass(frozen=True)
class Manifest:
    """A parsed ``manifest.json``; ``raw`` keeps every field, known or not."""

    raw: dict[str, Any]
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]
    signer: str | None = None  # fingerprint of the trusted key that signed it, if checked

    @property
    def target(self) -> dict[str, Any]:
        return self.raw["target"]

    @property
    def device_kind(self) -> str:
        """``cpu`` or ``cuda``: where the compiled code runs."""
        return self.raw["target"].get("device", "cpu")

    @property
    def library(self) -> str:
        return self.raw["library"]

    @property
    def dim_ranges(self) -> dict[str, tuple[int, int]]:
        """Symbolic dim name → (min, max) the model was compiled for (``--input-shape-range``)."""
        return {name: (int(lo), int(hi)) for name, (lo, hi) in
                (self.raw.get("dim_ranges") or {}).items()}


def sha256_file(path: Path, chunk_size: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_manifest(folder: str | Path, verify_files: bool = True,
                  trusted_keys: Iterable[Any] | None = None) -> Manifest:
    """Read and validate the manifest of an artifact folder.

    With ``trusted_keys`` (ed25519 public keys, see ``runtime/signing.py``) the manifest must
    carry a valid signature by one of them. With ``verify_files`` every listed file must exist
    with the recorded sha256. Both run before any native code is loaded.
    """
    folder = Path(folder)
    path = folder / MANIFEST_NAME
    if not folder.is_dir():
        raise ArtifactError(f"{folder}: not an artifact folder (no such directory)")
    if not path.is_file():
        raise ArtifactError(f"{folder}: not an artifact folder ({MANIFEST_NAME} is missing)")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ArtifactError(f"{path}: unreadable manifest: {exc}") from None
    signer = None
    if trusted_keys is not None:  # on the very bytes parsed below
        signer = verify_manifest_signature(folder, data, trusted_keys)
    try:
        raw = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ArtifactError(f"{path}: unreadable manifest: {exc}") from None
    version = raw.get("format_version") if isinstance(raw, dict) else None
    if version != FORMAT_VERSION:
        raise ArtifactError(
            f"{path}: artifact format version {version!r}, this runtime reads {FORMAT_VERSION}; "
            "recompile the model with a matching paddlec"
        )
    problem = manifest_problem(raw)
    if problem:
        raise ArtifactError(f"{path}: malformed manifest: {problem}")
    inputs = tuple(TensorSpec.from_json(item) for item in raw["inputs"])
    outputs = tuple(TensorSpec.from_json(item) for item in raw["outputs"])
    if verify_files:
        _verify_files(folder, raw["files"])
    return Manifest(raw=raw, inputs=inputs, outputs=outputs, signer=signer)


def _is_name(value: Any) -> bool:
    return isinstance(value, str) and bool(value) and "\0" not in value


def _is_relative_file(name: Any) -> bool:
    """A file name inside the artifact folder: relative, no ``..``, no NUL."""
    if not _is_name(name) or name.startswith("/"):
        return False
    return ".." not in Path(name).parts


def _spec_problem(item: Any, where: str) -> str | None:
    if not isinstance(item, dict) or not _is_name(item.get("name")):
        return f"{where}: not a tensor description with a name"
    shape, dtype, storage = item.get("shape"), item.get("dtype"), item.get("storage")
    if not isinstance(shape, list) or not all(
            (type(d) is int and d >= 0) or _is_name(d) for d in shape):
        return f"{where} {item['name']!r}: shape must list sizes >= 0 or dimension names"
    if not _is_name(dtype) or (storage is not None and storage != "uint8"):
        return f"{where} {item['name']!r}: bad dtype / storage"
    if storage is None and dtype not in EXCHANGED_DTYPES:
        return f"{where} {item['name']!r}: unknown dtype {dtype!r}"
    return None


def manifest_problem(raw: Any) -> str | None:
    """What makes ``raw`` (a parsed manifest.json) unusable, or None: every field the
    runtime reads is checked for its type before anything is loaded."""
    required = ("inputs", "outputs", "files", "library", "target")
    missing = [key for key in required if key not in raw]
    if missing:
        return f"missing {', '.join(missing)}"
    files = raw["files"]
    if not isinstance(files, dict) or not all(
            _is_relative_file(name) and isinstance(digest, str) and len(digest) == 64
            for name, digest in files.items()):
        return "files must map relative file names to sha256 digests"
    if not _is_relative_file(raw["library"]) or raw["library"] not in files:
        return "library must be one of the listed (checksummed) files"
    target = raw["target"]
    if not isinstance(target, dict) or target.get("device", "cpu") not in ("cpu", "cuda"):
        return "target must be an object whose device is 'cpu' or 'cuda'"
    for key in ("inputs", "outputs"):
        if not isinstance(raw[key], list):
            return f"{key} must be a list"
        for index, item in enumerate(raw[key]):
            problem = _spec_problem(item, f"{key}[{index}]")
            if problem:
                return problem
        names = [item["name"] for item in raw[key]]
        if len(set(names)) != len(names):
            return f"{key}: names must be unique"
    libraries = raw.get("native_libraries", [])
    if not isinstance(libraries, list) or not all(
            isinstance(e, dict) and _is_name(e.get("soname")) and "/" not in e["soname"]
            and (e.get("package") is None or _is_name(e.get("package"))) for e in libraries):
        return "native_libraries must list {soname, package} with bare library names"
    ranges = raw.get("dim_ranges")
    if ranges is not None and not (isinstance(ranges, dict) and all(
            _is_name(name) and isinstance(bounds, list) and len(bounds) == 2 and
            all(isinstance(b, int) and not isinstance(b, bool) for b in bounds) and
            0 <= bounds[0] <= bounds[1] for name, bounds in ranges.items())):
        return "dim_ranges must map dimension names to [min, max]"
    batch_one = raw.get("batch_one")
    if batch_one is not None and not (
            isinstance(batch_one, dict) and _is_name(batch_one.get("function"))
            and isinstance(batch_one.get("inputs", []), list)
            and all(type(i) is int and 0 <= i < len(raw["inputs"])
                    for i in batch_one.get("inputs", []))):
        return "batch_one must name a function and input positions"
    for key in ("tensorrt", "cuda", "cpu", "source"):
        if raw.get(key) is not None and not isinstance(raw[key], dict):
            return f"{key} must be an object"
    for key in ("passes", "runtime_functions"):
        if raw.get(key) is not None and not isinstance(raw[key], list):
            return f"{key} must be a list"
    return None


def _verify_files(folder: Path, files: dict[str, str]) -> None:
    for name, expected in sorted(files.items()):
        file_path = folder / name
        if not file_path.is_file():
            raise ArtifactError(f"{folder}: artifact is incomplete, {name} is missing")
        if sha256_file(file_path) != expected:
            raise ArtifactError(
                f"{file_path}: checksum mismatch (the file changed after compilation); "
                "refusing to load it"
            )
