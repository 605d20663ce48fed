"""``Model``: a loaded artifact that checks its feeds and runs on TVM's runtime library."""

from __future__ import annotations

import ctypes
import json
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import (ArtifactError, DeviceUnavailableError, ExecutionError,
                      InputMismatchError)
from ._tvm import tvm_runtime
from .feeds import (Feed, ManifestSpecs, arrays_in_order, check_arrays, check_shape,
                    logical_view, numpy_dtype, plain_input_checks)
from .manifest import Manifest, TensorSpec, read_manifest
from .native_libraries import load_native_libraries
from .stale_library import loadable_library

__all__ = ["Model", "load", "parse_device", "set_num_threads"]


def parse_device(device: str) -> tuple[str, int]:
    """``"cpu"`` → ("cpu", 0); ``"cuda"`` / ``"cuda:1"`` → ("cuda", index)."""
    kind, _, index = device.strip().lower().partition(":")
    if kind not in ("cpu", "cuda", "gpu") or (index and not index.isdigit()):
        raise DeviceUnavailableError(
            f"unknown device {device!r}: use 'cpu', 'cuda' or 'cuda:N'"
        )
    return ("cuda" if kind == "gpu" else kind), int(index or 0)


def _load_cuda_runtime(tvm: Any) -> None:
    """Load ``libtvm_runtime_cuda.so``, which the runtime-only TVM library does not load."""
    if tvm.get_global_func("device_api.cuda", allow_missing=True) is not None:
        return
    lib_dir = Path(tvm.__file__).parent / "lib"
    candidates = sorted(lib_dir.glob("libtvm_runtime_cuda*.so*"))
    if not candidates:
        raise DeviceUnavailableError(
            f"this TVM installation has no CUDA runtime ({lib_dir}/libtvm_runtime_cuda.so)"
        )
    try:
        ctypes.CDLL(str(candidates[0]), mode=ctypes.RTLD_GLOBAL)
    except OSError as exc:
        raise DeviceUnavailableError(
            f"no CUDA device: cannot load TVM's CUDA runtime ({exc}); "
            "is an NVIDIA driver (libcuda.so.1) installed?"
        ) from None


def set_num_threads(num_threads: int, library: Any = None, tvm_pool: bool = True) -> None:
    """Use ``num_threads`` CPU threads in the calling thread's TVM pool (unless ``tvm_pool`` is
    False) and, when ``library`` (a loaded ``model.so``) has the oneDNN kernels, in their
    OpenMP regions too."""
    if num_threads < 1:
        raise ValueError(f"num_threads must be >= 1, got {num_threads}")
    if tvm_pool:
        _configure_thread_pool(tvm_runtime(), int(num_threads))
    if library is not None:
        name = "paddlec_dnnl_set_num_threads"
        if library.implements_function(name, True):
            library.get_function(name, True)(int(num_threads))


class Model(ManifestSpecs):
    """A compiled model ready to run on TVM's Python runtime (``engine == "tvm"``).

    ``inputs``/``outputs`` describe the model (names, dtypes, shapes with symbolic dims as
    names). ``run(feed)`` takes a dict name → array or a list in input order and returns a
    dict name → numpy array. One ``Model`` may be shared by threads only through ``clone()``:
    clones share the loaded library and weights but each owns its virtual machine.
    """

    engine = "tvm"

    def __init__(self, path: str | Path, device: str = "cpu",
                 num_threads: int | None = None, region_backend: str | None = None,
                 trusted_keys: Iterable[Any] | None = None) -> None:
        self.path = Path(path)
        if num_threads is not None and num_threads < 1:
            raise ValueError(f"num_threads must be >= 1 or None, got {num_threads}")
        self.num_threads = num_threads
        self.manifest: Manifest = read_manifest(self.path, trusted_keys=trusted_keys)
        self.device_kind, self.device_index = parse_device(device)
        if self.device_kind != self.manifest.device_kind:
            hint = (" (no CUDA device is needed to compile, but one is needed to run it: load "
                    "it with device='cuda' on a GPU host)" if self.manifest.device_kind == "cuda"
                    else "")
            raise DeviceUnavailableError(
                f"{self.path} was compiled for {self.manifest.device_kind!r} "
                f"({self.manifest.target.get('given')}) and cannot run on {device!r}{hint}"
            )
        tvm = tvm_runtime()
        if self.device_kind == "cuda":
            _load_cuda_runtime(tvm)
        self._device = tvm.device(self.device_kind, self.device_index)
        if not self._device.exist:
            what = "no CUDA device" if self.device_kind == "cuda" else f"no {self.device_kind} device"
            raise DeviceUnavailableError(f"{what} {device!r} on this machine")
        library = self.path / self.manifest.library
        load_native_libraries(self.manifest.raw.get("native_libraries", []))
        try:
            sha256 = self.manifest.raw.get("files", {}).get(self.manifest.library, "")
            self._library = tvm.runtime.load_module(str(loadable_library(library, sha256)))
        except Exception as exc:  # the loader raises plain TVM errors
            raise ArtifactError(f"{library}: cannot load the compiled library: {exc}") from None
        # Fast-path libraries run TVM's parallel loops on the oneDNN kernels' OpenMP team
        # instead of a second, spinning thread pool (compiler/cpu/kernels/openmp_launch.h).
        self.tvm_kernels_on_openmp = _use_openmp_for_tvm_kernels(self._library)
        if num_threads is not None:  # OpenMP threads (TVM's pool, when used: per run)
            set_num_threads(num_threads, self._library, not self.tvm_kernels_on_openmp)
        self.region_backend = "none"
        if self.manifest.raw.get("tensorrt"):  # TensorRT regions: register their functions
            from .tensorrt import attach_regions

            self.region_backend = attach_regions(self, tvm, region_backend)
        self._vm = _virtual_machine(tvm, self._library, self._device, self.path)
        # a compiler-made copy of main for batch 1 (static shapes): the function and the
        # indices of the inputs whose leading dimension must be 1 to call it
        batch_one = self.manifest.raw.get("batch_one") or {}
        self._batch_one_function = batch_one.get("function")
        self._batch_one_inputs = tuple(batch_one.get("inputs", ()))
        self._bind_functions()
        self._lock = threading.Lock()
        # After a run has evicted the caches, each Python step of run() costs ~10-40 us
        # (str(tensor.dtype) ~37 us): what run() checks per call is prepared here.
        self._plain_inputs = plain_input_checks(self.inputs, self.manifest.dim_ranges)
        self._output_dtypes = tuple(numpy_dtype(spec.storage or spec.dtype)
                                    for spec in self.outputs)
        # input index → (tensor reused by run(), its shape, dtype, numpy view or None)
        self._staging: dict[int, tuple[Any, ...]] = {}

    def _bind_functions(self) -> None:
        try:
            self._main = self._vm["main"]
            self._main_batch_one = (self._vm[self._batch_one_function]
                                    if self._batch_one_function else None)
        except Exception as exc:  # noqa: BLE001 - TVM raises AttributeError or its own errors
            raise ArtifactError(f"{self.path}: the compiled library lacks a function the "
                                f"manifest names ({str(exc)[:200]})") from None

    def set_num_threads(self, num_threads: int) -> None:
        """Threads for the oneDNN kernels and, in fast-path libraries, TVM's parallel loops
        (OpenMP, process-wide); for other libraries, TVM's pool of each thread that runs
        the model."""
        set_num_threads(num_threads, self._library, not self.tvm_kernels_on_openmp)
        self.num_threads = num_threads

    def clone(self) -> "Model":
        """A new Model over the same loaded library (weights shared), for another thread."""
        twin = object.__new__(Model)
        twin.__dict__.update(self.__dict__)
        tvm = tvm_runtime()
        twin._vm = _virtual_machine(tvm, self._library, self._device, self.path)
        twin._bind_functions()
        twin._lock = threading.Lock()
        twin._staging = {}
        return twin

    def check_feed(self, feed: Feed) -> list[np.ndarray]:
        """Validate a feed against the manifest; return the arrays in input order."""
        return check_arrays(self.inputs, self._plain_inputs, self._arrays_in_order(feed),
                            self.manifest.dim_ranges)

    def run(self, feed: Feed) -> dict[str, np.ndarray]:
        """Run the model; returns a dict output name → numpy array."""
        arrays = self.check_feed(feed)
        with self._lock:
            # Inputs go into tensors kept from the last run (a fresh 0.6 MB tensor costs
            # 0.09 ms of allocation and page faults, a copy into a kept one 0.025 ms). The
            # outputs are copied out before the lock is released: one may be a kept input
            # passed through, or a constant of the model, which a caller must not write to.
            outputs = self._invoke_staged(arrays)
            return {spec.name: logical_view(spec, self._host_copy(value, dtype))
                    for spec, value, dtype in zip(self.outputs, outputs, self._output_dtypes)}

    def run_staged(self, arrays: Sequence[np.ndarray]) -> list[Any]:
        """Run on checked numpy inputs copied into the tensors this Model keeps between runs
        (as ``run`` does); returns TVM tensors in output order, valid until the next run of
        this Model (an output may be a kept input passed through). For the predictor API."""
        with self._lock:
            return self._invoke_staged(arrays)

    def host_copy(self, value: Any, index: int) -> np.ndarray:
        """Output ``index``'s TVM tensor ``value`` copied into a new numpy array."""
        return self._host_copy(value, self._output_dtypes[index])

    def run_device(self, arrays: Sequence[Any]) -> list[Any]:
        """Run on already-checked inputs (numpy arrays or TVM/DLPack tensors on this device);
        returns TVM tensors on the model's device, in output order, without host copies."""
        tvm = tvm_runtime()
        args = [self._to_device(tvm, array) for array in arrays]
        with self._lock:
            return self._invoke(args)

    def _invoke(self, args: list[Any], shapes: Sequence[tuple[int, ...]] | None = None
                ) -> list[Any]:
        """Call ``main``, or its batch-1 copy when every batched input has batch 1 (the
        caller holds ``self._lock``); returns the flat outputs. ``shapes`` are the inputs'
        shapes when the caller has them as tuples (cheaper than asking the tensors)."""
        if self.num_threads is not None and not self.tvm_kernels_on_openmp:
            _configure_thread_pool(tvm_runtime(), self.num_threads)
        function = self._main
        if shapes is None:
            shapes = [arg.shape for arg in args]
        if self._main_batch_one is not None and all(
                shapes[index][0] == 1 for index in self._batch_one_inputs):
            function = self._main_batch_one
        try:
            flat = _flatten(function(*args))
        except Exception as exc:  # noqa: BLE001 - TVM raises plain errors from kernels
            lines = [line for line in str(exc).strip().splitlines() if line.strip()]
            raise ExecutionError(f"{self.path}: the compiled model failed while running: "
                                 f"{lines[-1] if lines else type(exc).__name__}") from None
        if len(flat) != len(self.outputs):
            raise ArtifactError(
                f"{self.path}: the library returned {len(flat)} outputs, "
                f"the manifest lists {len(self.outputs)}"
            )
        return flat

    def _invoke_staged(self, arrays: Sequence[np.ndarray]) -> list[Any]:
        """``_invoke`` on the inputs copied into the kept tensors (caller holds the lock)."""
        return self._invoke([self._staged(index, array) for index, array in enumerate(arrays)],
                            [array.shape for array in arrays])

    def _staged(self, index: int, array: np.ndarray) -> Any:
        """Input ``index`` copied into this model's kept tensor of its shape and dtype.

        On the CPU the copy goes through a numpy view of the kept tensor: after a run has
        evicted the interpreter's caches, ``Tensor.copyfrom``'s Python path costs more than
        ``np.copyto``."""
        staged = self._staging.get(index)
        if staged is None or staged[1] != array.shape or staged[2] != array.dtype:
            kept = tvm_runtime().runtime.empty(array.shape, str(array.dtype), self._device)
            view = _host_view(kept) if self.device_kind == "cpu" else None
            staged = self._staging[index] = (kept, array.shape, array.dtype, view)
        kept, _, _, view = staged
        if view is None:
            kept.copyfrom(np.require(array, requirements="C"))
        else:
            np.copyto(view, array, casting="no")
        return kept

    def _host_copy(self, value: Any, dtype: np.dtype | None) -> np.ndarray:
        """An output tensor (of numpy dtype ``dtype``, None for dtypes numpy lacks) copied
        into a new numpy array."""
        if self.device_kind == "cpu" and dtype is not None:
            try:
                view = np.from_dlpack(value)
            except (BufferError, TypeError, ValueError, RuntimeError):
                view = None
            if view is not None and view.dtype == dtype:
                return view.copy()
        return value.numpy()

    def run_dlpack(self, feed: Mapping[str, Any] | Sequence[Any]) -> dict[str, Any]:
        """Run on tensors that are already on the model's device (torch/cupy/TVM tensors,
        anything with ``__dlpack__``): no host copies in or out.

        Inputs are checked against the manifest from their DLPack metadata (dtype, shape,
        device). Returns a dict name → TVM tensor on the model's device; hand one to your
        framework with ``torch.from_dlpack(out)`` / ``cupy.from_dlpack(out)`` (zero-copy).
        A tensor on another device, or not 64-byte aligned (TVM's kernels assume it), is
        copied once to an aligned tensor on the model's device.
        """
        tvm = tvm_runtime()
        values = self._arrays_in_order_raw(feed)
        tensors = [self._dlpack_tensor(tvm, value) for value in values]
        bound: dict[str, tuple[int, str]] = {}
        for spec, tensor in zip(self.inputs, tensors):
            if spec.storage is not None:
                raise InputMismatchError(
                    f"input {spec.name!r} is {spec.dtype}, which run_dlpack does not take; "
                    "feed it as a numpy array of that ml_dtypes dtype with run()"
                )
            if str(tensor.dtype) != spec.dtype:
                raise InputMismatchError(
                    f"input {spec.name!r}: expected dtype {spec.dtype}, got {tensor.dtype}"
                )
            check_shape(spec, tuple(int(d) for d in tensor.shape), bound,
                        self.manifest.dim_ranges)
        return dict(zip(self.output_names, self.run_device(tensors)))

    def _dlpack_tensor(self, tvm: Any, value: Any) -> Any:
        import tvm_ffi

        if not hasattr(value, "__dlpack__"):
            raise InputMismatchError(
                f"run_dlpack takes DLPack tensors, got {type(value).__name__}; use run()"
            )
        try:
            tensor = tvm_ffi.from_dlpack(value, require_alignment=0, require_contiguous=True)
        except Exception as exc:  # non-contiguous, unsupported device or dtype
            raise InputMismatchError(f"cannot take a {type(value).__name__} via DLPack: {exc}"
                                     ) from None
        aligned = tensor.data_ptr() % 64 == 0
        if tensor.device == self._device and aligned:
            return tensor
        moved = tvm.runtime.empty(tensor.shape, tensor.dtype, self._device)
        moved.copyfrom(tensor)
        return moved

    def _to_device(self, tvm: Any, array: Any) -> Any:
        if isinstance(array, np.ndarray):
            # np.ascontiguousarray would turn a 0-d array into a 1-d one
            return tvm.runtime.tensor(np.require(array, requirements="C"), self._device)
        if hasattr(array, "__dlpack__"):
            return self._dlpack_tensor(tvm, array)
        raise InputMismatchError(f"cannot feed an object of type {type(array).__name__}")

    def _arrays_in_order(self, feed: Feed) -> list[np.ndarray]:
        return [value if type(value) is np.ndarray else np.asarray(value)
                for value in self._arrays_in_order_raw(feed)]

    def _arrays_in_order_raw(self, feed: Feed) -> list[Any]:
        return arrays_in_order(feed, self.input_names)

    def __repr__(self) -> str:
        ins = ", ".join(str(spec) for spec in self.inputs)
        outs = ", ".join(str(spec) for spec in self.outputs)
        return f"Model({str(self.path)!r}, device={self._device}, inputs=[{ins}], outputs=[{outs}])"


def _host_view(tensor: Any) -> np.ndarray | None:
    """A numpy view (no copy) of a host tensor, or None for dtypes numpy's DLPack import
    does not take (its ``Tensor.numpy()`` copy then serves)."""
    try:
        view = np.from_dlpack(tensor)
        return view if view.dtype == np.dtype(str(tensor.dtype)) else None
    except (BufferError, TypeError, ValueError, RuntimeError):
        return None


def _virtual_machine(tvm: Any, library: Any, device: Any, path: Path) -> Any:
    """The Relax VM over a loaded library; it resolves every function the library calls by
    name, and a missing one (an artifact built for another runtime) is an ArtifactError."""
    try:
        return tvm.runtime.vm.VirtualMachine(library, device)
    except Exception as exc:  # noqa: BLE001 - TVM raises plain errors
        lines = [line for line in str(exc).strip().splitlines() if line.strip()]
        raise ArtifactError(f"{path}: cannot start the compiled model: "
                            f"{lines[-1] if lines else type(exc).__name__}") from None


_pool_threads = threading.local()


def _use_openmp_for_tvm_kernels(library: Any) -> bool:
    """Point the library's TVM parallel loops at its OpenMP launcher, when it has one (the
    fast path's kernels); False for other libraries, which keep TVM's thread pool."""
    name = "paddlec_tvm_kernels_on_openmp"
    if not library.implements_function(name, True):
        return False
    library.get_function(name, True)()
    return True


def _configure_thread_pool(tvm: Any, num_threads: int) -> None:
    """Size the TVM thread pool of the calling thread (TVM keeps one pool per thread).

    ``runtime.config_threadpool`` can only shrink a pool below its size at creation
    (``TVM_NUM_THREADS``, else the physical cores); ``runtime.NumThreads`` tells what it got.
    """
    if getattr(_pool_threads, "requested", None) == num_threads:
        return
    tvm.get_global_func("runtime.config_threadpool")(1, num_threads)  # 1 = kBig cores
    _pool_threads.requested = num_threads


def _flatten(result: Any) -> list[Any]:
    if hasattr(result, "numpy"):
        return [result]
    flat: list[Any] = []
    for item in result:
        flat.extend(_flatten(item))
    return flat


def load(path: str | Path, device: str = "cpu", num_threads: int | None = None,
         region_backend: str | None = None,
         trusted_keys: Iterable[Any] | None = None, engine: str = "auto") -> Any:
    """Load an artifact folder written by ``paddlec compile``; verifies it before loading.

    ``num_threads`` sizes the threads of the compiled kernels (None: the library's default,
    ``TVM_NUM_THREADS`` / the physical cores). ``region_backend`` (artifacts with TensorRT
    regions): ``"tensorrt"``, ``"tvm"`` (the ``--trt-fallback`` code), ``"onnxruntime"`` (a
    stand-in, for tests) or None = auto. ``trusted_keys``: ed25519 public keys (PEM
    text/bytes, paths to PEM files); when given, the artifact must be signed by one of them
    (``paddlec compile --sign``), else ``SignatureError`` is raised before anything is
    loaded.

    ``engine``: ``"native"`` runs the artifact through paddlec's C runtime
    (``NativeModel``, no TVM Python package: starts in milliseconds), ``"tvm"`` through TVM's
    Python runtime (``Model``: DLPack in/out, TensorRT regions, CUDA), ``"auto"`` the native
    one when it is built and the artifact is a CPU artifact without TensorRT regions.
    Both have ``run``, ``inputs``, ``outputs``, ``clone`` and ``engine``.
    """
    if engine not in ("auto", "native", "tvm"):
        raise ValueError(f"engine must be 'auto', 'native' or 'tvm', got {engine!r}")
    if engine == "native" or (engine == "auto" and _native_fits(path, device, region_backend)):
        from .native import NativeModel

        return NativeModel(path, device=device, num_threads=num_threads,
                           trusted_keys=trusted_keys)
    return Model(path, device=device, num_threads=num_threads, region_backend=region_backend,
                 trusted_keys=trusted_keys)


def _native_fits(path: str | Path, device: str, region_backend: str | None) -> bool:
    """Whether ``engine="auto"`` picks the C runtime for this artifact."""
    from .native import native_available

    if region_backend is not None or parse_device(device)[0] != "cpu" or not native_available():
        return False
    try:
        raw = json.loads((Path(path) / "manifest.json").read_bytes())
        return not (raw.get("tensorrt") or {}).get("regions") and \
            raw.get("target", {}).get("device", "cpu") == "cpu"
    except (OSError, ValueError, AttributeError, TypeError):
        return True  # the C runtime reports what is wrong with it
