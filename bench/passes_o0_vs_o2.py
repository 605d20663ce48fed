"""Compile time and run latency of the ONNX light models at -O0 vs -O2 (llvm, default build).

    .venv/bin/python bench/passes_o0_vs_o2.py [--runs 5] [--levels 0 2] [--random-weights]
                                              [MODEL ...]

MODEL is a light model name (resnet50, squeezenet, ...); all nine by default. Each model is
compiled once per level with ``paddlec.compiler.compile_model`` (target ``llvm``), loaded with
``paddlec.runtime`` and run once (warm-up, and the output compared with the model's expected
output for onnx's backend-test input arange(n)/n); then the two levels run ``--runs`` times,
interleaved, and the table shows the best and the median latency. Prints a Markdown table;
timings are of this machine, at this moment (a shared machine: compare the "min" column).

``--random-weights`` benchmarks the models with random weights instead (``light_weights.py``):
the shipped ones fill every weight with 0.02 through ConstantOfShape, which TVM at -O0 can
fold into its kernels, something no trained model allows. The error column then compares
with onnxruntime on the unoptimized randomized model (relative to the largest |output|).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx

os.environ.setdefault("TVM_NUM_THREADS", "2")

LIGHT_DIR = Path(onnx.__file__).parent / "backend" / "test" / "data" / "light"
MODELS = ["bvlc_alexnet", "densenet121", "inception_v1", "inception_v2", "resnet50",
          "shufflenet", "squeezenet", "vgg19", "zfnet512"]


def build(name: str, level: int, workdir: Path, random_weights: bool) -> dict:
    """Compile ``name`` at ``level``; load it; return the model, its input and the timings."""
    from paddlec import runtime
    from paddlec.compiler import compile_model

    source = LIGHT_DIR / f"light_{name}.onnx"
    if random_weights:
        from light_weights import randomize

        source = randomize(source, workdir / f"{name}_random.onnx")
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
    (got,) = model.run([x]).values()  # also the warm-up run
    if random_weights:
        (want,) = _ort(source, x)
    else:
        want = onnx.numpy_helper.to_array(
            onnx.load_tensor(str(LIGHT_DIR / f"light_{name}_output_0.pb")))
    error = float(np.max(np.abs(got - want)))
    if random_weights:
        error /= max(1.0, float(np.abs(want).max()))
    passes = manifest["passes"]
    return {"model": model, "x": x, "compile_s": compile_s, "times": [], "error": error,
            "nodes": ((passes[0]["nodes_before"], passes[-1]["nodes_after"]) if passes
                      else None)}


def _ort(path: Path, x: np.ndarray) -> list:
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", default=MODELS)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--levels", type=int, nargs=2, default=[0, 2])
    parser.add_argument("--random-weights", action="store_true")
    args = parser.parse_args()
    low, high = args.levels
    print(f"| model | nodes | compile -O{low} (s) | compile -O{high} (s) | "
          f"run -O{low} min / median (ms) | run -O{high} min / median (ms) | "
          f"speedup (min) | max err -O{low} | max err -O{high} |")
    print("|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.models:
            a = build(name, low, Path(tmp), args.random_weights)
            b = build(name, high, Path(tmp), args.random_weights)
            for _ in range(args.runs):  # interleaved, so load from other processes hits both
                for entry in (a, b):
                    start = time.perf_counter()
                    entry["model"].run([entry["x"]])
                    entry["times"].append((time.perf_counter() - start) * 1000)
            nodes = b["nodes"] or a["nodes"]
            print(f"| {name} | {nodes[0]} -> {nodes[1]} | {a['compile_s']:.1f} | "
                  f"{b['compile_s']:.1f} | {min(a['times']):.0f} / "
                  f"{statistics.median(a['times']):.0f} | {min(b['times']):.0f} / "
                  f"{statistics.median(b['times']):.0f} | "
                  f"{min(a['times']) / min(b['times']):.2f}x | {a['error']:.1e} | "
                  f"{b['error']:.1e} |", flush=True)
            del a, b


if __name__ == "__main__":
    main()
