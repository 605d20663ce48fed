"""MaxPool's Indices output and MaxUnpool's output_shape (compiler/converters/pooling.py)
against the ONNX reference."""

from __future__ import annotations

import numpy as np
from _op_check import assert_matches_reference, make_model
from onnx import TensorProto, helper, numpy_helper


def test_max_pool_indices_in_both_storage_orders_and_unpool_to_a_larger_shape(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 7, 6)).astype(np.float32)
    x[0, 0, 0, :2] = 5.0  # a tie inside one window: the first one wins
    feeds = {"x": x, "square": rng.standard_normal((2, 3, 6, 6)).astype(np.float32)}
    nodes = [
        helper.make_node("MaxPool", ["x"], ["y_pads", "i_pads"], kernel_shape=[3, 3],
                         pads=[1, 1, 1, 1], strides=[2, 2]),
        helper.make_node("MaxPool", ["x"], ["y_col", "i_col"], kernel_shape=[2, 2],
                         strides=[2, 2], storage_order=1),
        helper.make_node("MaxPool", ["x"], ["y_ceil", "i_ceil"], kernel_shape=[2, 3],
                         strides=[2, 2], ceil_mode=1, dilations=[2, 1]),
        helper.make_node("MaxPool", ["square"], ["y_2", "i_2"], kernel_shape=[2, 2],
                         strides=[2, 2]),
        helper.make_node("MaxUnpool", ["y_2", "i_2", "out_shape"], ["unpooled"],
                         kernel_shape=[2, 2], strides=[2, 2]),
    ]
    out_shape = numpy_helper.from_array(np.array([2, 3, 8, 7], np.int64), "out_shape")
    names = ["y_pads", "i_pads", "y_col", "i_col", "y_ceil", "i_ceil", "unpooled"]
    model = make_model(nodes, feeds, names, opset=22, initializers=[out_shape],
                       declared={"unpooled": (TensorProto.FLOAT, [2, 3, 8, 7])})
    got = assert_matches_reference(tmp_path, model, feeds)
    assert got["i_pads"].dtype == np.int64 and got["unpooled"].shape == (2, 3, 8, 7)
