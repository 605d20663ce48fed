"""Read the ``.npy`` / ``.npz`` files users pass on the command line (``--const-input``,
``--calib-data``, ``paddlec run -i``).

numpy's readers raise whatever their parsers raise on a damaged file (``BadZipFile``,
``zlib.error``, ``EOFError``, a tokenizer error from the header...), so every failure to
read is turned into the caller's typed error, naming the file. A ``.npy`` is memory-mapped
first: a header that claims more data than the file holds fails without allocating it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import PaddlecError

__all__ = ["load_npy", "load_npz"]


def load_npy(path: str | Path, error: type[PaddlecError], what: str) -> np.ndarray:
    """The array in the ``.npy`` file ``path``; ``error(f"{what}: ...")`` if unreadable."""
    try:
        mapped = np.load(path, mmap_mode="r", allow_pickle=False)
        if not isinstance(mapped, np.ndarray):
            raise ValueError("not a .npy file (an .npz archive?)")
        return np.array(mapped)
    except Exception as exc:  # noqa: BLE001 - any parser failure is the file's fault
        raise error(f"{what}: cannot read {path}: {type(exc).__name__}: {exc}") from None


def load_npz(path: str | Path, error: type[PaddlecError], what: str) -> dict[str, np.ndarray]:
    """Every array of the ``.npz`` archive ``path``, by name."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            if not hasattr(archive, "files"):
                raise ValueError("not an .npz archive")
            return {name: archive[name] for name in archive.files}
    except Exception as exc:  # noqa: BLE001 - any parser failure is the file's fault
        raise error(f"{what}: cannot read {path}: {type(exc).__name__}: {exc}") from None
