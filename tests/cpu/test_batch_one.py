"""The batch-1 copy of ``main`` (compiler/specialize.py): added when the model has one
symbolic batch dimension, called by the runtime exactly when the batched inputs have batch 1,
and it agrees with onnxruntime and with the dynamic ``main``."""

from __future__ import annotations

import json

import numpy as np
import pytest
from _helpers import EXAMPLE_MODEL, ort_run, save_model
from onnx import TensorProto, helper

import paddlec.runtime as rt
from paddlec.compiler import compile_model


def _two_input_model(a_shape, b_shape):
    """y = relu(a), z = relu(b)."""
    nodes = [helper.make_node("Relu", ["a"], ["y"]), helper.make_node("Relu", ["b"], ["z"])]
    graph = helper.make_graph(nodes, "g", [
        helper.make_tensor_value_info("a", TensorProto.FLOAT, a_shape),
        helper.make_tensor_value_info("b", TensorProto.FLOAT, b_shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, a_shape),
         helper.make_tensor_value_info("z", TensorProto.FLOAT, b_shape)])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


class _Counting:
    def __init__(self, function) -> None:
        self.function, self.calls = function, 0

    def __call__(self, *args):
        self.calls += 1
        return self.function(*args)


def test_example_model_gets_a_batch_one_function(example_artifact):
    manifest = json.loads((example_artifact / "manifest.json").read_text())
    assert manifest["batch_one"] == {"function": "main_batch1", "inputs": [0]}


@pytest.mark.parametrize("batch", [1, 3])
def test_runtime_calls_it_only_at_batch_one_and_it_agrees(example_artifact, batch):
    model = rt.load(example_artifact, engine="tvm")  # its dispatch internals
    counting = model._main_batch_one = _Counting(model._main_batch_one)
    x = np.random.default_rng(batch).standard_normal((batch, 3, 64, 64)).astype(np.float32)
    got = model.run({"image": x})["probs"]
    assert counting.calls == (1 if batch == 1 else 0)
    want = ort_run(EXAMPLE_MODEL, {"image": x})["probs"]
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    if batch == 1:  # the same input through the dynamic main, by a batch of 2
        pair = model.run({"image": np.concatenate([x, x])})["probs"]
        np.testing.assert_allclose(got[0], pair[0], rtol=1e-5, atol=1e-6)
        assert counting.calls == 1


def test_clones_dispatch_too(example_artifact):
    twin = rt.load(example_artifact, engine="tvm").clone()
    counting = twin._main_batch_one = _Counting(twin._main_batch_one)
    twin.run({"image": np.zeros((1, 3, 64, 64), np.float32)})
    assert counting.calls == 1


@pytest.mark.parametrize("shapes, expected", [
    ((["N", 4], ["N", 4]), [0, 1]),   # both inputs batched by the same variable
    ((["N", 4], [1, 4]), [0]),        # one batched input, one broadcast
    ((["N", 4], [4, "N"]), None),     # the variable is also a non-leading dimension
    (([2, 4], [2, 4]), None),         # static
    ((["N", 4], ["M", 4]), None),     # two batch variables: which one is "the" batch?
])
def test_which_models_get_it(tmp_path, shapes, expected):
    path = save_model(tmp_path, _two_input_model(*shapes))
    manifest = compile_model(path, tmp_path / "art", target="llvm")
    assert manifest.get("batch_one", {}).get("inputs") == expected
    if expected == [0, 1]:
        model = rt.load(tmp_path / "art", engine="tvm")
        counting = model._main_batch_one = _Counting(model._main_batch_one)
        a = np.arange(-2, 2, dtype=np.float32).reshape(1, 4)
        out = model.run({"a": a, "b": -a})
        np.testing.assert_array_equal(out["y"], np.maximum(a, 0))
        np.testing.assert_array_equal(out["z"], np.maximum(-a, 0))
        assert counting.calls == 1
