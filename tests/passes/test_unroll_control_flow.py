"""UnrollControlFlowPass and ExpandFunctionsPass: the graph before and after, run by
onnxruntime (rtol 1e-5, atol 1e-6), plus the refusals and their reasons."""

from __future__ import annotations

import numpy as np
import onnx_ir as ir
from onnx import TensorProto, helper
from passtest import apply, io, make_model, ops, rand

from paddlec.passes.expand_functions import ExpandFunctionsPass
from paddlec.passes.unroll_control_flow import UnrollControlFlowPass

INT64, BOOL = TensorProto.INT64, TensorProto.BOOL


def _graph(name, nodes, inputs, outputs):
    return helper.make_graph(nodes, name, inputs, outputs)


def _sum_body(extra=()):
    """state + x_t → state, and state * w (w from the enclosing graph) as the scan output."""
    return _graph("body", [helper.make_node("Add", ["s_in", "x_t"], ["s_out"]),
                           helper.make_node("Mul", ["s_out", "w"], ["y_t"]), *extra],
                  [io("s_in", [2]), io("x_t", [2])], [io("s_out", [2]), io("y_t", [2])])


def test_scan_reverse_input_axis_and_output_axis_with_outer_scope_value():
    scan = helper.make_node("Scan", ["s0", "x"], ["s", "ys"], body=_sum_body(),
                            num_scan_inputs=1, scan_input_axes=[1],
                            scan_input_directions=[1], scan_output_axes=[-1],
                            scan_output_directions=[1])
    model = make_model([scan], [io("s0", [2]), io("x", [2, 5]), io("w", [2])],
                       [io("s", [2]), io("ys", [2, 5])])
    feeds = {"s0": rand(2), "x": rand(2, 5, seed=1), "w": rand(2, seed=2)}
    result = apply(UnrollControlFlowPass(), model, feeds, runner="ort")
    assert result.modified and "Scan" not in ops(model)
    assert ops(model).count("Add") == 5


def test_scan_opset8_batched_form():
    scan = helper.make_node("Scan", ["", "s0", "x"], ["s", "ys"], body=_sum_body(),
                            num_scan_inputs=1)
    model = make_model([scan], [io("s0", [3, 2]), io("x", [3, 4, 2]), io("w", [2])],
                       [io("s", [3, 2]), io("ys", [3, 4, 2])], opset=8)
    feeds = {"s0": rand(3, 2), "x": rand(3, 4, 2, seed=1), "w": rand(2, seed=2)}
    result = apply(UnrollControlFlowPass(), model, feeds, runner="ort")
    assert result.modified and "Scan" not in ops(model)


def _loop_body():
    """carried += x[i] (a Slice by the iteration number); scan output carried * 2."""
    two = helper.make_tensor("two", TensorProto.FLOAT, [], [2.0])
    return _graph("body", [
        helper.make_node("Identity", ["c_in"], ["c_out"]),
        helper.make_node("Unsqueeze", ["i", "zero"], ["start"]),
        helper.make_node("Add", ["start", "one"], ["end"]),
        helper.make_node("Slice", ["x", "start", "end"], ["x_i"]),
        helper.make_node("Add", ["v_in", "x_i"], ["v_out"]),
        helper.make_node("Mul", ["v_out", "two"], ["scan_t"]),
    ], [io("i", [], INT64), io("c_in", [], BOOL), io("v_in", [1])],
        [io("c_out", [], BOOL), io("v_out", [1]), io("scan_t", [1])]), two


def test_loop_with_constant_trip_count_carried_value_and_scan_output():
    body, two = _loop_body()
    body.initializer.append(two)
    nodes = [helper.make_node("Constant", [], ["M"], value=helper.make_tensor(
                 "m", INT64, [], [4])),
             helper.make_node("Constant", [], ["zero"], value=helper.make_tensor(
                 "z", INT64, [1], [0])),
             helper.make_node("Constant", [], ["one"], value=helper.make_tensor(
                 "o", INT64, [1], [1])),
             helper.make_node("Loop", ["M", "", "v0"], ["v", "scans"], body=body)]
    model = make_model(nodes, [io("v0", [1]), io("x", [6])],
                       [io("v", [1]), io("scans", [4, 1])], opset=17)
    feeds = {"v0": rand(1), "x": rand(6, seed=3)}
    result = apply(UnrollControlFlowPass(), model, feeds, runner="ort")
    assert result.modified and "Loop" not in ops(model)


def test_dynamic_trip_count_and_early_exit_are_refused_with_reasons():
    body, two = _loop_body()
    body.initializer.append(two)
    loop = helper.make_node("Loop", ["M", "", "v0"], ["v", "scans"], body=body)
    consts = [helper.make_node("Constant", [], [name], value=helper.make_tensor(
        name, INT64, [1], [value])) for name, value in (("zero", 0), ("one", 1))]
    model = make_model([*consts, loop], [io("M", [], INT64), io("v0", [1]), io("x", [6])],
                       [io("v", [1]), io("scans", ["n", 1])], opset=17)
    unroll = UnrollControlFlowPass()
    assert not unroll(model).modified
    (reason,) = unroll.refusals.values()
    assert "trip count is computed at run time" in reason

    stop = _graph("body", [helper.make_node("Less", ["i", "three"], ["c_out"]),
                           helper.make_node("Identity", ["v_in"], ["v_out"])],
                  [io("i", [], INT64), io("c_in", [], BOOL), io("v_in", [1])],
                  [io("c_out", [], BOOL), io("v_out", [1])])
    stop.initializer.append(helper.make_tensor("three", INT64, [], [3]))
    count = helper.make_node("Constant", [], ["M"],
                             value=helper.make_tensor("m", INT64, [], [9]))
    early = make_model([count, helper.make_node("Loop", ["M", "", "v0"], ["v"], body=stop)],
                       [io("v0", [1])], [io("v", [1])], opset=17)
    unroll = UnrollControlFlowPass()
    assert not unroll(early).modified
    assert "computes its own condition" in next(iter(unroll.refusals.values()))


def test_size_limit_refuses_instead_of_exploding():
    scan = helper.make_node("Scan", ["s0", "x"], ["s", "ys"], body=_sum_body(),
                            num_scan_inputs=1)
    model = make_model([scan], [io("s0", [2]), io("x", [50, 2]), io("w", [2])],
                       [io("s", [2]), io("ys", [50, 2])])
    unroll = UnrollControlFlowPass(max_nodes=60)
    assert not unroll(model).modified
    assert "limit 60" in next(iter(unroll.refusals.values()))


def test_expand_functions_inlines_the_schema_body():
    node = helper.make_node("CausalConvWithState", ["x", "w"], ["y", "state"],
                            activation="silu")
    model = make_model([node], [io("x", [2, 3, 5]), io("w", [3, 1, 4])],
                       [io("y", [2, 3, 5]), io("state", [2, 3, 3])], opset=27, infer=False)
    feeds = {"x": rand(2, 3, 5), "w": rand(3, 1, 4, seed=1)}
    expand = ExpandFunctionsPass(lambda domain, op, opset: op == "CausalConvWithState")
    result = apply(expand, model, feeds)
    assert result.modified and expand.expanded == ["CausalConvWithState"]
    assert "CausalConvWithState" not in ops(model) and "Conv" in ops(model)
    assert not model.functions
    untouched = make_model([node], [io("x", [2, 3, 5]), io("w", [3, 1, 4])],
                           [io("y", [2, 3, 5]), io("state", [2, 3, 3])], opset=27, infer=False)
    assert not ExpandFunctionsPass(lambda *_: False)(untouched).modified
    assert isinstance(untouched, ir.Model)
    np.testing.assert_equal(ops(untouched), ["CausalConvWithState"])


def test_scan_over_a_dynamic_length_is_refused():
    scan = helper.make_node("Scan", ["s0", "x"], ["s", "ys"], body=_sum_body(),
                            num_scan_inputs=1)
    model = make_model([scan], [io("s0", [2]), io("x", ["n", 2]), io("w", [2])],
                       [io("s", [2]), io("ys", ["n", 2])])
    unroll = UnrollControlFlowPass()
    assert not unroll(model).modified and "Scan" in ops(model)
    assert "scanned length of 'x' is not static" in next(iter(unroll.refusals.values()))
