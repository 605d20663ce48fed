"""bench/cold_start.py on the real PP-OCRv4 recognizer (fetched from its PyPI wheel): every
engine's process runs to its first result and paddlec's outputs (Python and C) match Paddle
Inference's. Timings are printed by the bench, never asserted."""

from __future__ import annotations

import json
import subprocess
import sys


def test_cold_start_bench_runs_every_engine_on_the_real_model(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "paddlec.bench.cold_start", "--repeat", "1",
                           "--work", str(tmp_path), "--json"], capture_output=True, text=True,
                          timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout[proc.stdout.index("{"):])
    assert set(report["medians"]) == {"paddlec (Python)", "paddlec (C)", "onnxruntime",
                                      "Paddle Inference", "python + numpy only"}
    for engine in ("paddlec (Python)", "paddlec (C)", "onnxruntime"):
        assert report["max_rel_err"][engine] < 1e-4, (engine, report["max_rel_err"])
