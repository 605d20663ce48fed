"""Write an artifact folder atomically: everything goes to a temporary sibling folder that is
renamed into place only once complete, so a failed compile leaves nothing at ``-o``."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import ArtifactError
from ..runtime.manifest import FORMAT_VERSION, MANIFEST_NAME, sha256_file

__all__ = ["artifact_writer", "write_manifest"]


@contextlib.contextmanager
def artifact_writer(output: str | Path) -> Iterator[Path]:
    """Yield a temporary folder; on success it replaces ``output`` (an old artifact there is
    replaced, any other non-empty folder is refused); on error it is deleted."""
    output = Path(output).absolute()
    if output.exists() and not _replaceable(output):
        raise ArtifactError(
            f"{output}: exists and is not a paddlec artifact; refusing to overwrite it"
        )
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{output.name}.tmp-", dir=output.parent))
    try:
        yield staging
        os.chmod(staging, 0o755)
        _swap_into_place(staging, output)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _replaceable(path: Path) -> bool:
    if path.is_file():
        return False
    return (path / MANIFEST_NAME).is_file() or not any(path.iterdir())


def _swap_into_place(staging: Path, output: Path) -> None:
    if not output.exists():
        os.rename(staging, output)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{output.name}.old-", dir=output.parent))
    os.rename(output, retired / "artifact")
    os.rename(staging, output)
    shutil.rmtree(retired, ignore_errors=True)


def write_manifest(folder: Path, fields: dict[str, Any]) -> dict[str, Any]:
    """Write ``manifest.json`` with the sha256 of every file already in ``folder``.

    Keys are sorted and nothing time-dependent is recorded, so the same compile gives the
    same manifest byte for byte.
    """
    files = {
        str(path.relative_to(folder)): sha256_file(path)
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != MANIFEST_NAME
    }
    manifest = {"format_version": FORMAT_VERSION, **fields, "files": files}
    text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    (folder / MANIFEST_NAME).write_text(text)
    return manifest
