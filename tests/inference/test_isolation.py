"""paddlec.inference is runtime-side: creating a predictor, from an artifact or through the
compile cache (a miss compiles in a child process), loads no compiler-side code and keeps
TVM on its runtime-only library."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

SCRIPT = r"""
import json, sys
import numpy as np
if sys.argv[4] == "legacy":
    from paddlec.fluid.core import AnalysisConfig as Config
    from paddlec.fluid.core import create_paddle_predictor as create_predictor
else:
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


def _loaded(modules: list[str], forbidden: tuple[str, ...]) -> list[str]:
    return [
        m for m in modules if m in forbidden or m.startswith(tuple(f + "." for f in forbidden))
    ]


def _report(flavour, example_artifact, mlp_dir, tmp_path) -> dict:
    args = [str(example_artifact), str(mlp_dir), str(tmp_path / "cache"), flavour]
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, *args], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    # artifact: no compile; model folder: compiled (in the child), then a cache hit
    assert report["shapes"] == [[[2, 10], False], [[2, 8], True], [[2, 8], False]]
    assert "libtvm_runtime.so" in report["libs"]
    # the wheel's compiler library is libtvm_compiler.so (older wheels: libtvm.so)
    assert not {"libtvm_compiler.so", "libtvm.so"} & set(report["libs"]), report["libs"]
    return report


def test_predictor_process_imports_no_compiler_side_code(example_artifact, mlp_dir, tmp_path):
    report = _report("inference", example_artifact, mlp_dir, tmp_path)
    forbidden = (
        "paddlec.compiler",
        "paddlec.passes",
        "paddlec.cli",
        "paddlec.fluid",
        "onnx",
        "onnx_ir",
        "click",
        "tvm.relax",
    )
    assert _loaded(report["modules"], forbidden) == []


def test_legacy_names_keep_tvm_on_its_runtime_library(example_artifact, mlp_dir, tmp_path):
    report = _report("legacy", example_artifact, mlp_dir, tmp_path)
    forbidden = ("paddlec.compiler", "paddlec.cli", "click", "tvm.relax")
    assert _loaded(report["modules"], forbidden) == []


def test_legacy_names_import_no_ir_code(example_artifact, mlp_dir, tmp_path):
    report = _report("legacy", example_artifact, mlp_dir, tmp_path)
    assert _loaded(report["modules"], ("paddlec.passes", "onnx", "onnx_ir")) == []
