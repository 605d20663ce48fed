"""Compile time and run latency of the ONNX light models at -O0 vs -O2 (llvm, default build).

    .venv/bin/python bench/passes_o0_vs_o2.py [--rounds 40] [--warmup 5] [--levels 0 2]
                                              [--random-weights] [--seed 0] [MODEL ...]

MODEL is a light model name (resnet50, squeezenet, ...); all nine by default. Each model is
compiled once per level with ``paddlec.compiler.compile_model`` (target ``llvm``); both
artifacts are loaded into this one process with ``paddlec.runtime`` and checked against the
model's expected output (onnx's backend-test input arange(n)/n). After ``--warmup`` runs of
each, they run ``--rounds`` rounds of one run each, interleaved, the order flipping every round
(AB BA AB ...), so that load from other processes and frequency drift hit both alike.

Per model the table shows the median latency of each level, the speedup (the median over
rounds of the paired ratio t(-O low) / t(-O high): > 1 means the higher level is faster) with a
95 % bootstrap confidence interval (rounds resampled with replacement, pairs kept together;
numpy only), the compile time of each level, and the oneDNN library calls in each artifact
(identical calls mean the two levels compiled to the same kernels). A CI that contains 1.0
says "no measurable difference"; the ratio alone on a busy machine says little.

``--random-weights`` benchmarks the models with random weights instead (``light_weights.py``):
the shipped ones fill every weight with 0.02 through ConstantOfShape. The error column then
compares with onnxruntime on the unoptimized randomized model (relative to the largest
|output|).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx

__all__ = ["MODELS", "paired_speedup", "interleaved_times"]

LIGHT_DIR = Path(onnx.__file__).parent / "backend" / "test" / "data" / "light"
MODELS = ["bvlc_alexnet", "densenet121", "inception_v1", "inception_v2", "resnet50",
          "shufflenet", "squeezenet", "vgg19", "zfnet512"]


def paired_speedup(slow: np.ndarray, fast: np.ndarray, resamples: int = 4000,
                   seed: int = 0) -> tuple[float, float, float]:
    """(median of slow[i] / fast[i], 2.5 % and 97.5 % bootstrap percentiles of that median).

    ``slow[i]`` and ``fast[i]`` were measured in the same round, so their ratio cancels what
    drifted between rounds; resampling whole rounds keeps that pairing in the interval.
    """
    ratios = np.asarray(slow, dtype=np.float64) / np.asarray(fast, dtype=np.float64)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, ratios.size, size=(resamples, ratios.size))
    medians = np.median(ratios[picks], axis=1)
    low, high = np.percentile(medians, [2.5, 97.5])
    return float(np.median(ratios)), float(low), float(high)


def interleaved_times(run_a, run_b, rounds: int, warmup: int) -> tuple[np.ndarray, np.ndarray]:
    """Seconds of ``rounds`` calls of each of ``run_a`` and ``run_b``, one of each per round,
    the order flipping every round (after ``warmup`` calls of each)."""
    for _ in range(warmup):
        run_a()
        run_b()
    times = np.zeros((2, rounds))
    for index in range(rounds):
        order = (0, 1) if index % 2 == 0 else (1, 0)
        for which in order:
            fn = run_a if which == 0 else run_b
            start = time.perf_counter()
            fn()
            times[which, index] = time.perf_counter() - start
    return times[0], times[1]


def build(name: str, level: int, workdir: Path, random_weights: bool) -> dict:
    """Compile ``name`` at ``level``; load it; return the model, its input and facts."""
    from paddlec import runtime
    from paddlec.compiler import compile_model

    source = LIGHT_DIR / f"light_{name}.onnx"
    if random_weights:
        from light_weights import randomize

        source = workdir / f"{name}_random.onnx"
        if not source.exists():
            randomize(LIGHT_DIR / f"light_{name}.onnx", source)
    out = workdir / f"{name}_O{level}"
    start = time.perf_counter()
    manifest = compile_model(source, out, target="llvm", opt_level=level)
    compile_s = time.perf_counter() - start
    model = runtime.load(out)
    (spec,) = model.inputs
    if random_weights:
        x = np.random.default_rng(1).standard_normal(spec.shape).astype(np.float32)
    else:
        count = int(np.prod(spec.shape))
        x = (np.arange(count).reshape(spec.shape) / count).astype(np.float32)
    (got,) = model.run([x]).values()
    if random_weights:
        (want,) = _ort(source, x)
    else:
        want = onnx.numpy_helper.to_array(
            onnx.load_tensor(str(LIGHT_DIR / f"light_{name}_output_0.pb")))
    error = float(np.max(np.abs(got - want)))
    if random_weights:
        error /= max(1.0, float(np.abs(want).max()))
    passes = manifest["passes"]
    calls = manifest.get("cpu", {}).get("library_calls", {})
    return {"model": model, "x": x, "compile_s": compile_s, "error": error,
            "calls": sum(calls.values()), "call_kinds": calls,
            "nodes": ((passes[0]["nodes_before"], passes[-1]["nodes_after"]) if passes
                      else None)}


def _ort(path: Path, x: np.ndarray) -> list:
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x})


def _warm_up_compiler() -> None:
    """Pay the one-off costs (importing TVM, building the cached oneDNN kernel object) before
    the first timed compile, so that it does not count against whichever level goes first."""
    import paddlec.compiler  # noqa: F401 - imports TVM's compiler before paddlec.runtime
    from paddlec.compiler.cpu.native import dnnl_kernels

    dnnl_kernels()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", default=MODELS)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--levels", type=int, nargs=2, default=[0, 2])
    parser.add_argument("--random-weights", action="store_true")
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed")
    args = parser.parse_args()
    os.environ.setdefault("TVM_NUM_THREADS", "2")  # before TVM is imported
    low, high = args.levels
    print(f"{args.rounds} interleaved rounds after {args.warmup} warm-up runs; "
          f"TVM_NUM_THREADS={os.environ['TVM_NUM_THREADS']}; speedup = t(-O{low}) / t(-O{high})"
          f" per round, median, bootstrap 95 % CI\n")
    print(f"| model | nodes (-O{high} passes) | -O{low} median (ms) | -O{high} median (ms) | speedup | "
          f"95 % CI | compile -O{low} (s) | compile -O{high} (s) | library calls "
          f"-O{low} / -O{high} | max err -O{low} / -O{high} |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    _warm_up_compiler()
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.models:
            a = build(name, low, Path(tmp), args.random_weights)
            b = build(name, high, Path(tmp), args.random_weights)
            times_a, times_b = interleaved_times(
                lambda: a["model"].run([a["x"]]), lambda: b["model"].run([b["x"]]),
                args.rounds, args.warmup)
            ratio, ci_low, ci_high = paired_speedup(times_a, times_b, seed=args.seed)
            nodes = b["nodes"] or a["nodes"]
            same = "same" if a["call_kinds"] == b["call_kinds"] else "differ"
            print(f"| {name} | {nodes[0]} → {nodes[1]} | {np.median(times_a) * 1e3:.1f} | "
                  f"{np.median(times_b) * 1e3:.1f} | {ratio:.3f} | "
                  f"[{ci_low:.3f}, {ci_high:.3f}] | {a['compile_s']:.1f} | "
                  f"{b['compile_s']:.1f} | {a['calls']} / {b['calls']} ({same}) | "
                  f"{a['error']:.1e} / {b['error']:.1e} |", flush=True)
            del a, b


if __name__ == "__main__":
    main()
