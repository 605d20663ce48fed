"""Acceptance 1 on the model formats users bring: a model saved by paddlec's fluid API and a
model saved by real Paddle, through the seed's legacy flow and the 3.x flow.

These need the fluid API (``paddlec.fluid.io``) resp. the Paddle frontend
(``paddlec.compiler.frontends.paddle``); until those branches merge the tests skip.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from paddlec import runtime
from paddlec.fluid.core import AnalysisConfig, create_paddle_predictor
from paddlec.inference import Config, create_predictor

SAVER = Path(__file__).with_name("_paddle_saver.py")


def _legacy_flow(model_dir: Path, cache: Path, x: np.ndarray) -> tuple[np.ndarray, Path]:
    config = AnalysisConfig(str(model_dir))
    config.set_optim_cache_dir(cache)
    config.switch_use_feed_fetch_ops(False)
    config.switch_specify_input_names(True)
    predictor = create_paddle_predictor(config)
    predictor.get_input_tensor(predictor.get_input_names()[0]).copy_from_cpu(x)
    predictor.zero_copy_run()
    out = predictor.get_output_tensor(predictor.get_output_names()[0]).copy_to_cpu()
    return out, predictor.artifact_dir


def _paddle3_flow(config: Config, x: np.ndarray) -> np.ndarray:
    predictor = create_predictor(config)
    predictor.get_input_handle(predictor.get_input_names()[0]).copy_from_cpu(x)
    predictor.run()
    return predictor.get_output_handle(predictor.get_output_names()[0]).copy_to_cpu()


def _runtime_output(artifact: Path, x: np.ndarray) -> np.ndarray:
    model = runtime.load(artifact)
    return model.run([x])[model.output_names[0]]


def test_model_saved_by_paddlec_fluid(tmp_path):
    pytest.importorskip("paddlec.fluid.io")
    from paddlec import fluid

    main, startup = fluid.Program(), fluid.Program()
    with fluid.program_guard(main, startup):
        place = fluid.CPUPlace()
        executor = fluid.Executor(place)
        image = fluid.data(name="image", shape=[None, 28, 28], dtype="float32")
        label = fluid.data(name="label", shape=[None, 1], dtype="int64")
        predict = fluid.layers.fc(input=image, size=10, act="softmax")
        loss = fluid.layers.cross_entropy(input=predict, label=label)
        fluid.layers.mean(loss)
        executor.run(startup)
        fluid.io.save_inference_model(
            str(tmp_path / "model"),
            feed_var_names=["image"],
            target_vars=[predict],
            executor=executor,
            main_program=main,
        )
        x = np.random.default_rng(0).random((3, 28, 28), dtype=np.float32)
        (reference,) = executor.run(
            main, feed={"image": x, "label": np.zeros((3, 1), np.int64)}, fetch_list=[predict]
        )

    legacy, artifact = _legacy_flow(tmp_path / "model", tmp_path / "cache", x)
    config = Config(str(tmp_path / "model"))
    config.set_optim_cache_dir(tmp_path / "cache")
    modern = _paddle3_flow(config, x)
    np.testing.assert_array_equal(legacy, _runtime_output(artifact, x))
    np.testing.assert_array_equal(modern, legacy)
    np.testing.assert_allclose(legacy, np.asarray(reference), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("fmt", ["json", "pdmodel"])
def test_model_saved_by_paddle(tmp_path, fmt):
    pytest.importorskip("paddlec.compiler.frontends.paddle")
    if importlib.util.find_spec("paddle") is None:  # not imported here: Paddle's oneDNN
        pytest.skip("paddlepaddle is not installed")  # clashes with the fast path's
    proc = subprocess.run(
        [sys.executable, str(SAVER), str(tmp_path), fmt],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    x, paddle_y = np.load(tmp_path / "x.npy"), np.load(tmp_path / "paddle_y.npy")
    model_dir = tmp_path / "model"

    legacy, artifact = _legacy_flow(model_dir, tmp_path / "cache", x)
    config = Config(
        str(model_dir / f"inference.{fmt}"), str(model_dir / "inference.pdiparams")
    )
    config.set_optim_cache_dir(tmp_path / "cache")
    modern = _paddle3_flow(config, x)
    np.testing.assert_array_equal(legacy, _runtime_output(artifact, x))
    np.testing.assert_allclose(modern, legacy, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(legacy, paddle_y, rtol=1e-4, atol=1e-5)  # Paddle Inference
