"""Predictor test fixtures: model folders (not compiled) and a shared compile cache."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import onnx
import pytest

# the full TVM library first: the example_artifact fixture compiles in this process
import tvm  # noqa: F401
from _helpers import EXAMPLE_MODEL
from onnx import TensorProto, helper, numpy_helper


def make_mlp(seed: int = 0) -> onnx.ModelProto:
    """y = Relu(x @ W + b) with a symbolic batch: compiles in a second or two."""
    rng = np.random.default_rng(seed)
    weight = numpy_helper.from_array(rng.standard_normal((16, 8)).astype(np.float32), "W")
    bias = numpy_helper.from_array(rng.standard_normal(8).astype(np.float32), "b")
    graph = helper.make_graph(
        [
            helper.make_node("MatMul", ["x", "W"], ["xw"]),
            helper.make_node("Add", ["xw", "b"], ["xwb"]),
            helper.make_node("Relu", ["xwb"], ["y"]),
        ],
        "mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 8])],
        [weight, bias],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


@pytest.fixture(scope="session")
def mlp_model():
    """The factory ``make_mlp(seed)`` (other weights for another seed)."""
    return make_mlp


@pytest.fixture(scope="session")
def mlp_dir(tmp_path_factory) -> Path:
    """A model folder holding a small ONNX MLP (input x: float32[N,16], output y)."""
    folder = tmp_path_factory.mktemp("mlp_model")
    onnx.save(make_mlp(), folder / "model.onnx")
    return folder


@pytest.fixture(scope="session")
def resnet_dir(tmp_path_factory) -> Path:
    """A model folder holding examples/resnet_tiny.onnx (image[N,3,64,64] → probs)."""
    folder = tmp_path_factory.mktemp("resnet_model")
    shutil.copy(EXAMPLE_MODEL, folder / "model.onnx")
    return folder


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory) -> Path:
    """One compile cache for the tests that only need *a* compiled model."""
    return tmp_path_factory.mktemp("paddlec_cache")


@pytest.fixture(scope="session")
def kernel_cache(tmp_path_factory) -> Path:
    """The compiled oneDNN kernels (~25 s of C++), built once for all the tests' caches."""
    return tmp_path_factory.mktemp("kernels")


@pytest.fixture(autouse=True)
def _isolated_default_cache(tmp_path, monkeypatch, kernel_cache):
    """Never write to the user's real cache: tests that set no cache dir get a fresh one
    (sharing the built kernel objects, which do not depend on the model)."""
    monkeypatch.setenv("PADDLEC_CACHE_DIR", str(tmp_path / "default_cache"))
    monkeypatch.setenv("PADDLEC_KERNEL_CACHE_DIR", str(kernel_cache))
