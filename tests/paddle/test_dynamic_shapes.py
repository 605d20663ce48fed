"""Paddle models saved with dynamic batch, height and width compile as saved and run at
every shape: interpolation (nearest / bilinear / bicubic, every coordinate rule, a scale, a
fixed size, another map's run-time size) and transposed convolutions, against Paddle
Inference. Paddle runs only in subprocesses (``_paddle_models``)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _paddle_models import RESIZE_ZOO, paddle_inference_run, save_paddle_model  # noqa: E402

pytest.importorskip("paddle", reason="paddlepaddle (test extra) is not installed")

RTOL = 1e-4
SHAPES = [(1, 4, 8, 8), (2, 4, 12, 20), (3, 4, 6, 10)]


@pytest.mark.parametrize("fmt", ["pdmodel", "pir"])
def test_resize_zoo_runs_every_shape_like_paddle_inference(tmp_path, fmt):
    import paddlec.runtime as rt
    from paddlec.compiler import compile_model

    info = save_paddle_model(RESIZE_ZOO, tmp_path / "model", fmt=fmt)
    assert info["inputs"][0]["shape"] == [-1, 4, -1, -1]
    manifest = compile_model(tmp_path / "model", tmp_path / "artifact")
    dims = manifest["inputs"][0]["shape"]
    assert dims[1] == 4 and all(isinstance(d, str) for d in (dims[0], dims[2], dims[3])), dims
    model = rt.load(tmp_path / "artifact")
    for index, shape in enumerate(SHAPES):
        x = np.random.default_rng(index).standard_normal(shape).astype(np.float32)
        want = paddle_inference_run(info["model_file"], info["params_file"], {"x": x},
                                    tmp_path / f"ref{index}", onednn=False)
        got = model.run([x])
        assert len(got) == len(want) == 12
        for (name, expected), actual in zip(want.items(), got.values()):
            assert actual.shape == expected.shape, (shape, name, actual.shape, expected.shape)
            scale = float(np.abs(expected).max())
            np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=RTOL * scale,
                                       err_msg=f"{fmt} {shape} {name}")
