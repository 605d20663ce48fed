"""constant_folding: nodes with constant inputs become initializers, within a size limit."""

import numpy as np
from onnx import TensorProto, helper
from passtest import apply, io, make_model, ops, rand

from paddlec.passes.constant_folding import ConstantFoldingPass


def _fill(value=0.5):
    return helper.make_tensor("v", TensorProto.FLOAT, [1], [value])


def test_folds_constant_of_shape_weights_and_arithmetic():
    nodes = [helper.make_node("ConstantOfShape", ["wshape"], ["W"], value=_fill(0.02)),
             helper.make_node("Add", ["p", "q"], ["bias"]),
             helper.make_node("Conv", ["x", "W", "bias"], ["y"])]
    model = make_model(nodes, [io("x", [1, 3, 5, 5])], [io("y", None)],
                       {"wshape": np.array([4, 3, 3, 3]), "p": rand(4, seed=1),
                        "q": rand(4, seed=2)}, opset=9)
    result = apply(ConstantFoldingPass(), model, {"x": rand(1, 3, 5, 5)}, rtol=0, atol=0)
    assert result.modified and ops(model) == ["Conv"]
    assert model.graph.initializers["W"].const_value.numpy().shape == (4, 3, 3, 3)


def test_folds_shape_gather_concat_reshape_chain_when_static():
    nodes = [helper.make_node("Shape", ["x"], ["s"]),
             helper.make_node("Gather", ["s", "zero"], ["batch"], axis=0),
             helper.make_node("Unsqueeze", ["batch", "axes"], ["b1"]),
             helper.make_node("Concat", ["b1", "minus_one"], ["target"], axis=0),
             helper.make_node("Reshape", ["x", "target"], ["y"])]
    model = make_model(nodes, [io("x", [2, 3, 4])], [io("y", None)],
                       {"zero": np.array(0), "axes": np.array([0]),
                        "minus_one": np.array([-1])})
    result = apply(ConstantFoldingPass(), model, {"x": rand(2, 3, 4)}, rtol=0, atol=0)
    assert result.modified and ops(model) == ["Reshape"]
    shape = next(iter(model.graph)).inputs[1].const_value.numpy()
    assert shape.tolist() == [2, -1]


def test_keeps_shape_of_symbolic_dim_but_folds_static_gather():
    nodes = [helper.make_node("Shape", ["x"], ["s"]),
             helper.make_node("Gather", ["s", "zero"], ["batch"], axis=0),
             helper.make_node("Gather", ["s", "two"], ["last"], axis=0),
             helper.make_node("Unsqueeze", ["batch", "axes"], ["b1"]),
             helper.make_node("Unsqueeze", ["last", "axes"], ["l1"]),
             helper.make_node("Concat", ["b1", "minus_one", "l1"], ["target"], axis=0),
             helper.make_node("Reshape", ["x", "target"], ["y"])]
    model = make_model(nodes, [io("x", ["N", 3, 4])], [io("y", None)],
                       {"zero": np.array(0), "two": np.array(2), "axes": np.array([0]),
                        "minus_one": np.array([-1])})
    result = apply(ConstantFoldingPass(), model, {"x": rand(5, 3, 4)}, rtol=0, atol=0)
    assert result.modified
    assert ops(model).count("Shape") == 1 and ops(model).count("Gather") == 1  # batch stays


def test_never_folds_random_ops():
    nodes = [helper.make_node("RandomUniformLike", ["c"], ["r"], seed=1.0),
             helper.make_node("Add", ["x", "r"], ["y"])]
    model = make_model(nodes, [io("x", [2])], [io("y", None)], {"c": rand(2)})
    assert not ConstantFoldingPass()(model).modified
    assert ops(model) == ["RandomUniformLike", "Add"]


def test_big_broadcast_feeding_elementwise_stays_but_as_weight_folds():
    def model_with(consumer):
        nodes = [helper.make_node("Expand", ["one", "shape"], ["e"]), consumer]
        return make_model(nodes, [io("x", [64, 64])], [io("y", None)],
                          {"one": np.ones((1, 1), np.float32), "shape": np.array([64, 64])})

    feeds = {"x": rand(64, 64)}
    small_limit = dict(always_fold_bytes=1024)  # the Expand result is 16 KiB
    elementwise = model_with(helper.make_node("Add", ["x", "e"], ["y"]))
    rule = ConstantFoldingPass(**small_limit)
    assert not apply(rule, elementwise, feeds).modified
    assert "feeds no weight" in rule.refusals[0][1]
    weight = model_with(helper.make_node("MatMul", ["x", "e"], ["y"]))
    assert apply(ConstantFoldingPass(**small_limit), weight, feeds, rtol=1e-6).modified
    assert ops(weight) == ["MatMul"]


def test_refuses_a_huge_result_before_computing_it():
    # 2**40 floats (4 TiB): evaluating it would exhaust memory, so the size is predicted first
    nodes = [helper.make_node("ConstantOfShape", ["shape"], ["W"], value=_fill()),
             helper.make_node("MatMul", ["x", "W"], ["y"])]
    model = make_model(nodes, [io("x", [1, 1 << 20])], [io("y", [1, 1 << 20])],
                       {"shape": np.array([1 << 20, 1 << 20])}, infer=False)
    rule = ConstantFoldingPass()
    assert not rule(model).modified
    assert "over the" in rule.refusals[0][1]
