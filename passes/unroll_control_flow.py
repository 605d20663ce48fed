"""Unroll Scan and Loop with static trip counts into straight-line graphs.

Neither paddlec nor TVM 0.27 lowers ONNX control flow with loop-carried state; deployment
compilers handle the common case, a static number of iterations, by unrolling. Each
iteration is a fresh copy of the body whose inputs are the previous iteration's outputs;
values that the body reads from the enclosing graph stay shared.
"""

from __future__ import annotations

import itertools

import numpy as np
import onnx_ir as ir
from onnx_ir import _cloner

from ._rewrite import attr_ints, const_array, is_onnx_op, static_shape

__all__ = ["UnrollControlFlowPass"]


class _Refused(Exception):
    """This node cannot be unrolled; the message says why."""


class UnrollControlFlowPass(ir.passes.InPlacePass):
    """``Scan``/``Loop`` with a static trip count → ``trip`` copies of the body.

    * ``states, scans = Scan(init, xs, body)`` → per step ``t``: ``x_t = xs[t] along axis``,
      ``states = body(states, x_t)``; each scan output is ``Concat(Unsqueeze(out_t, axis))``
      (reversed for direction 1). Opset 8's batched form is unrolled per batch entry, then
      stacked; ``sequence_lens`` is refused.
    * ``v, scans = Loop(M, cond, v0, body)`` with a constant ``M`` and a condition that stays
      true (absent, constant true, or the body's ``cond_out`` passed through from
      ``cond_in``) → ``M`` copies with ``iter_num = t``; scans stacked on axis 0.

    Inner loops are unrolled first. A body used more than ``max_nodes`` times in total is
    refused, as is anything dynamic: ``refusals`` maps each refused node to the reason, which
    the lowering shows as an unsupported-op error.
    """

    def __init__(self, max_nodes: int = 50_000) -> None:
        super().__init__()
        self.max_nodes = max_nodes
        self.refusals: dict[ir.Node, str] = {}
        self._names = itertools.count()
        self._opset = 1

    def call(self, model: ir.Model) -> ir.passes.PassResult:
        self.refusals = {}
        self._opset = model.opset_imports.get("", 1)
        modified = self._unroll_in(model.graph)
        return ir.passes.PassResult(model, modified)

    def _unroll_in(self, graph: ir.Graph) -> bool:
        modified = False
        for node in list(graph):
            for attr in node.attributes.values():  # innermost first
                if attr.type == ir.AttributeType.GRAPH:
                    modified |= self._unroll_in(attr.as_graph())
            if not is_onnx_op(node, "Scan", "Loop"):
                continue
            try:
                outputs, nodes = (self._scan(node) if node.op_type == "Scan"
                                  else self._loop(node))
            except _Refused as exc:
                self.refusals[node] = str(exc)
                continue
            finals = [_identity(value, nodes) for value in outputs]
            ir.convenience.replace_nodes_and_values(
                graph, node, [node], nodes, list(node.outputs), finals)
            modified = True
        return modified

    # ------------------------------------------------------------------ Scan

    def _scan(self, node: ir.Node) -> tuple[list[ir.Value], list[ir.Node]]:
        body = node.attributes["body"].as_graph()
        num_scan = node.attributes["num_scan_inputs"].as_int()
        inputs = list(node.inputs)
        nodes: list[ir.Node] = []
        if self._opset < 9:
            if inputs[0] is not None:
                raise _Refused("sequence_lens (per-batch lengths) is not supported")
            return self._scan8(node, body, inputs[1:], num_scan, nodes), nodes
        num_states = len(inputs) - num_scan
        in_axes = attr_ints(node, "scan_input_axes", [0] * num_scan)
        in_dirs = attr_ints(node, "scan_input_directions", [0] * num_scan)
        out_axes = attr_ints(node, "scan_output_axes", [0] * (len(body.outputs) - num_states))
        out_dirs = attr_ints(node, "scan_output_directions", [0] * len(out_axes))
        outputs = self._scan_steps(body, inputs[:num_states], inputs[num_states:], in_axes,
                                   in_dirs, out_axes, out_dirs, nodes)
        return outputs, nodes

    def _scan8(self, node, body, inputs, num_scan, nodes):
        """Opset 8: every input has a leading batch axis and scans along axis 1."""
        num_states = len(inputs) - num_scan
        batch = _dim(inputs[0] if inputs else None, 0)
        dirs = attr_ints(node, "directions", [0] * num_scan)
        per_batch = []
        for b in range(batch):
            picked = [_gather(value, b, 0, nodes, self._opset) for value in inputs]
            per_batch.append(self._scan_steps(
                body, picked[:num_states], picked[num_states:], [0] * num_scan, dirs,
                [0] * (len(body.outputs) - num_states), [0] * (len(body.outputs) - num_states),
                nodes))
        return [_stack([outs[i] for outs in per_batch], 0, nodes, self._opset)
                for i in range(len(body.outputs))]

    def _scan_steps(self, body, states, scanned, in_axes, in_dirs, out_axes, out_dirs,
                    nodes):
        if not scanned:
            raise _Refused("a Scan without scan inputs has no trip count")
        ranks = [len(v.shape) if v.shape is not None else None for v in scanned]
        axes = [a + r if a < 0 and r is not None else a for a, r in zip(in_axes, ranks)]
        lengths = {_dim(value, axis) for value, axis in zip(scanned, axes)}
        if len(lengths) != 1:
            raise _Refused(f"scan inputs disagree on the sequence length: {sorted(lengths)}")
        steps = lengths.pop()
        self._check_size(body, steps)
        collected: list[list[ir.Value]] = [[] for _ in out_axes]
        for t in range(steps):
            slices = [_gather(value, steps - 1 - t if direction else t, axis, nodes,
                              self._opset)
                      for value, axis, direction in zip(scanned, axes, in_dirs)]
            outs = self._instantiate(body, states + slices, nodes)
            states = outs[:len(states)]
            for i, value in enumerate(outs[len(states):]):
                collected[i].append(value)
        results = list(states)
        for values, axis, direction in zip(collected, out_axes, out_dirs):
            rank = len(values[0].shape) + 1 if values[0].shape is not None else None
            if axis < 0:
                if rank is None:
                    raise _Refused("a negative scan_output_axes needs the output's rank")
                axis += rank
            results.append(_stack(values[::-1] if direction else values, axis, nodes,
                                  self._opset))
        return results

    # ------------------------------------------------------------------ Loop

    def _loop(self, node: ir.Node) -> tuple[list[ir.Value], list[ir.Node]]:
        body = node.attributes["body"].as_graph()
        inputs = list(node.inputs) + [None] * (2 - len(node.inputs))
        trip, cond = inputs[0], inputs[1]
        if trip is None:
            raise _Refused("no trip count (a while loop): the number of iterations is not "
                           "static")
        count = const_array(trip)
        if count is None:
            raise _Refused("the trip count is computed at run time; bind it to a constant "
                           "(const_inputs / --const-input) to compile an unrolled loop")
        if cond is not None:
            start = const_array(cond)
            if start is None:
                raise _Refused("the initial condition is computed at run time")
            if not bool(start):
                raise _Refused("the loop runs zero times (cond is false)")
        if not _passes_condition_through(body):
            raise _Refused("the body computes its own condition (an early exit): the number "
                           "of iterations is not static")
        steps = int(count)
        if steps <= 0:
            raise _Refused("the loop runs zero times (trip count ≤ 0)")
        self._check_size(body, steps)
        nodes: list[ir.Node] = []
        carried = inputs[2:]
        true = _constant(np.array(True), nodes)
        collected: list[list[ir.Value]] = [[] for _ in body.outputs[1 + len(carried):]]
        for t in range(steps):
            iteration = _constant(np.array(t, np.int64), nodes)
            outs = self._instantiate(body, [iteration, true] + carried, nodes)
            carried = outs[1:1 + len(carried)]
            for i, value in enumerate(outs[1 + len(carried):]):
                collected[i].append(value)
        return carried + [_stack(values, 0, nodes, self._opset)
                          for values in collected], nodes

    # ------------------------------------------------------------------ shared

    def _check_size(self, body: ir.Graph, steps: int) -> None:
        size = sum(1 for _ in ir.traversal.RecursiveGraphIterator(body)) * steps
        if size > self.max_nodes:
            raise _Refused(f"unrolling {steps} iterations would create {size} nodes "
                           f"(limit {self.max_nodes})")

    def _instantiate(self, body: ir.Graph, bound: list, nodes: list[ir.Node]) -> list:
        """One copy of ``body`` with its inputs bound to ``bound``; returns its outputs."""
        if len(bound) != len(body.inputs):
            raise _Refused(f"the body takes {len(body.inputs)} inputs, the node gives "
                           f"{len(bound)}")
        tag = next(self._names)
        value_map = dict(zip(body.inputs, bound))
        for initializer in body.initializers.values():  # subgraph constants → Constant nodes
            value_map[initializer] = _constant(initializer.const_value.numpy(), nodes)

        def rename(new_node: ir.Node) -> None:
            new_node.name = f"{new_node.name}__u{tag}" if new_node.name else None
            for output in new_node.outputs:
                output.name = f"{output.name}__u{tag}" if output.name else None

        cloner = _cloner.Cloner(attr_map={}, value_map=value_map, metadata_props={},
                                post_process=rename, allow_outer_scope_values=True)
        for body_node in body:
            nodes.append(cloner.clone_node(body_node))
        return [value_map.get(value, value) for value in body.outputs]


def _dim(value: ir.Value | None, axis: int) -> int:
    shape = static_shape(value)
    if shape is None or axis >= len(shape):
        name = value.name if value is not None else "?"
        raise _Refused(f"the scanned length of {name!r} is not static (shape "
                       f"{value.shape if value is not None else None})")
    return shape[axis]


def _passes_condition_through(body: ir.Graph) -> bool:
    """The body's ``cond_out`` is ``cond_in`` (through Identity) or a constant true."""
    value = body.outputs[0]
    while value is not body.inputs[1]:
        producer = value.producer()
        if is_onnx_op(producer, "Identity"):
            value = producer.inputs[0]
            continue
        constant = const_array(value)
        return constant is not None and bool(constant)
    return True


def _add(nodes: list[ir.Node], op_type: str, inputs: list, **attributes) -> ir.Value:
    node = ir.node(op_type, inputs, attributes=attributes)
    nodes.append(node)
    return node.outputs[0]


def _constant(array: np.ndarray, nodes: list[ir.Node]) -> ir.Value:
    value = _add(nodes, "Constant", [], value=ir.tensor(array))
    value.dtype = ir.DataType.from_numpy(array.dtype)
    value.shape = ir.Shape(array.shape)
    return value


def _gather(value: ir.Value, index: int, axis: int, nodes: list[ir.Node],
            opset: int) -> ir.Value:
    """``value[..., index, ...]`` along ``axis``, the axis removed (what a Scan body sees).

    From opset 13 on as Slice + Squeeze (TVM lowers Gather through a ``take`` that warns
    about out-of-bounds indices on every instance); before, as Gather (TVM's converters of
    the attribute forms of Slice and Squeeze fail).
    """
    if opset >= 13:
        bounds = [_constant(np.array([i], np.int64), nodes) for i in (index, index + 1, axis)]
        picked = _add(nodes, "Slice", [value, *bounds])
        out = _add(nodes, "Squeeze", [picked, _constant(np.array([axis], np.int64), nodes)])
    else:
        out = _add(nodes, "Gather", [value, _constant(np.array(index, np.int64), nodes)],
                   axis=axis)
    out.type = value.type
    if value.shape is not None:
        out.shape = ir.Shape([d for i, d in enumerate(value.shape) if i != axis])
    return out


def _stack(values: list[ir.Value], axis: int, nodes: list[ir.Node], opset: int) -> ir.Value:
    """Per-iteration values stacked along a new ``axis`` (Unsqueeze's axes is an input
    from opset 13 on, an attribute before)."""
    if opset >= 13:
        axes = _constant(np.array([axis], np.int64), nodes)
        expanded = [_add(nodes, "Unsqueeze", [value, axes]) for value in values]
    else:
        expanded = [_add(nodes, "Unsqueeze", [value], axes=[axis]) for value in values]
    if len(expanded) == 1:
        return expanded[0]
    return _add(nodes, "Concat", expanded, axis=axis)


def _identity(value: ir.Value, nodes: list[ir.Node]) -> ir.Value:
    """A fresh value for each result (a body output may be an outer or an input value)."""
    return _add(nodes, "Identity", [value])
