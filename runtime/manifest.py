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
from typing import Any

from ..errors import ArtifactError

__all__ = [
    "FORMAT_VERSION",
    "MANIFEST_NAME",
    "TensorSpec",
    "Manifest",
    "sha256_file",
    "read_manifest",
]

FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"

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


def sha256_file(path: Path, chunk_size: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_manifest(folder: str | Path, verify_files: bool = True) -> Manifest:
    """Read and validate the manifest of an artifact folder.

    With ``verify_files`` every listed file must exist with the recorded sha256; this runs
    before any native code is loaded.
    """
    folder = Path(folder)
    path = folder / MANIFEST_NAME
    if not folder.is_dir():
        raise ArtifactError(f"{folder}: not an artifact folder (no such directory)")
    if not path.is_file():
        raise ArtifactError(f"{folder}: not an artifact folder ({MANIFEST_NAME} is missing)")
    try:
        raw = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ArtifactError(f"{path}: unreadable manifest: {exc}") from None
    version = raw.get("format_version") if isinstance(raw, dict) else None
    if version != FORMAT_VERSION:
        raise ArtifactError(
            f"{path}: artifact format version {version!r}, this runtime reads {FORMAT_VERSION}; "
            "recompile the model with a matching paddlec"
        )
    try:
        inputs = tuple(TensorSpec.from_json(item) for item in raw["inputs"])
        outputs = tuple(TensorSpec.from_json(item) for item in raw["outputs"])
        files = raw["files"]
        raw["library"], raw["target"]
    except (KeyError, TypeError) as exc:
        raise ArtifactError(f"{path}: malformed manifest (missing {exc})") from None
    if verify_files:
        _verify_files(folder, files)
    return Manifest(raw=raw, inputs=inputs, outputs=outputs)


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
