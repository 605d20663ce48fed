"""transpose_elimination: Transpose pairs compose; identity permutations vanish."""

from onnx import helper
from passtest import apply, io, make_model, ops, rand

from paddlec.passes.transpose_elimination import TransposeEliminationPass

FEEDS = {"x": rand(2, 3, 4)}


def _model(*perms):
    nodes, name = [], "x"
    for i, perm in enumerate(perms):
        nodes.append(helper.make_node("Transpose", [name], [f"t{i}"], perm=perm))
        name = f"t{i}"
    nodes.append(helper.make_node("Relu", [name], ["y"]))
    return make_model(nodes, [io("x", [2, 3, 4])], [io("y", None)])


def test_inverse_pair_vanishes():
    model = _model([1, 2, 0], [2, 0, 1])
    assert apply(TransposeEliminationPass(), model, FEEDS, rtol=0, atol=0).modified
    assert ops(model) == ["Relu"]


def test_pair_becomes_one_transpose():
    model = _model([1, 0, 2], [0, 2, 1])
    assert apply(TransposeEliminationPass(), model, FEEDS, rtol=0, atol=0).modified
    assert ops(model) == ["Transpose", "Relu"]


def test_keeps_single_transpose():
    model = _model([2, 1, 0])
    rule = TransposeEliminationPass()
    assert not apply(rule, model, FEEDS).modified
    assert ops(model) == ["Transpose", "Relu"]
    assert rule.refusals[0][1] == "a single Transpose that moves data"


def test_inner_transpose_with_another_reader_stays():
    nodes = [helper.make_node("Transpose", ["x"], ["t"], perm=[1, 0, 2]),
             helper.make_node("Transpose", ["t"], ["u"], perm=[1, 0, 2]),
             helper.make_node("Add", ["u", "x"], ["y"]),
             helper.make_node("Neg", ["t"], ["n"])]
    model = make_model(nodes, [io("x", [3, 3, 4])], [io("y", None), io("n", None)])
    assert apply(TransposeEliminationPass(), model, {"x": rand(3, 3, 4)}, rtol=0,
                 atol=0).modified
    assert ops(model) == ["Transpose", "Add", "Neg"]
