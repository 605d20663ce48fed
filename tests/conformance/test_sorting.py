"""TopK for every integer type (compiler/converters/sorting.py) against the ONNX
reference, including uint64 values above 2**63 and ties (the lower index first)."""

from __future__ import annotations

import numpy as np
from _op_check import assert_matches_reference, make_model
from onnx import helper, numpy_helper


def test_top_k_of_types_the_tvm_kernels_lack(tmp_path):
    feeds = {"u64": np.array([[2**64 - 1, 5, 2**63, 5, 0]], np.uint64),
             "i8": np.array([[-128, 127, 3, 3, -1]], np.int8),
             "u32": np.array([[2**32 - 1, 7, 2**31, 1, 7]], np.uint32)}
    nodes = [helper.make_node("TopK", ["u64", "k"], ["v64", "i64"], axis=1),
             helper.make_node("TopK", ["i8", "k"], ["v8", "i8i"], largest=0),
             helper.make_node("TopK", ["u32", "k"], ["v32", "i32"])]
    k = numpy_helper.from_array(np.array([3], np.int64), "k")
    model = make_model(nodes, feeds, ["v64", "i64", "v8", "i8i", "v32", "i32"], opset=24,
                       initializers=[k])
    assert_matches_reference(tmp_path, model, feeds)
