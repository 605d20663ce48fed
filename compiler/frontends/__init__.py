"""Model importers: every supported format becomes one IR, an ``onnx_ir.Model``.

``load_model`` finds the format of a path (file or folder), imports it and applies the
user's input-shape overrides, so that everything downstream sees one kind of graph.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import onnx_ir as ir

from ...errors import ModelLoadError
from .onnx import find_onnx_file, load_onnx
from .paddle import find_paddle_model, load_paddle

__all__ = ["SourceModel", "load_model", "parse_input_shapes", "apply_input_shapes"]

Shape = list[int | str]


@dataclass
class SourceModel:
    """An imported model: the IR plus where it came from (for the manifest)."""

    model: ir.Model
    format: str
    files: list[Path]
    # op histogram of the *source* program when it is not ONNX (a Paddle program's op types)
    source_ops: dict[str, int] | None = field(default=None)

    @property
    def sha256(self) -> str:
        """sha256 over the source files' bytes, in order (model file first)."""
        digest = hashlib.sha256()
        for path in self.files:
            with open(path, "rb") as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(chunk)
        return digest.hexdigest()


def parse_input_shapes(specs: list[str] | tuple[str, ...]) -> dict[str, Shape]:
    """``["image:1x3x224x224", "ids:Nx128"]`` → ``{"image": [1, 3, 224, 224], "ids": ["N", 128]}``.

    A dimension that is not an integer stays symbolic under that name (``?`` becomes a
    fresh name), so a model can keep a dynamic batch.
    """
    shapes: dict[str, Shape] = {}
    for spec in specs:
        name, sep, dims_text = spec.rpartition(":")
        if not sep or not name or not dims_text:
            raise ModelLoadError(f"--input-shape {spec!r}: expected NAME:D1xD2x..., e.g. image:1x3x224x224")
        dims: Shape = []
        for index, dim in enumerate(dims_text.lower().split("x") if dims_text != "scalar" else []):
            if dim.isdigit():
                dims.append(int(dim))
            elif dim == "?":
                dims.append(f"{name}_dim{index}")
            elif dim.isidentifier():
                dims.append(dim)
            else:
                raise ModelLoadError(f"--input-shape {spec!r}: bad dimension {dim!r}")
        shapes[name] = dims
    return shapes


def apply_input_shapes(model: ir.Model, shapes: dict[str, Shape]) -> None:
    """Set the given input shapes; every input must end up with a known rank."""
    inputs = {value.name: value for value in model.graph.inputs}
    unknown = sorted(set(shapes) - set(inputs))
    if unknown:
        raise ModelLoadError(
            f"--input-shape names unknown input(s) {unknown}; the model's inputs are {sorted(inputs)}"
        )
    for name, dims in shapes.items():
        old = inputs[name].shape
        if old is not None and len(old) != len(dims):
            raise ModelLoadError(
                f"--input-shape {name}: rank {len(dims)} does not match the model's rank {len(old)}"
            )
        inputs[name].shape = ir.Shape(dims)
    for value in model.graph.inputs:
        if value.shape is None:
            raise ModelLoadError(f"input {value.name!r} has no shape: pass --input-shape {value.name}:D1xD2x...")
        if any(_unnamed(dim) for dim in value.shape):
            # unknown dims without a name (no dim_param, "?", or an exporter's -1) get one
            # each: TVM would read -1 as a size and make every "?" a variable of that name
            value.shape = ir.Shape([f"{value.name}_dim{i}" if _unnamed(d) else d
                                    for i, d in enumerate(value.shape)])


def _unnamed(dim) -> bool:
    if isinstance(dim, int):
        return dim < 0
    return dim.value is None or dim.value == "?"


def load_model(path: str | Path, input_shapes: dict[str, Shape] | None = None,
               model_file: str | Path | None = None,
               params_file: str | Path | None = None) -> SourceModel:
    """Import the model at ``path`` (a file or a model folder) into the IR.

    A Paddle inference model (``inference.json``/``inference.pdmodel``/``__model__`` + params,
    or ``model_file``/``params_file`` naming them) goes through the Paddle frontend; anything
    else is read as ONNX.
    """
    path = Path(path)
    if not path.exists():
        raise ModelLoadError(f"{path}: no such file or directory")
    paddle_files = find_paddle_model(path, model_file, params_file)
    if paddle_files is not None:
        model, program = load_paddle(paddle_files)
        source = SourceModel(model, paddle_files.format, paddle_files.all_files,
                             source_ops=program.op_histogram())
        apply_input_shapes(source.model, input_shapes or {})
        return source
    if params_file is not None:
        raise ModelLoadError(f"--params-file is for Paddle models; {path} is not one")
    onnx_file = find_onnx_file(path / model_file if model_file and path.is_dir()
                               else Path(model_file) if model_file else path)
    source = SourceModel(load_onnx(onnx_file), "onnx", [onnx_file])
    apply_input_shapes(source.model, input_shapes or {})
    return source
