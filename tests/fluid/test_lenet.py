"""Acceptance 2: a LeNet-style program (conv2d, batch_norm, pool2d, dropout, fc) trained
with Adam on a generated dataset reaches >= 95 % test accuracy; its saved inference model
has no label, loss, gradient, optimizer op or dropout, carries the trained BN running
statistics, and compiles to the executor's inference-mode predictions."""

from __future__ import annotations

import json

import numpy as np
import onnx
import onnx_ir as ir
from _helpers import ort_run
from paddlec import fluid, runtime
from paddlec.compiler import compile_model
from paddlec.fluid import layers

STEPS, BATCH = 150, 64


def make_dataset(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """10 classes; each class is a fixed pattern of three Gaussian blobs. Samples are the
    pattern shifted by up to 3 pixels plus N(0, 0.7) pixel noise: learnable, not trivial
    (60 steps reach ~90 %)."""
    rng, pattern_rng = np.random.default_rng(seed), np.random.default_rng(1234)
    yy, xx = np.mgrid[0:28, 0:28]
    patterns = []
    for _ in range(10):
        image = np.zeros((28, 28))
        for _ in range(3):
            cy, cx = pattern_rng.uniform(6, 22, 2)
            sigma = pattern_rng.uniform(1.5, 3.5)
            image += np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * sigma * sigma))
        patterns.append(image)
    labels = rng.integers(0, 10, count)
    images = np.empty((count, 1, 28, 28), np.float32)
    for i, cls in enumerate(labels):
        shift = rng.integers(-3, 4, 2)
        images[i, 0] = np.roll(patterns[cls], shift, axis=(0, 1)) + rng.normal(
            0, 0.7, (28, 28)
        )
    return images, labels.reshape(-1, 1).astype(np.int64)


def build_lenet():
    image = fluid.data("image", [None, 1, 28, 28], "float32")
    label = fluid.data("label", [None, 1], "int64")
    x = layers.conv2d(image, 6, 5)
    x = layers.batch_norm(x, act="relu")
    x = layers.pool2d(x, 2, "max", 2)
    x = layers.conv2d(x, 16, 5)
    x = layers.batch_norm(x, act="relu")
    x = layers.pool2d(x, 2, "max", 2)
    x = layers.dropout(x, 0.25)
    x = layers.fc(x, 64, act="relu")
    predict = layers.fc(x, 10, act="softmax")
    loss = layers.mean(layers.cross_entropy(predict, label))
    return predict, loss, layers.accuracy(predict, label)


def test_lenet_trains_saves_and_compiles(fresh, tmp_path):
    fresh.main.random_seed = fresh.startup.random_seed = 1
    predict, loss, accuracy = build_lenet()
    test_program = fresh.main.clone(for_test=True)
    fluid.optimizer.Adam(learning_rate=0.01).minimize(loss)
    fresh.init()
    train_x, train_y = make_dataset(STEPS * BATCH // 2, seed=0)
    test_x, test_y = make_dataset(1000, seed=1)
    losses = []
    for step in range(STEPS):
        start = (step * BATCH) % (len(train_x) - BATCH)
        feed = {
            "image": train_x[start : start + BATCH],
            "label": train_y[start : start + BATCH],
        }
        losses.append(float(fresh.run(feed=feed, fetch_list=[loss])[0]))
    probs, test_accuracy = fresh.run(
        test_program, feed={"image": test_x, "label": test_y}, fetch_list=[predict, accuracy]
    )
    assert np.mean(losses[-10:]) < np.mean(losses[:10]) / 5
    assert test_accuracy >= 0.95, test_accuracy
    assert np.isclose(test_accuracy, (probs.argmax(1) == test_y[:, 0]).mean())

    fluid.io.save_inference_model(
        tmp_path / "model", ["image"], [predict], fresh.exe, main_program=fresh.main
    )
    saved = onnx.load(str(tmp_path / "model" / "model.onnx"))
    onnx.checker.check_model(saved, full_check=True)
    assert [i.name for i in saved.graph.input] == ["image"]
    assert [o.name for o in saved.graph.output] == [predict.name]
    ops = {(n.domain, n.op_type) for n in saved.graph.node}
    assert not {d for d, _ in ops} - {""}, ops  # no paddlec.train ops
    assert not {op for _, op in ops} & {
        "Dropout",
        "GatherElements",
        "Log",
        "Neg",
        "ReduceMean",
        "TopK",
        "Equal",
    }, ops
    manifest = json.loads((tmp_path / "model" / "inference_model.json").read_text())
    assert manifest["pruned"]["removed_inputs"] == ["label"]
    assert manifest["inference_mode"] == {"dropout_removed": 1, "batch_norm_to_inference": 2}

    model = ir.load(tmp_path / "model" / "model.onnx")
    batch_norms = [n for n in model.graph if n.op_type == "BatchNormalization"]
    assert len(batch_norms) == 2
    for node in batch_norms:
        assert len(node.outputs) == 1 and node.attributes.get_int("training_mode", 0) == 0
        for value, initial in ((node.inputs[3], 0.0), (node.inputs[4], 1.0)):
            trained = fresh.scope.get(value.name)
            np.testing.assert_array_equal(value.const_value.numpy(), trained)
            assert np.abs(trained - initial).max() > 1e-3  # really the trained statistics

    compile_model(tmp_path / "model", tmp_path / "artifact", target="llvm")
    batch = test_x[:32]
    (want,) = fresh.run(test_program, feed={"image": batch}, fetch_list=[predict])
    got = runtime.load(tmp_path / "artifact").run({"image": batch})[predict.name]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    onnxruntime_out = ort_run(tmp_path / "model" / "model.onnx", {"image": batch})[
        predict.name
    ]
    np.testing.assert_allclose(onnxruntime_out, want, rtol=1e-5, atol=1e-5)
