"""A deployed service imports paddlec.runtime only: no compiler, passes, onnx, onnx_ir,
click, and TVM's runtime-only library instead of the compiler library."""

import json
import subprocess
import sys

SCRIPT = r"""
import json, sys
import numpy as np
import paddlec.runtime as rt
model = rt.load(sys.argv[1])
out = model.run({"image": np.zeros((2, 3, 64, 64), np.float32)})
maps = open("/proc/self/maps").read()
libs = sorted({line.split()[-1].rsplit("/", 1)[-1] for line in maps.splitlines() if "libtvm" in line})
print(json.dumps({"modules": sorted(sys.modules), "libs": libs, "shape": list(out["probs"].shape)}))
"""


def test_runtime_imports_no_compiler_side_code(example_artifact):
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(example_artifact)],
                          capture_output=True, text=True, check=True)
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["shape"] == [2, 10]
    # tvm's own __init__ imports some pure-Python modules (tvm.te) even in runtime-only
    # mode; what matters is that the compiler library is never loaded.
    forbidden = ("paddlec.compiler", "paddlec.passes", "paddlec.cli", "onnx", "onnx_ir", "click",
                 "tvm.relax")
    loaded = [m for m in report["modules"] if m in forbidden or m.startswith(tuple(f + "." for f in forbidden))]
    assert loaded == []
    assert "libtvm_runtime.so" in report["libs"]
    # the compiler library is libtvm_compiler.so in the 0.27 wheel (libtvm.so in older ones)
    compiler_libs = [lib for lib in report["libs"] if lib.startswith(("libtvm_compiler", "libtvm.so"))]
    assert compiler_libs == [], report["libs"]
