"""fuse_matmul_add: Add(MatMul(a, b), c) with 2-D operands becomes Gemm."""

import pytest
from onnx import helper
from passtest import apply, io, make_model, ops, rand

from paddlec.passes.fuse_matmul_add import FuseMatMulAddPass


@pytest.mark.parametrize("c_shape", [(5,), (1, 5), (3, 5), (3, 1)])
def test_2d_matmul_add_becomes_gemm(c_shape):
    nodes = [helper.make_node("MatMul", ["a", "W"], ["m"]),
             helper.make_node("Add", ["c", "m"], ["y"])]
    model = make_model(nodes, [io("a", [3, 4])], [io("y", None)],
                       {"W": rand(4, 5, seed=1), "c": rand(*c_shape, seed=2)})
    result = apply(FuseMatMulAddPass(), model, {"a": rand(3, 4)}, rtol=1e-5, atol=1e-6)
    assert result.modified and ops(model) == ["Gemm"]


def test_refuses_3d_matmul():
    nodes = [helper.make_node("MatMul", ["a", "W"], ["m"]),
             helper.make_node("Add", ["m", "c"], ["y"])]
    model = make_model(nodes, [io("a", [2, 3, 4])], [io("y", None)],
                       {"W": rand(4, 5), "c": rand(5)})
    rule = FuseMatMulAddPass()
    assert not apply(rule, model, {"a": rand(2, 3, 4)}).modified
    assert ops(model) == ["MatMul", "Add"]
    assert "not 2-D" in rule.refusals[0][1]


def test_refuses_addend_that_grows_the_result():
    nodes = [helper.make_node("MatMul", ["a", "W"], ["m"]),
             helper.make_node("Add", ["m", "c"], ["y"])]
    model = make_model(nodes, [io("a", [1, 4])], [io("y", None)],
                       {"W": rand(4, 5), "c": rand(3, 5)})
    rule = FuseMatMulAddPass()
    assert not apply(rule, model, {"a": rand(1, 4)}).modified
    assert "does not broadcast" in rule.refusals[0][1]


def test_refuses_when_matmul_output_has_another_reader():
    nodes = [helper.make_node("MatMul", ["a", "W"], ["m"]),
             helper.make_node("Add", ["m", "c"], ["y"]),
             helper.make_node("Relu", ["m"], ["r"])]
    model = make_model(nodes, [io("a", [3, 4])], [io("y", None), io("r", None)],
                       {"W": rand(4, 5), "c": rand(5)})
    assert not apply(FuseMatMulAddPass(), model, {"a": rand(3, 4)}).modified
