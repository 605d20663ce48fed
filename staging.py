"""Staging folders for atomic writes: ``.NAME.tmp-PID-XXXX`` beside the final ``NAME``.

A writer fills its staging folder and renames it into place when complete; a writer killed
before that leaves its folder behind. The PID in the name tells a later writer whether the
owner is gone (its folder is litter, removed) or still running (left alone). Used by the
artifact writer (``compiler/artifact.py``) and the compile cache (``inference/cache.py``).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

__all__ = ["make_staging", "remove_dead_staging"]


def make_staging(final: Path, kind: str = "tmp") -> Path:
    """A new empty folder ``.FINAL.KIND-PID-XXXX`` next to ``final``."""
    return Path(tempfile.mkdtemp(prefix=f".{final.name}.{kind}-{os.getpid()}-",
                                 dir=final.parent))


def remove_dead_staging(final: Path) -> list[Path]:
    """Remove the staging folders of ``final`` whose writer process is gone; returns them."""
    pattern = re.compile(rf"^\.{re.escape(final.name)}\.[a-z]+-(\d+)-")
    removed = []
    try:
        entries = list(final.parent.iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = pattern.match(entry.name)
        if match and entry.is_dir() and not _alive(int(match.group(1))):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


def _alive(pid: int) -> bool:
    """Whether process ``pid`` still runs (a zombie, killed but not yet reaped, does not)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")
