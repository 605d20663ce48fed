"""``paddlec tune``: MetaSchedule records for the TVM kernels of a model, reusable across models.

The module is prepared exactly as ``build_cpu`` prepares it (batch norm folded, the oneDNN
offload unless ``fast_path=False``, TVM's legalization and fusion), so the tuned PrimFuncs
are the ones ``paddlec compile --records DIR`` will look up. MetaSchedule keys each record
by the structural hash of its workload, so one records folder serves every model with the
same kernel shapes (a conv tuned for one ResNet serves another). Tuning appends to the
folder's JSON database: running again resumes and keeps the best record per workload.

Records apply only to static shapes: symbolic dimensions are fixed to 1 for tuning unless
``input_shapes`` says otherwise; compile with the same ``--input-shape``.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable
from pathlib import Path

from ...errors import CompileError, MissingDependencyError

__all__ = ["prepare_for_tuning", "tune_model"]


def prepare_for_tuning(mod, tvm_target, fast_path: bool = True):
    """The fused, legalized module whose PrimFuncs ``build_cpu`` schedules."""
    import tvm
    from tvm import relax
    from tvm.relax.backend.cpu_generic import pipeline as cpu_generic

    from .fold_bn import fold_batch_norm
    from .offload import offload_to_dnnl

    mod = relax.transform.FoldConstant()(fold_batch_norm(mod))
    if fast_path:
        mod, _ = offload_to_dnnl(mod)
    with tvm_target:
        passes = (cpu_generic.library_dispatch_passes(tvm_target)
                  + cpu_generic.legalize_passes(tvm_target))
        return tvm.transform.Sequential(passes)(mod)


def _static_shapes(model_path: Path, given: dict) -> dict:
    from ..frontends import load_model

    shapes = dict(given)
    for value in load_model(model_path).model.graph.inputs:
        if value.name in shapes or value.shape is None:
            continue
        dims = [d if isinstance(d, int) else 1 for d in value.shape.dims]
        if dims != list(value.shape.dims):
            shapes[value.name] = dims
    return shapes


# MetaSchedule's local builder/runner pickle their jobs (cloudpickle, psutil) and its default
# cost model is XGBoost: none of them is a dependency of apache-tvm.
TUNING_PACKAGES = ("cloudpickle", "psutil", "xgboost")


def _require_tuning_packages() -> None:
    missing = [name for name in TUNING_PACKAGES if importlib.util.find_spec(name) is None]
    if missing:
        raise MissingDependencyError(
            f"paddlec tune needs {', '.join(missing)} (MetaSchedule's builder, runner and "
            "cost model); install them with: pip install 'paddlec[tune]'")


def tune_model(model: str | Path, records: str | Path, target: str = "llvm -mcpu=native",
               trials: int = 256, input_shapes: dict | None = None, fast_path: bool = True,
               progress: Callable[[str], None] | None = None) -> dict:
    """Tune ``model``'s TVM kernels for ``trials`` MetaSchedule trials into ``records``."""
    from tvm.s_tir import meta_schedule as ms

    from ...passes import run_pipeline
    from ..frontends import load_model
    from ..lowering import lower_to_relax
    from ..target import parse_target

    _require_tuning_packages()
    say = progress or (lambda _text: None)
    resolved = parse_target(target, None)
    if resolved.to_tvm().kind.name != "llvm":
        raise CompileError("paddlec tune supports llvm (CPU) targets")
    shapes = _static_shapes(Path(model), input_shapes or {})
    source = load_model(model, shapes)
    run_pipeline(source.model, 2, ())
    tvm_target = resolved.to_tvm()
    mod = prepare_for_tuning(lower_to_relax(source.model).mod, tvm_target, fast_path)
    tasks = ms.relax_integration.extract_tasks(mod, tvm_target)
    say(f"tuning {len(tasks)} task(s) for {trials} trial(s) into {records} "
        f"(shapes {shapes or 'as in the model'}); MetaSchedule logs in {records}/logs")
    Path(records).mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    if tasks and trials > 0:
        with tvm_target:
            # generous timeouts and one build worker: on a loaded 2-core machine the
            # default 30 s build timeout fails every candidate
            ms.relax_integration.tune_relax(
                mod, {}, tvm_target, str(records), max_trials_global=trials,
                num_trials_per_iter=min(64, trials),
                builder=ms.builder.LocalBuilder(max_workers=1, timeout_sec=300),
                runner=ms.runner.LocalRunner(timeout_sec=60))
    seconds = time.perf_counter() - start
    database = ms.database.JSONDatabase(work_dir=str(records))
    say(f"done in {seconds:.0f}s")
    return {"tasks": [task.task_name for task in tasks], "trials": trials,
            "seconds": round(seconds, 1), "records": len(database),
            "input_shapes": {k: list(v) for k, v in shapes.items()}}
