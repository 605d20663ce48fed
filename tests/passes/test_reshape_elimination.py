"""reshape_elimination: Reshape to the input's own shape; Reshape pairs."""

import numpy as np
from onnx import helper
from passtest import apply, io, make_model, ops, rand

from paddlec.passes.reshape_elimination import ReshapeEliminationPass

FEEDS = {"x": rand(2, 3, 4)}


def _model(*shapes):
    nodes, name = [], "x"
    inits = {}
    for i, shape in enumerate(shapes):
        inits[f"s{i}"] = np.array(shape, np.int64)
        nodes.append(helper.make_node("Reshape", [name, f"s{i}"], [f"r{i}"]))
        name = f"r{i}"
    nodes.append(helper.make_node("Relu", [name], ["y"]))
    return make_model(nodes, [io("x", [2, 3, 4])], [io("y", None)], inits)


def test_removes_noop_reshape():
    model = _model([2, -1, 0])
    assert apply(ReshapeEliminationPass(), model, FEEDS, rtol=0, atol=0).modified
    assert ops(model) == ["Relu"]


def test_merges_reshape_pair():
    model = _model([6, 4], [4, 6])
    assert apply(ReshapeEliminationPass(), model, FEEDS, rtol=0, atol=0).modified
    assert ops(model) == ["Reshape", "Relu"]


def test_keeps_shape_changing_reshape():
    model = _model([3, 8])
    rule = ReshapeEliminationPass()
    assert not apply(rule, model, FEEDS).modified
    assert rule.refusals[0][1] == "the shape changes"


def test_keeps_pair_whose_outer_shape_copies_a_dim():
    model = _model([6, 4], [0, 2, 2])  # the 0 copies 6 from the intermediate, not 2 from x
    rule = ReshapeEliminationPass()
    result = apply(rule, model, FEEDS, rtol=0, atol=0)
    assert ops(model) == ["Reshape", "Reshape", "Relu"] and not result.modified
