"""batchnorm_to_affine: a BN that follows no conv becomes Mul + Add."""

import numpy as np
from onnx import helper
from passtest import apply, io, make_model, ops, rand

from paddlec.passes.batchnorm_to_affine import BatchNormToAffinePass


def _params(channels=3):
    rng = np.random.default_rng(4)
    return {"g": rng.uniform(0.5, 2, channels).astype(np.float32),
            "b": rng.standard_normal(channels).astype(np.float32),
            "m": rng.standard_normal(channels).astype(np.float32),
            "v": rng.uniform(0.1, 2, channels).astype(np.float32)}


def test_lone_bn_becomes_mul_add():
    nodes = [helper.make_node("Relu", ["x"], ["r"]),
             helper.make_node("BatchNormalization", ["r", "g", "b", "m", "v"], ["y"],
                              epsilon=1e-4)]
    model = make_model(nodes, [io("x", [2, 3, 4, 5])], [io("y", None)], _params())
    result = apply(BatchNormToAffinePass(), model, {"x": rand(2, 3, 4, 5)}, rtol=1e-5,
                   atol=1e-5)
    assert result.modified and ops(model) == ["Relu", "Mul", "Add"]
    assert model.graph.outputs[0].name == "y"


def test_works_on_rank_3_input():
    nodes = [helper.make_node("BatchNormalization", ["x", "g", "b", "m", "v"], ["y"])]
    model = make_model(nodes, [io("x", [2, 3, 7])], [io("y", None)], _params())
    result = apply(BatchNormToAffinePass(), model, {"x": rand(2, 3, 7)}, atol=1e-5)
    assert result.modified and ops(model) == ["Mul", "Add"]


def test_refuses_training_mode():
    nodes = [helper.make_node("BatchNormalization", ["x", "g", "b", "m", "v"],
                              ["y", "rm", "rv"], training_mode=1)]
    model = make_model(nodes, [io("x", [2, 3, 4])], [io("y", None)], _params(), opset=15)
    rule = BatchNormToAffinePass()
    assert not rule(model).modified
    assert ops(model) == ["BatchNormalization"]
    assert "training" in rule.refusals[0][1] or "running" in rule.refusals[0][1]
