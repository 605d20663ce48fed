"""Compile time and run latency of the ONNX light models at -O0 vs -O2 (llvm, default build).

    .venv/bin/python bench/passes_o0_vs_o2.py [--rounds 40] [--warmup 5] [--levels 0 2]
                                              [--copies 2] [--random-weights] [--seed 0]
                                              [MODEL ...]

MODEL is a light model name (resnet50, squeezenet, ...); all nine by default. Each model is
compiled once per level with ``paddlec.compiler.compile_model`` (target ``llvm``), checked
against the model's expected output (onnx's backend-test input arange(n)/n), and each artifact
is loaded ``--copies`` times (default 2; each copy from its own folder, so that it is its own
library with its own weights and kernel caches) into this one process, in the order A B B A.
After ``--warmup`` runs of each instance they run ``--rounds`` rounds of one run per instance,
the order rotating every round, so that load from other processes and frequency drift hit
both levels alike.

Per model the table shows the median latency of each level, the speedup (per round, the mean
time of the -O<low> copies over the mean time of the -O<high> copies; the median over rounds;
> 1 means the higher level is faster) with a 95 % bootstrap confidence interval (rounds
resampled with replacement, pairs kept together; numpy only), the compile time of each level
and the number of oneDNN library calls in each artifact (tests/passes/test_o2_fast_path.py
checks that -O2 also fuses at least as many bias / residual / activation tails into them).

The A/A column is the control: the two copies of the -O<low> artifact against each other.
Identical code, so whatever it shows is the harness (on a shared machine, placement of each
instance's weights and contention from other processes moved the memory-bound models,
AlexNet / ZFNet / VGG, by up to ~30 % between identical copies). A speedup whose CI does not
clear the A/A spread is no evidence either way.

``--random-weights`` benchmarks the models with random weights instead (``light_weights.py``):
the shipped ones fill every weight with 0.02 through ConstantOfShape. The error column then
compares with onnxruntime on the unoptimized randomized model (relative to the largest
|output|).
"""

from __future__ import annotations

import argparse
import functools
import os
import tempfile
import shutil
import time
from pathlib import Path

import numpy as np
import onnx

from paddlec.bench.stats import interleaved_times, paired_speedup

__all__ = ["MODELS"]

LIGHT_DIR = Path(onnx.__file__).parent / "backend" / "test" / "data" / "light"
MODELS = ["bvlc_alexnet", "densenet121", "inception_v1", "inception_v2", "resnet50",
          "shufflenet", "squeezenet", "vgg19", "zfnet512"]


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
    return {"path": out, "model": model, "x": x, "compile_s": compile_s, "error": error,
            "calls": sum(calls.values()), "call_kinds": calls,
            "nodes": ((passes[0]["nodes_before"], passes[-1]["nodes_after"]) if passes
                      else None)}


def load_copy(entry: dict, index: int):
    """Another instance of ``entry``'s artifact, from a copied folder: dlopen would hand back
    the already loaded library for the same path."""
    from paddlec import runtime

    folder = entry["path"].with_name(f"{entry['path'].name}_copy{index}")
    shutil.copytree(entry["path"], folder)
    return runtime.load(folder)


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
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--levels", type=int, nargs=2, default=[0, 2])
    parser.add_argument("--random-weights", action="store_true")
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed")
    parser.add_argument("--copies", type=int, default=2,
                        help="instances of each artifact (2 or more gives the A/A control)")
    args = parser.parse_args()
    os.environ.setdefault("TVM_NUM_THREADS", "2")  # before TVM is imported
    low, high = args.levels
    print(f"{args.copies} instance(s) per level; {args.rounds} interleaved rounds after "
          f"{args.warmup} warm-up runs; "
          f"TVM_NUM_THREADS={os.environ['TVM_NUM_THREADS']}; "
          f"speedup = t(-O{low}) / t(-O{high}) per round, median, bootstrap 95 % CI\n")
    print(f"| model | nodes (-O{high} passes) | -O{low} median (ms) | -O{high} median (ms) | "
          f"speedup | 95 % CI | A/A control (-O{low} copies) | compile -O{low} (s) | "
          f"compile -O{high} (s) | library calls -O{low} / -O{high} | "
          f"max err -O{low} / -O{high} |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    _warm_up_compiler()
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.models:
            a = build(name, low, Path(tmp), args.random_weights)
            b = build(name, high, Path(tmp), args.random_weights)
            models_a, models_b = [a["model"]], [b["model"]]
            for index in range(1, args.copies):  # load order A B B A (A B B A A B ...)
                first, second = (models_b, models_a) if index % 2 else (models_a, models_b)
                entry_first, entry_second = (b, a) if index % 2 else (a, b)
                first.append(load_copy(entry_first, index))
                second.append(load_copy(entry_second, index))
            runners = [functools.partial(m.run, [a["x"]]) for m in models_a] + [
                functools.partial(m.run, [b["x"]]) for m in models_b]
            times = interleaved_times(runners, args.rounds, args.warmup)
            times_a, times_b = times[:args.copies], times[args.copies:]
            ratio, ci_low, ci_high = paired_speedup(times_a.mean(axis=0), times_b.mean(axis=0),
                                                    seed=args.seed)
            control = "–"
            if args.copies > 1:
                aa, aa_low, aa_high = paired_speedup(times_a[0], times_a[1], seed=args.seed)
                control = f"{aa:.3f} [{aa_low:.3f}, {aa_high:.3f}]"
            nodes = b["nodes"] or a["nodes"]
            print(f"| {name} | {nodes[0]} → {nodes[1]} | {np.median(times_a) * 1e3:.1f} | "
                  f"{np.median(times_b) * 1e3:.1f} | {ratio:.3f} | "
                  f"[{ci_low:.3f}, {ci_high:.3f}] | {control} | {a['compile_s']:.1f} | "
                  f"{b['compile_s']:.1f} | {a['calls']} / {b['calls']} | "
                  f"{a['error']:.1e} / {b['error']:.1e} |", flush=True)
            del a, b, models_a, models_b, runners


if __name__ == "__main__":
    main()
