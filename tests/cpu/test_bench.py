"""``paddlec bench`` / ``paddlec tune`` and the suite's model generators (no timing asserted)."""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest
from _helpers import ort_run, save_model
from click.testing import CliRunner

import paddlec.runtime as rt
from paddlec.bench.models import make_bert, make_mobilenet_v2, make_resnet
from paddlec.cli import cli
from paddlec.compiler import compile_model


def _rel_err(value: np.ndarray, ref: np.ndarray) -> float:
    return float(np.max(np.abs(value - ref)) / max(float(np.max(np.abs(ref))), 1e-30))


def _host_has_avx512() -> bool:
    from paddlec.compiler.cpu.fuse_inverted_residual import target_has_avx512
    from paddlec.compiler.target import parse_target

    return target_has_avx512(parse_target("llvm", None).to_tvm())


def _check_against_ort(tmp_path, model, shape, expected_calls: set[str]) -> dict:
    path = save_model(tmp_path, model)
    manifest = compile_model(path, tmp_path / "art", target="llvm")
    assert set(manifest["cpu"]["library_calls"]) == expected_calls
    name = model.graph.input[0].name
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    ours = next(iter(rt.load(tmp_path / "art", num_threads=2).run({name: x}).values()))
    ref = next(iter(ort_run(path, {name: x}).values()))
    assert _rel_err(ours, ref) < 1e-4
    return manifest


def test_small_bert_from_the_suite_generator_matches_onnxruntime(tmp_path):
    model = make_bert(layers=2, hidden=64, heads=4, ffn=128, seq=16)
    _check_against_ort(tmp_path, model, (2, 16, 64),
                       {"dense", "batch_matmul", "softmax", "layer_norm"})


def test_small_mobilenet_from_the_suite_generator_matches_onnxruntime(tmp_path):
    model = make_mobilenet_v2(classes=10, image=32, width=0.25)
    calls = ({"conv2d", "dense", "reorder", "inverted_residual", "pointwise_mean"}
             if _host_has_avx512() else {"conv2d", "dense", "pool2d", "reorder"})
    manifest = _check_against_ort(tmp_path, model, (2, 3, 32, 32), calls)
    _per_call_lists_every_library_call(tmp_path, manifest)


def _per_call_lists_every_library_call(tmp_path, manifest: dict) -> None:
    """``profile_ops --per-call``: one row per library call the manifest counts, with the
    call's shapes, and the onnxruntime nodes with their times."""
    from paddlec.bench.profile_ops import per_call_onnxruntime, per_call_paddlec

    feed = {"image": np.ones((2, 3, 32, 32), np.float32)}
    calls = per_call_paddlec(tmp_path / "art", feed, runs=2, threads=1)
    counted = {name: sum(c[0] == name for c in calls) for name, _, _, _ in calls}
    assert counted == manifest["cpu"]["library_calls"]
    assert all(shape_in[0] == 2 and ms > 0 for _, shape_in, _, ms in calls)
    nodes = per_call_onnxruntime(tmp_path / "model.onnx", feed, runs=2, threads=1)
    assert nodes and all(ms >= 0 for _, ms in nodes)


@pytest.mark.slow
def test_small_resnet50_from_the_suite_generator_matches_onnxruntime(tmp_path):
    _check_against_ort(tmp_path, make_resnet(50, classes=10, image=64), (2, 3, 64, 64),
                       {"conv2d", "dense", "pool2d", "reorder"})


def test_bench_command_reports_rows_for_every_engine(tmp_path):
    path = save_model(tmp_path, make_bert(layers=1, hidden=32, heads=2, ffn=64, seq=8))
    result = CliRunner().invoke(cli, ["bench", str(path), "--batch", "1,2", "--threads", "1",
                                      "--runs", "2", "--warmup", "1", "--target", "llvm",
                                      "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [(r["batch"], r["engine"]) for r in rows] == [
        (1, "paddlec"), (1, "onnxruntime"), (2, "paddlec"), (2, "onnxruntime")]
    for row in rows:
        assert row["median_ms"] > 0 and row["p90_ms"] >= row["median_ms"] and row["runs"] == 2
        assert (row["ratio"] is None) == (row["engine"] == "paddlec")
        if row["ratio"] is not None:
            paddlec = next(r for r in rows if r["batch"] == row["batch"]
                           and r["engine"] == "paddlec")
            assert row["ratio"] == pytest.approx(paddlec["median_ms"] / row["median_ms"])
        assert row["ratio_ci"] is None  # 2 runs are one block: no interval to bootstrap
        # the checked difference from onnxruntime travels on the onnxruntime row
        assert (row["max_rel_diff"] is None) == (row["engine"] != "onnxruntime")
        if row["max_rel_diff"] is not None:
            assert 0 <= row["max_rel_diff"] < 1e-4


def test_bench_artifact_without_source_is_a_usage_error(example_artifact):
    result = CliRunner().invoke(cli, ["bench", str(example_artifact), "--runs", "1"])
    assert result.exit_code == 2
    assert "--source" in result.output


def test_bench_unknown_peer_is_a_usage_error(example_artifact):
    result = CliRunner().invoke(cli, ["bench", str(example_artifact), "--vs", "tensorflow"])
    assert result.exit_code == 2
    assert "unknown peer" in result.output


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("paddle") is None, reason="paddle not installed")
def test_bench_vs_paddle_reports_paddle_inference(tmp_path):
    from paddlec.bench.paddle_models import PaddleWorker

    worker = PaddleWorker(None, "resnet18", 1)
    try:
        worker({"x": np.zeros((1, 3, 224, 224), np.float32)})
    finally:
        worker.close()


@pytest.mark.slow
def test_tune_then_compile_with_records(tmp_path):
    """One TVM task (the sigmoid the fast path leaves to TVM), two trials: records are
    written, and a compile with them runs and still matches onnxruntime."""
    from onnx import TensorProto, helper, numpy_helper

    from paddlec.compiler.cpu.tune import tune_model

    w = numpy_helper.from_array(np.random.default_rng(0).standard_normal((16, 16))
                                .astype(np.float32), "w")
    nodes = [helper.make_node("MatMul", ["x", "w"], ["h"]),
             helper.make_node("Sigmoid", ["h"], ["y"])]
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 16])], [w])
    path = save_model(tmp_path, helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17)]))
    summary = tune_model(path, tmp_path / "records", target="llvm", trials=2,
                         input_shapes={"x": [4, 16]})
    assert len(summary["tasks"]) == 1 and "sigmoid" in summary["tasks"][0]
    assert (tmp_path / "records" / "database_workload.json").is_file()
    manifest = compile_model(path, tmp_path / "art", target="llvm",
                             input_shapes={"x": [4, 16]}, records=str(tmp_path / "records"))
    assert manifest["cpu"]["records"] == str(tmp_path / "records")
    x = np.random.default_rng(1).standard_normal((4, 16)).astype(np.float32)
    ours = rt.load(tmp_path / "art").run({"x": x})["y"]
    assert _rel_err(ours, ort_run(path, {"x": x})["y"]) < 1e-4


def _tiny_bench_args(tmp_path) -> list[str]:
    path = save_model(tmp_path, make_bert(layers=1, hidden=32, heads=2, ffn=64, seq=8))
    return ["bench", str(path), "--batch", "1", "--threads", "1", "--runs", "2", "--warmup",
            "1", "--target", "llvm"]


def test_bench_plot_writes_a_png(tmp_path):
    # matplotlib is in the test extra: a missing one fails here instead of skipping
    plot = tmp_path / "plots" / "bench.png"
    result = CliRunner().invoke(cli, _tiny_bench_args(tmp_path) + ["--plot", str(plot)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and plot.stat().st_size > 1000


def test_bench_plot_without_matplotlib_is_a_clear_error(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    plot = tmp_path / "bench.png"
    result = CliRunner().invoke(cli, _tiny_bench_args(tmp_path) + ["--plot", str(plot)])
    assert result.exit_code == 2
    assert "matplotlib" in result.output and not plot.exists()


def test_tune_without_its_packages_is_a_typed_error(monkeypatch, tmp_path):
    """A fresh install without the ``tune`` extra gets a clear exit-2 error naming the extra,
    not a ModuleNotFoundError from inside MetaSchedule."""
    import importlib.util

    from paddlec.compiler.cpu import tune
    from paddlec.errors import MissingDependencyError

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "xgboost" else real(name, *a))
    with pytest.raises(MissingDependencyError, match=r"xgboost.*paddlec\[tune\]") as info:
        tune.tune_model(tmp_path / "missing.onnx", tmp_path / "records")
    assert info.value.exit_code == 2
    assert not (tmp_path / "records").exists()


def test_conv_floor_lists_the_artifacts_convolutions_and_times_them(tmp_path, capsys):
    from paddlec.bench import conv_floor

    model = make_mobilenet_v2(classes=10, image=32, width=0.25)
    manifest = compile_model(save_model(tmp_path, model), tmp_path / "art", target="llvm")
    layers = conv_floor.conv_layers(tmp_path / "art", batch=1, threads=1)
    assert len(layers) == manifest["cpu"]["library_calls"]["conv2d"]
    assert layers[0].startswith("mb1_ic3oc") and layers[0].endswith(" 0 2")  # conv + ReLU6
    assert any(line.startswith("g") for line in layers)  # depthwise: groups in the descriptor
    assert conv_floor.main([str(tmp_path / "art"), "--threads", "1", "--reps", "3"]) == 0
    out = capsys.readouterr().out
    assert out.count(f"{len(layers)} convolutions, median") == 4


def test_ab_times_two_artifacts_side_by_side(tmp_path, capsys):
    from paddlec.bench import ab

    path = save_model(tmp_path, make_mobilenet_v2(classes=10, image=32, width=0.25))
    for name in ("a", "b"):
        compile_model(path, tmp_path / name, target="llvm")
    assert ab.main([str(tmp_path / "a"), str(tmp_path / "b"), "--batch", "2",
                    "--threads", "1", "--rounds", "4", "--warmup", "1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("A a: ") and " B b: " in out and "A/B " in out and "4 rounds" in out
    assert "A loaded first " in out and "B loaded first " in out  # a child process per order
    assert ab.main([str(tmp_path / "a"), str(tmp_path / "b"), "--batch", "1", "--threads",
                    "1", "--rounds", "3", "--warmup", "1", "--one-order"]) == 0
    out = capsys.readouterr().out
    assert "3 rounds" in out and "loaded first" not in out


def test_predictor_overhead_runs_both_paths(example_artifact, capsys):
    from paddlec.bench import predictor_overhead

    predictor_overhead.main([str(example_artifact), "--batch", "2", "--threads", "1",
                             "--rounds", "3", "--warmup", "1"])
    out = capsys.readouterr().out
    assert "Model.run " in out and " overhead " in out and "batch 2, 1 threads, 3 rounds" in out


def test_ratio_interval_pairs_blocks_and_brackets_the_true_ratio():
    """The interval is that of median(ours) / median(theirs), the ratio the table prints."""
    from paddlec.bench.runner import _ratio_interval

    rng = np.random.default_rng(0)
    drift = np.repeat(1 + 0.3 * rng.random(12), 5)  # load that moves whole blocks alike
    theirs = drift * (1 + 0.02 * rng.standard_normal(60))
    ours = 0.8 * drift * (1 + 0.02 * rng.standard_normal(60))
    low, high = _ratio_interval(ours, theirs, block=5)
    assert low < 0.8 < high < 1.0
    assert low <= np.median(ours) / np.median(theirs) <= high  # the interval of the table's ratio
    low, high = _ratio_interval(theirs * (1 + 0.02 * rng.standard_normal(60)), theirs, 5)
    assert low < 1.0 < high
    assert _ratio_interval(ours[:5], theirs[:5], block=5) is None
