"""TfIdfVectorizer on integer inputs against onnx's reference (counts exact up to float32,
rtol 1e-3 / atol 1e-5 for weighted modes); string pools refused."""

from __future__ import annotations

import numpy as np
import pytest
from _reference_check import check_against_reference, make_model
from onnx import TensorProto, helper

from paddlec.compiler import compile_model
from paddlec.errors import UnsupportedModelError

# unigrams 1 2 3, bigrams (1 2) (2 2) (3 1), trigram (1 2 3); (2 2) repeated keeps its last id
_POOL = dict(pool_int64s=[1, 2, 3, 1, 2, 2, 2, 3, 1, 2, 2, 1, 2, 3],
             ngram_counts=[0, 3, 11], ngram_indexes=[0, 1, 2, 3, 4, 5, 6, 4])


def _model(shape, out_shape, **attrs):
    x = helper.make_tensor_value_info("x", TensorProto.INT64, shape)
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)
    node = helper.make_node("TfIdfVectorizer", ["x"], ["y"], **attrs)
    return make_model([node], [x], [y], {"": 9})


@pytest.mark.parametrize("mode,low,high,skip", [("TFIDF", 2, 3, 1),
                                                ("IDF", 1, 2, 0)])
def test_tfidf_vectorizer_matches_reference(tmp_path, mode, low, high, skip):
    weights = [0.5, 1.0, 2.0, 0.25, 3.0, 1.5, 4.0]
    model = _model([3, 12], [3, 7], mode=mode, min_gram_length=low, max_gram_length=high,
                   max_skip_count=skip, weights=weights, **_POOL)
    rng = np.random.default_rng(7)
    feed = {"x": rng.integers(1, 4, (3, 12)).astype(np.int64)}
    check_against_reference(tmp_path, model, feed)


def test_one_dimensional_input(tmp_path):
    model = _model([10], [7], mode="TF", min_gram_length=1, max_gram_length=3,
                   max_skip_count=3, **_POOL)
    feed = {"x": np.array([1, 2, 3, 1, 2, 2, 3, 1, 1, 2], np.int64)}
    check_against_reference(tmp_path, model, feed)


def test_string_pool_is_refused(tmp_path):
    # (a string input already fails at the graph boundary: no string tensors in paddlec)
    x = helper.make_tensor_value_info("x", TensorProto.INT64, [4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])
    node = helper.make_node("TfIdfVectorizer", ["x"], ["y"], mode="TF", min_gram_length=1,
                            max_gram_length=1, max_skip_count=0, ngram_counts=[0],
                            ngram_indexes=[0, 1], pool_strings=["a", "b"])
    path = tmp_path / "m.onnx"
    path.write_bytes(make_model([node], [x], [y], {"": 9}).SerializeToString())
    with pytest.raises(UnsupportedModelError, match=r"TfIdfVectorizer \(opset 9\).*string"):
        compile_model(path, tmp_path / "out")
