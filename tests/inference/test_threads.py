"""Acceptance 3 and the thread switch: one clone per thread gives exactly the single-threaded
results with flat memory, and set_cpu_math_library_num_threads sizes TVM's pool."""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import numpy as np
import pytest
from paddlec.inference import Config, create_predictor
from paddlec.runtime._tvm import tvm_runtime

STRESS = r"""
import gc, json, sys, threading
import numpy as np, psutil
from paddlec.inference import Config, create_predictor

artifact, shape = sys.argv[1], [int(d) for d in sys.argv[2].split("x")]
threads, runs, warm = 8, 500, 50

def make_input(t, i):
    return np.random.default_rng(t * 100_000 + i).standard_normal(shape).astype(np.float32)

predictor = create_predictor(Config(artifact))
(name,), (out_name,) = predictor.get_input_names(), predictor.get_output_names()
expected = [[predictor.run([make_input(t, i)])[0] for i in range(runs)]
            for t in range(threads)]
distinct = len({e.tobytes() for row in expected for e in row})

after_warm, release = threading.Barrier(threads + 1), threading.Barrier(threads + 1)
mismatches, done, failures = [0] * threads, [0] * threads, []

def worker(t, clone):
    try:
        x_handle, y_handle = clone.get_input_handle(name), clone.get_output_handle(out_name)
        for i in range(runs):
            if i == warm:
                after_warm.wait()
                release.wait()
            x_handle.copy_from_cpu(make_input(t, i))
            clone.run()
            mismatches[t] += not np.array_equal(y_handle.copy_to_cpu(), expected[t][i])
            done[t] += 1
    except BaseException as exc:
        failures.append(repr(exc))
        after_warm.abort()
        release.abort()

workers = [threading.Thread(target=worker, args=(t, predictor.clone()))
           for t in range(threads)]
for w in workers:
    w.start()
after_warm.wait()
gc.collect()
rss_warm = psutil.Process().memory_info().rss
release.wait()
for w in workers:
    w.join()
gc.collect()
rss_end = psutil.Process().memory_info().rss
print(json.dumps({"mismatches": mismatches, "done": done, "failures": failures,
                  "distinct": distinct, "rss_warm": rss_warm, "rss_end": rss_end}))
"""


def _stress(artifact, shape: str) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", STRESS, str(artifact), shape],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _check(report: dict) -> None:
    assert report["failures"] == []
    assert report["done"] == [500] * 8
    assert report["mismatches"] == [0] * 8
    assert report["distinct"] == 8 * 500  # the inputs really differ
    growth = report["rss_end"] / report["rss_warm"] - 1
    assert growth <= 0.05, f"RSS grew {growth:.1%} after the first 50 runs: {report}"


def test_eight_clones_in_threads_match_single_threaded_mlp(mlp_dir, shared_cache):
    config = Config(str(mlp_dir))
    config.set_optim_cache_dir(shared_cache)
    _check(_stress(create_predictor(config).artifact_dir, "4x16"))


@pytest.mark.slow
def test_eight_clones_in_threads_match_single_threaded_resnet(example_artifact):
    _check(_stress(example_artifact, "1x3x64x64"))


def _pool_size_after_run(predictor) -> int:
    """Run ``predictor`` in a fresh thread and read that thread's TVM pool size."""
    tvm = tvm_runtime()
    sizes = []

    def body():
        sizes.append(int(tvm.get_global_func("runtime.NumThreads")()))
        predictor.run([np.zeros((1, 16), np.float32)])
        sizes.append(int(tvm.get_global_func("runtime.NumThreads")()))

    thread = threading.Thread(target=body)
    thread.start()
    thread.join()
    return sizes


def test_thread_switch_sizes_the_pool_of_the_running_thread(mlp_dir, shared_cache):
    """Portable code (no oneDNN kernels) runs its parallel loops on TVM's pool; the fast
    path's run on OpenMP (tests/cpu/test_openmp_launch.py, test_fast_path.py)."""
    def predictor_with(threads):
        config = Config(str(mlp_dir))
        config.disable_mkldnn()
        config.set_optim_cache_dir(shared_cache)
        if threads:
            config.set_cpu_math_library_num_threads(threads)
        return create_predictor(config)

    default_size, after_default = _pool_size_after_run(predictor_with(None))
    assert after_default == default_size  # no switch: TVM's pool is left alone
    if default_size < 2:
        pytest.skip("TVM's pool has a single thread here (TVM_NUM_THREADS=1?)")
    assert _pool_size_after_run(predictor_with(1)) == [default_size, 1]
    assert _pool_size_after_run(predictor_with(2)) == [default_size, 2]
    assert predictor_with(1).clone()._model.num_threads == 1
