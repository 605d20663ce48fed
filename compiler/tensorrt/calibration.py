"""Read ``--calib-data`` (an ``.npz`` or a folder of ``.npz``/``.npy`` files) into samples.

Stored in the artifact as ``calibration.npz`` with keys ``<sample>/<input name>``: the
runtime feeds them through the model to collect each region's inputs, which the int8
entropy calibrator consumes (see ``paddlec.runtime.tensorrt``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...errors import InputMismatchError
from ...numpy_files import load_npy, load_npz

__all__ = ["load_calibration_data"]


def _one(path: Path, names: list[str]) -> dict[str, np.ndarray]:
    if path.suffix == ".npy":
        if len(names) != 1:
            raise InputMismatchError(f"{path}: a .npy sample fits a one-input model only")
        return {names[0]: load_npy(path, InputMismatchError, "--calib-data")}
    sample = load_npz(path, InputMismatchError, "--calib-data")
    missing = [name for name in names if name not in sample]
    if missing:
        raise InputMismatchError(f"{path}: calibration sample lacks input(s) {missing}")
    return {name: sample[name] for name in names}


def load_calibration_data(source: str | Path, names: list[str]) -> dict[str, np.ndarray]:
    """``{"0/image": array, "1/image": array, ...}``; one sample per file (or per npz)."""
    source = Path(source)
    if source.is_dir():
        files = sorted(p for p in source.iterdir() if p.suffix in (".npz", ".npy"))
    elif source.is_file():
        files = [source]
    else:
        raise InputMismatchError(f"--calib-data {source}: no such file or folder")
    if not files:
        raise InputMismatchError(f"--calib-data {source}: no .npz/.npy files in it")
    samples: dict[str, np.ndarray] = {}
    try:
        for index, path in enumerate(files):
            for name, value in _one(path, names).items():
                samples[f"{index}/{name}"] = value
    except (OSError, ValueError) as exc:
        raise InputMismatchError(f"--calib-data {source}: {exc}") from None
    return samples
