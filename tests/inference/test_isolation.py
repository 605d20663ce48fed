"""paddlec.inference is runtime-side: creating a predictor, from an artifact or through the
compile cache (a miss compiles in a child process), loads no compiler-side code and keeps
TVM on its runtime-only library."""

from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = r"""
import json, sys
import numpy as np
from paddlec.fluid.core import AnalysisConfig, create_paddle_predictor
from paddlec.inference import Config, create_predictor
shapes = []
model, cache = sys.argv[2], sys.argv[3]
for path, cache in ((sys.argv[1], None), (model, cache), (model, cache)):
    config = Config(path)
    if cache:
        config.set_optim_cache_dir(cache)
    predictor = create_predictor(config)
    (y,) = predictor.run([np.zeros((2, 16), np.float32)] if cache
                         else [np.zeros((2, 3, 64, 64), np.float32)])
    shapes.append([list(y.shape), predictor.compiled])
maps = open("/proc/self/maps").read()
libs = sorted({line.split()[-1].rsplit("/", 1)[-1] for line in maps.splitlines()
               if "libtvm" in line})
print(json.dumps({"modules": sorted(sys.modules), "libs": libs, "shapes": shapes}))
"""


def test_predictor_process_imports_no_compiler_side_code(example_artifact, mlp_dir, tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            SCRIPT,
            str(example_artifact),
            str(mlp_dir),
            str(tmp_path / "cache"),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    # artifact: no compile; model folder: compiled (in the child), then a cache hit
    assert report["shapes"] == [[[2, 10], False], [[2, 8], True], [[2, 8], False]]
    forbidden = (
        "paddlec.compiler",
        "paddlec.passes",
        "paddlec.cli",
        "onnx",
        "onnx_ir",
        "click",
        "tvm.relax",
    )
    loaded = [
        m
        for m in report["modules"]
        if m in forbidden or m.startswith(tuple(f + "." for f in forbidden))
    ]
    assert loaded == []
    assert "libtvm_runtime.so" in report["libs"]
    # the wheel's compiler library is libtvm_compiler.so (older wheels: libtvm.so)
    assert not {"libtvm_compiler.so", "libtvm.so"} & set(report["libs"]), report["libs"]
