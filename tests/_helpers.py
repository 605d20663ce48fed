"""Helpers shared by the tests (importable thanks to ``pythonpath = ["tests"]``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnx.helper
import onnx.numpy_helper

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


class GraphBuilder:
    """Builds a small ONNX graph node by node: float32 constants become initializers, every
    op gets a fresh output name unless ``out`` names it."""

    def __init__(self) -> None:
        self.inits: list[onnx.TensorProto] = []
        self.nodes: list[onnx.NodeProto] = []

    def const(self, array) -> str:
        name = f"c{len(self.inits)}"
        self.inits.append(onnx.numpy_helper.from_array(np.asarray(array, np.float32), name))
        return name

    def op(self, op_type: str, *inputs: str, out: str | None = None, **attrs) -> str:
        out = out or f"t{len(self.nodes)}"
        self.nodes.append(onnx.helper.make_node(op_type, list(inputs), [out], **attrs))
        return out

    def model(self, name: str, inputs: list, outputs: list, opset: int = 17) -> onnx.ModelProto:
        graph = onnx.helper.make_graph(self.nodes, name, inputs, outputs, self.inits)
        return onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", opset)])


def save_model(tmp_path: Path, model: onnx.ModelProto, name: str = "model.onnx") -> Path:
    path = tmp_path / name
    onnx.save(model, path)
    return path
