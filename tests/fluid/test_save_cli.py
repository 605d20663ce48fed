"""``paddlec save TRAIN.onnx --feed ... --fetch ... -o DIR`` and its Python equivalent, on an
ONNX training graph exported from a fluid program (forward ONNX ops plus ``paddlec.train``
gradients, Adam updates and state writes)."""

from __future__ import annotations

import json

import numpy as np
import onnx
import onnx_ir as ir
import pytest
from _helpers import ort_run
from click.testing import CliRunner
from paddlec import fluid
from paddlec.cli import cli
from paddlec.errors import PruneError
from paddlec.fluid import layers


@pytest.fixture
def training_onnx(fresh, tmp_path):
    """A small trained network saved as one ONNX training graph; returns (path, names,
    executor predictions in inference mode for a fixed input)."""
    image = fluid.data("image", [None, 1, 8, 8], "float32")
    label = fluid.data("label", [None, 1], "int64")
    x = layers.conv2d(image, 4, 3, padding=1)
    x = layers.batch_norm(x, act="relu")
    x = layers.dropout(x, 0.5)
    predict = layers.fc(x, 3, act="softmax")
    loss = layers.mean(layers.cross_entropy(predict, label))
    test_program = fresh.main.clone(for_test=True)
    _, params_grads = fluid.optimizer.Adam(0.01).minimize(loss)
    fresh.init()
    rng = np.random.default_rng(0)
    images = rng.standard_normal((8, 1, 8, 8)).astype(np.float32)
    for _ in range(3):
        fresh.run(
            feed={"image": images, "label": rng.integers(0, 3, (8, 1))}, fetch_list=[loss]
        )
    (want,) = fresh.run(test_program, feed={"image": images}, fetch_list=[predict])
    model = fresh.main.to_model(fresh.scope, fetch_list=[loss])
    path = tmp_path / "train.onnx"
    ir.save(model, path)
    names = {"predict": predict.name, "loss": loss.name, "grad": params_grads[0][1].name}
    return path, names, images, want


def test_training_graph_is_valid_onnx_with_a_training_domain(training_onnx):
    path, _, _, _ = training_onnx
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto)
    domains = {n.domain for n in proto.graph.node}
    assert domains == {"", "paddlec.train"}
    ops = {n.op_type for n in proto.graph.node if n.domain == "paddlec.train"}
    assert {"Adam", "Assign", "ConvGrad", "BatchNormalizationGrad", "DropoutGrad"} <= ops


def test_cli_save_then_onnxruntime_matches_the_executor(training_onnx, tmp_path):
    path, names, images, want = training_onnx
    out = tmp_path / "model"
    result = CliRunner().invoke(
        cli,
        ["save", str(path), "--feed", "image", "--fetch", names["predict"], "-o", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert "removed:" in result.output and "paddlec.train::Adam" in result.output
    proto = onnx.load(str(out / "model.onnx"))
    onnx.checker.check_model(proto, full_check=True)
    assert {n.domain for n in proto.graph.node} == {""}
    assert "Dropout" not in {n.op_type for n in proto.graph.node}
    manifest = json.loads((out / "inference_model.json").read_text())
    assert manifest["source"] == "train.onnx"
    assert manifest["pruned"]["removed_inputs"] == ["label"]
    got = ort_run(out / "model.onnx", {"image": images})[names["predict"]]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_python_equivalent_and_unneeded_feed_warning(training_onnx, tmp_path):
    path, names, images, want = training_onnx
    with pytest.warns(UserWarning, match="'label' is not needed"):
        manifest = fluid.io.save_onnx_inference_model(
            path, ["image", "label"], [names["predict"]], tmp_path / "m"
        )
    assert manifest["pruned"]["dropped_feeds"] == ["label"]
    program, feed_names, fetch_vars = fluid.io.load_inference_model(
        tmp_path / "m", fluid.Executor()
    )
    assert feed_names == ["image"]
    (got,) = fluid.Executor().run(program, feed={"image": images}, fetch_list=fetch_vars)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "feeds,fetch,message",
    [
        ("image", "loss", "'label' (needed by"),
        ("image,label", "grad", "training-only ops"),
        ("image", "nope", "unknown target"),
    ],
)
def test_cli_errors_exit_2_with_a_message(training_onnx, tmp_path, feeds, fetch, message):
    path, names, _, _ = training_onnx
    target = names.get(fetch, fetch)
    result = CliRunner().invoke(
        cli,
        ["save", str(path), "--feed", feeds, "--fetch", target, "-o", str(tmp_path / "bad")],
    )
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not (tmp_path / "bad" / "model.onnx").exists()


def test_python_api_raises_prune_error(training_onnx, tmp_path):
    path, names, _, _ = training_onnx
    with pytest.raises(PruneError, match="'label'"):
        fluid.io.save_onnx_inference_model(path, ["image"], [names["loss"]], tmp_path / "x")
