"""fold_affine_chain (-O3): Mul/Add-by-constant chains become one Mul and one Add."""

import numpy as np
from onnx import TensorProto, helper
from passtest import apply, io, make_model, ops, rand

from paddlec.passes.fold_affine_chain import FoldAffineChainPass

FEEDS = {"x": rand(2, 3, 4, 4, seed=1)}


def _chain(*steps, shape=(1, 3, 1, 1), extra_reader=None):
    nodes, name, inits = [helper.make_node("Relu", ["x"], ["r"])], "r", {}
    for i, op in enumerate(steps):
        inits[f"c{i}"] = rand(*shape, seed=10 + i)
        nodes.append(helper.make_node(op, [name, f"c{i}"] if i % 2 else [f"c{i}", name],
                                      [f"v{i}"]))
        name = f"v{i}"
    nodes.append(helper.make_node("Neg", [name], ["y"]))
    outputs = [io("y", None)]
    if extra_reader is not None:
        nodes.append(helper.make_node("Sqrt", [f"v{extra_reader}"], ["s"]))
        outputs.append(io("s", None))
    return make_model(nodes, [io("x", [2, 3, 4, 4])], outputs, inits)


def test_four_step_chain_becomes_mul_add():
    model = _chain("Mul", "Add", "Mul", "Add")
    assert apply(FoldAffineChainPass(), model, FEEDS, rtol=1e-5, atol=1e-5).modified
    assert ops(model) == ["Relu", "Mul", "Add", "Neg"]


def test_mul_only_chain_becomes_one_mul():
    model = _chain("Mul", "Mul", "Mul", shape=(3, 1, 1))
    assert apply(FoldAffineChainPass(), model, FEEDS, rtol=1e-5, atol=1e-6).modified
    assert ops(model) == ["Relu", "Mul", "Neg"]


def test_chain_is_cut_where_an_inner_value_has_another_reader():
    model = _chain("Mul", "Add", "Mul", "Mul", "Add", extra_reader=1)
    assert apply(FoldAffineChainPass(), model, FEEDS, rtol=1e-5, atol=1e-5).modified
    assert ops(model) == ["Relu", "Mul", "Add", "Mul", "Add", "Neg", "Sqrt"]


def test_leaves_a_single_mul_add_pair_alone():
    model = _chain("Mul", "Add")
    assert not apply(FoldAffineChainPass(), model, FEEDS).modified


def test_refuses_constant_that_broadcasts_x_up():
    rule = FoldAffineChainPass()
    nodes = [helper.make_node("Mul", ["x", "a"], ["m"]),
             helper.make_node("Add", ["m", "b"], ["n"]),
             helper.make_node("Mul", ["n", "a"], ["y"])]
    model = make_model(nodes, [io("x", [3, 1])], [io("y", None)],
                       {"a": rand(3, 1), "b": rand(3, 5)})
    assert not apply(rule, model, {"x": rand(3, 1)}).modified
    assert "bigger shape" in rule.refusals[0][1]


def test_refuses_integer_chain():
    nodes = [helper.make_node("Mul", ["x", "a"], ["m"]),
             helper.make_node("Mul", ["m", "a"], ["y"])]
    model = make_model(nodes, [io("x", [3], TensorProto.INT64)],
                       [io("y", None, TensorProto.INT64)],
                       {"a": np.array([2], np.int64)})
    rule = FoldAffineChainPass()
    assert not rule(model).modified
    assert "not a float type" in rule.refusals[0][1]
