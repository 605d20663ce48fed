"""Packed weights in 2 MB pages (compiler/cpu/kernels/huge_pages.h): where the kernel offers
transparent huge pages on request, a model's packed weights land in them; where it does not,
the model runs all the same."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from _helpers import GraphBuilder, save_model
from onnx import TensorProto, helper

from paddlec.compiler import compile_model

THP_MODE = Path("/sys/kernel/mm/transparent_hugepage/enabled")
WEIGHT_MB = 8  # a 1x1 convolution 1024 -> 2048

_MEASURE = """
import json, sys, numpy as np, paddlec.runtime as rt

def anon_huge_kb():
    for line in open("/proc/self/smaps_rollup"):
        if line.startswith("AnonHugePages:"):
            return int(line.split()[1])
    return 0

model = rt.load(sys.argv[1], num_threads=1)
x = np.random.default_rng(0).standard_normal((1, 1024, 7, 7)).astype(np.float32)
before = anon_huge_kb()
model.run({"x": x})  # the first run packs the weights
print(json.dumps({"grew_kb": anon_huge_kb() - before}))
"""


def _thp_mode() -> str | None:
    if not THP_MODE.exists():
        return None
    text = THP_MODE.read_text()
    return text[text.index("[") + 1:text.index("]")]


@pytest.fixture(scope="module")
def artifact(tmp_path_factory) -> Path:
    rng = np.random.default_rng(0)
    g = GraphBuilder()
    weight = rng.standard_normal((2048, 1024, 1, 1)) * (2.0 / 1024) ** 0.5
    g.op("Relu", g.op("Conv", "x", g.const(weight), g.const(rng.normal(0, 0.1, 2048))),
         out="y")
    model = g.model("wide_1x1", [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                               ["N", 1024, 7, 7])],
                    [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 2048, 7, 7])])
    folder = tmp_path_factory.mktemp("huge_pages")
    compile_model(save_model(folder, model), folder / "art", target="llvm")
    return folder / "art"


def test_packed_weights_land_in_huge_pages_where_the_kernel_offers_them(artifact):
    mode = _thp_mode()
    if mode is None:
        pytest.skip("no transparent huge pages on this OS")
    proc = subprocess.run([sys.executable, "-c", _MEASURE, str(artifact)], capture_output=True,
                          text=True, check=True)
    grew_mb = json.loads(proc.stdout.strip().splitlines()[-1])["grew_kb"] / 1024
    if mode in ("always", "madvise"):
        assert grew_mb >= WEIGHT_MB - 2, f"THP {mode}: only {grew_mb} MB in huge pages"
    else:  # "never": the madvise hint does nothing and the run still succeeds
        assert grew_mb == 0
