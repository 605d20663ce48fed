"""Execute the TensorRT regions of an artifact (``--target tensorrt``).

Each region's call site in ``model.so`` is ``call_dps_packed("paddlec_trt_<hash>", ...)``:
a global function that receives the region's input tensors and preallocated output tensors.
:func:`attach_regions` registers one per region, backed by one of:

- ``tensorrt``: an engine built from ``regions/region_<i>.onnx`` with TensorRT's ONNX
  parser (fp32/fp16/int8 with an entropy calibrator; an optimization profile from the
  manifest's ``dim_ranges``), serialized and cached on disk under a key of region hash,
  TensorRT version, GPU name, precision and profile, so a second load does not rebuild.
  Engines prebuilt with ``paddlec compile --build-engines`` are taken from ``engines/``.
  The engine reads and writes the TVM tensors in place (device pointers, no copies).
- ``tvm``: the region compiled by TVM into ``model.so`` (``--trt-fallback``), used when
  TensorRT is not available (logged once).
- ``onnxruntime``: a stand-in for the engine, for tests and CPU hosts. Not TensorRT.

Written against TensorRT 10's Python API (``Builder``, ``OnnxParser``, ``build_serialized
_network``, ``IInt8EntropyCalibrator2``, ``set_input_shape``/``set_tensor_address``/
``execute_async_v3``). TensorRT cannot be installed on paddlec's build machines: only the
code up to the ``import tensorrt`` boundary has run there (see README).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ArtifactError, TensorRTUnavailableError
from .manifest import TensorSpec

__all__ = [
    "BACKENDS",
    "RegionSpec",
    "attach_regions",
    "build_engines_into",
    "engine_cache_key",
    "region_profile",
    "region_specs",
]

log = logging.getLogger("paddlec.runtime.tensorrt")
BACKENDS = ("tensorrt", "tvm", "onnxruntime")
_WARNED: set[str] = set()


@dataclass(frozen=True)
class RegionSpec:
    index: int
    file: str
    sha256: str
    symbol: str
    fallback: str | None
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]


def region_specs(manifest_raw: dict) -> list[RegionSpec]:
    section = manifest_raw.get("tensorrt") or {}
    try:
        return [RegionSpec(r["index"], r["file"], r["sha256"], r["symbol"], r.get("fallback"),
                           tuple(TensorSpec.from_json(s) for s in r["inputs"]),
                           tuple(TensorSpec.from_json(s) for s in r["outputs"]))
                for r in section.get("regions", [])]
    except (KeyError, TypeError) as exc:
        raise ArtifactError(f"malformed tensorrt section in the manifest (missing {exc})") from None


def region_profile(spec: RegionSpec, dim_ranges: dict[str, list[int]]) -> dict[str, tuple]:
    """Optimization profile for the region's dynamic inputs: name → (min, opt, max) shapes,
    from the model-level symbolic dim ranges. Empty when every input is static."""
    profile = {}
    for tensor in spec.inputs:
        if all(isinstance(d, int) for d in tensor.shape):
            continue
        shapes: list[list[int]] = [[], [], []]
        for dim in tensor.shape:
            if isinstance(dim, int):
                values = [dim] * 3
            elif dim in dim_ranges:
                values = list(dim_ranges[dim])
            else:
                raise TensorRTUnavailableError(
                    f"region {spec.index} input {tensor.name!r} has the dynamic dimension "
                    f"{dim!r} without a range; compile with --input-shape-range "
                    "NAME:MIN:OPT:MAX for the model input that carries it")
            for shape, value in zip(shapes, values):
                shape.append(int(value))
        profile[tensor.name] = tuple(tuple(s) for s in shapes)
    return profile


def engine_cache_key(region_sha256: str, trt_version: str, gpu_name: str, precision: str,
                     profile: dict[str, tuple]) -> str:
    """Engines are specific to all of these; any change gets a new key (a rebuild)."""
    payload = json.dumps({"region": region_sha256, "tensorrt": trt_version, "gpu": gpu_name,
                          "precision": precision, "profile": profile}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def _cache_dir() -> Path:
    if os.environ.get("PADDLEC_CACHE_DIR"):
        return Path(os.environ["PADDLEC_CACHE_DIR"]) / "tensorrt"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "paddlec" / "tensorrt"


def _copy_out(outputs: list[Any], results: list[Any]) -> None:
    if len(outputs) != len(results):
        raise ArtifactError(f"a region returned {len(results)} outputs for {len(outputs)}")
    for out, value in zip(outputs, results):
        out.copyfrom(value if not isinstance(value, np.ndarray)
                     else np.ascontiguousarray(value))


class OnnxRuntimeRegion:
    """Stand-in for a TensorRT engine: the region's ONNX run by onnxruntime (CPU). Used by
    the tests to exercise the dispatch path; it is not TensorRT."""

    def __init__(self, path: Path, spec: RegionSpec) -> None:
        import onnxruntime as ort

        self.spec = spec
        self.session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        self.names = [tensor.name for tensor in spec.outputs]

    def __call__(self, *args: Any) -> None:
        count = len(self.spec.inputs)
        feed = {t.name: a.numpy() for t, a in zip(self.spec.inputs, args[:count])}
        _copy_out(list(args[count:]), self.session.run(self.names, feed))


class TvmFallbackRegion:
    """The region compiled by TVM into ``model.so`` (``--trt-fallback``), run by its own VM
    so that the main VM is not re-entered."""

    def __init__(self, tvm: Any, library: Any, device: Any, spec: RegionSpec) -> None:
        if not spec.fallback:
            raise TensorRTUnavailableError(f"region {spec.index} has no TVM fallback")
        self.spec = spec
        self.vm = tvm.runtime.vm.VirtualMachine(library, device)
        self.function = self.vm[spec.fallback]

    def __call__(self, *args: Any) -> None:
        count = len(self.spec.inputs)
        result = self.function(*args[:count])
        flat = [result] if hasattr(result, "numpy") else list(result)
        _copy_out(list(args[count:]), flat)


def _import_tensorrt():
    try:
        import tensorrt  # noqa: F401
    except ImportError:
        return None
    return tensorrt


def _calibrator_class(trt: Any):
    class EntropyCalibrator(trt.IInt8EntropyCalibrator2):
        """Feeds recorded region inputs (one batch each) to TensorRT's int8 calibration and
        stores the calibration table so that later builds skip calibration."""

        def __init__(self, batches: list[dict[str, np.ndarray]], table: Path, to_device):
            trt.IInt8EntropyCalibrator2.__init__(self)
            self.batches, self.table, self.to_device = batches, table, to_device
            self.position, self.alive = 0, []

        def get_batch_size(self) -> int:
            first = next(iter(self.batches[0].values())) if self.batches else None
            return int(first.shape[0]) if first is not None and first.ndim else 1

        def get_batch(self, names):
            if self.position >= len(self.batches):
                return None
            batch = self.batches[self.position]
            self.position += 1
            self.alive = [self.to_device(batch[name]) for name in names]
            return [int(tensor.data_ptr()) for tensor in self.alive]

        def read_calibration_cache(self):
            return self.table.read_bytes() if self.table.is_file() else None

        def write_calibration_cache(self, cache) -> None:
            self.table.parent.mkdir(parents=True, exist_ok=True)
            self.table.write_bytes(bytes(cache))

    return EntropyCalibrator


def build_engine(trt: Any, onnx_bytes: bytes, precision: str, profile: dict[str, tuple],
                 workspace_mb: int, calibrator: Any = None) -> bytes:
    """Parse the region's ONNX and build a serialized engine (TensorRT 10 API)."""
    logger = trt.Logger(trt.Logger.WARNING)
    builder = trt.Builder(logger)
    network = builder.create_network(0)  # explicit batch is the only mode in TensorRT 10
    parser = trt.OnnxParser(network, logger)
    if not parser.parse(onnx_bytes):
        errors = "; ".join(str(parser.get_error(i)) for i in range(parser.num_errors))
        raise ArtifactError(f"TensorRT's ONNX parser rejected the region: {errors}")
    config = builder.create_builder_config()
    config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, int(workspace_mb) << 20)
    if precision in ("fp16", "int8") and builder.platform_has_fast_fp16:
        config.set_flag(trt.BuilderFlag.FP16)
    if profile:
        opt_profile = builder.create_optimization_profile()
        for name, (low, opt, high) in profile.items():
            opt_profile.set_shape(name, low, opt, high)
        config.add_optimization_profile(opt_profile)
    if precision == "int8":
        config.set_flag(trt.BuilderFlag.INT8)
        config.int8_calibrator = calibrator
        if profile:
            config.set_calibration_profile(opt_profile)
    plan = builder.build_serialized_network(network, config)
    if plan is None:
        raise ArtifactError("TensorRT could not build an engine for the region (see its log)")
    return bytes(plan)


class TensorRTRegion:
    """A deserialized engine bound to the region's input/output tensors by device pointer."""

    def __init__(self, trt: Any, tvm: Any, device: Any, plan: bytes, spec: RegionSpec) -> None:
        self.spec, self.tvm, self.device = spec, tvm, device
        self.logger = trt.Logger(trt.Logger.WARNING)
        self.engine = trt.Runtime(self.logger).deserialize_cuda_engine(plan)
        if self.engine is None:
            raise ArtifactError(f"region {spec.index}: the cached engine does not deserialize")
        self.context = self.engine.create_execution_context()

    def __call__(self, *args: Any) -> None:
        count = len(self.spec.inputs)
        for tensor, value in zip(self.spec.inputs, args[:count]):
            self.context.set_input_shape(tensor.name, tuple(int(d) for d in value.shape))
            self.context.set_tensor_address(tensor.name, int(value.data_ptr()))
        for tensor, value in zip(self.spec.outputs, args[count:]):
            self.context.set_tensor_address(tensor.name, int(value.data_ptr()))
        if not self.context.execute_async_v3(0):
            raise ArtifactError(f"region {self.spec.index}: TensorRT execution failed")
        self.device.sync()


def _engine_plan(trt, tvm, device, folder: Path, section: dict, spec: RegionSpec,
                 calibration: dict[int, list] | None) -> bytes:
    precision = section.get("precision", "fp32")
    profile = region_profile(spec, section.get("dim_ranges", {}))
    key = engine_cache_key(spec.sha256, trt.__version__, device.device_name, precision,
                           profile)
    for candidate in (folder / "engines" / f"{key}.engine", _cache_dir() / f"{key}.engine"):
        if candidate.is_file():
            return candidate.read_bytes()
    calibrator = None
    if precision == "int8":
        table = _cache_dir() / f"{key}.calib"
        batches = (calibration or {}).get(spec.index, [])
        if not batches and not table.is_file() and \
                not (folder / "engines" / f"{key}.calib").is_file():
            raise TensorRTUnavailableError(f"region {spec.index}: int8 needs calibration data")
        if (folder / "engines" / f"{key}.calib").is_file() and not table.is_file():
            table = folder / "engines" / f"{key}.calib"
        calibrator = _calibrator_class(trt)(
            batches, table, lambda array: tvm.runtime.tensor(np.ascontiguousarray(array), device))
    plan = build_engine(trt, (folder / spec.file).read_bytes(), precision, profile,
                        section.get("workspace_mb", 1024), calibrator)
    target = _cache_dir() / f"{key}.engine"
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".tmp{os.getpid()}")
    partial.write_bytes(plan)
    os.replace(partial, target)
    return plan


def _resolve_backend(requested: str | None, device_kind: str, specs: list[RegionSpec]) -> str:
    choice = requested or os.environ.get("PADDLEC_TRT_BACKEND") or "auto"
    if choice not in BACKENDS + ("auto",):
        raise TensorRTUnavailableError(f"unknown region back end {choice!r} "
                                       f"(use {', '.join(BACKENDS)} or auto)")
    has_fallback = all(spec.fallback for spec in specs)
    if choice == "auto":
        if device_kind == "cuda" and _import_tensorrt() is not None:
            return "tensorrt"
        if has_fallback:
            reason = "TensorRT is not installed" if device_kind == "cuda" else \
                "TensorRT needs a CUDA device"
            message = f"{reason}: running {len(specs)} region(s) with the TVM code compiled " \
                      "in by --trt-fallback"
            if message not in _WARNED:
                _WARNED.add(message)
                log.warning(message)
            return "tvm"
        raise TensorRTUnavailableError(
            "this artifact runs parts of the model with TensorRT, but "
            + ("the tensorrt package is not installed" if device_kind == "cuda"
               else "it was loaded on the CPU")
            + "; install TensorRT on a CUDA host, or recompile with --trt-fallback")
    if choice == "tensorrt" and (device_kind != "cuda" or _import_tensorrt() is None):
        raise TensorRTUnavailableError("TensorRT back end requested but the tensorrt package "
                                       "is not installed or the device is not CUDA")
    if choice == "tvm" and not has_fallback:
        raise TensorRTUnavailableError("this artifact has no TVM fallback for its regions "
                                       "(recompile with --trt-fallback)")
    return choice


def attach_regions(model: Any, tvm: Any, backend: str | None = None) -> str:
    """Register the region functions of ``model``'s artifact; returns the back end used."""
    import tvm_ffi

    specs = region_specs(model.manifest.raw)
    if not specs:
        return "none"
    section = model.manifest.raw["tensorrt"]
    chosen = _resolve_backend(backend, model.device_kind, specs)
    runners: dict[str, Any] = {}
    # A VM resolves every extern function when it is created (the fallback and calibration
    # VMs included), so the symbols are registered first and look their runner up per call.
    for spec in specs:
        tvm_ffi.register_global_func(
            spec.symbol, lambda *args, _symbol=spec.symbol: runners[_symbol](*args),
            override=True)
    if chosen == "tensorrt":
        trt = _import_tensorrt()
        calibration = _calibration_inputs(model, tvm, specs, section, runners) \
            if section.get("precision") == "int8" else None
        for spec in specs:
            plan = _engine_plan(trt, tvm, model._device, model.path, section, spec, calibration)
            runners[spec.symbol] = TensorRTRegion(trt, tvm, model._device, plan, spec)
    for spec in specs:
        if chosen == "onnxruntime":
            runners[spec.symbol] = OnnxRuntimeRegion(model.path / spec.file, spec)
        elif chosen == "tvm":
            runners[spec.symbol] = TvmFallbackRegion(tvm, model._library, model._device, spec)
    model._region_runners = runners
    return chosen


def _calibration_inputs(model, tvm, specs, section, runners) -> dict[int, list]:
    """Run the calibration samples through the model with fp32 regions (TVM fallback, else
    onnxruntime) and record every region's inputs: the int8 calibrator's batches."""
    calib = section.get("calibration")
    if not calib:
        return {}
    recorded: dict[int, list] = {spec.index: [] for spec in specs}
    inner = "tvm" if all(spec.fallback for spec in specs) else "onnxruntime"
    for spec in specs:
        runner = TvmFallbackRegion(tvm, model._library, model._device, spec) \
            if inner == "tvm" else OnnxRuntimeRegion(model.path / spec.file, spec)

        def recording(*args, _runner=runner, _spec=spec):
            count = len(_spec.inputs)
            recorded[_spec.index].append({t.name: a.numpy()
                                          for t, a in zip(_spec.inputs, args[:count])})
            _runner(*args)

        runners[spec.symbol] = recording
    main = tvm.runtime.vm.VirtualMachine(model._library, model._device)["main"]
    with np.load(model.path / calib["file"], allow_pickle=False) as data:
        samples: dict[str, dict[str, np.ndarray]] = {}
        for key in data.files:
            index, _, name = key.partition("/")
            samples.setdefault(index, {})[name] = data[key]
    for index in sorted(samples, key=int):
        main(*[tvm.runtime.tensor(np.ascontiguousarray(samples[index][t.name]), model._device)
               for t in model.inputs])
    return recorded


def build_engines_into(folder: Path, section: dict) -> list[str]:
    """For ``paddlec compile --build-engines``: build every region's engine on this GPU host
    into ``folder/engines/`` (fp32/fp16; int8 calibrates at first load)."""
    trt = _import_tensorrt()
    if trt is None:
        raise TensorRTUnavailableError("--build-engines needs TensorRT (the tensorrt package) "
                                       "and a CUDA GPU on the compiling host")
    from ._tvm import tvm_runtime

    tvm = tvm_runtime()
    device = tvm.cuda(0)
    if not device.exist:
        raise TensorRTUnavailableError("--build-engines needs a CUDA GPU on this host")
    specs = region_specs({"tensorrt": section})
    (folder / "engines").mkdir(exist_ok=True)
    built = []
    for spec in specs:
        profile = region_profile(spec, section.get("dim_ranges", {}))
        key = engine_cache_key(spec.sha256, trt.__version__, device.device_name,
                               section["precision"], profile)
        plan = build_engine(trt, (folder / spec.file).read_bytes(), section["precision"],
                            profile, section.get("workspace_mb", 1024))
        (folder / "engines" / f"{key}.engine").write_bytes(plan)
        built.append(f"engines/{key}.engine")
    return built
