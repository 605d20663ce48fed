"""GPU check on full-size models with random weights (complements scripts/gpu_check.py):

- ResNet-18 (bench/models.py, random weights, symbolic batch) built for ``cuda``, compared
  with onnxruntime's CPU provider (outputs computed by the compile step and stored);
- Paddle MobileNetV2 (saved by Paddle itself, random BN statistics, dynamic batch) built for
  ``tensorrt`` with ``--trt-fallback`` (TVM CUDA kernels outside the regions, the regions'
  TVM code where TensorRT is missing), compared with Paddle Inference outputs that the
  compile step computes on this CPU and stores next to the artifacts.

    python scripts/gpu_check_models.py --compile-only --archs sm_90   # here, no GPU needed
    python scripts/gpu_check_models.py --run-only                     # on the GPU host

Models whose artifact folder is missing under --work are skipped (so that each can travel
to the GPU host on its own). Exit status 1 if an output differs from its reference by more than --tol x max(1, |ref|).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))
from gpu_check import median_ms, ort_cpu_runner  # noqa: E402
BATCHES = (1, 8)


def _feed(batch: int, size: int = 224) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(100 + batch)
    return {"image": rng.standard_normal((batch, 3, size, size)).astype(np.float32)}


def compile_all(work: Path, archs: str) -> None:
    sys.path.insert(0, str(REPO))
    sys.path.insert(0, str(REPO / "tests" / "paddle"))
    import onnx

    from bench.models import make_resnet
    from paddlec.compiler import compile_model

    resnet = make_resnet(18, classes=10)
    onnx.save(resnet, work / "resnet18.onnx")
    start = time.perf_counter()
    compile_model(work / "resnet18.onnx", work / "resnet18_cuda", target=f"cuda -arch={archs}")
    print(f"compiled resnet18 for cuda in {time.perf_counter() - start:.1f}s", flush=True)
    ort_run = ort_cpu_runner(work / "resnet18.onnx")
    np.savez(work / "resnet18_ort_ref.npz",
             **{f"b{batch}/{name}": value for batch in BATCHES
                for name, value in ort_run(_feed(batch)).items()})

    from _paddle_models import paddle_inference_run, save_paddle_model

    saved = save_paddle_model("mobilenet_v2", work / "mobilenet_v2_paddle", fmt="pir")
    refs = {}
    for batch in BATCHES:
        out = paddle_inference_run(saved["model_file"], saved["params_file"], _feed(batch),
                                   work / "paddle_ref")
        refs.update({f"b{batch}/{name}": value for name, value in out.items()})
    np.savez(work / "mobilenet_v2_paddle_ref.npz", **refs)
    start = time.perf_counter()
    compile_model(work / "mobilenet_v2_paddle", work / "mobilenet_v2_trt",
                  target=f"tensorrt -arch={archs}", trt_fallback=True,
                  input_shape_ranges={"image": ([1, 3, 224, 224], [4, 3, 224, 224],
                                                [8, 3, 224, 224])})
    print(f"compiled paddle mobilenet_v2 for tensorrt+fallback in "
          f"{time.perf_counter() - start:.1f}s", flush=True)


def _compare(label: str, model, reference, tol: float) -> bool:
    ok = True
    for batch in BATCHES:
        feed = _feed(batch)
        got, want = model.run(feed), reference(batch, feed)
        error = max(float(np.abs(got[k] - want[k]).max()) for k in want)
        scale = max(float(np.abs(want[k]).max()) for k in want)
        ok &= error <= tol * max(1.0, scale)
        print(json.dumps({"model": label, "batch": batch, "max_abs_err": error,
                          "max_abs_ref": scale,
                          "argmax_equal": all(bool((got[k].argmax(-1) == want[k].argmax(-1))
                                                   .all()) for k in want),
                          "gpu_ms_with_copies": round(median_ms(lambda: model.run(feed)), 3)}),
              flush=True)
    return ok


def _stored_reference(path: Path, model):
    """Reference outputs stored as ``b{batch}/{name}``, matched to ``model``'s outputs by name
    (by position when the names differ, e.g. Paddle's fetch names)."""
    with np.load(path) as data:
        refs = {key: data[key] for key in data.files}

    def reference(batch, feed):
        prefix = f"b{batch}/"
        found = {k[len(prefix):]: v for k, v in refs.items() if k.startswith(prefix)}
        names = [spec.name for spec in model.outputs]
        if set(names) == set(found):
            return found
        return dict(zip(names, found.values()))

    return reference


def run_all(work: Path, tol: float) -> bool:
    import paddlec.runtime as rt

    ok, ran = True, 0
    if (work / "resnet18_cuda").exists():
        model = rt.load(work / "resnet18_cuda", device="cuda:0")
        ok &= _compare("resnet18_cuda (vs onnxruntime cpu)", model,
                       _stored_reference(work / "resnet18_ort_ref.npz", model), tol)
        ran += 1
    if (work / "mobilenet_v2_trt").exists():
        model = rt.load(work / "mobilenet_v2_trt", device="cuda:0")
        print(f"mobilenet_v2_trt: region backend = {model.region_backend}", flush=True)
        ok &= _compare("paddle_mobilenet_v2_trt_fallback (vs paddle inference cpu)", model,
                       _stored_reference(work / "mobilenet_v2_paddle_ref.npz", model), tol)
        ran += 1
    ok &= ran > 0
    print("RESULT", "PASS" if ok else f"FAIL (tolerance {tol} x max(1, |ref|), {ran} models)")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=REPO / "build" / "gpu_check_models")
    parser.add_argument("--archs", default="sm_80,sm_90")
    parser.add_argument("--tol", type=float, default=1e-3)
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--compile-only", action="store_true")
    group.add_argument("--run-only", action="store_true")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    if args.compile_only:
        compile_all(args.work, args.archs)
        return 0
    return 0 if run_all(args.work, args.tol) else 1


if __name__ == "__main__":
    sys.exit(main())
