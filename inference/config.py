"""``Config``: Paddle Inference's configuration object, mapped onto paddlec compile options.

A Paddle ``Config`` tells one process how to optimize and run a model. Here the same switches
decide how the model is compiled (target, ``-O`` level, disabled passes) and how the artifact
is loaded (device, thread pool). Every switch is either honoured, or raises / warns at the
call or at ``create_predictor``; none is accepted and dropped. ``SWITCHES`` is the table that
``summary()`` prints and the README repeats.
"""

from __future__ import annotations

import enum
import logging
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import PredictorUsageError

__all__ = ["Config", "PrecisionType", "SWITCHES", "CompilePlan", "fast_cpu_plan"]

MANIFEST_NAME = "manifest.json"  # same as runtime.manifest.MANIFEST_NAME, kept import-free


class PrecisionType(enum.IntEnum):
    """Paddle's precision modes; paddlec compiles float32 only (others raise at create)."""

    Float32 = 0
    Int8 = 1
    Half = 2
    Bfloat16 = 3


# switch -> what paddlec does with it (printed by summary(), mirrored in the README table)
SWITCHES: dict[str, str] = {
    "enable_mkldnn() (default on)": "fastest CPU path, fast_cpu_plan(): native + fast path",
    "disable_mkldnn()": "portable CPU code: target 'llvm', no library fast path",
    "enable_use_gpu(mb, id)": "target 'cuda -arch=sm_XY' of device id; no GPU: error",
    "enable_tensorrt_engine(...)": "target 'tensorrt -arch=sm_XY': TensorRT regions",
    "disable_gpu()": "back to the CPU target",
    "switch_ir_optim(False)": "compile with -O0 (no IR passes); True = -O2",
    "delete_pass(name)": "--disable-pass name (paddlec pass names; unknown -> error)",
    "set_cpu_math_library_num_threads(n)": "TVM runtime thread pool of each running thread",
    "enable_memory_optim()": "always on: Relax plans memory statically; False warns",
    "switch_use_feed_fetch_ops(x)": "no feed/fetch ops; zero-copy handles; True warns",
    "switch_specify_input_names(x)": "handles by name, run(list) by position: both work",
    "set_optim_cache_dir(dir)": "compile cache folder (default $PADDLEC_CACHE_DIR)",
    "disable_glog_info()": "paddlec's loggers to WARNING",
}


@dataclass(frozen=True)
class CompilePlan:
    """What ``paddlec compile`` is asked to do for a config (part of the cache key)."""

    target: str
    host: str | None = None
    opt_level: int = 2
    disabled_passes: tuple[str, ...] = ()
    cpu_fast_path: bool | None = None  # CPU library fast path on/off; None: not a CPU plan
    options: dict = field(default_factory=dict)  # extra compile_model() keyword arguments


_TRT_PRECISION = {PrecisionType.Float32: "fp32", PrecisionType.Half: "fp16"}


def fast_cpu_plan() -> CompilePlan:
    """THE place that defines ``enable_mkldnn()``'s fast CPU path: LLVM code for this CPU, with
    the compiler's library fast path (oneDNN for conv/matmul/pool) where the compiler has one.

    ``cpu_fast_path`` reaches ``compile_model(fast_path=...)`` through the compile worker,
    which passes it when ``CompileOptions`` has that field (see ``_compile_worker``).
    """
    return CompilePlan(target="native", cpu_fast_path=True)


class Config:
    """``Config()``, ``Config(model_dir)``, ``Config(prog_file, params_file)`` or
    ``Config(model_dir, model_prefix)``; ``model_dir`` may also be a compiled artifact."""

    def __init__(
        self, model: str | os.PathLike | None = None, params: str | os.PathLike | None = None
    ) -> None:
        self._model_dir: Path | None = None
        self._prog_file: Path | None = None
        self._params_file: Path | None = None
        self._mkldnn = True  # Paddle 3.x enables oneDNN by default on CPU
        self._gpu: tuple[int, int, PrecisionType] | None = None  # (pool MB, device, precision)
        self._tensorrt: dict | None = None
        self._ir_optim = True
        self._deleted_passes: list[str] = []
        self._num_threads: int | None = None
        self._memory_optim = False
        self._feed_fetch_ops = True  # Paddle's default; only False is meaningful here
        self._specify_input_names = False
        self._cache_dir: Path | None = None
        self._glog_info = True
        self._trusted_keys: list | None = None
        if model is not None:
            self.set_model(model, params)

    # -- model ---------------------------------------------------------------------------
    def set_model(
        self, model: str | os.PathLike, params: str | os.PathLike | None = None
    ) -> None:
        """A model folder (ONNX, Paddle, or a compiled artifact), or program + params files."""
        model = Path(model)
        if params is None:
            self._model_dir, self._prog_file, self._params_file = model, None, None
        elif model.is_dir() and not Path(params).suffix:
            self._model_dir = None
            prefix = str(params)
            json_prog = model / f"{prefix}.json"
            self._prog_file = json_prog if json_prog.exists() else model / f"{prefix}.pdmodel"
            self._params_file = model / f"{prefix}.pdiparams"
        else:
            self._model_dir, self._prog_file, self._params_file = None, model, Path(params)

    def set_prog_file(self, path: str | os.PathLike) -> None:
        self._model_dir, self._prog_file = None, Path(path)

    def set_params_file(self, path: str | os.PathLike) -> None:
        self._params_file = Path(path)

    def model_dir(self) -> str:
        return str(self._model_dir or "")

    def prog_file(self) -> str:
        return str(self._prog_file or "")

    def params_file(self) -> str:
        return str(self._params_file or "")

    def is_artifact(self) -> bool:
        """True when the model is a folder written by ``paddlec compile`` (no compiling)."""
        return self._model_dir is not None and (self._model_dir / MANIFEST_NAME).is_file()

    # -- CPU -----------------------------------------------------------------------------
    def enable_mkldnn(self) -> None:
        self._mkldnn = True

    def disable_mkldnn(self) -> None:
        self._mkldnn = False

    def mkldnn_enabled(self) -> bool:
        return self._mkldnn

    enable_onednn, disable_onednn, onednn_enabled = (
        enable_mkldnn,
        disable_mkldnn,
        mkldnn_enabled,
    )

    def set_cpu_math_library_num_threads(self, num_threads: int) -> None:
        if not isinstance(num_threads, int) or num_threads < 1:
            raise PredictorUsageError(
                "set_cpu_math_library_num_threads: expected an integer >= 1, "
                f"got {num_threads!r}"
            )
        self._num_threads = num_threads

    def cpu_math_library_num_threads(self) -> int:
        """The requested count; 0 = TVM's default pool (``TVM_NUM_THREADS`` or the cores)."""
        return self._num_threads or 0

    # -- GPU / TensorRT ------------------------------------------------------------------
    def enable_use_gpu(
        self,
        memory_pool_init_size_mb: int,
        device_id: int = 0,
        precision_mode: PrecisionType = PrecisionType.Float32,
    ) -> None:
        """Compile for CUDA and run on ``device_id``; checked at ``create_predictor``.

        The memory pool size has no equivalent (TVM allocates through its own pooled
        allocator); it is recorded for ``memory_pool_init_size_mb()``.
        """
        if not isinstance(device_id, int) or device_id < 0:
            raise PredictorUsageError(f"enable_use_gpu: bad device id {device_id!r}")
        self._gpu = (int(memory_pool_init_size_mb), device_id, PrecisionType(precision_mode))

    def disable_gpu(self) -> None:
        self._gpu = None
        self._tensorrt = None

    def use_gpu(self) -> bool:
        return self._gpu is not None

    def gpu_device_id(self) -> int:
        return self._gpu[1] if self._gpu else 0

    def memory_pool_init_size_mb(self) -> int:
        return self._gpu[0] if self._gpu else 0

    def enable_tensorrt_engine(
        self,
        workspace_size: int = 1 << 30,
        max_batch_size: int = 1,
        min_subgraph_size: int = 3,
        precision_mode: PrecisionType = PrecisionType.Float32,
        use_static: bool = False,
        use_calib_mode: bool = True,
    ) -> None:
        """Compile with TensorRT regions (target ``tensorrt``) and run them with TensorRT; needs
        ``enable_use_gpu`` and the ``tensorrt`` package (checked at ``create_predictor``).

        fp32 and fp16 are supported; int8 needs calibration data when compiling, which
        Paddle's run-time calibration mode has no equivalent for (compile with ``paddlec
        compile -t tensorrt --trt-precision int8 --calib-data ...`` and load the artifact).
        Engines are always cached (``$PADDLEC_CACHE_DIR/tensorrt``), as with
        ``use_static=True``; ``max_batch_size`` does not exist in TensorRT 10's explicit
        batch mode, a value other than 1 warns.
        """
        precision = PrecisionType(precision_mode)
        if precision not in _TRT_PRECISION:
            raise PredictorUsageError(
                f"enable_tensorrt_engine(precision_mode={precision.name}): paddlec's TensorRT "
                "regions run in Float32 or Half here; int8 needs calibration data at compile "
                "time (paddlec compile -t tensorrt --trt-precision int8 --calib-data DIR)"
            )
        if max_batch_size != 1:
            warnings.warn(
                f"enable_tensorrt_engine(max_batch_size={max_batch_size}): no effect, TensorRT "
                "engines take the model's (dynamic) shapes",
                stacklevel=2,
            )
        self._tensorrt = {
            "workspace_size": workspace_size,
            "max_batch_size": max_batch_size,
            "min_subgraph_size": min_subgraph_size,
            "precision_mode": PrecisionType(precision_mode),
            "use_static": use_static,
            "use_calib_mode": use_calib_mode,
        }

    def tensorrt_engine_enabled(self) -> bool:
        return self._tensorrt is not None

    # -- graph optimization --------------------------------------------------------------
    def switch_ir_optim(self, x: bool = True) -> None:
        self._ir_optim = bool(x)

    def ir_optim(self) -> bool:
        return self._ir_optim

    def delete_pass(self, name: str) -> None:
        """Skip a paddlec pass (``paddlec compile --print-passes`` lists them); an unknown
        name fails when the model is compiled."""
        if name not in self._deleted_passes:
            self._deleted_passes.append(name)

    def enable_memory_optim(self, x: bool = True) -> None:
        if not x:
            warnings.warn(
                "enable_memory_optim(False): paddlec always plans memory statically "
                "(Relax StaticPlanBlockMemory); it cannot be turned off",
                stacklevel=2,
            )
        self._memory_optim = bool(x)

    # -- feeding -------------------------------------------------------------------------
    def switch_use_feed_fetch_ops(self, x: bool = True) -> None:
        if x:
            warnings.warn(
                "switch_use_feed_fetch_ops(True): compiled artifacts have no feed/"
                "fetch ops; inputs and outputs always go through zero-copy handles "
                "(Predictor.run(list) also works)",
                stacklevel=2,
            )
        self._feed_fetch_ops = bool(x)

    def use_feed_fetch_ops_enabled(self) -> bool:
        return self._feed_fetch_ops

    def switch_specify_input_names(self, x: bool = True) -> None:
        self._specify_input_names = bool(x)

    def specify_input_name(self) -> bool:
        return self._specify_input_names

    # -- process -------------------------------------------------------------------------
    def set_optim_cache_dir(self, path: str | os.PathLike) -> None:
        self._cache_dir = Path(path)

    def set_trusted_keys(self, keys: list) -> None:
        """Accept only artifacts signed by one of these ed25519 public keys (PEM text or
        paths); paddlec's addition, Paddle Inference has no signed models."""
        self._trusted_keys = list(keys)

    def trusted_keys(self) -> list | None:
        return self._trusted_keys

    def disable_glog_info(self) -> None:
        self._glog_info = False
        logging.getLogger("paddlec").setLevel(logging.WARNING)

    def glog_info_disabled(self) -> bool:
        return not self._glog_info

    # -- what create_predictor uses ------------------------------------------------------
    def compile_plan(self, cuda_arch: str | None = None) -> CompilePlan:
        """The compile request for this config (``cuda_arch`` e.g. ``sm_90`` when on GPU)."""
        if self._gpu is not None:
            if cuda_arch is None:
                raise PredictorUsageError("a GPU plan needs the device's CUDA arch")
            base = CompilePlan(target=f"cuda -arch={cuda_arch}")
            if self._tensorrt is not None:
                trt = self._tensorrt
                base = CompilePlan(
                    target=f"tensorrt -arch={cuda_arch}",
                    options={
                        "trt_precision": _TRT_PRECISION[trt["precision_mode"]],
                        "min_subgraph_size": int(trt["min_subgraph_size"]),
                        "trt_workspace_mb": max(1, int(trt["workspace_size"]) >> 20),
                        "trt_fallback": False,  # never run TVM code in TensorRT's place
                    },
                )
        elif self._mkldnn:
            base = fast_cpu_plan()
        else:
            base = CompilePlan(target="llvm", cpu_fast_path=False)
        return CompilePlan(
            target=base.target,
            host=base.host,
            cpu_fast_path=base.cpu_fast_path,
            opt_level=2 if self._ir_optim else 0,
            disabled_passes=tuple(sorted(self._deleted_passes)),
            options=dict(base.options),
        )

    def device(self) -> str:
        return f"cuda:{self._gpu[1]}" if self._gpu else "cpu"

    def num_threads(self) -> int | None:
        return self._num_threads

    def cache_dir(self) -> Path | None:
        return self._cache_dir

    def compile_switches_set(self) -> list[str]:
        """Switches that change how a model is compiled (they cannot apply to an artifact)."""
        changed = []
        if not self._mkldnn:
            changed.append("disable_mkldnn()")
        if not self._ir_optim:
            changed.append("switch_ir_optim(False)")
        changed += [f"delete_pass({name!r})" for name in self._deleted_passes]
        return changed

    def summary(self) -> str:
        """A table of the settings and what each means in paddlec."""
        model = self.model_dir() or f"{self.prog_file()} + {self.params_file()}"
        rows = [
            ("model", model or "(not set)"),
            ("model is a compiled artifact", str(self.is_artifact())),
            ("device", self.device()),
            ("mkldnn (fast CPU path)", str(self._mkldnn)),
            ("tensorrt", str(self._tensorrt is not None)),
            ("ir_optim", f"{self._ir_optim} (-O{2 if self._ir_optim else 0})"),
            ("deleted passes", ", ".join(self._deleted_passes) or "-"),
            ("cpu threads", str(self._num_threads or "TVM default")),
            ("memory_optim", "always on"),
            ("compile cache", str(self._cache_dir or "$PADDLEC_CACHE_DIR / user cache")),
        ]
        if self._gpu is None:
            rows.insert(4, ("target", self.compile_plan().target))
        width = max(len(name) for name, _ in rows)
        lines = [f"{name:<{width}}  {value}" for name, value in rows]
        lines += ["", "switch -> meaning in paddlec"]
        lines += [f"  {switch:<38} {meaning}" for switch, meaning in SWITCHES.items()]
        return "\n".join(lines)

    def __repr__(self) -> str:
        model = self.model_dir() or self.prog_file()
        return f"Config({model!r}, device={self.device()!r})"
