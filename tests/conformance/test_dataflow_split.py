"""Data-dependent sizes (compiler/dataflow_split.py): a Range whose limit is a
runtime input, fused with math computed before it, builds and runs for several sizes."""

from __future__ import annotations

import numpy as np
from _op_check import make_model, reference, run_paddlec
from onnx import TensorProto, helper


def test_window_with_a_runtime_length_builds_and_matches_for_several_lengths(tmp_path):
    from paddlec.runtime import load

    feeds = {"n": np.array(10, np.int32)}
    zero = helper.make_tensor("zero", TensorProto.FLOAT, [], [0.0])
    one = helper.make_tensor("one", TensorProto.FLOAT, [], [1.0])
    tau = helper.make_tensor("tau", TensorProto.FLOAT, [], [2 * np.pi])
    nodes = [helper.make_node("Cast", ["n"], ["size"], to=TensorProto.FLOAT),
             helper.make_node("Div", ["tau", "size"], ["step"]),
             helper.make_node("Range", ["zero", "size", "one"], ["k"]),
             helper.make_node("Mul", ["k", "step"], ["angle"]),
             helper.make_node("Cos", ["angle"], ["cos"]),
             helper.make_node("Sub", ["one", "cos"], ["window"])]
    model = make_model(nodes, feeds, ["window"], opset=17, initializers=[zero, one, tau])
    got = run_paddlec(tmp_path, model, feeds)["window"]
    np.testing.assert_allclose(got, reference(model, feeds)["window"], rtol=1e-5, atol=1e-6)
    compiled = load(tmp_path / "art")
    for n in (1, 7, 33):
        feeds = {"n": np.array(n, np.int32)}
        got = compiled.run(feeds)["window"]
        assert got.shape == (n,)
        np.testing.assert_allclose(got, reference(model, feeds)["window"], rtol=1e-5,
                                   atol=1e-6)
