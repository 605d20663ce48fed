"""The fluid API around the layers: executor errors, clone(for_test), DataFeeder,
initializers, shared parameters, save/load options, the inference-mode rewrite."""

from __future__ import annotations

import json

import numpy as np
import onnx
import onnx_ir as ir
import pytest
from onnx import TensorProto, helper
from paddlec import fluid
from paddlec.errors import PaddlecError, PruneError
from paddlec.fluid import layers
from paddlec.fluid.executor import ExecutionError
from paddlec.fluid.inference_mode import InferenceModeError, to_inference_mode


def small_net():
    image = fluid.data("image", [None, 2, 6, 6], "float32")
    label = fluid.data("label", [None, 1], "int64")
    x = layers.batch_norm(layers.conv2d(image, 3, 3), act="relu")
    predict = layers.fc(layers.dropout(x, 0.5), 4, act="softmax")
    loss = layers.mean(layers.cross_entropy(predict, label))
    return image, label, predict, loss


def test_executor_errors_are_typed_and_name_the_problem(fresh):
    image, label, predict, loss = small_net()
    x = np.zeros((2, 2, 6, 6), np.float32)
    with pytest.raises(ExecutionError, match="run the startup program first"):
        fresh.run(feed={"image": x}, fetch_list=[predict])
    fresh.init()
    with pytest.raises(ExecutionError, match="feed 'label' is needed"):
        fresh.run(feed={"image": x}, fetch_list=[loss])
    with pytest.raises(ExecutionError, match="expected rank 4"):
        fresh.run(feed={"image": x[0]}, fetch_list=[predict])
    with pytest.raises(ExecutionError, match="expected int64"):
        fresh.run(feed={"image": x, "label": np.zeros((2, 1), np.float32)}, fetch_list=[loss])
    with pytest.raises(ExecutionError, match="cannot fetch 'nope'"):
        fresh.run(feed={"image": x}, fetch_list=["nope"])
    assert issubclass(ExecutionError, PaddlecError) and ExecutionError.exit_code == 2


def test_clone_for_test_switches_to_inference_mode(fresh):
    image, label, predict, loss = small_net()
    test_program = fresh.main.clone(for_test=True)
    fluid.optimizer.SGD(0.1).minimize(loss)
    fresh.init()
    ops = [(n.domain, n.op_type) for n in test_program.graph]
    assert not [op for op in ops if op[0]] and ("", "Dropout") not in ops
    bn = next(n for n in test_program.graph if n.op_type == "BatchNormalization")
    assert len(bn.outputs) == 1
    stats = {n: fresh.scope.get(n).copy() for n in fresh.scope.names() if ".w_1" in n}
    x = np.random.default_rng(0).standard_normal((4, 2, 6, 6)).astype(np.float32)
    first = fresh.run(test_program, feed={"image": x}, fetch_list=[predict])[0]
    second = fresh.run(test_program, feed={"image": x}, fetch_list=[predict])[0]
    np.testing.assert_array_equal(first, second)  # deterministic: no dropout, no BN update
    for name, value in stats.items():
        np.testing.assert_array_equal(fresh.scope.get(name), value)
    fresh.run(feed={"image": x, "label": np.zeros((4, 1), np.int64)}, fetch_list=[loss])
    assert any(not np.array_equal(fresh.scope.get(n), v) for n, v in stats.items())


def test_data_feeder_stacks_and_reshapes(fresh):
    image = fluid.data("image", [None, 2, 3], "float32")
    label = fluid.data("label", [None, 1], "int64")
    feeder = fluid.DataFeeder([image, label], fluid.CPUPlace())
    feed = feeder.feed([(np.ones(6), 3), (np.zeros((2, 3)), 1)])
    assert feed["image"].shape == (2, 2, 3) and feed["image"].dtype == np.float32
    np.testing.assert_array_equal(feed["label"], [[3], [1]])
    assert feed["label"].dtype == np.int64
    with pytest.raises(ValueError, match="needs 2 fields"):
        feeder.feed([(np.ones(6),)])
    assert layers.data("old", [5]).shape == (-1, 5)


@pytest.mark.parametrize(
    "initializer,check",
    [
        (fluid.initializer.Constant(0.5), lambda w: np.all(w == 0.5)),
        (
            fluid.initializer.Uniform(-0.2, 0.1),
            lambda w: w.min() >= -0.2 and w.max() <= 0.1 and w.std() > 0.05,
        ),
        (
            fluid.initializer.Normal(1.0, 0.1),
            lambda w: abs(w.mean() - 1) < 0.02 and abs(w.std() - 0.1) < 0.02,
        ),
        (
            fluid.initializer.TruncatedNormal(0.0, 1.0),
            lambda w: np.abs(w).max() <= 2.0 and w.std() > 0.7,
        ),
        (
            fluid.initializer.Xavier(),
            lambda w: (
                np.abs(w).max() <= np.sqrt(6 / 300)
                and np.abs(w).max() > 0.9 * np.sqrt(6 / 300)
            ),
        ),
        (
            fluid.initializer.MSRA(uniform=False),
            lambda w: abs(w.std() - np.sqrt(2 / 200)) < 0.01,
        ),
    ],
)
def test_initializers(fresh, initializer, check):
    x = fluid.data("x", [None, 200], "float32")
    layers.fc(x, 100, param_attr=fluid.ParamAttr(name="w", initializer=initializer))
    fresh.init()
    weight = fresh.scope.get("w")
    assert weight.shape == (200, 100) and weight.dtype == np.float32
    assert check(weight)


def test_initialization_is_reproducible_and_parameters_differ(fresh):
    x = fluid.data("x", [None, 8], "float32")
    layers.fc(layers.fc(x, 8), 8)
    fresh.startup.random_seed = 5
    fresh.init()
    first = fresh.scope.get("fc_0.w_0").copy()
    assert not np.array_equal(first, fresh.scope.get("fc_1.w_0"))
    fresh.init()
    np.testing.assert_array_equal(fresh.scope.get("fc_0.w_0"), first)


def test_shared_parameter_by_name(fresh):
    x = fluid.data("x", [None, 3], "float32")
    a = layers.fc(x, 2, param_attr="shared_w", bias_attr=False)
    b = layers.fc(x, 2, param_attr="shared_w", bias_attr=False)
    assert [p.name for p in fresh.main.all_parameters()] == ["shared_w"]
    fresh.init()
    out_a, out_b = fresh.run(feed={"x": np.ones((1, 3), np.float32)}, fetch_list=[a, b])
    np.testing.assert_array_equal(out_a, out_b)
    with pytest.raises(ValueError, match="shared with shape"):
        layers.fc(x, 5, param_attr="shared_w")


def test_save_with_custom_file_names_and_load(fresh, tmp_path):
    image, label, predict, loss = small_net()
    fresh.init()
    (tmp_path / "keep.txt").write_text("not ours")
    names = fluid.io.save_inference_model(
        tmp_path,
        feeded_var_names=["image"],
        target_vars=predict,
        executor=fresh.exe,
        model_filename="inference.onnx",
        params_filename="weights.bin",
    )
    assert names == [predict.name]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "inference.onnx",
        "inference_model.json",
        "keep.txt",
        "weights.bin",
    ]
    manifest = json.loads((tmp_path / "inference_model.json").read_text())
    assert manifest["model"] == "inference.onnx" and manifest["external_data"] == "weights.bin"
    onnx.checker.check_model(str(tmp_path / "inference.onnx"), full_check=True)
    program, feeds, fetches = fluid.io.load_inference_model(
        tmp_path, fresh.exe, model_filename="inference.onnx"
    )
    x = np.random.default_rng(0).standard_normal((3, 2, 6, 6)).astype(np.float32)
    test_program = fresh.main.clone(for_test=True)
    (want,) = fresh.run(test_program, feed={"image": x}, fetch_list=[predict])
    (got,) = fresh.exe.run(program, feed={"image": x}, fetch_list=fetches)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


def test_save_before_startup_is_an_error(fresh, tmp_path):
    image, label, predict, loss = small_net()
    with pytest.raises(PruneError, match="run the startup program first"):
        fluid.io.save_inference_model(tmp_path / "m", ["image"], [predict], fresh.exe)
    assert not (tmp_path / "m" / "model.onnx").exists()


def test_inference_mode_refuses_a_graph_that_reads_the_dropout_mask():
    graph = helper.make_graph(
        [
            helper.make_node("Dropout", ["x", "r", "t"], ["y", "mask"]),
            helper.make_node("Cast", ["mask"], ["m"], to=TensorProto.FLOAT),
        ],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
        [
            helper.make_tensor_value_info("y", TensorProto.FLOAT, [2]),
            helper.make_tensor_value_info("m", TensorProto.FLOAT, [2]),
        ],
        [
            helper.make_tensor("r", TensorProto.FLOAT, [], [0.5]),
            helper.make_tensor("t", TensorProto.BOOL, [], [True]),
        ],
    )
    model = ir.serde.deserialize_model(
        helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    )
    with pytest.raises(InferenceModeError, match="dropout mask 'mask' is still used by Cast"):
        to_inference_mode(model)
    model.graph.outputs.pop()
    model.graph.remove(model.graph.node(1), safe=True)
    assert to_inference_mode(model) == {"dropout_removed": 1, "batch_norm_to_inference": 0}
    assert model.graph.outputs[0] is model.graph.inputs[0]


def test_test_program_goes_through_the_pass_pipeline_unchanged(fresh):
    """A program is IR: its inference clone, as ONNX, runs the -O2 pipeline and still
    computes what the Executor computes (onnxruntime)."""
    from _helpers import ort_run
    from paddlec.passes import run_pipeline

    image, label, predict, loss = small_net()
    test_program = fresh.main.clone(for_test=True)
    fresh.init()
    model = test_program.to_model(fresh.scope, fetch_list=[predict])
    model.graph.inputs.remove(next(v for v in model.graph.inputs if v.name == "label"))
    stats = run_pipeline(model, opt_level=2)
    assert any(s.modified for s in stats)
    proto = ir.serde.serialize_model(model)
    onnx.checker.check_model(proto, full_check=True)
    x = np.random.default_rng(1).standard_normal((2, 2, 6, 6)).astype(np.float32)
    (want,) = fresh.run(test_program, feed={"image": x}, fetch_list=[predict])
    got = ort_run(proto.SerializeToString(), {"image": x})[predict.name]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_resaving_replaces_the_previous_files(fresh, tmp_path):
    image, label, predict, loss = small_net()
    fresh.init()
    fluid.io.save_inference_model(
        tmp_path, ["image"], [predict], fresh.exe, params_filename="weights.bin"
    )
    fluid.io.save_inference_model(tmp_path, ["image"], [predict], fresh.exe)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inference_model.json", "model.onnx"]


def test_a_target_that_is_a_feed_compiles_and_runs(fresh, tmp_path):
    from paddlec import runtime
    from paddlec.compiler import compile_model

    x = fluid.data("x", [None, 3], "float32")
    y = layers.fc(x, 2)
    fresh.init()
    fluid.io.save_inference_model(tmp_path / "m", ["x"], [x, y], fresh.exe)
    compile_model(tmp_path / "m", tmp_path / "art", target="llvm")
    feed = {"x": np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)}
    got = runtime.load(tmp_path / "art").run(feed)
    (want,) = fresh.run(feed=feed, fetch_list=[y])
    np.testing.assert_array_equal(got["x"], feed["x"])
    np.testing.assert_allclose(got[y.name], want, rtol=1e-5, atol=1e-6)
