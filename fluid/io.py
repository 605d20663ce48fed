"""``save_inference_model`` / ``load_inference_model``: training program → inference model.

Saving = clone → prune (``passes/prune.py``: feeds → targets) → inference mode (dropout
removed, batch norm on running statistics) → weights from the scope → write the folder:

    model.onnx             standard ONNX (opset 17), checked with onnx.checker
    model.onnx.data        weights of 1 KiB and more, as ONNX external data (if any)
    inference_model.json   feeds, fetches, what was pruned and switched to inference mode

The folder compiles as is: ``paddlec compile DIR --target llvm`` finds ``model.onnx``.
``save_onnx_inference_model`` does the same for an ONNX training graph (``paddlec save``).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import onnx_ir as ir

from ..errors import ModelLoadError, PruneError
from ..passes.prune import PruneReport, prune
from .framework import TRAIN_DOMAIN, Program, Variable, default_main_program, fill_persistables
from .inference_mode import to_inference_mode

__all__ = [
    "save_inference_model",
    "load_inference_model",
    "save_onnx_inference_model",
    "MANIFEST_NAME",
    "DEFAULT_MODEL_FILENAME",
]

MANIFEST_NAME = "inference_model.json"
DEFAULT_MODEL_FILENAME = "model.onnx"
EXTERNAL_THRESHOLD_BYTES = 1024


def save_inference_model(
    dirname,
    feed_var_names=None,
    target_vars=None,
    executor=None,
    main_program: Program | None = None,
    model_filename: str | None = None,
    params_filename: str | None = None,
    export_for_deployment=True,
    program_only=False,
    feeded_var_names=None,
) -> list[str]:
    """Paddle's ``fluid.io.save_inference_model`` (``feeded_var_names`` is the 1.x keyword).

    Returns the target names. Raises :class:`~paddlec.errors.PruneError` when the targets
    need something that is not fed (e.g. the label) or a training-only op.
    """
    from .executor import global_scope

    feeds = feed_var_names if feed_var_names is not None else feeded_var_names or []
    feeds = [feeds] if isinstance(feeds, str) else list(feeds)
    targets = target_vars if isinstance(target_vars, (list, tuple)) else [target_vars]
    target_names = [t.name if isinstance(t, Variable) else str(t) for t in targets]
    program = main_program or default_main_program()
    model = program.model.clone()
    model.graph.outputs.clear()
    report = prune(model, feeds, target_names)
    try:
        fill_persistables(model.graph, global_scope())
    except ValueError as exc:
        raise PruneError(str(exc)) from None
    _write(
        model, Path(dirname), report, "paddlec.fluid.Program", model_filename, params_filename
    )
    return target_names


def save_onnx_inference_model(
    model_path,
    feeds: Sequence[str],
    fetches: Sequence[str],
    dirname,
    model_filename: str | None = None,
    params_filename: str | None = None,
) -> dict:
    """The same for an ONNX training graph (``paddlec save TRAIN.onnx --feed ... --fetch``);
    returns the written manifest."""
    from ..compiler.frontends.onnx import find_onnx_file, load_onnx

    path = Path(model_path)
    if not path.exists():
        raise ModelLoadError(f"{path}: no such file or directory")
    path = find_onnx_file(path)
    model = load_onnx(path)
    report = prune(model, feeds, fetches)
    return _write(model, Path(dirname), report, path.name, model_filename, params_filename)


def _finish(model: ir.Model, report: PruneReport) -> dict[str, int]:
    training = sorted({n.op_type for n in model.graph if n.domain == TRAIN_DOMAIN})
    if training:
        raise PruneError(
            f"the targets {report.targets} depend on training-only ops "
            f"({', '.join(training)}); fetch forward values only"
        )
    counts = to_inference_mode(model)
    if not any(
        n.domain == TRAIN_DOMAIN for n in ir.traversal.RecursiveGraphIterator(model.graph)
    ):
        model.opset_imports.pop(TRAIN_DOMAIN, None)
    model.graph.name = "inference"
    return counts


def _spec(value: ir.Value) -> dict:
    dims = (
        []
        if value.shape is None
        else [d if isinstance(d, int) else (d.value or "?") for d in value.shape]
    )
    return {
        "name": value.name,
        "dtype": value.dtype.numpy().name if value.dtype else None,
        "shape": dims,
    }


def _write(
    model: ir.Model,
    dirname: Path,
    report: PruneReport,
    source: str,
    model_filename: str | None,
    params_filename: str | None,
) -> dict:
    import onnx

    counts = _finish(model, report)
    model_name = model_filename or DEFAULT_MODEL_FILENAME
    proto = ir.serde.serialize_model(model)
    external = _choose_external(proto, bool(params_filename))
    data_name = (params_filename or f"{model_name}.data") if external else None
    manifest = {
        "format": "paddlec.inference_model",
        "format_version": 1,
        "source": source,
        "model": model_name,
        "external_data": data_name,
        "feeds": [_spec(v) for v in model.graph.inputs],
        "fetches": [_spec(v) for v in model.graph.outputs],
        "pruned": report.to_json(),
        "inference_mode": counts,
    }
    dirname.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dirname, prefix=".saving-") as staging:
        staged = Path(staging)
        for tensor in external:
            onnx.external_data_helper.set_external_data(tensor, data_name)
        onnx.save_model(proto, str(staged / model_name))
        try:
            onnx.checker.check_model(str(staged / model_name), full_check=True)
        except onnx.checker.ValidationError as exc:  # a bug in paddlec, not the user's
            raise RuntimeError(f"saved model fails onnx.checker: {exc}") from exc
        (staged / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n")
        names = [n for n in (data_name, model_name, MANIFEST_NAME) if n]
        stale = _previous_files(dirname) - set(names)
        for name in names:
            os.replace(staged / name, dirname / name)
    for name in stale:  # e.g. the external data of a previous save into this folder
        (dirname / name).unlink(missing_ok=True)
    return manifest


def _previous_files(dirname: Path) -> set[str]:
    """Files an earlier save wrote into ``dirname`` (from its manifest), to replace them."""
    try:
        old = json.loads((dirname / MANIFEST_NAME).read_text())
    except (OSError, ValueError):
        return set()
    names = {old.get("model"), old.get("external_data")}
    return {n for n in names if isinstance(n, str) and n and "/" not in n and n != ".."}


def _choose_external(proto, all_weights: bool) -> list:
    """Initializers to store as external data: those of 1 KiB and more, and with Paddle's
    ``params_filename`` ("all parameters in one file") every floating-point one. Integer
    tensors below the threshold (Reshape shapes...) stay inline: ONNX shape inference
    cannot read external data."""
    import onnx

    chosen = []
    for tensor in proto.graph.initializer:
        size = len(tensor.raw_data)
        floating = tensor.data_type in (
            onnx.TensorProto.FLOAT,
            onnx.TensorProto.DOUBLE,
            onnx.TensorProto.FLOAT16,
            onnx.TensorProto.BFLOAT16,
        )
        if size and (size >= EXTERNAL_THRESHOLD_BYTES or (all_weights and floating)):
            chosen.append(tensor)
    return chosen


def load_inference_model(
    dirname,
    executor=None,
    model_filename: str | None = None,
    params_filename: str | None = None,
    pserver_endpoints=None,
):
    """``[program, feed_names, fetch_vars]`` for a saved folder; run it with
    ``executor.run(program, feed={...}, fetch_list=fetch_vars)``."""
    from ..compiler.frontends.onnx import find_onnx_file

    folder = Path(dirname)
    if not folder.exists():
        raise ModelLoadError(f"{folder}: no such file or directory")
    path = folder / model_filename if model_filename else find_onnx_file(folder)
    try:
        model = ir.load(path)
    except Exception as exc:  # noqa: BLE001 - any reader failure is the user's file
        raise ModelLoadError(f"{path}: cannot read: {exc}") from None
    program = Program()
    program.model = model
    for value in model.graph.inputs:
        program.add_variable(value, stop_gradient=True, is_data=True)
    for value in model.graph.initializers.values():
        program.add_variable(value, persistable=True, stop_gradient=True)
    for node in model.graph:
        for value in node.outputs:
            if value.name and value.name not in program.global_block().vars:
                program.add_variable(value)
    feed_names = [v.name for v in model.graph.inputs]
    fetch_vars = [program.global_block().var(v.name) for v in model.graph.outputs]
    return [program, feed_names, fetch_vars]
