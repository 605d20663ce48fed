"""ai.onnx.ml numeric ops (TreeEnsemble, ArrayFeatureExtractor, Binarizer) against onnx's
reference (exact for the selections, rtol 1e-3 / atol 1e-5 for sums); LabelEncoder refused."""

from __future__ import annotations

import numpy as np
import pytest
from _reference_check import check_against_reference, make_model
from onnx import TensorProto, helper, numpy_helper

from paddlec.compiler import compile_model
from paddlec.errors import UnsupportedModelError

_ML = {"": 21, "ai.onnx.ml": 5}


def _tree_model(aggregate: int):
    """Two trees over 3 features: tree 0 = node 0 (x0 <= 0.5, NaN -> true) -> node 1
    (x2 in {1, 3}) / leaf; tree 1 = node 2 (x1 > 0.2) -> leaves."""
    x = helper.make_tensor_value_info("X", TensorProto.FLOAT, [6, 3])
    y = helper.make_tensor_value_info("Y", TensorProto.FLOAT, [6, 2])
    node = helper.make_node(
        "TreeEnsemble", ["X"], ["Y"], domain="ai.onnx.ml",
        aggregate_function=aggregate, n_targets=2, post_transform=0, tree_roots=[0, 2],
        nodes_featureids=[0, 2, 1], nodes_truenodeids=[1, 0, 3], nodes_trueleafs=[0, 1, 1],
        nodes_falsenodeids=[2, 1, 4], nodes_falseleafs=[1, 1, 1],
        nodes_modes=numpy_helper.from_array(np.array([0, 6, 3], np.uint8)),
        nodes_splits=numpy_helper.from_array(np.array([0.5, np.nan, 0.2], np.float32)),
        nodes_missing_value_tracks_true=[1, 0, 0],
        membership_values=numpy_helper.from_array(np.array([1, 3, np.nan], np.float32)),
        leaf_targetids=[0, 1, 0, 1, 0],
        leaf_weights=numpy_helper.from_array(np.array([1.5, -2, 4, 0.25, 8], np.float32)))
    return make_model([node], [x], [y], _ML)


@pytest.mark.parametrize("aggregate", [0, 1, 2, 3])
def test_tree_ensemble_matches_reference(tmp_path, aggregate):
    feed = {"X": np.array([[0.1, 0.1, 1], [0.9, 0.3, 3], [np.nan, 0.5, 2], [0.5, 0.2, 3],
                           [2.0, -1.0, 1], [0.4, 0.9, 7]], np.float32)}
    check_against_reference(tmp_path, _tree_model(aggregate), feed)


def test_array_feature_extractor_and_binarizer(tmp_path):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 5])
    idx = helper.make_tensor_value_info("i", TensorProto.INT64, [1, 3])
    z = helper.make_tensor_value_info("z", TensorProto.FLOAT, [2, 3, 3])
    b = helper.make_tensor_value_info("b", TensorProto.FLOAT, [2, 3, 5])
    nodes = [helper.make_node("ArrayFeatureExtractor", ["x", "i"], ["z"], domain="ai.onnx.ml"),
             helper.make_node("Binarizer", ["x"], ["b"], domain="ai.onnx.ml", threshold=0.3)]
    model = make_model(nodes, [x, idx], [z, b], {"": 18, "ai.onnx.ml": 3})
    rng = np.random.default_rng(2)
    feed = {"x": rng.random((2, 3, 5)).astype(np.float32),
            "i": np.array([[4, 0, 4]], np.int64)}
    check_against_reference(tmp_path, model, feed)


def test_label_encoder_is_refused_with_the_reason(tmp_path):
    x = helper.make_tensor_value_info("x", TensorProto.STRING, [3])
    y = helper.make_tensor_value_info("y", TensorProto.INT64, [3])
    node = helper.make_node("LabelEncoder", ["x"], ["y"], domain="ai.onnx.ml",
                            keys_strings=["a", "b"], values_int64s=[1, 2])
    model = make_model([node], [x], [y], {"": 18, "ai.onnx.ml": 4})
    path = tmp_path / "m.onnx"
    path.write_bytes(model.SerializeToString())
    with pytest.raises(UnsupportedModelError, match="LabelEncoder.*string"):
        compile_model(path, tmp_path / "out")
