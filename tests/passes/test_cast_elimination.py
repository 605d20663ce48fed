"""cast_elimination: a Cast to the type its input already has does nothing."""

from onnx import TensorProto, helper
from passtest import apply, io, make_model, ops, rand

from paddlec.passes.cast_elimination import CastEliminationPass


def test_removes_cast_to_same_type():
    nodes = [helper.make_node("Cast", ["x"], ["c"], to=TensorProto.FLOAT),
             helper.make_node("Relu", ["c"], ["y"])]
    model = make_model(nodes, [io("x", [2, 3])], [io("y", None)])
    result = apply(CastEliminationPass(), model, {"x": rand(2, 3)}, rtol=0, atol=0)
    assert result.modified and ops(model) == ["Relu"]


def test_keeps_cast_to_another_type():
    nodes = [helper.make_node("Cast", ["x"], ["c"], to=TensorProto.INT32),
             helper.make_node("Neg", ["c"], ["y"])]
    model = make_model(nodes, [io("x", [2, 3])], [io("y", None, TensorProto.INT32)])
    rule = CastEliminationPass()
    assert not apply(rule, model, {"x": rand(2, 3) * 10}, rtol=0, atol=0).modified
    assert ops(model) == ["Cast", "Neg"]
    assert rule.refusals[0][1] == "casts FLOAT to INT32"


def test_cast_producing_graph_output_keeps_the_name():
    nodes = [helper.make_node("Relu", ["x"], ["r"]),
             helper.make_node("Cast", ["r"], ["y"], to=TensorProto.FLOAT)]
    model = make_model(nodes, [io("x", [2, 3])], [io("y", None)])
    assert apply(CastEliminationPass(), model, {"x": rand(2, 3)}, rtol=0, atol=0).modified
    assert model.graph.outputs[0].name == "y"
