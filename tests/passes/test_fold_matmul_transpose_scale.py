"""fold_matmul_transpose_scale: transposes and scalar scales around matrix products."""

import numpy as np
from onnx import helper
from passtest import apply, io, make_model, ops, rand

from paddlec.passes.fold_matmul_transpose_scale import FoldMatMulTransposeScalePass


def test_transpose_before_gemm_becomes_trans_flag():
    nodes = [helper.make_node("Transpose", ["a"], ["t"], perm=[1, 0]),
             helper.make_node("Transpose", ["b"], ["u"]),
             helper.make_node("Gemm", ["t", "u"], ["y"], transB=1)]
    model = make_model(nodes, [io("a", [4, 3]), io("b", [4, 5])], [io("y", None)])
    feeds = {"a": rand(4, 3, seed=1), "b": rand(4, 5, seed=2)}
    result = apply(FoldMatMulTransposeScalePass(), model, feeds, rtol=1e-5, atol=1e-6)
    assert result.modified and ops(model) == ["Gemm"]
    gemm = next(iter(model.graph))
    assert gemm.attributes["transA"].value == 1 and gemm.attributes["transB"].value == 0


def test_scalar_mul_before_gemm_becomes_alpha():
    nodes = [helper.make_node("Mul", ["a", "s"], ["scaled"]),
             helper.make_node("Gemm", ["scaled", "W"], ["y"], alpha=2.0)]
    model = make_model(nodes, [io("a", [3, 4])], [io("y", None)],
                       {"s": np.array(0.125, np.float32), "W": rand(4, 5)})
    result = apply(FoldMatMulTransposeScalePass(), model, {"a": rand(3, 4)}, atol=1e-6)
    assert result.modified and ops(model) == ["Gemm"]
    assert next(iter(model.graph)).attributes["alpha"].value == 0.25


def test_scalar_mul_after_matmul_goes_into_the_weight():
    nodes = [helper.make_node("MatMul", ["a", "W"], ["m"]),
             helper.make_node("Mul", ["m", "s"], ["y"])]
    model = make_model(nodes, [io("a", [2, 3, 4])], [io("y", None)],
                       {"s": np.array([0.3], np.float32), "W": rand(4, 5)})
    result = apply(FoldMatMulTransposeScalePass(), model, {"a": rand(2, 3, 4)}, rtol=1e-5,
                   atol=1e-6)
    assert result.modified and ops(model) == ["MatMul"]


def test_refuses_non_scalar_scale():
    nodes = [helper.make_node("MatMul", ["a", "W"], ["m"]),
             helper.make_node("Mul", ["m", "s"], ["y"])]
    model = make_model(nodes, [io("a", [3, 4])], [io("y", None)],
                       {"s": rand(5, seed=3), "W": rand(4, 5)})
    rule = FoldMatMulTransposeScalePass()
    assert not apply(rule, model, {"a": rand(3, 4)}).modified
    assert ops(model) == ["MatMul", "Mul"]
    assert "not by a constant scalar" in rule.refusals[0][1]


def test_leaves_3d_transpose_before_gemm_input_alone():
    nodes = [helper.make_node("Transpose", ["a"], ["t"], perm=[0, 2, 1]),
             helper.make_node("Reshape", ["t", "shape"], ["r"]),
             helper.make_node("Gemm", ["r", "W"], ["y"])]
    model = make_model(nodes, [io("a", [2, 4, 3])], [io("y", None)],
                       {"shape": np.array([6, 4]), "W": rand(4, 5)})
    assert not apply(FoldMatMulTransposeScalePass(), model, {"a": rand(2, 4, 3)}).modified
