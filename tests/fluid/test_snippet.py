"""Acceptance 1: the issue's snippet runs as written (only the import changed); the saved
folder compiles with ``paddlec compile model --target llvm`` and ``paddlec.runtime`` gives
the executor's predictions."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
from _helpers import ort_run
from click.testing import CliRunner
from paddlec import runtime
from paddlec.cli import cli

SNIPPET = textwrap.dedent("""\
    from paddlec import fluid
    place = fluid.CPUPlace()
    executor = fluid.Executor(place)
    image = fluid.data(name="image", shape=[None, 28, 28], dtype="float32")
    label = fluid.data(name="label", shape=[None, 1], dtype="int64")
    feeder = fluid.DataFeeder(feed_list=[image, label], place=place)
    predict = fluid.layers.fc(input=image, size=10, act='softmax')
    loss = fluid.layers.cross_entropy(input=predict, label=label)
    avg_loss = fluid.layers.mean(loss)
    executor.run(fluid.default_startup_program())
    fluid.io.save_inference_model("model", feed_var_names=["image"], target_vars=[predict], executor=executor)
""")

# After the snippet: the executor's predictions on the training program (and its loss, to
# show the label path works), saved for the comparison.
CHECK = textwrap.dedent("""\
    import numpy as np
    rng = np.random.default_rng(0)
    samples = [(rng.random((28, 28), dtype=np.float32), int(rng.integers(0, 10)))
               for _ in range(5)]
    feed = feeder.feed(samples)
    probs, loss_value = executor.run(fluid.default_main_program(), feed=feed,
                                     fetch_list=[predict, avg_loss])
    np.save("images.npy", feed["image"])
    np.save("labels.npy", feed["label"])
    np.save("probs.npy", probs)
    np.save("loss.npy", loss_value)
    print(predict.name)
""")


def test_snippet_saves_a_model_that_compiles_and_matches(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", SNIPPET + CHECK],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    predict_name = done.stdout.strip().splitlines()[-1]
    assert sorted(p.name for p in (tmp_path / "model").iterdir()) == [
        "inference_model.json",
        "model.onnx",
        "model.onnx.data",
    ]

    result = CliRunner().invoke(
        cli,
        [
            "compile",
            str(tmp_path / "model"),
            "--target",
            "llvm",
            "-o",
            str(tmp_path / "artifact"),
        ],
    )
    assert result.exit_code == 0, result.output
    model = runtime.load(tmp_path / "artifact")
    assert [spec.name for spec in model.inputs] == ["image"]
    images, probs = np.load(tmp_path / "images.npy"), np.load(tmp_path / "probs.npy")
    got = model.run({"image": images})[predict_name]
    np.testing.assert_allclose(got, probs, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(
        ort_run(tmp_path / "model" / "model.onnx", {"image": images})[predict_name],
        probs,
        rtol=1e-5,
        atol=1e-5,
    )
    # the loss the executor computed is the cross entropy of those predictions
    labels = np.load(tmp_path / "labels.npy")
    want_loss = -np.log(probs[np.arange(len(labels)), labels[:, 0]]).mean()
    np.testing.assert_allclose(np.load(tmp_path / "loss.npy"), want_loss, rtol=1e-5)
