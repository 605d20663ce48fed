"""Run the whole benchmark suite with one command.

    .venv/bin/python -m paddlec.bench.run_all                 # or: make bench
    .venv/bin/python -m paddlec.bench.run_all --models resnet18 --batch 1 --threads 2

Generates the suite models (``bench/models.py``) into ``bench/out/models``, compiles each with
the CPU fast path (timing the compile), then runs ``paddlec bench`` on it against onnxruntime
(and Paddle Inference with oneDNN when Paddle is installed), interleaved in one process.
Writes ``bench/out/results.json`` and ``bench/out/results.md`` and prints the table. The
machine's load average is recorded before and after: on a shared machine, read the ratios,
not the absolute milliseconds.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

from .models import MODELS, ensure_model
from .runner import bench, format_table

__all__ = ["main"]


def _paddle_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("paddle") is not None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--batch", default="1,8")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--vs", default="auto",
                        help="peers: 'auto' = onnxruntime (+ paddle when installed)")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--target", default="llvm -mcpu=native")
    parser.add_argument("--records", default=None)
    parser.add_argument("--out", default="bench/out")
    parser.add_argument("--plot", default=None, metavar="FILE.png",
                        help="also save the table as a bar chart (needs matplotlib)")
    args = parser.parse_args(argv)
    if args.plot:
        from .plot import require_matplotlib

        require_matplotlib()

    from ..compiler import compile_model

    out = Path(args.out)
    peers = (["onnxruntime"] + (["paddle"] if _paddle_installed() else [])
             if args.vs == "auto" else [p for p in args.vs.split(",") if p and p != "none"])
    batches = [int(b) for b in args.batch.split(",")]
    threads = [int(t) for t in args.threads.split(",")]
    report: dict = {"machine": platform.processor() or platform.machine(),
                    "cpus": os.cpu_count(), "load_before": os.getloadavg(), "models": {}}
    rows = []
    for name in args.models.split(","):
        model = ensure_model(name, out / "models")
        artifact = out / "artifacts" / f"{name}-cli"
        start = time.perf_counter()
        manifest = compile_model(model, artifact, target=args.target, records=args.records)
        compile_s = time.perf_counter() - start
        print(f"{name}: compiled in {compile_s:.1f}s, library calls "
              f"{manifest.get('cpu', {}).get('library_calls')}", flush=True)
        model_rows = bench(artifact, batches=batches, threads=threads, peers=peers,
                           runs=args.runs, warmup=args.warmup, source=model,
                           progress=lambda text: print(text, flush=True), strict=False)
        for row in model_rows:
            row.model = name
        rows += model_rows
        report["models"][name] = {"compile_s": round(compile_s, 2),
                                  "library_calls": manifest.get("cpu", {}).get("library_calls")}
    report["load_after"] = os.getloadavg()
    report["rows"] = [row.to_json() for row in rows]
    table = format_table(rows)
    (out / "results.json").write_text(json.dumps(report, indent=2))
    compile_lines = "\n".join(f"- {name}: compile {info['compile_s']} s"
                              for name, info in report["models"].items())
    (out / "results.md").write_text(
        f"load average before {report['load_before']}, after {report['load_after']}\n\n"
        f"```\n{table}\n```\n\n{compile_lines}\n")
    print(table)
    print(compile_lines)
    if args.plot:
        from .plot import save_plot

        print(f"plot: {save_plot(rows, args.plot)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
