"""Helpers shared by the tests (importable thanks to ``pythonpath = ["tests"]``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx

REPO = Path(__file__).resolve().parents[1]
EXAMPLE_MODEL = REPO / "examples" / "resnet_tiny.onnx"
LIGHT_DIR = Path(onnx.__file__).parent / "backend" / "test" / "data" / "light"


def ort_run(model_path: Path | bytes, feed: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Reference outputs from onnxruntime (CPU EP, all graph optimizations off)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    source = str(model_path) if isinstance(model_path, Path) else model_path
    session = ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(names, feed)))


def save_model(tmp_path: Path, model: onnx.ModelProto, name: str = "model.onnx") -> Path:
    path = tmp_path / name
    onnx.save(model, path)
    return path
