"""CumProd (compiler/converters/scan_ops.py) against the ONNX reference."""

from __future__ import annotations

import numpy as np
from _op_check import assert_matches_reference, assert_refused, make_model
from onnx import helper, numpy_helper


def test_cumprod_all_flag_combinations_match_the_reference(tmp_path):
    rng = np.random.default_rng(0)
    feeds = {"x": rng.uniform(0.5, 1.5, (3, 5)).astype(np.float32),
             "n": rng.integers(-3, 4, (4, 3)).astype(np.int32)}
    nodes = [helper.make_node("CumProd", ["x", "one"], [f"y{e}{r}"], exclusive=e, reverse=r)
             for e in (0, 1) for r in (0, 1)]
    nodes.append(helper.make_node("CumProd", ["n", "minus_two"], ["ints"], reverse=1))
    consts = [numpy_helper.from_array(np.array(1, np.int64), "one"),
              numpy_helper.from_array(np.array(-2, np.int64), "minus_two")]
    model = make_model(nodes, feeds, ["y00", "y01", "y10", "y11", "ints"], opset=26,
                       initializers=consts)
    assert_matches_reference(tmp_path, model, feeds)


def test_cumprod_with_a_runtime_axis_is_refused(tmp_path):
    feeds = {"x": np.ones((2, 2), np.float32), "axis": np.array(0, np.int64)}
    model = make_model([helper.make_node("CumProd", ["x", "axis"], ["y"])], feeds, ["y"],
                       opset=26)
    assert_refused(tmp_path, model, r"CumProd \(opset 26\): axis must be a constant")
