"""``paddlec bench``: latency of a compiled model next to its peers, measured in one process.

Every engine gets the same inputs and the same thread count. After a warm-up, the timed runs
are interleaved in small blocks (paddlec, onnxruntime, Paddle Inference, paddlec, ...), so
that load from other processes on a shared machine hits all engines alike and the ratios stay
meaningful even when the absolute numbers move. Reported: median and p90 per engine, and
paddlec's median divided by each peer's (below 1.0 = paddlec is faster), with a 95 %
bootstrap interval of that ratio over resampled block pairs (a paddlec block and the peer's
block that ran right after it): a ratio whose interval holds 1.0 is parity, not a win or a
loss.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..errors import ModelLoadError, PaddlecError

__all__ = ["BenchRow", "PEERS", "bench", "format_table"]

PEERS = ("onnxruntime", "paddle")


class PeerUnavailableError(PaddlecError):
    """A requested peer engine is not installed or cannot run this model."""

    exit_code = 2


@dataclass
class BenchRow:
    model: str
    batch: int
    threads: int
    engine: str
    median_ms: float
    p90_ms: float
    runs: int
    ratio: float | None = None  # paddlec median / this engine's median (paddlec row: None)
    # onnxruntime row: max |paddlec - onnxruntime| / max |onnxruntime| over the outputs
    max_rel_diff: float | None = None
    # 95 % bootstrap interval of ratio over resampled block pairs (None: paddlec row, one block)
    ratio_ci: tuple[float, float] | None = None

    def to_json(self) -> dict:
        return asdict(self)


def _compiler_digest() -> str:
    """A hash of the compiler's and the passes' sources (kernels included): a cached artifact
    built by older code is not reused after a change (the version number stays the same)."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for folder in ("compiler", "passes"):
        for path in sorted((root / folder).rglob("*")):
            if path.suffix in (".py", ".cc") and path.is_file():
                digest.update(str(path.relative_to(root)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _artifact_for(model: Path, target: str, records: str | None, cache: Path) -> Path:
    """Compile ``model`` once per (content, target, records) into ``cache``; reuse after."""
    from .. import __version__
    from ..compiler import compile_model

    digest = hashlib.sha256(model.read_bytes()).hexdigest()[:16]
    tag = hashlib.sha256(f"{__version__}|{_compiler_digest()}|{target}|{records}".encode()
                         ).hexdigest()[:8]
    out = cache / f"{model.stem}-{digest}-{tag}"
    if not (out / "manifest.json").is_file():
        compile_model(model, out, target=target, records=records)
    return out


def _feeds(specs, batch: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    feed = {}
    for spec in specs:
        shape = [d if isinstance(d, int) else batch for d in spec.shape]
        feed[spec.name] = rng.standard_normal(shape).astype(spec.dtype)
    return feed


# Pause at each switch between engines (see _time_interleaved).
SETTLE_SECONDS = 0.05


def _onnxruntime_runner(onnx_path: Path | None, threads: int) -> Callable:
    try:
        import onnxruntime as ort
    except ImportError:
        raise PeerUnavailableError("--vs onnxruntime: onnxruntime is not installed") from None
    if onnx_path is None:
        raise PeerUnavailableError("--vs onnxruntime needs the source .onnx model (--source)")
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
    return lambda feed: session.run(None, feed)


def _paddle_runner(paddle_model: Path | None, name: str, threads: int) -> Callable:
    from .paddle_models import PaddleWorker

    return PaddleWorker(paddle_model, name, threads)


def bench(model: str | Path, batches: Sequence[int] = (1,), threads: Sequence[int] = (2,),
          peers: Sequence[str] = ("onnxruntime",), runs: int = 20, warmup: int = 3,
          block: int = 5, target: str = "llvm -mcpu=native", records: str | None = None,
          source: str | Path | None = None, paddle_model: str | Path | None = None,
          cache: str | Path = "bench/out/artifacts", check: bool = True,
          progress: Callable[[str], None] | None = None,
          strict: bool = True) -> list[BenchRow]:
    """Benchmark ``model`` (an .onnx file, compiled here and cached, or an artifact folder).
    With ``strict=False`` a peer that cannot run this model is skipped with a message."""
    from .. import runtime

    path = Path(model)
    unknown = sorted(set(peers) - set(PEERS))
    if unknown:
        raise ModelLoadError(f"unknown peer(s) {unknown}; known: {list(PEERS)}")
    if path.is_dir() and (path / "manifest.json").is_file():
        artifact, onnx_path = path, Path(source) if source else None
    elif path.is_file():
        artifact = _artifact_for(path, target, records, Path(cache))
        onnx_path = path
    else:
        raise ModelLoadError(f"{path}: neither a model file nor an artifact folder")
    name = path.stem if path.is_file() else (Path(source).stem if source else path.name)
    compiled = runtime.load(artifact)
    rows: list[BenchRow] = []
    for thread_count in threads:
        compiled.set_num_threads(thread_count)
        engines: dict[str, Callable] = {"paddlec": compiled.run}
        for peer in peers:
            if peer == "onnxruntime":
                engines[peer] = _onnxruntime_runner(onnx_path, thread_count)
            else:
                try:
                    engines[peer] = _paddle_runner(
                        Path(paddle_model) if paddle_model else None, name, thread_count)
                except PaddlecError as exc:
                    if strict:
                        raise
                    if progress:
                        progress(f"{name}: skipping peer {peer}: {exc}")
        for batch in batches:
            feed = _feeds(compiled.inputs, batch)
            diff = None
            if check and "onnxruntime" in engines:
                diff = _check_outputs(compiled.run(feed), engines["onnxruntime"](feed), name)
            times = _time_interleaved(engines, feed, runs, warmup, block, thread_count)
            base = float(np.median(times["paddlec"]))
            for engine, samples in times.items():
                median = float(np.median(samples))
                peer = engine != "paddlec"
                rows.append(BenchRow(name, batch, thread_count, engine, median * 1e3,
                                     float(np.percentile(samples, 90)) * 1e3, len(samples),
                                     base / median if peer else None,
                                     diff if engine == "onnxruntime" else None,
                                     _ratio_interval(times["paddlec"], samples, block)
                                     if peer else None))
            if progress:
                progress(format_table(rows[-len(times):], header=False))
        for fn in engines.values():
            if hasattr(fn, "close"):
                fn.close()
    return rows


def _time_interleaved(engines: dict[str, Callable], feed: dict, runs: int, warmup: int,
                      block: int, threads: int, settle: float = SETTLE_SECONDS
                      ) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {engine: [] for engine in engines}
    for fn in engines.values():
        for _ in range(warmup):
            fn(feed)
    done = 0
    while done < runs:
        count = min(block, runs - done)
        for engine, fn in engines.items():
            # The engine that ran before leaves its worker threads spinning for a while
            # (onnxruntime's pool, GNU OpenMP's team): let them go idle, then re-warm.
            time.sleep(settle)
            fn(feed)
            for _ in range(count):
                start = time.perf_counter()
                fn(feed)
                times[engine].append(time.perf_counter() - start)
        done += count
    return times


def _ratio_interval(ours: Sequence[float], theirs: Sequence[float], block: int,
                    resamples: int = 4000, seed: int = 0) -> tuple[float, float] | None:
    """95 % bootstrap interval of the reported ratio, median(ours) / median(theirs): whole
    block pairs (a paddlec block and the peer block run right after it) are resampled, so
    load that moved both alike cancels and the interval is that of the number in the
    table. None with fewer than two blocks."""
    starts = list(range(0, len(ours), block))
    if len(starts) < 2:
        return None
    ours_blocks = [np.asarray(ours[i:i + block], dtype=np.float64) for i in starts]
    theirs_blocks = [np.asarray(theirs[i:i + block], dtype=np.float64) for i in starts]
    rng = np.random.default_rng(seed)
    ratios = np.empty(resamples)
    for index, picks in enumerate(rng.integers(0, len(starts), size=(resamples, len(starts)))):
        ratios[index] = (np.median(np.concatenate([ours_blocks[i] for i in picks]))
                         / np.median(np.concatenate([theirs_blocks[i] for i in picks])))
    low, high = np.percentile(ratios, [2.5, 97.5])
    return float(low), float(high)


def _check_outputs(ours: dict, theirs: list, name: str, rtol: float = 1e-4) -> float:
    """paddlec must agree with onnxruntime before its speed means anything; returns the
    largest relative difference over the outputs."""
    worst = 0.0
    for (out_name, value), ref in zip(ours.items(), theirs):
        ref = np.asarray(ref)
        scale = float(np.max(np.abs(ref))) or 1.0
        err = float(np.max(np.abs(value - ref))) / scale
        if err > rtol:
            raise PaddlecError(f"{name}: output {out_name!r} differs from onnxruntime "
                               f"(max error {err:.2e} of max |ref|, limit {rtol:.0e})")
        worst = max(worst, err)
    return worst


def format_table(rows: Sequence[BenchRow], header: bool = True) -> str:
    lines = []
    if header:
        lines.append(f"{'model':14s} {'batch':>5s} {'thr':>3s} {'engine':12s} "
                     f"{'median ms':>10s} {'p90 ms':>9s} {'paddlec/peer':>12s} {'95 % CI':>11s}")
    for row in rows:
        ratio = "" if row.ratio is None else f"{row.ratio:.2f}x"
        interval = "" if row.ratio_ci is None else f"{row.ratio_ci[0]:.2f}-{row.ratio_ci[1]:.2f}"
        lines.append(f"{row.model:14s} {row.batch:5d} {row.threads:3d} {row.engine:12s} "
                     f"{row.median_ms:10.2f} {row.p90_ms:9.2f} {ratio:>12s} {interval:>11s}")
    return "\n".join(lines)


def rows_to_json(rows: Sequence[BenchRow]) -> str:
    return json.dumps([row.to_json() for row in rows], indent=2)
