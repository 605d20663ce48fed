"""End to end: compile the ResNet-style example for llvm, run it, compare with onnxruntime."""

import json

import numpy as np
import pytest
from _helpers import EXAMPLE_MODEL, ort_run

from paddlec import runtime
from paddlec.compiler import compile_model


@pytest.mark.parametrize("batch", [1, 4])
def test_example_matches_onnxruntime_for_any_batch(example_artifact, batch):
    model = runtime.load(example_artifact)
    assert model.inputs[0].shape == ("N", 3, 64, 64)
    x = np.random.default_rng(batch).standard_normal((batch, 3, 64, 64)).astype(np.float32)
    got = model.run({"image": x})["probs"]
    want = ort_run(EXAMPLE_MODEL, {"image": x})["probs"]
    assert got.shape == (batch, 10)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_list_feed_in_input_order(example_artifact):
    model = runtime.load(example_artifact)
    x = np.zeros((2, 3, 64, 64), np.float32)
    np.testing.assert_array_equal(model.run([x])["probs"], model.run({"image": x})["probs"])


def test_same_model_twice_gives_identical_manifest(tmp_path):
    first = compile_model(EXAMPLE_MODEL, tmp_path / "a")
    second = compile_model(EXAMPLE_MODEL, tmp_path / "b")
    assert first == second
    assert (tmp_path / "a/manifest.json").read_bytes() == (tmp_path / "b/manifest.json").read_bytes()


def test_manifest_records_the_contract(example_artifact):
    manifest = json.loads((example_artifact / "manifest.json").read_text())
    assert manifest["format_version"] == runtime.FORMAT_VERSION
    assert manifest["target"]["given"] == "llvm"
    assert manifest["target"]["resolved"]["kind"] == "llvm"
    assert manifest["inputs"] == [{"name": "image", "dtype": "float32", "shape": ["N", 3, 64, 64]}]
    assert manifest["outputs"] == [{"name": "probs", "dtype": "float32", "shape": ["N", 10]}]
    assert set(manifest["files"]) == {"model.so"}
    assert len(manifest["source"]["sha256"]) == 64
    for key in ("paddlec_version", "tvm_version"):
        assert manifest[key]


def test_input_shape_override_makes_a_static_model(tmp_path):
    out = tmp_path / "static"
    manifest = compile_model(EXAMPLE_MODEL, out, input_shapes={"image": [2, 3, 64, 64]})
    assert manifest["inputs"][0]["shape"] == [2, 3, 64, 64]
    assert manifest["outputs"][0]["shape"] == [2, 10]
    x = np.ones((2, 3, 64, 64), np.float32)
    np.testing.assert_allclose(runtime.load(out).run([x])["probs"],
                               ort_run(EXAMPLE_MODEL, {"image": x})["probs"], rtol=1e-4, atol=1e-5)


def test_recompiling_over_an_artifact_replaces_it(tmp_path, example_artifact):
    out = tmp_path / "art"
    compile_model(EXAMPLE_MODEL, out)
    compile_model(EXAMPLE_MODEL, out, input_shapes={"image": [1, 3, 64, 64]})
    assert runtime.load(out).inputs[0].shape == (1, 3, 64, 64)
    assert [p.name for p in tmp_path.iterdir()] == ["art"]  # no staging folders left


def test_outputs_of_earlier_runs_stay_intact(tmp_path, example_artifact):
    """run() reuses its input tensors between runs: an output that is an input passed
    through, or any earlier result, must not change when the model runs again."""
    from onnx import TensorProto, helper

    from _helpers import save_model

    graph = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["same"]), helper.make_node("Neg", ["x"], ["neg"])],
        "passthrough", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
        [helper.make_tensor_value_info("same", TensorProto.FLOAT, [2, 3]),
         helper.make_tensor_value_info("neg", TensorProto.FLOAT, [2, 3])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    compile_model(save_model(tmp_path, model), tmp_path / "art", target="llvm")
    passthrough = runtime.load(tmp_path / "art")
    x1, x2 = np.ones((2, 3), np.float32), np.full((2, 3), 7, np.float32)
    first = passthrough.run({"x": x1})
    second = passthrough.run({"x": x2})
    np.testing.assert_array_equal(first["same"], x1)
    np.testing.assert_array_equal(first["neg"], -x1)
    np.testing.assert_array_equal(second["same"], x2)

    cnn = runtime.load(example_artifact)
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((1, 3, 64, 64)).astype(np.float32) for _ in range(2))
    probs_a = cnn.run({"image": a})["probs"]
    kept = probs_a.copy()
    cnn.run({"image": b})
    np.testing.assert_array_equal(probs_a, kept)
