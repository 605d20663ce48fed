"""The compile cache: compiled once per (model bytes, config, versions, target), reused
after, safe when processes race for the same key (acceptance 4)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time

import numpy as np
import onnx
from paddlec import runtime
from paddlec.inference import Config, create_predictor
from paddlec.inference.cache import cache_key, ensure_compiled, model_files
from paddlec.inference.config import CompilePlan, fast_cpu_plan


def _config(model_dir, cache_dir, **switches) -> Config:
    config = Config(str(model_dir))
    config.set_optim_cache_dir(cache_dir)
    for name, value in switches.items():
        getattr(config, name)(*value)
    return config


def test_second_create_loads_from_the_cache(mlp_dir, tmp_path):
    first = create_predictor(_config(mlp_dir, tmp_path))
    second = create_predictor(_config(mlp_dir, tmp_path))
    assert first.compiled and not second.compiled
    assert first.artifact_dir == second.artifact_dir == tmp_path / first.cache_entry.key
    request = json.loads((tmp_path / f"{first.cache_entry.key}.json").read_text())
    assert request["plan"]["target"] == fast_cpu_plan().target
    assert runtime.read_manifest(first.artifact_dir).raw["target"]["given"] == "native"


def test_config_changes_select_other_entries(mlp_dir, tmp_path, shared_cache):
    default = create_predictor(_config(mlp_dir, shared_cache))
    no_opt = create_predictor(_config(mlp_dir, tmp_path, switch_ir_optim=(False,)))
    generic = create_predictor(_config(mlp_dir, tmp_path, disable_mkldnn=()))
    assert no_opt.compiled and generic.compiled
    assert len({default.artifact_dir, no_opt.artifact_dir, generic.artifact_dir}) == 3
    manifest = runtime.read_manifest(no_opt.artifact_dir).raw
    assert manifest["opt_level"] == 0 and manifest["passes"] == []
    assert runtime.read_manifest(generic.artifact_dir).raw["target"]["given"] == "llvm"
    x = np.random.default_rng(0).standard_normal((3, 16)).astype(np.float32)
    outs = [p.run([x])[0] for p in (default, no_opt, generic)]
    for out in outs[1:]:
        np.testing.assert_allclose(out, outs[0], rtol=1e-5, atol=1e-6)


def test_key_covers_model_bytes_plan_and_versions(tmp_path, mlp_model):
    onnx.save(mlp_model(seed=0), tmp_path / "model.onnx")
    files = model_files(tmp_path)
    plan = CompilePlan(target="llvm")
    base = cache_key(files, tmp_path, plan, "0.27.0")
    assert cache_key(files, tmp_path, plan, "0.27.0") == base
    assert cache_key(files, tmp_path, plan, "0.28.0") != base
    assert (
        cache_key(files, tmp_path, CompilePlan(target="llvm", opt_level=0), "0.27.0") != base
    )
    assert (
        cache_key(
            files, tmp_path, CompilePlan(target="llvm", disabled_passes=("x",)), "0.27.0"
        )
        != base
    )
    memo = tmp_path / "memo"
    assert cache_key(files, tmp_path, plan, "0.27.0", memo_dir=memo) == base
    assert cache_key(files, tmp_path, plan, "0.27.0", memo_dir=memo) == base  # memo hit
    onnx.save(mlp_model(seed=1), tmp_path / "model.onnx")  # same name and size, other weights
    assert cache_key(files, tmp_path, plan, "0.27.0") != base
    assert cache_key(files, tmp_path, plan, "0.27.0", memo_dir=memo) != base


def test_leftovers_of_a_killed_compile_are_cleared(mlp_dir, tmp_path):
    files = model_files(mlp_dir)
    plan = CompilePlan(target="llvm")
    import tvm

    key = cache_key(files, mlp_dir, plan, tvm.__version__)
    (tmp_path / f".{key}.tmp-999999999-x").mkdir(parents=True)  # no such process
    (tmp_path / f".{key}.tmp-999999999-x" / "model.so").write_bytes(b"half")
    (tmp_path / key).mkdir()  # a folder without a manifest is not an artifact
    entry = ensure_compiled(mlp_dir, files, plan, tvm.__version__, tmp_path)
    assert entry.compiled and entry.key == key
    assert runtime.read_manifest(entry.path).raw["target"]["given"] == "llvm"
    assert not list(tmp_path.glob(f".{key}.*"))


RACER = textwrap.dedent("""
    import json, os, sys, time
    import numpy as np
    go = sys.argv[3]
    while not os.path.exists(go):
        time.sleep(0.002)
    from paddlec.inference import Config, create_predictor
    config = Config(sys.argv[1])
    config.set_optim_cache_dir(sys.argv[2])
    predictor = create_predictor(config)
    x = np.arange(32, dtype=np.float32).reshape(2, 16) / 7
    (y,) = predictor.run([x])
    print(json.dumps({"compiled": predictor.compiled, "key": predictor.cache_entry.key,
                      "seconds": predictor.cache_entry.seconds, "y": y.tolist()}))
""")


def test_two_processes_creating_the_same_predictor_at_once(mlp_dir, tmp_path):
    cache, go = tmp_path / "cache", tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, str(mlp_dir), str(cache), str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    time.sleep(1.0)  # both are polling for the start signal
    go.touch()
    reports = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        reports.append(json.loads(out.strip().splitlines()[-1]))
    assert sorted(r["compiled"] for r in reports) == [False, True]  # one compiled, one waited
    assert reports[0]["key"] == reports[1]["key"]
    assert reports[0]["y"] == reports[1]["y"]
    entries = [p.name for p in cache.iterdir() if p.is_dir() and p.name != "file-hashes"]
    assert entries == [reports[0]["key"]]  # no staging folder left behind
    runtime.read_manifest(cache / entries[0])  # every checksum verifies
