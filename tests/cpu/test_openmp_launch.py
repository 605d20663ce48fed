"""TVM's parallel loops in a fast-path model.so run on the oneDNN kernels' OpenMP team
(compiler/cpu/kernels/openmp_launch.h), not on a second, spinning TVM thread pool."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from _helpers import ort_run, save_model
from onnx import TensorProto, helper, numpy_helper

import paddlec.runtime as rt
from paddlec.compiler import compile_model


@pytest.fixture(scope="module")
def encoder(tmp_path_factory):
    """Two dense layers with a sigmoid between them: the sigmoid is a TVM kernel with a
    parallel loop, run between two oneDNN calls."""
    root = tmp_path_factory.mktemp("openmp")
    rng = np.random.default_rng(0)
    weights = [numpy_helper.from_array(rng.standard_normal((64, 64)).astype(np.float32) / 8,
                                       name) for name in ("w1", "w2")]
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["hidden_states", "w1"], ["h"]),
         helper.make_node("Sigmoid", ["h"], ["s"]),
         helper.make_node("MatMul", ["s", "w2"], ["y"])], "g",
        [helper.make_tensor_value_info("hidden_states", TensorProto.FLOAT, ["N", 256, 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 256, 64])], weights)
    path = save_model(root, helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]))
    manifest = compile_model(path, root / "art", target="llvm")
    assert manifest["cpu"]["library_calls"] == {"dense": 2}  # the sigmoid stays in TVM
    return path, root / "art"


@pytest.mark.parametrize("threads", [1, 2])
def test_tvm_kernels_on_openmp_match_onnxruntime(encoder, threads):
    path, artifact = encoder
    model = rt.load(artifact, num_threads=threads, engine="tvm")  # its library internals
    assert model.tvm_kernels_on_openmp
    # 1: model.so has TVM parallel loops, and its launch hook now points at OpenMP
    assert model._library.get_function("paddlec_tvm_kernels_on_openmp", True)() == 1
    x = np.random.default_rng(0).standard_normal((3, 256, 64)).astype(np.float32)
    ours = next(iter(model.run({"hidden_states": x}).values()))
    ref = next(iter(ort_run(path, {"hidden_states": x}).values()))
    assert float(np.max(np.abs(ours - ref)) / np.max(np.abs(ref))) < 1e-4


_CENSUS = """
import os, sys, numpy as np
import paddlec.runtime.model as rm
if sys.argv[2] == "tvm-pool":  # what the runtime did before: TVM's own pool
    rm._use_openmp_for_tvm_kernels = lambda library: False
model = rm.load(sys.argv[1], num_threads=2, engine="tvm")
x = np.zeros((1, 256, 64), np.float32)
for _ in range(3):
    model.run({"hidden_states": x})
print(len(os.listdir("/proc/self/task")))
"""


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs 2 cores for a 2-thread team")
def test_no_tvm_thread_pool_is_started(encoder):
    """With TVM allowed 2 pool threads, the run starts no TVM worker: the process has fewer
    threads than when the same library runs its TVM loops on TVM's pool."""
    _, artifact = encoder
    env = dict(os.environ, TVM_NUM_THREADS="2", OMP_NUM_THREADS="2")
    counts = {}
    for mode in ("openmp", "tvm-pool"):
        proc = subprocess.run([sys.executable, "-c", _CENSUS, str(artifact), mode],
                              capture_output=True, text=True, env=env)
        assert proc.returncode == 0, proc.stderr
        counts[mode] = int(proc.stdout.split()[-1])
    assert counts["openmp"] < counts["tvm-pool"], counts


def test_clones_in_threads_each_get_an_openmp_team(encoder):
    """Python threads running clones at once: each calling thread launches its own OpenMP
    team for the TVM loops; results equal the single-threaded ones."""
    import threading

    _, artifact = encoder
    model = rt.load(artifact, num_threads=2)
    rng = np.random.default_rng(1)
    inputs = [rng.standard_normal((2, 256, 64)).astype(np.float32) for _ in range(3)]
    expected = [model.run({"hidden_states": x})["y"] for x in inputs]
    results: dict[int, list] = {}

    def work(index: int) -> None:
        clone = model.clone()
        results[index] = [clone.run({"hidden_states": inputs[index]})["y"] for _ in range(20)]

    threads = [threading.Thread(target=work, args=(index,)) for index in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for index, runs in results.items():
        for run in runs:
            np.testing.assert_array_equal(run, expected[index])
    assert len(results) == 3
