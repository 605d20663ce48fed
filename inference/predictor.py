"""``create_predictor(config)`` and ``Predictor``: Paddle Inference's serving API over paddlec.

``create_predictor`` loads a compiled artifact directly, or, for a model folder that is not
compiled, gets the artifact from the compile cache (compiled once, in a child process). The
serving process only ever loads TVM's runtime library.

Threads: a ``Predictor`` holds per-call state (its input and output handles), so use one
predictor per thread: ``clone()`` gives another one that shares the loaded library and the
weights but owns its virtual machine and handles.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import warnings
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import (
    DeviceUnavailableError,
    InputMismatchError,
    PredictorUsageError,
    TensorRTUnavailableError,
)
from ..runtime import Model, load
from ..runtime._tvm import tvm_runtime
from .cache import CacheEntry, ensure_compiled, model_files
from .config import Config, PrecisionType
from .tensor import Tensor

__all__ = ["Predictor", "create_predictor"]

log = logging.getLogger("paddlec.inference")


class Predictor:
    """Runs one compiled model: fill input handles, ``run()``, read output handles."""

    def __init__(self, model: Model, cache_entry: CacheEntry | None = None) -> None:
        self._model = model
        self._inputs = {spec.name: Tensor(spec, True) for spec in model.inputs}
        self._outputs = {spec.name: Tensor(spec, False, partial(model.host_copy, index=index))
                         for index, spec in enumerate(model.outputs)}
        self.cache_entry = cache_entry

    @property
    def artifact_dir(self) -> Path:
        return self._model.path

    @property
    def compiled(self) -> bool:
        """True when creating this predictor ran the compiler (a cache miss)."""
        return bool(self.cache_entry and self.cache_entry.compiled)

    def get_input_names(self) -> list[str]:
        return list(self._inputs)

    def get_output_names(self) -> list[str]:
        return list(self._outputs)

    def get_input_handle(self, name: str) -> Tensor:
        return _lookup(self._inputs, name, "input")

    def get_output_handle(self, name: str) -> Tensor:
        return _lookup(self._outputs, name, "output")

    def run(self, inputs: list[np.ndarray] | None = None) -> list[np.ndarray] | None:
        """Run on the data in the input handles; results go to the output handles.

        ``run([a, b])`` (Paddle's list form) copies the arrays into the inputs in
        ``get_input_names()`` order first and returns the outputs as numpy arrays.
        """
        if inputs is not None:
            if len(inputs) != len(self._inputs):
                raise InputMismatchError(
                    f"run(): expected {len(self._inputs)} input(s) "
                    f"{self.get_input_names()}, got {len(inputs)}"
                )
            for handle, value in zip(self._inputs.values(), inputs):
                handle.copy_from_cpu(value)
        feed = [handle._feed_value() for handle in self._inputs.values()]
        results = self._model.run_staged(self._model.check_feed(feed))
        for handle, result in zip(self._outputs.values(), results):
            handle._set_result(result)
        if inputs is not None:
            return [handle.copy_to_cpu() for handle in self._outputs.values()]
        return None

    def clone(self) -> "Predictor":
        """A predictor for another thread: shares library and weights, own VM and handles."""
        return type(self)(self._model.clone(), self.cache_entry)

    def try_shrink_memory(self) -> int:
        """Drop the results held by the output handles; returns 0 (bytes freed unknown)."""
        for handle in self._outputs.values():
            handle._result = None
        return 0

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({str(self._model.path)!r}, "
            f"inputs={self.get_input_names()}, outputs={self.get_output_names()})"
        )


def _lookup(handles: dict[str, Tensor], name: str, kind: str) -> Tensor:
    try:
        return handles[name]
    except (KeyError, TypeError):
        raise InputMismatchError(
            f"unknown {kind} name {name!r}; the model's {kind}s are {list(handles)}"
        ) from None


def create_predictor(
    config: Config, predictor_class: type[Predictor] = Predictor
) -> Predictor:
    """Load (compiling and caching first when needed) the model of ``config``."""
    if not isinstance(config, Config):
        raise PredictorUsageError(
            f"create_predictor expects a Config, got {type(config).__name__}"
        )
    tvm = tvm_runtime()
    cuda_arch = _check_devices(config, tvm)
    entry = None
    if config.is_artifact():
        changed = config.compile_switches_set()
        if changed:
            warnings.warn(
                f"{', '.join(changed)}: no effect, {config.model_dir()} is already "
                "compiled; these switches apply when paddlec compiles a model",
                stacklevel=2,
            )
        artifact = Path(config.model_dir())
    else:
        model, files = _model_source(config)
        entry = ensure_compiled(
            model, files, config.compile_plan(cuda_arch), tvm.__version__, config.cache_dir()
        )
        artifact = entry.path
    model_obj = load(
        artifact,
        device=config.device(),
        num_threads=config.num_threads(),
        region_backend="tensorrt" if config.tensorrt_engine_enabled() else None,
        trusted_keys=config.trusted_keys(),
        engine="tvm",  # the predictor's handles stage through TVM tensors (run_staged)
    )
    if config.tensorrt_engine_enabled() and model_obj.region_backend == "none":
        warnings.warn(
            f"enable_tensorrt_engine(): {artifact} has no TensorRT regions; it runs as "
            "compiled (compile it with -t tensorrt to use TensorRT)",
            stacklevel=2,
        )
    _check_thread_count(config, tvm, model_obj.tvm_kernels_on_openmp)
    return predictor_class(model_obj, entry)


def _model_source(config: Config) -> tuple[Path, list[Path]]:
    """What to compile and which files' bytes key the cache."""
    if config.model_dir():
        model = Path(config.model_dir())
        return model, model_files(model)
    if not config.prog_file():
        raise PredictorUsageError(
            "Config has no model: pass a model folder, or program and "
            "params files, to Config(...)"
        )
    prog, params = Path(config.prog_file()), Path(config.params_file())
    if not config.params_file() or params.parent != prog.parent or params.stem != prog.stem:
        raise PredictorUsageError(
            f"Config({prog}, {params}): paddlec compiles a program with the params file next "
            f"to it under the same name ({prog.with_suffix('.pdiparams').name}); rename or "
            "move the params file"
        )
    return prog, [p for p in (prog, params) if p.is_file()]


def _check_devices(config: Config, tvm: Any) -> str | None:
    """Fail before any compiling when a GPU switch cannot be honoured; return the CUDA arch
    (``sm_XY``) of the requested device, or None on CPU."""
    if not config.use_gpu():
        if config.tensorrt_engine_enabled():
            raise DeviceUnavailableError(
                "enable_tensorrt_engine() needs enable_use_gpu(...) "
                "first (TensorRT runs on a CUDA GPU)"
            )
        return None
    from ..runtime.model import _load_cuda_runtime

    device_id = config.gpu_device_id()
    hint = "; call config.disable_gpu() to run on the CPU"
    try:
        _load_cuda_runtime(tvm)
    except DeviceUnavailableError as exc:
        raise DeviceUnavailableError(
            f"enable_use_gpu(..., {device_id}): {exc}{hint}"
        ) from None
    device = tvm.cuda(device_id)
    if not device.exist:
        raise DeviceUnavailableError(
            f"enable_use_gpu(..., {device_id}): no CUDA device "
            f"{device_id} on this machine{hint}"
        )
    if config.tensorrt_engine_enabled() and importlib.util.find_spec("tensorrt") is None:
        raise TensorRTUnavailableError(
            "enable_tensorrt_engine(): the tensorrt package is not installed here; install "
            "it, or remove the call to run the model with TVM's CUDA code"
        )
    precision = config._gpu[2] if config._gpu else PrecisionType.Float32
    if precision != PrecisionType.Float32:
        raise PredictorUsageError(
            f"precision {precision.name}: paddlec compiles float32 models "
            "only (use PrecisionType.Float32)"
        )
    return "sm_" + str(device.compute_version).replace(".", "")


def _check_thread_count(config: Config, tvm: Any, on_openmp: bool) -> None:
    """Warn when the requested threads cannot all run: more than the CPUs this process may
    use (OpenMP starts them all, and they spin on each other), or more than TVM's pool has
    (its size is fixed at start; a library whose TVM loops run on OpenMP does not use it)."""
    wanted = config.num_threads()
    if wanted is None or config.use_gpu():
        return
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if cpus and wanted > cpus:
        warnings.warn(
            f"set_cpu_math_library_num_threads({wanted}): this process may use {cpus} "
            "CPU(s); more threads than CPUs take turns on them and run slower",
            stacklevel=3,
        )
        return
    if on_openmp:
        return
    from ..runtime.model import _configure_thread_pool

    _configure_thread_pool(tvm, wanted)
    got = int(tvm.get_global_func("runtime.NumThreads")())
    if got < wanted:
        warnings.warn(
            f"set_cpu_math_library_num_threads({wanted}): TVM's thread pool has "
            f"{got} thread(s) here; set TVM_NUM_THREADS={wanted} before starting "
            "the process to allow more",
            stacklevel=3,
        )
