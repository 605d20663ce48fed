"""Acceptance 1 (ONNX models): the seed's legacy flow and the Paddle 3.x flow give the same
outputs as paddlec.runtime on the same artifact, and match onnxruntime."""

from __future__ import annotations

import numpy as np
import pytest
from _helpers import EXAMPLE_MODEL, ort_run
from paddlec import runtime
from paddlec.errors import PredictorUsageError
from paddlec.fluid.core import AnalysisConfig, create_paddle_predictor
from paddlec.inference import Config, DataType, create_predictor


def _image(seed: int, batch: int = 2) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((batch, 3, 64, 64)).astype(np.float32)


def test_seed_legacy_flow_matches_runtime_and_onnxruntime(resnet_dir, shared_cache):
    x = _image(1)
    config = AnalysisConfig(str(resnet_dir))
    config.set_optim_cache_dir(shared_cache)
    config.switch_use_feed_fetch_ops(False)
    config.switch_specify_input_names(True)
    predictor = create_paddle_predictor(config)
    input_names = predictor.get_input_names()
    predictor.get_input_tensor(input_names[0]).copy_from_cpu(x)
    assert predictor.zero_copy_run() is True
    output_names = predictor.get_output_names()
    got = predictor.get_output_tensor(output_names[0]).copy_to_cpu()

    assert (input_names, output_names) == (["image"], ["probs"])
    want = runtime.load(predictor.artifact_dir).run({"image": x})["probs"]
    np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(
        got, ort_run(EXAMPLE_MODEL, {"image": x})["probs"], rtol=1e-4, atol=1e-5
    )


def test_paddle3_flow_matches_the_legacy_flow(resnet_dir, shared_cache):
    x = _image(2, batch=3)
    config = Config(str(resnet_dir))
    config.set_optim_cache_dir(shared_cache)
    predictor = create_predictor(config)
    handle = predictor.get_input_handle("image")
    handle.reshape([3, 3, 64, 64])
    handle.copy_from_cpu(x)
    assert predictor.run() is None
    got = predictor.get_output_handle("probs").copy_to_cpu()

    legacy_config = AnalysisConfig(str(resnet_dir))
    legacy_config.set_optim_cache_dir(shared_cache)
    legacy = create_paddle_predictor(legacy_config)
    assert legacy.artifact_dir == predictor.artifact_dir  # same config -> same cache entry
    legacy.get_input_tensor("image").copy_from_cpu(x)
    legacy.zero_copy_run()
    np.testing.assert_array_equal(got, legacy.get_output_tensor("probs").copy_to_cpu())
    np.testing.assert_array_equal(
        got, runtime.load(predictor.artifact_dir).run({"image": x})["probs"]
    )


def test_artifact_folder_loads_directly(example_artifact):
    predictor = create_predictor(Config(str(example_artifact)))
    assert predictor.cache_entry is None and not predictor.compiled
    assert predictor.artifact_dir == example_artifact
    x = _image(3, batch=1)
    (got,) = predictor.run([x])  # Paddle's list form returns the outputs
    np.testing.assert_array_equal(got, runtime.load(example_artifact).run([x])["probs"])


def test_handles_report_name_type_and_shape(example_artifact):
    predictor = create_predictor(Config(str(example_artifact)))
    image = predictor.get_input_handle("image")
    probs = predictor.get_output_handle("probs")
    assert image.name() == "image" and probs.name() == "probs"
    assert image.type() == DataType.FLOAT32 and probs.type() == DataType.FLOAT32
    assert image.shape() == [-1, 3, 64, 64] and probs.shape() == [-1, 10]
    image.reshape([4, 3, 64, 64])
    assert image.shape() == [4, 3, 64, 64]
    image.copy_from_cpu(_image(4, batch=4))
    predictor.run()
    assert probs.shape() == [4, 10]


def test_copy_from_cpu_snapshots_but_shared_input_is_read_at_run(example_artifact):
    predictor = create_predictor(Config(str(example_artifact)))
    model = runtime.load(example_artifact)
    x = _image(5, batch=1)
    first = model.run([x])["probs"]
    image, probs = predictor.get_input_handle("image"), predictor.get_output_handle("probs")

    image.copy_from_cpu(x)
    x_changed = x.copy()
    x[...] = _image(6, batch=1)  # after the copy: not seen
    predictor.run()
    np.testing.assert_array_equal(probs.copy_to_cpu(), first)

    shared = x_changed
    image.share_external_data(shared)
    shared[...] = x  # before run: seen
    predictor.run()
    np.testing.assert_array_equal(probs.copy_to_cpu(), model.run([x])["probs"])


def test_shared_output_buffer_receives_each_result(example_artifact):
    predictor = create_predictor(Config(str(example_artifact)))
    model = runtime.load(example_artifact)
    out = np.full((2, 10), np.nan, np.float32)
    predictor.get_output_handle("probs").share_external_data(out)
    for seed in (7, 8):
        x = _image(seed)
        predictor.get_input_handle("image").copy_from_cpu(x)
        predictor.run()
        np.testing.assert_array_equal(out, model.run([x])["probs"])


def test_a_passed_through_input_is_copied_out_per_run(tmp_path):
    """run() stages inputs in tensors kept between runs; an output that is an input passed
    through is that tensor, so what copy_to_cpu() returned must not change with later runs."""
    import onnx
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])
    graph = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["same"]), helper.make_node("Relu", ["x"], ["r"])],
        "g", [x], [helper.make_tensor_value_info("same", TensorProto.FLOAT, ["N", 4]),
                   helper.make_tensor_value_info("r", TensorProto.FLOAT, ["N", 4])])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]),
              tmp_path / "model.onnx")
    config = Config(str(tmp_path / "model.onnx"))
    config.set_optim_cache_dir(str(tmp_path / "cache"))
    predictor = create_predictor(config)
    same = predictor.get_output_handle("same")
    first_input = np.arange(8, dtype=np.float32).reshape(2, 4)
    first = predictor.run([first_input])[0]
    kept = same.copy_to_cpu()
    second = predictor.run([-first_input])[0]
    np.testing.assert_array_equal(first, first_input)
    np.testing.assert_array_equal(kept, first_input)
    np.testing.assert_array_equal(second, -first_input)
    np.testing.assert_array_equal(same.copy_to_cpu(), -first_input)


def test_clone_shares_the_library_and_gives_the_same_results(resnet_dir, shared_cache):
    config = Config(str(resnet_dir))
    config.set_optim_cache_dir(shared_cache)
    predictor = create_predictor(config)
    twin = predictor.clone()
    assert type(twin) is type(predictor) and twin._model._library is predictor._model._library
    x = _image(9)
    twin.get_input_handle("image").copy_from_cpu(x)
    with pytest.raises(PredictorUsageError):  # the clone's handles are its own
        predictor.get_output_handle("probs").copy_to_cpu()
    twin.run()
    predictor.get_input_handle("image").copy_from_cpu(x)
    predictor.run()
    np.testing.assert_array_equal(
        twin.get_output_handle("probs").copy_to_cpu(),
        predictor.get_output_handle("probs").copy_to_cpu(),
    )


def test_legacy_clone_keeps_the_legacy_names(example_artifact):
    predictor = create_paddle_predictor(AnalysisConfig(str(example_artifact))).clone()
    predictor.get_input_tensor("image").copy_from_cpu(_image(10, batch=1))
    assert predictor.zero_copy_run()
    assert predictor.get_output_tensor("probs").copy_to_cpu().shape == (1, 10)
