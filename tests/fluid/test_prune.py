"""``passes/prune.py`` on plain ONNX graphs (not fluid programs): the edge cases of
acceptance 3, plus cuts at intermediate values and subgraph captures. Every pruned graph
passes onnx.checker and computes what the full graph computes (onnxruntime)."""

from __future__ import annotations

import numpy as np
import onnx
import onnx_ir as ir
import pytest
from _helpers import ort_run
from onnx import TensorProto, helper
from paddlec.errors import PruneError
from paddlec.passes.prune import PrunePass, PruneWarning, prune

F = TensorProto.FLOAT


def training_like_graph() -> onnx.ModelProto:
    """x, y, label → shared = Mul(Relu(x) + W, y) → t1 = Sigmoid(shared), t2 = Tanh(shared);
    loss = ReduceMean((t1 - label)^2); plus an unrelated input ``unused``."""
    w = helper.make_tensor("W", F, [4], [0.5, -1.0, 2.0, 0.0])
    nodes = [
        helper.make_node("Relu", ["x"], ["a"]),
        helper.make_node("Add", ["a", "W"], ["b"]),
        helper.make_node("Mul", ["b", "y"], ["shared"]),
        helper.make_node("Sigmoid", ["shared"], ["t1"]),
        helper.make_node("Tanh", ["shared"], ["t2"]),
        helper.make_node("Sub", ["t1", "label"], ["diff"]),
        helper.make_node("Mul", ["diff", "diff"], ["sq"]),
        helper.make_node("ReduceMean", ["sq"], ["loss"], keepdims=0),
        helper.make_node("Neg", ["unused"], ["unused_neg"]),
    ]
    inputs = [
        helper.make_tensor_value_info(n, F, ["N", 4]) for n in ("x", "y", "label", "unused")
    ]
    outputs = [
        helper.make_tensor_value_info("loss", F, []),
        helper.make_tensor_value_info("unused_neg", F, ["N", 4]),
    ]
    graph = helper.make_graph(nodes, "train", inputs, outputs, [w])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def feed(*names):
    rng = np.random.default_rng(0)
    return {n: rng.standard_normal((3, 4)).astype(np.float32) for n in names}


def full_outputs(names, values):
    """What the unpruned graph computes for ``names`` (onnxruntime on a copy whose outputs
    are those values)."""
    proto = training_like_graph()
    del proto.graph.output[:]
    for name in names:
        proto.graph.output.append(helper.make_tensor_value_info(name, F, None))
    filled = {n: np.zeros((3, 4), np.float32) for n in ("x", "y", "label", "unused")}
    filled.update(values)  # inputs the targets do not need get zeros
    return ort_run(proto.SerializeToString(), filled)


def pruned(feeds, targets) -> tuple[onnx.ModelProto, object]:
    model = ir.serde.deserialize_model(training_like_graph())
    report = prune(model, feeds, targets)
    proto = ir.serde.serialize_model(model)
    onnx.checker.check_model(proto, full_check=True)
    return proto, report


def test_target_needing_an_unfed_value_is_an_error_naming_it():
    with pytest.raises(PruneError, match=r"'label' \(needed by 'loss'\)"):
        pruned(["x", "y"], ["loss"])


def test_feed_not_needed_is_dropped_with_a_warning():
    with pytest.warns(PruneWarning, match="'unused' is not needed"):
        proto, report = pruned(["x", "y", "unused"], ["t1"])
    assert [i.name for i in proto.graph.input] == ["x", "y"]
    assert report.dropped_feeds == ["unused"]
    assert sorted(report.removed_inputs) == ["label", "unused"]
    assert report.removed_ops == {"Tanh": 1, "Sub": 1, "Mul": 1, "ReduceMean": 1, "Neg": 1}
    values = feed("x", "y")
    np.testing.assert_allclose(
        ort_run(proto.SerializeToString(), values)["t1"],
        full_outputs(["t1"], values)["t1"],
        rtol=1e-6,
    )


def test_two_targets_sharing_a_subgraph_keep_it_once():
    proto, report = pruned(["x", "y"], ["t1", "t2"])
    assert [n.op_type for n in proto.graph.node] == ["Relu", "Add", "Mul", "Sigmoid", "Tanh"]
    assert [o.name for o in proto.graph.output] == ["t1", "t2"]
    assert [i.name for i in proto.graph.initializer] == ["W"]
    values = feed("x", "y")
    got, want = ort_run(proto.SerializeToString(), values), full_outputs(["t1", "t2"], values)
    for name in ("t1", "t2"):
        np.testing.assert_allclose(got[name], want[name], rtol=1e-6)


def test_target_that_is_a_feed_is_passed_through():
    with pytest.warns(PruneWarning, match="'y'"):
        proto, report = pruned(["x", "y"], ["x"])
    assert [i.name for i in proto.graph.input] == ["x"]
    assert [o.name for o in proto.graph.output] == ["x"]
    assert len(proto.graph.node) == 0 and not proto.graph.initializer
    values = feed("x")
    np.testing.assert_array_equal(ort_run(proto.SerializeToString(), values)["x"], values["x"])


def test_a_target_that_is_a_feed_next_to_a_computed_one():
    proto, _ = pruned(["x", "y"], ["y", "t2"])
    values = feed("x", "y")
    got = ort_run(proto.SerializeToString(), values)
    np.testing.assert_array_equal(got["y"], values["y"])
    np.testing.assert_allclose(got["t2"], full_outputs(["t2"], values)["t2"], rtol=1e-6)


def test_feeding_an_intermediate_value_cuts_the_graph():
    proto, report = pruned(["shared"], ["t2"])
    assert [i.name for i in proto.graph.input] == ["shared"]
    assert [n.op_type for n in proto.graph.node] == ["Tanh"]
    values = {"shared": feed("s")["s"]}
    np.testing.assert_allclose(
        ort_run(proto.SerializeToString(), values)["t2"], np.tanh(values["shared"]), rtol=1e-6
    )


@pytest.mark.parametrize(
    "feeds,targets,message",
    [
        (["x", "y"], ["nope"], r"unknown target\(s\) \['nope'\]"),
        (["x", "zz"], ["t1"], r"unknown feed\(s\) \['zz'\]"),
        (["x", "W"], ["t1"], r"feed 'W' is a weight"),
        (["x", "y"], [], r"no targets"),
    ],
)
def test_bad_names_are_errors(feeds, targets, message):
    with pytest.raises(PruneError, match=message):
        pruned(feeds, targets)


def test_subgraph_captures_are_kept():
    """An If whose branches read the outer value ``a``: the producer of ``a`` is kept."""
    then_graph = helper.make_graph(
        [helper.make_node("Neg", ["a"], ["o1"])],
        "then",
        [],
        [helper.make_tensor_value_info("o1", F, [2])],
    )
    else_graph = helper.make_graph(
        [helper.make_node("Identity", ["a"], ["o2"])],
        "else",
        [],
        [helper.make_tensor_value_info("o2", F, [2])],
    )
    graph = helper.make_graph(
        [
            helper.make_node("Relu", ["x"], ["a"]),
            helper.make_node("Exp", ["x"], ["other"]),
            helper.make_node(
                "If", ["cond"], ["out"], then_branch=then_graph, else_branch=else_graph
            ),
        ],
        "g",
        [
            helper.make_tensor_value_info("x", F, [2]),
            helper.make_tensor_value_info("cond", TensorProto.BOOL, []),
        ],
        [
            helper.make_tensor_value_info("out", F, [2]),
            helper.make_tensor_value_info("other", F, [2]),
        ],
    )
    model = ir.serde.deserialize_model(
        helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    )
    report = prune(model, ["x", "cond"], ["out"])
    assert [n.op_type for n in model.graph] == ["Relu", "If"]
    assert report.removed_ops == {"Exp": 1} and report.removed_outputs == ["other"]
    proto = ir.serde.serialize_model(model)
    onnx.checker.check_model(proto)
    x = np.array([-1.0, 2.0], np.float32)
    out = ort_run(proto.SerializeToString(), {"x": x, "cond": np.array(True)})["out"]
    np.testing.assert_array_equal(out, -np.maximum(x, 0))


def test_as_an_onnx_ir_pass():
    model = ir.serde.deserialize_model(training_like_graph())
    prune_pass = PrunePass(["x", "y"], ["t2"])
    result = prune_pass(model)
    assert result.modified and result.model is model
    assert prune_pass.report.targets == ["t2"]
    assert [n.op_type for n in model.graph] == ["Relu", "Add", "Mul", "Tanh"]
