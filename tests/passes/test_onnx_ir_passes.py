"""The pipeline's passes that onnx_ir provides, as wired in PASSES: identity elimination,
CSE, initializer deduplication, dead code elimination, topological sort."""

import numpy as np
from onnx import helper
from passtest import apply, io, make_model, ops, rand

from paddlec.passes import PASSES


def _pass(name):
    (spec,) = [spec for spec in PASSES if spec.name == name]
    return spec.factory()


def test_identity_elimination():
    nodes = [helper.make_node("Identity", ["x"], ["i"]),
             helper.make_node("Relu", ["i"], ["y"])]
    model = make_model(nodes, [io("x", [2, 3])], [io("y", None)])
    result = apply(_pass("identity_elimination"), model, {"x": rand(2, 3)}, rtol=0, atol=0)
    assert result.modified
    assert ops(model) == ["Relu"]


def test_identity_elimination_keeps_input_to_output_identity():
    model = make_model([helper.make_node("Identity", ["x"], ["y"])], [io("x", [2])],
                       [io("y", None)])
    assert not apply(_pass("identity_elimination"), model, {"x": rand(2)}).modified


def test_common_subexpression_elimination():
    nodes = [helper.make_node("Relu", ["x"], ["a"]), helper.make_node("Relu", ["x"], ["b"]),
             helper.make_node("Add", ["a", "b"], ["y"])]
    model = make_model(nodes, [io("x", [2, 3])], [io("y", None)])
    result = apply(_pass("common_subexpression_elimination"), model, {"x": rand(2, 3)},
                   rtol=0, atol=0)
    assert result.modified and ops(model) == ["Relu", "Add"]


def test_cse_keeps_nodes_with_different_attributes():
    nodes = [helper.make_node("LeakyRelu", ["x"], ["a"], alpha=0.1),
             helper.make_node("LeakyRelu", ["x"], ["b"], alpha=0.2),
             helper.make_node("Add", ["a", "b"], ["y"])]
    model = make_model(nodes, [io("x", [2, 3])], [io("y", None)])
    result = apply(_pass("common_subexpression_elimination"), model, {"x": rand(2, 3)})
    assert not result.modified


def test_deduplicate_initializers():
    nodes = [helper.make_node("Add", ["x", "c1"], ["a"]),
             helper.make_node("Mul", ["a", "c2"], ["b"]),
             helper.make_node("Sub", ["b", "c3"], ["y"])]
    same = np.arange(3, dtype=np.float32)
    model = make_model(nodes, [io("x", [2, 3])], [io("y", None)],
                       {"c1": same, "c2": same.copy(), "c3": same + 1})
    result = apply(_pass("deduplicate_initializers"), model, {"x": rand(2, 3)}, rtol=0, atol=0)
    assert result.modified and sorted(model.graph.initializers) == ["c1", "c3"]


def test_dead_code_elimination():
    nodes = [helper.make_node("Relu", ["x"], ["y"]),
             helper.make_node("Neg", ["x"], ["unused"]),
             helper.make_node("Add", ["x", "c"], ["also_unused"])]
    model = make_model(nodes, [io("x", [2])], [io("y", None)], {"c": rand(2)})
    result = apply(_pass("dead_code_elimination"), model, {"x": rand(2)}, rtol=0, atol=0)
    assert result.modified and ops(model) == ["Relu"]
    assert not model.graph.initializers


def test_dead_code_elimination_keeps_everything_that_is_read():
    nodes = [helper.make_node("Relu", ["x"], ["r"]), helper.make_node("Neg", ["r"], ["y"])]
    model = make_model(nodes, [io("x", [2])], [io("y", None)])
    assert not apply(_pass("dead_code_elimination"), model, {"x": rand(2)}).modified
