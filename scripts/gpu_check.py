"""GPU check: compile a ResNet and a Transformer encoder for CUDA and for the CPU, run them on
the GPU, compare with the CPU artifact and print latencies (batch 1 and 8).

    python scripts/gpu_check.py                  # compile + run (GPU host with nvcc)
    python scripts/gpu_check.py --compile-only   # on a CI machine without a GPU
    python scripts/gpu_check.py --run-only       # on a GPU host, artifacts from --compile-only

Exit status 1 if a GPU output differs from the reference (onnxruntime's CPU provider when
installed, else the CPU artifact) by more than --tol.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))


def models(work: Path) -> dict[str, Path]:
    import onnx

    from transformer_encoder import make_transformer_encoder

    light = Path(onnx.__file__).parent / "backend" / "test" / "data" / "light"
    encoder = work / "transformer_encoder.onnx"
    if not encoder.exists():
        onnx.save(make_transformer_encoder(), encoder)
    resnet50 = work / "light_resnet50.onnx"  # a copy travels with --run-only artifacts
    return {"resnet_tiny": REPO / "examples" / "resnet_tiny.onnx",
            "resnet50": resnet50 if resnet50.exists() else light / "light_resnet50.onnx",
            "transformer_encoder": encoder}


def gpu_arch() -> str | None:
    from paddlec.runtime.model import _load_cuda_runtime, tvm_runtime

    tvm = tvm_runtime()
    try:
        _load_cuda_runtime(tvm)
    except Exception:
        return None
    device = tvm.cuda(0)
    return "sm_" + device.compute_version.replace(".", "") if device.exist else None


# ResNet-50 light has a static batch of 1: make it symbolic so batch 8 runs too.
INPUT_SHAPES = {"resnet50": ["gpu_0/data_0:Nx3x224x224"]}


def compile_all(work: Path, archs: str) -> None:
    from paddlec.compiler import compile_model
    from paddlec.compiler.frontends import parse_input_shapes

    for name, path in models(work).items():
        shapes = parse_input_shapes(INPUT_SHAPES.get(name, []))
        for kind, target in (("cpu", "llvm"), ("cuda", f"cuda -arch={archs}")):
            start = time.perf_counter()
            compile_model(path, work / f"{name}_{kind}", target=target, input_shapes=shapes)
            print(f"compiled {name:20s} {target:28s} {time.perf_counter() - start:6.1f}s",
                  flush=True)


def compile_trt(work: Path, archs: str) -> None:
    """A TensorRT artifact with --trt-fallback: on a host without TensorRT its regions run
    as the TVM CUDA code compiled in; with TensorRT installed they run as engines."""
    from paddlec.compiler import compile_model

    start = time.perf_counter()
    compile_model(REPO / "examples" / "resnet_tiny.onnx", work / "resnet_tiny_trt",
                  target=f"tensorrt -arch={archs}", trt_fallback=True,
                  input_shape_ranges={"image": ([1, 3, 64, 64], [8, 3, 64, 64],
                                                [8, 3, 64, 64])})
    print(f"compiled resnet_tiny          tensorrt + fallback          "
          f"{time.perf_counter() - start:6.1f}s", flush=True)


def run_trt(work: Path, tol: float) -> bool:
    import paddlec.runtime as rt

    if not (work / "resnet_tiny_trt").exists():
        print(f"resnet_tiny_trt: no artifact under {work}, skipped", flush=True)
        return True
    model = rt.load(work / "resnet_tiny_trt", device="cuda:0")
    reference, ref_name = _reference(work, "resnet_tiny", REPO / "examples" / "resnet_tiny.onnx")
    ok = True
    for batch in (1, 8):
        feed = _feed(model, batch)
        error = float(np.abs(model.run(feed)["probs"] - reference(feed)["probs"]).max())
        ok &= error <= tol
        print(json.dumps({"model": "resnet_tiny_trt", "region_backend": model.region_backend,
                          "batch": batch, f"max_abs_err_vs_{ref_name}": error}), flush=True)
    return ok


def _reference(work: Path, name: str, path: Path):
    """The outputs to compare the GPU with: onnxruntime's CPU provider on the original ONNX
    model when installed (an independent implementation; run one sample at a time, so that
    models exported with a static batch of 1 serve batch 8 too), else paddlec's CPU artifact
    (which needs the oneDNN wheel)."""
    if importlib.util.find_spec("onnxruntime") is None:
        import paddlec.runtime as rt

        return rt.load(work / f"{name}_cpu").run, "paddlec_cpu"
    return ort_cpu_runner(path, per_sample=True), "onnxruntime_cpu"


def ort_cpu_runner(path: Path, per_sample: bool = False):
    """``feed -> {output name: array}`` with onnxruntime's CPU provider. ``per_sample`` runs
    one sample at a time, so that models exported with a static batch of 1 serve batch 8."""
    import onnx
    import onnxruntime as ort

    proto = onnx.load(str(path))
    proto.ir_version = min(proto.ir_version, 10)  # an older onnxruntime refuses newer IR
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]

    def run(feed: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        if not per_sample:
            return dict(zip(names, session.run(None, feed)))
        batch = len(next(iter(feed.values())))
        parts = [session.run(None, {k: v[i:i + 1] for k, v in feed.items()})
                 for i in range(batch)]
        return {n: np.concatenate([p[j] for p in parts]) for j, n in enumerate(names)}

    return run


def _feed(model, batch: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(batch)
    return {spec.name: rng.standard_normal([batch if isinstance(d, str) else d
                                            for d in spec.shape]).astype(spec.dtype)
            for spec in model.inputs}


def median_ms(fn, repeat: int = 30) -> float:
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def _ort_gpu(path: Path):
    try:
        import onnxruntime as ort
    except ImportError:
        return None
    if "CUDAExecutionProvider" not in ort.get_available_providers():
        return None
    return ort.InferenceSession(str(path), providers=["CUDAExecutionProvider"])


def run_all(work: Path, tol: float, repeat: int) -> bool:
    import paddlec.runtime as rt
    from paddlec.runtime.model import tvm_runtime

    tvm = tvm_runtime()
    ok, rows = True, []
    for name, path in models(work).items():
        if not (work / f"{name}_cuda").exists():  # each artifact can travel on its own
            print(f"{name}: no artifact under {work}, skipped", flush=True)
            continue
        gpu = rt.load(work / f"{name}_cuda", device="cuda:0")
        reference, ref_name = _reference(work, name, path)
        print(f"{name}: reference = {ref_name}", flush=True)
        session = _ort_gpu(path)
        for batch in (1, 8):
            feed = _feed(gpu, batch)
            got, want = gpu.run(feed), reference(feed)
            error = max(float(np.abs(got[k] - want[k]).max()) for k in want)
            scale = max(float(np.abs(want[k]).max()) for k in want)
            ok &= error <= tol * max(1.0, scale)
            host_ms = median_ms(lambda: gpu.run(feed), repeat)
            device_in = [tvm.runtime.tensor(feed[s.name], tvm.cuda(0)) for s in gpu.inputs]
            dlpack = gpu.run_dlpack(device_in)  # zero-copy path, must match too
            error_dl = max(float(np.abs(dlpack[k].numpy() - want[k]).max()) for k in want)
            ok &= error_dl <= tol * max(1.0, scale)

            def device_only():
                gpu.run_device(device_in)
                tvm.cuda(0).sync()

            device_ms = median_ms(device_only, repeat)
            ort_ms = None
            if session is not None:
                try:
                    ort_ms = median_ms(lambda: session.run(None, feed), repeat)
                except Exception:  # e.g. a model exported with a static batch of 1
                    ort_ms = None
            rows.append({"model": name, "batch": batch, "reference": ref_name,
                         "max_abs_err": error,
                         "max_abs_ref": scale, "dlpack_err": error_dl,
                         "gpu_ms_with_copies": round(host_ms, 3),
                         "gpu_ms_device_only": round(device_ms, 3),
                         "onnxruntime_gpu_ms": None if ort_ms is None else round(ort_ms, 3)})
            print(json.dumps(rows[-1]), flush=True)
    print(f"{'model':22s} {'batch':>5s} {'err':>10s} {'gpu ms':>9s} {'dev ms':>9s} {'ort-gpu':>9s}")
    for row in rows:
        ort_ms = row["onnxruntime_gpu_ms"]
        print(f"{row['model']:22s} {row['batch']:5d} {row['max_abs_err']:10.2e} "
              f"{row['gpu_ms_with_copies']:9.3f} {row['gpu_ms_device_only']:9.3f} "
              f"{'n/a' if ort_ms is None else f'{ort_ms:.3f}':>9s}")
    print("RESULT", "PASS" if ok else f"FAIL (tolerance {tol} x max(1, |ref|))")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=REPO / "build" / "gpu_check")
    parser.add_argument("--archs", default=None, help="default: sm_80,sm_90 + this GPU's")
    parser.add_argument("--tol", type=float, default=1e-3)
    parser.add_argument("--repeat", type=int, default=20)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--compile-only", action="store_true")
    group.add_argument("--run-only", action="store_true")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    if not args.run_only:
        import paddlec.compiler  # noqa: F401  (full TVM first: the runtime would load only
        import tvm  # noqa: F401                 libtvm_runtime.so and the compiler needs more)
    arch = gpu_arch()
    print(f"GPU: {arch or 'none'}", flush=True)
    if not args.run_only:
        archs = args.archs or ",".join(sorted({"sm_80", "sm_90", *([arch] if arch else [])}))
        compile_all(args.work, archs)
        compile_trt(args.work, archs)
    if args.compile_only:
        return 0
    if arch is None:
        print("no CUDA device here: nothing to run (use --compile-only)")
        return 2
    ok = run_all(args.work, args.tol, args.repeat)
    ok &= run_trt(args.work, args.tol)
    print("TensorRT-fallback RESULT", "PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
