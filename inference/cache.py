"""The compile cache: a content-addressed folder of artifacts, filled by a child process.

``ensure_compiled(model, files, plan)`` returns the artifact folder for a model and compile
plan, compiling it first when the cache does not hold it. The key is the sha256 of the model
files' bytes, the plan (target, -O level, disabled passes, options), the paddlec and TVM
versions, and, for ``native`` targets, this CPU. Compiling runs ``python -m
paddlec.inference._compile_worker`` in a child process so that the serving process never
loads TVM's compiler library and a compiler crash only fails this call
(``$PADDLEC_COMPILE_TIMEOUT`` seconds, if set, bound it).

Concurrency: one ``fcntl`` lock file per key serializes compiles of that key across
processes; the artifact writer renames a complete folder into place, so a reader that does
not take the lock sees either nothing or a whole artifact.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from .. import __version__, errors
from ..errors import ArtifactError, CompileError
from ..staging import remove_dead_staging
from .config import MANIFEST_NAME, CompilePlan

__all__ = ["CacheEntry", "default_cache_dir", "cache_key", "model_files", "ensure_compiled"]

log = logging.getLogger("paddlec.inference")

KEY_VERSION = 1
ERROR_MARKER = "PADDLEC_WORKER_ERROR "  # the worker's last stderr line on a typed failure


@dataclass(frozen=True)
class CacheEntry:
    """An artifact in the cache; ``compiled`` says whether this call ran the compiler."""

    path: Path
    key: str
    compiled: bool
    seconds: float


def default_cache_dir() -> Path:
    """``$PADDLEC_CACHE_DIR``, else ``$XDG_CACHE_HOME/paddlec``, else ``~/.cache/paddlec``."""
    if os.environ.get("PADDLEC_CACHE_DIR"):
        return Path(os.environ["PADDLEC_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "paddlec"


def model_files(path: Path) -> list[Path]:
    """The files whose bytes define a model: every non-hidden file of a folder, or a file
    plus its siblings named after it (``model.onnx.data``, external weights)."""
    if path.is_dir():
        return sorted(
            p
            for p in path.rglob("*")
            if p.is_file()
            and not any(
                part.startswith(".") or part == "__pycache__"
                for part in p.relative_to(path).parts
            )
        )
    if path.is_file():
        siblings = [
            p
            for p in path.parent.glob(f"{path.stem}*")
            if p.is_file() and p != path and not p.name.startswith(".")
        ]
        return [path] + sorted(siblings)
    return []


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _sha256_memo(path: Path, memo_dir: Path | None) -> str:
    """``_sha256(path)``, remembered per file identity (size, inode, mtime and ctime in ns,
    as git's index does) so a warm ``create_predictor`` does not re-read large weights."""
    if memo_dir is None:
        return _sha256(path)
    info = path.stat()
    identity = [
        str(path.absolute()),
        info.st_size,
        info.st_ino,
        info.st_dev,
        info.st_mtime_ns,
        info.st_ctime_ns,
    ]
    memo = memo_dir / (hashlib.sha256(identity[0].encode()).hexdigest()[:32] + ".json")
    try:
        saved = json.loads(memo.read_text())
        if saved["identity"] == identity:
            return saved["sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    digest = _sha256(path)
    try:
        memo_dir.mkdir(parents=True, exist_ok=True)
        staging = memo.with_name(f".{memo.name}.{os.getpid()}")
        staging.write_text(json.dumps({"identity": identity, "sha256": digest}))
        os.replace(staging, memo)
    except OSError:
        pass  # the memo is an optimization only
    return digest


def _cpu_identity() -> str:
    """What ``-mcpu=native`` depends on: the machine type, CPU model and feature flags."""
    fields = {"machine": platform.machine()}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            name, _, value = line.partition(":")
            if name.strip() in ("model name", "flags") and name.strip() not in fields:
                fields[name.strip()] = value.strip()
    except OSError:
        pass
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()


def cache_key(
    files: list[Path],
    root: Path,
    plan: CompilePlan,
    tvm_version: str,
    memo_dir: Path | None = None,
) -> str:
    """sha256 over the model bytes, the compile plan and the versions that compile it."""
    material = {
        "key_version": KEY_VERSION,
        "model": [
            [
                str(p.relative_to(root)) if p.is_relative_to(root) else p.name,
                _sha256_memo(p, memo_dir),
            ]
            for p in files
        ],
        "plan": asdict(plan) | {"disabled_passes": list(plan.disabled_passes)},
        "paddlec": __version__,
        "tvm": tvm_version,
    }
    if "native" in plan.target or (plan.host and "native" in plan.host):
        material["cpu"] = _cpu_identity()
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


@contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    with open(lock_path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _is_complete(folder: Path) -> bool:
    return (folder / MANIFEST_NAME).is_file()


def ensure_compiled(
    model: Path,
    files: list[Path],
    plan: CompilePlan,
    tvm_version: str,
    cache_dir: Path | None = None,
) -> CacheEntry:
    """The cached artifact for ``model`` compiled with ``plan``; compiles it when missing."""
    start = time.perf_counter()
    if not files:
        raise errors.ModelLoadError(
            f"{model}: no such model file or folder (nothing to compile)"
        )
    root = model if model.is_dir() else model.parent
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    key = cache_key(files, root, plan, tvm_version, memo_dir=cache / "file-hashes")
    artifact = cache / key
    if _is_complete(artifact):
        return CacheEntry(artifact, key, False, time.perf_counter() - start)
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ArtifactError(f"cannot create the compile cache {cache}: {exc}") from None
    log.info("waiting for the compile lock of %s", key[:16])
    with _locked(cache / f"{key}.lock"):
        if _is_complete(artifact):  # another process compiled it while we waited
            return CacheEntry(artifact, key, False, time.perf_counter() - start)
        _remove_leftovers(cache, key)
        _compile_in_child(model, artifact, plan)
        (cache / f"{key}.json").write_text(
            json.dumps(
                {
                    "model": str(model),
                    "plan": asdict(plan) | {"disabled_passes": list(plan.disabled_passes)},
                    "paddlec": __version__,
                    "tvm": tvm_version,
                },
                indent=2,
                sort_keys=True,
            )
            + "\n"
        )
    return CacheEntry(artifact, key, True, time.perf_counter() - start)


def _remove_leftovers(cache: Path, key: str) -> None:
    """Staging folders of a compile that was killed, and a folder without a manifest; only
    called under the key's lock (a compile worker orphaned by a killed caller dies with it,
    and a live writer's staging folder is left alone)."""
    remove_dead_staging(cache / key)
    if (cache / key).exists() and not _is_complete(cache / key):
        shutil.rmtree(cache / key, ignore_errors=True)


def _die_with_parent() -> None:
    """In the compile worker (before exec): SIGKILL it when the process that asked for the
    compile dies, so a killed caller leaves no compile running behind the key's lock."""
    import ctypes
    import signal

    pr_set_pdeathsig = 1
    ctypes.CDLL(None).prctl(pr_set_pdeathsig, int(signal.SIGKILL), 0, 0, 0)


def worker_command(request: dict) -> list[str]:
    """The child process that compiles (a function so tests can substitute a crashing one)."""
    return [sys.executable, "-m", "paddlec.inference._compile_worker", json.dumps(request)]


def _compile_in_child(model: Path, output: Path, plan: CompilePlan) -> None:
    request = {
        "model": str(model),
        "output": str(output),
        **asdict(plan),
        "disabled_passes": list(plan.disabled_passes),
    }
    env = dict(os.environ)
    env.pop("TVM_USE_RUNTIME_LIB", None)  # the child needs TVM's compiler library
    log.info("compiling %s for %s (once; cached at %s)", model, plan.target, output)
    timeout = float(os.environ.get("PADDLEC_COMPILE_TIMEOUT", 0)) or None
    try:
        proc = subprocess.run(
            worker_command(request), env=env, capture_output=True, text=True, timeout=timeout,
            preexec_fn=_die_with_parent,
        )
    except subprocess.TimeoutExpired:
        raise CompileError(
            f"compiling {model} took longer than PADDLEC_COMPILE_TIMEOUT={timeout:g} s; "
            "the compiler process was killed and the cache is unchanged"
        ) from None
    if proc.returncode == 0 and _is_complete(output):
        return
    lines = proc.stderr.strip().splitlines()
    if lines and lines[-1].startswith(ERROR_MARKER):
        failure = json.loads(lines[-1][len(ERROR_MARKER) :])
        error_type = getattr(errors, failure["type"], None)
        if failure["type"] in errors.__all__ and isinstance(error_type, type):
            raise error_type(failure["message"])
    if proc.returncode < 0:
        raise CompileError(
            f"compiling {model}: the compiler process died with signal "
            f"{-proc.returncode}; the cache is unchanged"
        )
    tail = "\n".join(lines[-15:])
    raise CompileError(f"compiling {model} failed (exit {proc.returncode}):\n{tail}")
