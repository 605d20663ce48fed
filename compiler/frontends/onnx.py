"""ONNX frontend: an ``.onnx`` file (or a folder holding one) → the IR (``onnx_ir.Model``).

External data is read relative to the model file. Graph inputs that also have an initializer
(the IR < 4 convention that old exporters and the ONNX "light" models use) are weights, not
feeds, so they are removed from the inputs.
"""

from __future__ import annotations

from pathlib import Path

import onnx
import onnx_ir as ir
from google.protobuf.message import DecodeError
from onnx_ir.passes.common import RemoveInitializersFromInputsPass
from onnx_ir.serde import SerdeError

from ...errors import ModelLoadError

__all__ = ["find_onnx_file", "load_onnx"]


def find_onnx_file(path: Path) -> Path:
    """The model file itself, or the single ``.onnx`` file (``model.onnx`` preferred) in a folder."""
    if path.is_file():
        return path
    candidates = sorted(path.glob("*.onnx"))
    preferred = [p for p in candidates if p.name in ("model.onnx", "inference.onnx")]
    if preferred:
        return preferred[0]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise ModelLoadError(f"{path}: no .onnx file in this folder")
    names = ", ".join(p.name for p in candidates)
    raise ModelLoadError(f"{path}: several .onnx files ({names}); pass the one to compile")


def load_onnx(path: Path) -> ir.Model:
    """Read and validate an ONNX model; raises :class:`ModelLoadError` naming the file."""
    try:
        proto = onnx.load(str(path), load_external_data=False)
    except DecodeError as exc:
        raise ModelLoadError(f"{path}: not a valid ONNX file (protobuf decode failed: {exc})") from None
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"{path}: cannot read: {exc}") from None
    if proto.ir_version <= 0 or not proto.HasField("graph") or not proto.graph.node:
        raise ModelLoadError(
            f"{path}: not an ONNX model (no ir_version or empty graph); is it the right file?"
        )
    try:
        onnx.load_external_data_for_model(proto, str(path.parent))
    except Exception as exc:  # noqa: BLE001 - onnx's reader fails in many ways on bad locations
        raise ModelLoadError(f"{path}: cannot read external data: {type(exc).__name__}: "
                             f"{exc}") from None
    try:
        onnx.checker.check_model(proto)
    except UnicodeDecodeError as exc:  # a string field that is not UTF-8
        raise ModelLoadError(f"{path}: invalid ONNX model: a string is not UTF-8 ({exc})"
                             ) from None
    except onnx.checker.ValidationError as exc:
        first_line = str(exc).strip().splitlines()[0]
        raise ModelLoadError(f"{path}: invalid ONNX model: {first_line}") from None
    try:
        model = ir.from_proto(proto)
    except SerdeError as exc:  # valid to the checker, not to the IR (e.g. an unknown dtype)
        cause = exc.__cause__ or exc
        raise ModelLoadError(f"{path}: invalid ONNX model: {type(cause).__name__}: "
                             f"{cause}") from exc
    RemoveInitializersFromInputsPass()(model)
    return model
