"""Paddle frontend: inference models saved by ``paddle.static.save_inference_model`` → the IR.

Reads both program formats without Paddle installed — the PIR JSON (``*.json``, Paddle 3's
default) and the legacy ``ProgramDesc`` protobuf (``*.pdmodel``, ``__model__``) — and both
parameter layouts (one combined ``*.pdiparams`` file, or one file per variable next to
``__model__``). Weights stay memory-mapped views of the params file.

    files = find_paddle_model(Path("model_dir"))
    model, program = load_paddle(files)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx_ir as ir

from ....errors import ModelLoadError
from .convert import convert_program, unsupported_ops
from .params import read_param_file, read_records
from .pdmodel import read_pdmodel
from .pir import read_pir
from .program import PIR, PROTOBUF, PaddleProgram

__all__ = ["PaddleFiles", "find_paddle_model", "read_program", "read_weights", "load_paddle",
           "unsupported_ops", "PIR", "PROTOBUF"]

# searched in this order (PIR first: Paddle 3 writes it by default)
_DEFAULT_NAMES = ("inference.json", "inference.pdmodel", "model.json", "model.pdmodel",
                  "__model__")
_COMBINED_LEGACY = ("__params__", "params")


@dataclass
class PaddleFiles:
    """Where a Paddle model's program and weights are (``params_dir``: per-variable files)."""

    model: Path
    format: str
    params: Path | None = None
    params_dir: Path | None = None
    param_files: list[Path] = field(default_factory=list)

    @property
    def all_files(self) -> list[Path]:
        """Model file first, then every params file (what the source sha256 covers)."""
        extra = [self.params] if self.params is not None else sorted(self.param_files)
        return [self.model, *extra]


def _is_pir_json(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            head = handle.read(4096)
    except OSError:
        return False
    return b'"magic"' in head and b'"pir"' in head


def _format_of(path: Path) -> str | None:
    if path.suffix == ".pdmodel" or path.name == "__model__":
        return PROTOBUF
    if path.suffix == ".json":
        return PIR
    return None


def _params_for(model: Path, params_file: Path | None) -> tuple[Path | None, Path | None]:
    if params_file is not None:
        if not params_file.is_file():
            raise ModelLoadError(f"{params_file}: params file not found")
        return params_file, None
    candidate = model.with_suffix(".pdiparams")
    if model.name != "__model__" and candidate.is_file():
        return candidate, None
    for name in _COMBINED_LEGACY:
        if model.name == "__model__" and (model.parent / name).is_file():
            return model.parent / name, None
    if model.name == "__model__":
        return None, model.parent
    return None, None  # a program without weights, or the params file is missing


def find_paddle_model(path: Path, model_file: str | Path | None = None,
                      params_file: str | Path | None = None) -> PaddleFiles | None:
    """The Paddle model at ``path`` (a file or a folder), or None when it is not one.

    ``model_file`` / ``params_file`` override discovery; relative names are looked up inside
    ``path`` when it is a folder.
    """
    base = path if path.is_dir() else path.parent

    def resolve(name: str | Path | None) -> Path | None:
        if name is None:
            return None
        candidate = Path(name)
        return candidate if candidate.is_absolute() or candidate.exists() else base / candidate

    model = resolve(model_file)
    params = resolve(params_file)
    if model is None:
        if path.is_file():
            model = path
        else:
            found = [path / name for name in _DEFAULT_NAMES if (path / name).is_file()]
            if not found:
                programs = sorted(path.glob("*.pdmodel")) + sorted(
                    p for p in path.glob("*.json") if _is_pir_json(p))
                if len(programs) > 1:
                    names = ", ".join(p.name for p in programs)
                    raise ModelLoadError(f"{path}: several Paddle programs ({names}); pass "
                                         "--model-file")
                found = programs
            if not found:
                return None
            model = found[0]
    if not model.is_file():
        raise ModelLoadError(f"{model}: model file not found")
    fmt = _format_of(model)
    if fmt is None:
        return None  # not a Paddle program name (e.g. an .onnx file): another frontend's
    combined, params_dir = _params_for(model, params)
    files = PaddleFiles(model, fmt, combined, params_dir)
    return files


def read_program(files: PaddleFiles) -> PaddleProgram:
    """Parse the program file (no weights)."""
    return read_pir(files.model) if files.format == PIR else read_pdmodel(files.model)


def read_weights(files: PaddleFiles, program: PaddleProgram) -> dict[str, np.ndarray]:
    """Every persistable tensor of ``program`` as a read-only view of the params file(s).

    The count, dtype and dims of each tensor are checked against the program's declaration.
    """
    names = program.params
    offsets: dict[str, int] = {}
    weights: dict[str, np.ndarray] = {}
    where: dict[str, Path] = {}
    if files.params is not None:
        records = read_records(files.params, count=len(names))
        for name, record in zip(names, records):
            weights[name], offsets[name], where[name] = record.array, record.offset, files.params
    elif names:
        if files.params_dir is None:
            raise ModelLoadError(f"{files.model}: the program needs {len(names)} parameters "
                                 f"but no params file was found next to it (pass "
                                 "--params-file)")
        for name in names:
            path = files.params_dir / name
            if not path.is_file():
                raise ModelLoadError(f"{path}: parameter file of {name!r} is missing")
            record = read_param_file(path)
            weights[name], offsets[name], where[name] = record.array, record.offset, path
            files.param_files.append(path)
    for name, array in weights.items():
        declared = program.vars.get(name)
        if declared is None or declared.shape is None:
            continue
        if list(array.shape) != list(declared.shape):
            raise ModelLoadError(
                f"{where[name]}: tensor {name!r} at byte offset {offsets[name]} has dims "
                f"{list(array.shape)} but the program declares {list(declared.shape)}")
        if declared.dtype is not None and array.dtype != declared.dtype:
            raise ModelLoadError(
                f"{where[name]}: tensor {name!r} at byte offset {offsets[name]} is "
                f"{array.dtype} but the program declares {declared.dtype}")
    return weights


def load_paddle(files: PaddleFiles) -> tuple[ir.Model, PaddleProgram]:
    """Read program and weights and map them to the IR."""
    program = read_program(files)
    missing = unsupported_ops(program)  # report unmapped ops before touching the weights
    if missing:
        convert_program(program, {})  # raises the error that lists them all
    weights = read_weights(files, program)
    return convert_program(program, weights), program
