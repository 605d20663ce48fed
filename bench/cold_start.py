"""Cold start: paddlec's create_predictor (from the compile cache) + first run, against Paddle
Inference's create_predictor + first run, on the same ResNet-18 weights.

    .venv/bin/python bench/cold_start.py [--work build/cold_start] [--repeat 5] [--threads 1]

Needs ``paddlepaddle`` (3.3) in the environment. Steps:
1. A child process builds ``paddle.vision.models.resnet18()`` (random weights, batch-norm
   statistics randomized so they matter), saves it with ``paddle.jit.save`` and writes its
   weights, a test input and Paddle Inference's output.
2. This script writes the same network as ONNX from those weights (no paddle2onnx), and a
   child compiles it once into the cache with ``create_predictor`` (checked against Paddle's
   output).
3. Each measurement runs in a fresh process (interpreter start not counted, same for both):
   import, ``create_predictor``, first ``run`` with copy in/out. Runs alternate
   paddlec / Paddle; the table shows medians.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve()
INPUT_SHAPE = (1, 3, 224, 224)


# ---------------------------------------------------------------------------------------
# children
def _child_save_paddle(work: Path) -> None:
    import numpy as np
    import paddle

    paddle.seed(0)
    net = paddle.vision.models.resnet18()
    rng = np.random.default_rng(0)
    for name, buffer in net.named_buffers():
        if name.endswith("_mean"):
            buffer.set_value(rng.normal(0, 0.1, buffer.shape).astype("float32"))
        elif name.endswith("_variance"):
            buffer.set_value(rng.uniform(0.5, 1.5, buffer.shape).astype("float32"))
    net.eval()
    prefix = work / "paddle" / "inference"
    paddle.jit.save(
        net,
        str(prefix),
        input_spec=[paddle.static.InputSpec([None, *INPUT_SHAPE[1:]], "float32", "image")],
    )
    state = {name: value.numpy() for name, value in net.state_dict().items()}
    np.savez(work / "weights.npz", **state)
    x = rng.standard_normal(INPUT_SHAPE).astype("float32")
    np.save(work / "x.npy", x)
    np.save(work / "paddle_y.npy", _paddle_predict(prefix, x, 1))


def _paddle_predict(prefix: Path, x, threads: int):
    import paddle.inference as pi

    suffix = ".json" if Path(f"{prefix}.json").exists() else ".pdmodel"
    config = pi.Config(f"{prefix}{suffix}", f"{prefix}.pdiparams")
    config.disable_glog_info()
    config.enable_mkldnn()
    config.set_cpu_math_library_num_threads(threads)
    predictor = pi.create_predictor(config)
    predictor.get_input_handle(predictor.get_input_names()[0]).copy_from_cpu(x)
    predictor.run()
    return predictor.get_output_handle(predictor.get_output_names()[0]).copy_to_cpu()


def _child_cold_paddle(work: Path, threads: int, start: float) -> dict:
    import numpy as np
    import paddle.inference as pi

    imported = time.perf_counter()
    prefix = work / "paddle" / "inference"
    config = pi.Config(f"{prefix}.json", f"{prefix}.pdiparams")
    config.disable_glog_info()
    config.enable_mkldnn()
    config.set_cpu_math_library_num_threads(threads)
    predictor = pi.create_predictor(config)
    created = time.perf_counter()
    x = np.load(work / "x.npy")
    predictor.get_input_handle(predictor.get_input_names()[0]).copy_from_cpu(x)
    predictor.run()
    y = predictor.get_output_handle(predictor.get_output_names()[0]).copy_to_cpu()
    done = time.perf_counter()
    return _times(start, imported, created, done, y, work)


def _child_cold_paddlec(work: Path, threads: int, start: float, source: str) -> dict:
    import numpy as np
    from paddlec.inference import Config, create_predictor

    imported = time.perf_counter()
    if source == "artifact":
        config = Config(str(json.loads((work / "artifact.json").read_text())["path"]))
    else:
        config = Config(str(work / "onnx"))
        config.set_optim_cache_dir(work / "cache")
    config.set_cpu_math_library_num_threads(threads)
    predictor = create_predictor(config)
    created = time.perf_counter()
    x = np.load(work / "x.npy")
    predictor.get_input_handle(predictor.get_input_names()[0]).copy_from_cpu(x)
    predictor.run()
    y = predictor.get_output_handle(predictor.get_output_names()[0]).copy_to_cpu()
    done = time.perf_counter()
    report = _times(start, imported, created, done, y, work)
    report["compiled"] = predictor.compiled
    report["artifact"] = str(predictor.artifact_dir)
    return report


def _times(start, imported, created, done, y, work: Path) -> dict:
    import numpy as np

    reference = np.load(work / "paddle_y.npy")
    return {
        "import": imported - start,
        "create": created - imported,
        "first_run": done - created,
        "create_to_result": done - imported,
        "total": done - start,
        "max_abs_diff_vs_paddle": float(np.abs(y - reference).max()),
    }


# ---------------------------------------------------------------------------------------
# ResNet-18 as ONNX from Paddle's weights
def write_resnet18_onnx(weights_file: Path, out_file: Path) -> None:
    """paddle.vision.models.resnet18's graph in ONNX (BasicBlocks, BN eps 1e-5)."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    weights = dict(np.load(weights_file))
    nodes, inits = [], []

    def init(name):
        inits.append(numpy_helper.from_array(weights[name], name))
        return name

    def conv_bn(x, conv, bn, stride, pad, relu):
        y = f"{conv}.out"
        nodes.append(
            helper.make_node(
                "Conv",
                [x, init(f"{conv}.weight")],
                [y],
                strides=[stride, stride],
                pads=[pad] * 4,
            )
        )
        z = f"{bn}.out"
        nodes.append(
            helper.make_node(
                "BatchNormalization",
                [
                    y,
                    init(f"{bn}.weight"),
                    init(f"{bn}.bias"),
                    init(f"{bn}._mean"),
                    init(f"{bn}._variance"),
                ],
                [z],
                epsilon=1e-5,
            )
        )
        if relu:
            nodes.append(helper.make_node("Relu", [z], [f"{z}.relu"]))
            return f"{z}.relu"
        return z

    x = conv_bn("image", "conv1", "bn1", 2, 3, True)
    nodes.append(
        helper.make_node(
            "MaxPool", [x], ["pool1"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]
        )
    )
    x = "pool1"
    for layer in range(1, 5):
        for block in range(2):
            p = f"layer{layer}.{block}"
            stride = 2 if layer > 1 and block == 0 else 1
            y = conv_bn(x, f"{p}.conv1", f"{p}.bn1", stride, 1, True)
            y = conv_bn(y, f"{p}.conv2", f"{p}.bn2", 1, 1, False)
            shortcut = x
            if f"{p}.downsample.0.weight" in weights:
                shortcut = conv_bn(
                    x, f"{p}.downsample.0", f"{p}.downsample.1", stride, 0, False
                )
            nodes.append(helper.make_node("Add", [y, shortcut], [f"{p}.add"]))
            nodes.append(helper.make_node("Relu", [f"{p}.add"], [f"{p}.out"]))
            x = f"{p}.out"
    nodes.append(helper.make_node("GlobalAveragePool", [x], ["gap"]))
    nodes.append(helper.make_node("Flatten", ["gap"], ["flat"], axis=1))
    nodes.append(helper.make_node("MatMul", ["flat", init("fc.weight")], ["fc.mm"]))
    nodes.append(helper.make_node("Add", ["fc.mm", init("fc.bias")], ["logits"]))
    graph = helper.make_graph(
        nodes,
        "resnet18",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", *INPUT_SHAPE[1:]])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 1000])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, out_file)


# ---------------------------------------------------------------------------------------
def _run_child(*args: str, env: dict | None = None) -> dict:
    proc = subprocess.run(
        [sys.executable, str(HERE), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )
    if proc.returncode != 0:
        raise SystemExit(f"child {args[0]} failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1]) if proc.stdout.strip() else {}


def prepare(work: Path) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    if not (work / "paddle_y.npy").exists():
        print("saving ResNet-18 with Paddle ...", flush=True)
        _run_child("_save_paddle", str(work))
    if not (work / "onnx" / "model.onnx").exists():
        write_resnet18_onnx(work / "weights.npz", work / "onnx" / "model.onnx")
    start = time.perf_counter()
    first = _run_child("_cold_paddlec", str(work), "1", "cache")
    if first["compiled"]:
        print(
            f"compiled into the cache in a child process: {time.perf_counter() - start:.1f} s"
            " (once)",
            flush=True,
        )
    (work / "artifact.json").write_text(json.dumps({"path": first["artifact"]}))
    return first


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("build/cold_start"))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print the raw numbers as JSON")
    args = parser.parse_args()
    work = args.work.absolute()
    first = prepare(work)
    print(
        f"paddlec vs Paddle Inference output: max abs diff "
        f"{first['max_abs_diff_vs_paddle']:.2e}",
        flush=True,
    )
    threads = str(args.threads)
    env = {"TVM_NUM_THREADS": threads, "OMP_NUM_THREADS": threads}
    runs: dict[str, list[dict]] = {
        "paddlec (model dir, cache hit)": [],
        "paddlec (artifact dir)": [],
        "paddle inference": [],
    }
    for _ in range(args.repeat):
        runs["paddlec (model dir, cache hit)"].append(
            _run_child("_cold_paddlec", str(work), threads, "cache", env=env)
        )
        runs["paddlec (artifact dir)"].append(
            _run_child("_cold_paddlec", str(work), threads, "artifact", env=env)
        )
        runs["paddle inference"].append(
            _run_child("_cold_paddle", str(work), threads, env=env)
        )
    assert not any(r.get("compiled") for r in runs["paddlec (model dir, cache hit)"])
    keys = ["import", "create", "first_run", "create_to_result", "total"]
    medians = {
        name: {k: statistics.median(r[k] for r in rs) for k in keys}
        for name, rs in runs.items()
    }
    paddle = medians["paddle inference"]
    print(
        f"\nResNet-18, batch 1, {args.threads} thread(s), median of {args.repeat} fresh "
        "processes (seconds)"
    )
    print(f"{'':34s}" + "".join(f"{k:>18s}" for k in keys))
    for name, row in medians.items():
        print(f"{name:34s}" + "".join(f"{row[k]:18.3f}" for k in keys))
    for name, row in medians.items():
        if name != "paddle inference":
            print(
                f"{name}: create_to_result = "
                f"{row['create_to_result'] / paddle['create_to_result']:.2f}x"
                f" Paddle's, create only = {row['create'] / paddle['create']:.2f}x,"
                f" total = {row['total'] / paddle['total']:.2f}x"
            )
    if args.json:
        print(json.dumps({"medians": medians, "runs": runs}, indent=2))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1].startswith("_"):
        t0 = time.perf_counter()
        mode, work_dir = sys.argv[1], Path(sys.argv[2])
        if mode == "_save_paddle":
            _child_save_paddle(work_dir)
        elif mode == "_cold_paddle":
            print(json.dumps(_child_cold_paddle(work_dir, int(sys.argv[3]), t0)))
        elif mode == "_cold_paddlec":
            print(json.dumps(_child_cold_paddlec(work_dir, int(sys.argv[3]), t0, sys.argv[4])))
    else:
        main()
