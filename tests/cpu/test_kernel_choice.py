"""Per-workload choice between a tuned TVM kernel and oneDNN when records exist (no timing
asserted: only that both were measured, the decision is recorded, and both candidates agree
with onnxruntime)."""

from __future__ import annotations

import numpy as np
import pytest
from _helpers import ort_run, save_model
from click.testing import CliRunner
from onnx import TensorProto, helper, numpy_helper

import paddlec.runtime as rt
from paddlec.cli import cli
from paddlec.compiler import compile_model

SHAPE = [1, 8, 12, 12]


def _conv_relu_model():
    rng = np.random.default_rng(0)
    w = numpy_helper.from_array((rng.standard_normal((16, 8, 3, 3)) * 0.2).astype(np.float32),
                                "w")
    b = numpy_helper.from_array(rng.standard_normal(16).astype(np.float32), "b")
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c"], ["y"])]
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, SHAPE)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 16, 12, 12])], [w, b])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _commit_record(path, records) -> None:
    """Records for the model's one TVM task without tuning (tuning costs minutes here): the
    task's workload with a simple schedule (outer loop parallel), committed the way
    MetaSchedule commits its measured candidates."""
    import tvm
    from tvm.s_tir import meta_schedule as ms

    from paddlec.compiler.cpu.schedule import schedule_primfunc
    from paddlec.compiler.cpu.tune import prepare_for_tuning
    from paddlec.compiler.frontends import load_model
    from paddlec.compiler.lowering import lower_to_relax
    from paddlec.compiler.target import parse_target
    from paddlec.passes import run_pipeline

    source = load_model(path)
    run_pipeline(source.model, 2, ())
    target = parse_target("llvm", None).to_tvm()
    mod = prepare_for_tuning(lower_to_relax(source.model).mod, target, fast_path=False)
    (task,) = ms.relax_integration.extract_tasks(mod, target)
    assert "conv2d" in task.task_name
    workload_mod = task.dispatched[0]
    sch = tvm.s_tir.Schedule(workload_mod)
    sch.parallel(sch.get_loops(sch.get_sblock("conv2d_nchw"))[1])
    records.mkdir(parents=True, exist_ok=True)
    database = ms.database.JSONDatabase(work_dir=str(records))
    workload = database.commit_workload(workload_mod)
    database.commit_tuning_record(ms.database.TuningRecord(
        sch.trace, workload, [1e-4], target,
        ms.arg_info.ArgInfo.from_prim_func(workload_mod["main"])))


@pytest.fixture(scope="module")
def tuned(tmp_path_factory):
    """A conv + bias + ReLU model and records for its fused TVM kernel."""
    tmp = tmp_path_factory.mktemp("choice")
    path = save_model(tmp, _conv_relu_model())
    _commit_record(path, tmp / "records")
    return path, tmp / "records"


def _rel_err(value, ref) -> float:
    return float(np.max(np.abs(value - ref)) / max(float(np.max(np.abs(ref))), 1e-30))


def test_choice_is_measured_and_recorded(tuned, tmp_path):
    path, records = tuned
    manifest = compile_model(path, tmp_path / "art", target="llvm", records=str(records))
    (choice,) = manifest["cpu"]["choices"]
    assert choice["kind"] == "conv2d" and choice["workload"]["output"] == [1, 16, 12, 12]
    assert choice["tvm_ms"] > 0 and choice["library_ms"] > 0
    assert choice["picked"] in ("tvm", "library") and choice["max_rel_diff"] < 1e-4
    offloaded = manifest["cpu"]["library_calls"].get("conv2d", 0)
    assert offloaded == (1 if choice["picked"] == "library" else 0)
    x = np.random.default_rng(1).standard_normal(SHAPE).astype(np.float32)
    ours = rt.load(tmp_path / "art").run({"x": x})["y"]
    assert _rel_err(ours, ort_run(path, {"x": x})["y"]) < 1e-4
    result = CliRunner().invoke(cli, ["inspect", str(tmp_path / "art")])
    assert result.exit_code == 0 and "conv2d" in result.output and "picked" in result.output


@pytest.mark.parametrize("mode", ["tvm", "library"])
def test_both_candidates_match_onnxruntime(tuned, tmp_path, mode):
    path, records = tuned
    manifest = compile_model(path, tmp_path / "art", target="llvm", records=str(records),
                             kernel_choice=mode)
    assert manifest["cpu"]["library_calls"].get("conv2d", 0) == (1 if mode == "library" else 0)
    x = np.random.default_rng(2).standard_normal(SHAPE).astype(np.float32)
    ours = rt.load(tmp_path / "art").run({"x": x})["y"]
    assert _rel_err(ours, ort_run(path, {"x": x})["y"]) < 1e-4


def test_workload_without_a_record_stays_with_the_library(tuned, tmp_path):
    """Records serve by workload: a conv of another shape has none, costs no measurement and
    goes to oneDNN."""
    path, records = tuned
    model = _conv_relu_model()
    model.graph.input[0].type.tensor_type.shape.dim[2].dim_value = 10
    model.graph.input[0].type.tensor_type.shape.dim[3].dim_value = 10
    model.graph.output[0].type.tensor_type.shape.dim[2].dim_value = 10
    model.graph.output[0].type.tensor_type.shape.dim[3].dim_value = 10
    other = save_model(tmp_path, model)
    manifest = compile_model(other, tmp_path / "art", target="llvm", records=str(records))
    assert manifest["cpu"]["choices"] == [] and manifest["cpu"]["library_calls"]["conv2d"] == 1
