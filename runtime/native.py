"""``NativeModel``: an artifact run through paddlec's C runtime (``libpaddlec_runtime.so``,
``native/``) with ctypes, without importing TVM's Python package.

The Python TVM package costs a service most of its start-up: ``import tvm`` pulls in
tvm-ffi and ``ml_dtypes`` (0.65-1.0 s with ml_dtypes 0.7 on the machines here), while the C
runtime loads an artifact in milliseconds (docs/performance.md: cold start). The C side
checks the manifest, the checksums and the signature before ``model.so`` is loaded, with the
same rules as ``manifest.py``; feeds are checked here with the same code as ``Model``
(``feeds.py``), so both engines raise the same errors for the same mistakes.
"""

from __future__ import annotations

import ctypes
import os
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import (ArtifactError, DeviceUnavailableError, ExecutionError,
                      InputMismatchError, PaddlecError, SignatureError)
from .feeds import (Feed, ManifestSpecs, arrays_in_order, check_arrays, logical_view,
                    plain_input_checks)
from .manifest import Manifest, TensorSpec, read_manifest

__all__ = ["NativeModel", "native_library", "native_available"]

LIBRARY_NAME = "libpaddlec_runtime.so"
_ERRORS = {1: ArtifactError, 2: SignatureError, 3: InputMismatchError,
           4: DeviceUnavailableError, 5: ExecutionError}
_library: ctypes.CDLL | None = None
_library_lock = threading.Lock()


def native_library_path() -> Path | None:
    """``$PADDLEC_RUNTIME_LIBRARY``, else the one ``make setup`` builds in ``native/build``."""
    if os.environ.get("PADDLEC_RUNTIME_LIBRARY"):
        return Path(os.environ["PADDLEC_RUNTIME_LIBRARY"])
    built = Path(__file__).resolve().parents[1] / "native" / "build" / LIBRARY_NAME
    return built if built.is_file() else None


def native_available() -> bool:
    return native_library_path() is not None


def native_library() -> ctypes.CDLL:
    """The C runtime, loaded once with its function signatures declared."""
    global _library
    with _library_lock:
        if _library is None:
            path = native_library_path()
            if path is None:
                raise ArtifactError(f"paddlec's C runtime ({LIBRARY_NAME}) is not built: run "
                                    "`make native`, or load with engine='tvm'")
            try:  # RTLD_GLOBAL: model.so resolves tvm-ffi's symbols through it
                _library = _declare(ctypes.CDLL(str(path), mode=ctypes.RTLD_GLOBAL))
            except OSError as exc:
                raise ArtifactError(f"cannot load paddlec's C runtime {path}: {exc}") from None
        return _library


def _declare(lib: ctypes.CDLL) -> ctypes.CDLL:
    p, c_int, c_size, c_str = ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t, ctypes.c_char_p
    i64p = ctypes.POINTER(ctypes.c_int64)
    signatures = {
        "PC_GetLastError": ([], c_str), "PC_GetLastErrorCode": ([], c_int),
        "PC_ConfigCreate": ([], p), "PC_ConfigDestroy": ([p], None),
        "PC_ConfigSetModelDir": ([p, c_str], c_int),
        "PC_ConfigSetCpuMathLibraryNumThreads": ([p, ctypes.c_int32], c_int),
        "PC_ConfigSetDevice": ([p, c_str], c_int),
        "PC_ConfigAddTrustedKey": ([p, c_str], c_int),
        "PC_PredictorCreate": ([p], p), "PC_PredictorClone": ([p], p),
        "PC_PredictorDestroy": ([p], None),
        "PC_PredictorGetInputNum": ([p], c_size), "PC_PredictorGetOutputNum": ([p], c_size),
        "PC_PredictorGetInputName": ([p, c_size], c_str),
        "PC_PredictorGetOutputName": ([p, c_size], c_str),
        "PC_PredictorGetInputHandle": ([p, c_str], p),
        "PC_PredictorGetOutputHandle": ([p, c_str], p),
        "PC_PredictorRun": ([p], c_int), "PC_PredictorGetSigner": ([p], c_str),
        "PC_PredictorSetCpuMathLibraryNumThreads": ([p, ctypes.c_int32], c_int),
        "PC_TensorReshape": ([p, c_size, i64p], c_int),
        "PC_TensorGetNdim": ([p], c_size), "PC_TensorGetShape": ([p, i64p, c_size], c_int),
        "PC_TensorGetNumBytes": ([p], c_size),
        "PC_TensorCopyFromCpu": ([p, p, c_size], c_int),
        "PC_TensorCopyToCpu": ([p, p, c_size], c_int),
    }
    for name, (argtypes, restype) in signatures.items():
        function = getattr(lib, name)
        function.argtypes, function.restype = argtypes, restype
    return lib


def _raise_last(lib: ctypes.CDLL) -> None:
    message = (lib.PC_GetLastError() or b"").decode(errors="replace")
    raise _ERRORS.get(lib.PC_GetLastErrorCode(), PaddlecError)(message)


def _check(lib: ctypes.CDLL, status: int) -> None:
    if status != 0:
        _raise_last(lib)


class NativeModel(ManifestSpecs):
    """A compiled CPU model run by the C runtime; the same ``run`` / ``inputs`` / ``outputs``
    / ``clone`` API as :class:`paddlec.runtime.Model` (``engine == "native"``)."""

    engine = "native"

    def __init__(self, path: str | Path, device: str = "cpu", num_threads: int | None = None,
                 trusted_keys: Iterable[Any] | None = None) -> None:
        self.path = Path(path)
        if num_threads is not None and num_threads < 1:
            raise ValueError(f"num_threads must be >= 1 or None, got {num_threads}")
        self.num_threads = num_threads
        self._lib = lib = native_library()
        config = lib.PC_ConfigCreate()
        try:
            _check(lib, lib.PC_ConfigSetModelDir(config, os.fsencode(self.path)))
            _check(lib, lib.PC_ConfigSetDevice(config, device.encode()))
            if num_threads is not None:
                _check(lib, lib.PC_ConfigSetCpuMathLibraryNumThreads(config, num_threads))
            for key in _key_texts(trusted_keys):
                _check(lib, lib.PC_ConfigAddTrustedKey(config, key))
            handle = lib.PC_PredictorCreate(config)
            if not handle:
                _raise_last(lib)
        finally:
            lib.PC_ConfigDestroy(config)
        self._adopt(handle)
        signer = lib.PC_PredictorGetSigner(handle).decode()
        # the C runtime verified the files; this reads the manifest's fields for callers
        manifest = read_manifest(self.path, verify_files=False)
        self.manifest = Manifest(manifest.raw, manifest.inputs, manifest.outputs,
                                 signer=signer or None)
        self.device_kind = self.manifest.device_kind
        self._plain_inputs = plain_input_checks(self.inputs, self.manifest.dim_ranges)
        self._output_dtypes = tuple(np.dtype(spec.storage or spec.dtype) if spec.dtype !=
                                    "bfloat16" else None for spec in self.outputs)

    def _adopt(self, handle: int) -> None:
        lib = self._lib
        self._handle = handle
        self._lock = threading.Lock()
        self._input_handles = [lib.PC_PredictorGetInputHandle(
            handle, lib.PC_PredictorGetInputName(handle, i))
            for i in range(lib.PC_PredictorGetInputNum(handle))]
        self._output_handles = [lib.PC_PredictorGetOutputHandle(
            handle, lib.PC_PredictorGetOutputName(handle, i))
            for i in range(lib.PC_PredictorGetOutputNum(handle))]

    def clone(self) -> "NativeModel":
        """Another predictor over the same loaded library and weights, for another thread."""
        twin = object.__new__(NativeModel)
        twin.__dict__.update(self.__dict__)
        handle = self._lib.PC_PredictorClone(self._handle)
        if not handle:
            _raise_last(self._lib)
        twin._adopt(handle)
        return twin

    def set_num_threads(self, num_threads: int) -> None:
        if num_threads < 1:
            raise ValueError(f"num_threads must be >= 1, got {num_threads}")
        _check(self._lib, self._lib.PC_PredictorSetCpuMathLibraryNumThreads(self._handle,
                                                                           num_threads))
        self.num_threads = num_threads

    def check_feed(self, feed: Feed) -> list[np.ndarray]:
        """Validate a feed against the manifest; return the arrays in input order."""
        arrays = [value if type(value) is np.ndarray else np.asarray(value)
                  for value in arrays_in_order(feed, self.input_names)]
        return check_arrays(self.inputs, self._plain_inputs, arrays, self.manifest.dim_ranges)

    def run(self, feed: Feed) -> dict[str, np.ndarray]:
        """Run the model; returns a dict output name → numpy array."""
        arrays = self.check_feed(feed)
        lib = self._lib
        with self._lock:
            for handle, array in zip(self._input_handles, arrays):
                array = np.require(array, requirements="C")
                shape = (ctypes.c_int64 * max(1, array.ndim))(*array.shape)
                _check(lib, lib.PC_TensorReshape(handle, array.ndim, shape))
                _check(lib, lib.PC_TensorCopyFromCpu(handle, array.ctypes.data, array.nbytes))
            _check(lib, lib.PC_PredictorRun(self._handle))
            results = {}
            for spec, handle, dtype in zip(self.outputs, self._output_handles,
                                           self._output_dtypes):
                ndim = lib.PC_TensorGetNdim(handle)
                shape = (ctypes.c_int64 * max(1, ndim))()
                _check(lib, lib.PC_TensorGetShape(handle, shape, ndim))
                out = np.empty(tuple(shape[:ndim]), dtype if dtype is not None else np.uint16)
                _check(lib, lib.PC_TensorCopyToCpu(handle, out.ctypes.data, out.nbytes))
                results[spec.name] = logical_view(spec, out) if dtype is not None else \
                    out.view(_bfloat16())
            return results

    def __del__(self) -> None:
        handle, self._handle = getattr(self, "_handle", None), None
        if handle:
            self._lib.PC_PredictorDestroy(handle)

    def __repr__(self) -> str:
        ins = ", ".join(str(spec) for spec in self.inputs)
        outs = ", ".join(str(spec) for spec in self.outputs)
        return f"NativeModel({str(self.path)!r}, inputs=[{ins}], outputs=[{outs}])"


def _bfloat16() -> np.dtype:
    import ml_dtypes

    return np.dtype(ml_dtypes.bfloat16)


def _key_texts(keys: Iterable[Any] | None) -> list[bytes]:
    """Trusted keys as the C runtime takes them: PEM text, or the path of a PEM file."""
    if keys is None:
        return []
    texts = []
    for key in keys:
        if isinstance(key, bytes):
            texts.append(key)
        elif isinstance(key, (str, Path)):
            texts.append(os.fsencode(key) if isinstance(key, Path) else key.encode())
        else:  # a cryptography Ed25519PublicKey
            from cryptography.hazmat.primitives import serialization

            texts.append(key.public_bytes(serialization.Encoding.PEM,
                                          serialization.PublicFormat.SubjectPublicKeyInfo))
    if not texts:
        raise SignatureError("trusted_keys is empty: no artifact could be accepted")
    return texts
