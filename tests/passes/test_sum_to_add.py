"""sum_to_add: ONNX Sum → Add nodes (exporters' residual additions)."""

from onnx import helper
from passtest import apply, io, make_model, ops, rand

from paddlec.passes.sum_to_add import SumToAddPass

SHAPE = [1, 4, 3, 3]


def test_two_inputs_become_one_add_bit_exact():
    nodes = [helper.make_node("Relu", ["x"], ["r"]),
             helper.make_node("Sum", ["x", "r"], ["s"]),
             helper.make_node("Neg", ["s"], ["y"])]
    model = make_model(nodes, [io("x", SHAPE)], [io("y", None)])
    result = apply(SumToAddPass(), model, {"x": rand(*SHAPE)}, rtol=0, atol=0)
    assert result.modified and ops(model) == ["Relu", "Add", "Neg"]
    add = list(model.graph)[1]
    assert add.outputs[0].name == "s" and list(add.outputs[0].shape.dims) == SHAPE


def test_three_broadcast_inputs_become_a_chain_and_keep_the_output_name():
    nodes = [helper.make_node("Sum", ["x", "b", "c"], ["y"])]
    model = make_model(nodes, [io("x", SHAPE), io("b", [4, 1, 1]), io("c", [3])],
                       [io("y", None)])
    feeds = {"x": rand(*SHAPE), "b": rand(4, 1, 1, seed=1), "c": rand(3, seed=2)}
    assert apply(SumToAddPass(), model, feeds, rtol=1e-6, atol=1e-6).modified
    assert ops(model) == ["Add", "Add"]
    assert model.graph.outputs[0].name == "y"


def test_single_input_sum_is_bypassed():
    nodes = [helper.make_node("Sum", ["x"], ["s"]), helper.make_node("Neg", ["s"], ["y"])]
    model = make_model(nodes, [io("x", SHAPE)], [io("y", None)])
    assert apply(SumToAddPass(), model, {"x": rand(*SHAPE)}, rtol=0, atol=0).modified
    assert ops(model) == ["Neg"]


def test_leaves_other_ops_alone():
    nodes = [helper.make_node("Add", ["x", "x"], ["s"]), helper.make_node("Neg", ["s"], ["y"])]
    model = make_model(nodes, [io("x", SHAPE)], [io("y", None)])
    assert not apply(SumToAddPass(), model, {"x": rand(*SHAPE)}).modified
    assert ops(model) == ["Add", "Neg"]
