"""dropout_elimination: Dropout in inference mode is the identity."""

import numpy as np
from onnx import TensorProto, helper
from passtest import apply, io, make_model, ops, rand

from paddlec.passes.dropout_elimination import DropoutEliminationPass

FEEDS = {"x": rand(2, 3)}


def test_removes_inference_dropout():
    nodes = [helper.make_node("Relu", ["x"], ["r"]),
             helper.make_node("Dropout", ["r", "ratio"], ["d"]),
             helper.make_node("Neg", ["d"], ["y"])]
    model = make_model(nodes, [io("x", [2, 3])], [io("y", None)],
                       {"ratio": np.array(0.5, np.float32)})
    result = apply(DropoutEliminationPass(), model, FEEDS, rtol=0, atol=0)
    assert result.modified and ops(model) == ["Relu", "Neg"]


def test_dropout_producing_a_graph_output_keeps_the_name():
    nodes = [helper.make_node("Dropout", ["x"], ["y"])]
    model = make_model(nodes, [io("x", [2, 3])], [io("y", None)], opset=9)
    assert apply(DropoutEliminationPass(), model, FEEDS, rtol=0, atol=0).modified
    assert ops(model) == ["Identity"] and model.graph.outputs[0].name == "y"


def test_refuses_when_mask_is_read():
    nodes = [helper.make_node("Dropout", ["x"], ["d", "mask"]),
             helper.make_node("Cast", ["mask"], ["m"], to=TensorProto.FLOAT),
             helper.make_node("Add", ["d", "m"], ["y"])]
    model = make_model(nodes, [io("x", [2, 3])], [io("y", None)])
    rule = DropoutEliminationPass()
    assert not apply(rule, model, FEEDS).modified
    assert "mask" in rule.refusals[0][1]


def test_refuses_training_mode():
    nodes = [helper.make_node("Dropout", ["x", "", "train"], ["y"])]
    model = make_model(nodes, [io("x", [2, 3])], [io("y", None)],
                       {"train": np.array(True)})
    rule = DropoutEliminationPass()
    assert not rule(model).modified
    assert rule.refusals[0][1] == "training_mode is true"
