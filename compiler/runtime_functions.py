"""Every function an artifact calls must exist in the process that will run it.

A Relax executable calls "packed" functions by name; the VM resolves each one when it is
created, first in the artifact's own library (its TIR kernels, the oneDNN kernels), then
in TVM's global registry. A few of those functions are registered by the Python code of
TVM's *compiler* package (``relax.run.unique``, ``relax.run.shape_to_tensor``...), so an
artifact that builds and runs in the compiling process can fail to load in a service that
has only the runtime library. ``check_runtime_functions`` lists what ``model.so`` calls,
takes away what it defines and what a runtime-only process registers, and refuses the
rest at compile time with a typed error naming the operator that needs it. (The sorts
that TopK and NonMaxSuppression call are compiled into every llvm ``model.so`` instead:
``compiler/cpu/kernels/runtime_support.cc``.)
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from ..errors import CompileError, UnsupportedModelError

__all__ = ["called_functions", "kernel_extern_calls", "runtime_registry",
           "check_runtime_functions"]

# what the model needs when the executable calls these (for the error message)
_NEEDED_BY = {
    "relax.run.unique": "Unique: an output shape that depends on the values",
    "relax.run.nonzero": "NonZero / Compress: an output shape that depends on the values",
    "relax.run.shape_to_tensor": "a shape computed at run time used as a tensor",
    "relax.run.print": "a debug print",
    "relax.run.assert_op": "a run-time assertion",
}

_LISTING = """
import json, os, sys
os.environ["TVM_USE_RUNTIME_LIB"] = "1"
import tvm, tvm.runtime.vm, tvm_ffi
import paddlec.runtime
if sys.argv[1] == "cuda":
    import ctypes, glob
    for path in sorted(glob.glob(os.path.join(os.path.dirname(tvm.__file__), "lib",
                                              "libtvm_runtime_cuda*.so*")))[:1]:
        ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
print(json.dumps(sorted(tvm_ffi.registry.list_global_func_names())))
"""

_registries: dict[str, frozenset[str]] = {}


def called_functions(executable: Any) -> set[str]:
    """The names of the packed functions a ``relax.VMExecutable`` calls."""
    return set(re.findall(r"^@(\S+) packed_func;$", executable.as_text(), re.MULTILINE))


def kernel_extern_calls(library: Path) -> set[str]:
    """The ``tvm.contrib.*`` / ``paddlec.contrib.*`` functions the TIR kernels of ``library``
    look up by name (topi's externs, e.g. the sorts behind TopK): the names are C strings in
    the binary, since the kernels pass them to ``TVMBackendGetFuncFromEnv``; the executable
    does not list them."""
    data = Path(library).read_bytes()
    return {m.decode() for m in re.findall(
        rb"(?<![\w.])((?:tvm|paddlec)\.contrib\.[A-Za-z0-9_.]+)\x00", data)}


def runtime_registry(device_kind: str = "cpu") -> frozenset[str]:
    """The global functions a runtime-only process (``paddlec.runtime``, TVM's runtime
    library; for ``cuda`` its CUDA runtime too) has, listed once per TVM installation by a
    child process and kept in the paddlec cache."""
    if device_kind in _registries:
        return _registries[device_kind]
    import tvm

    lib = Path(tvm.__file__).parent / "lib" / "libtvm_runtime.so"
    stamp = f"{tvm.__version__} {lib} {lib.stat().st_size} {lib.stat().st_mtime_ns} " \
            f"{device_kind} {sys.executable}"
    cache = _cache_dir() / f"{hashlib.sha256(stamp.encode()).hexdigest()[:24]}.json"
    try:
        names = frozenset(json.loads(cache.read_text()))
    except (OSError, ValueError):
        names = frozenset(_list_in_child(device_kind))
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            staging = cache.with_name(f".{cache.name}.{os.getpid()}")
            staging.write_text(json.dumps(sorted(names)))
            os.replace(staging, cache)
        except OSError:
            pass  # the cache only saves the next compile a child process
    _registries[device_kind] = names
    return names


def _cache_dir() -> Path:
    if os.environ.get("PADDLEC_CACHE_DIR"):
        return Path(os.environ["PADDLEC_CACHE_DIR"]) / "runtime-functions"
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "paddlec" / "runtime-functions"


def _list_in_child(device_kind: str) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k != "TVM_USE_RUNTIME_LIB"}
    if device_kind == "cuda":  # a machine without a GPU driver lists with the build's stub
        from .cuda.driver_stub import stub_library

        try:
            stub = stub_library()
            env["LD_LIBRARY_PATH"] = os.pathsep.join(
                [str(stub.parent)] + [p for p in [env.get("LD_LIBRARY_PATH")] if p])
        except CompileError:
            pass
    proc = subprocess.run([sys.executable, "-c", _LISTING, device_kind], env=env,
                          capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-5:])
        raise CompileError(f"cannot list the functions of TVM's runtime library:\n{tail}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def check_runtime_functions(library: Path, native_libraries: list, device_kind: str,
                            provided: set[str] = frozenset()) -> list[str]:
    """Refuse ``library`` (an exported ``model.so``) if it calls a function that neither it
    nor a runtime-only process provides; ``provided`` are names the runtime registers for
    this artifact (TensorRT regions). Returns the sorted external functions it calls."""
    import tvm
    from tvm import relax

    from ..runtime.native_libraries import load_native_libraries

    load_native_libraries(native_libraries)
    try:
        module = tvm.runtime.load_module(str(library))
        names = called_functions(relax.VMExecutable(module))
    except Exception as exc:  # noqa: BLE001 - TVM raises plain errors
        raise CompileError(f"{library}: cannot read back the built library: {exc}") from None
    names |= kernel_extern_calls(library)
    external = sorted(n for n in names if not module.implements_function(n, True))
    registry = runtime_registry(device_kind)
    missing = [n for n in external if n not in registry and n not in provided]
    if missing:
        needs = ", ".join(f"{n} ({_NEEDED_BY[n]})" if n in _NEEDED_BY else n
                          for n in missing)
        raise UnsupportedModelError(
            f"the compiled model calls {needs}, which only TVM's compiler provides (not its "
            "runtime library): a deployed runtime could not load it, so it is refused here")
    return external
