"""Write an artifact folder atomically: everything goes to a temporary sibling folder that is
renamed into place only once complete, so a failed or killed compile leaves nothing at
``-o`` (or the previous artifact, whole).

The staging folder is ``.NAME.tmp-PID-XXXX``; a compile killed with it in place leaves it
behind, and the next compile of the same output removes those of processes that are gone.
An existing artifact is swapped with the new one in one ``renameat2(RENAME_EXCHANGE)`` where
the kernel has it (Linux 3.15+), so there is no moment without an artifact at ``-o``.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import ArtifactError
from ..runtime.manifest import FORMAT_VERSION, MANIFEST_NAME, sha256_file
from ..staging import make_staging, remove_dead_staging

__all__ = ["artifact_writer", "write_manifest"]

_DISK_ERRORS = {errno.ENOSPC: "no space left on the device", errno.EDQUOT: "disk quota exceeded",
                errno.EROFS: "the file system is read-only", errno.EFBIG: "file too large",
                errno.EACCES: "permission denied", errno.EPERM: "operation not permitted"}
_DISK_MESSAGES = ("No space left on device", "Read-only file system", "Disk quota exceeded",
                  "File too large")


@contextlib.contextmanager
def artifact_writer(output: str | Path) -> Iterator[Path]:
    """Yield a temporary folder; on success it replaces ``output`` (an old artifact there is
    replaced, any other non-empty folder is refused); on error it is deleted. A full or
    read-only file system is an :class:`ArtifactError` naming the output."""
    output = Path(output).absolute()
    if output.exists() and not _replaceable(output):
        raise ArtifactError(
            f"{output}: exists and is not a paddlec artifact; refusing to overwrite it"
        )
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        remove_dead_staging(output)
        staging = make_staging(output)
    except OSError as exc:
        raise _write_error(output, exc) from None
    try:
        yield staging
        os.chmod(staging, 0o755)
        _swap_into_place(staging, output)
    except OSError as exc:
        raise _write_error(output, exc) from None
    except Exception as exc:
        reason = _disk_failure(exc)  # e.g. the linker's message, inside a CompileError
        if reason:
            raise ArtifactError(f"cannot write the artifact {output}: {reason}") from exc
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _disk_failure(exc: BaseException | None) -> str | None:
    """The disk condition an exception (or one it was raised from) reports, if any."""
    seen = 0
    while exc is not None and seen < 8:
        if isinstance(exc, OSError) and exc.errno in _DISK_ERRORS:
            return _DISK_ERRORS[exc.errno]
        text = str(exc)
        for message in _DISK_MESSAGES:
            if message in text:
                return message
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return None


def _write_error(output: Path, exc: OSError) -> ArtifactError:
    reason = _DISK_ERRORS.get(exc.errno, exc.strerror or str(exc))
    return ArtifactError(f"cannot write the artifact {output}: {reason} ({exc})")


def _replaceable(path: Path) -> bool:
    if path.is_file():
        return False
    return (path / MANIFEST_NAME).is_file() or not any(path.iterdir())


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (``renameat2``); False where the kernel or libc lacks it."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL):  # no such call, or a file system without it
        return False
    raise OSError(code, os.strerror(code), str(b))


def _swap_into_place(staging: Path, output: Path) -> None:
    if not output.exists():
        os.rename(staging, output)
        return
    if _exchange(staging, output):  # staging now holds the old artifact: removed by caller
        return
    retired = make_staging(output, "old")
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
