"""Switch a graph's training-mode ops to inference mode (works on any ``onnx_ir`` model).

    y, mask = Dropout(x, ratio, training_mode)  →  uses of y read x (identity)
    y, rm, rv = BatchNormalization(x, s, b, m, v, training_mode=1)
                                                →  y = BatchNormalization(x, s, b, m, v)
                                                   (training_mode=0: running statistics)

Safe because inference-mode Dropout is the identity and inference-mode BN is what the ONNX
spec defines for ``training_mode=0``. The running-statistic outputs and the dropout mask
must be unused (prune first): a graph that still reads them is a training graph, and the
pass raises instead of silently changing what it computes.
"""

from __future__ import annotations

import onnx_ir as ir

from ..errors import PaddlecError
from .framework import TRAIN_DOMAIN

__all__ = ["InferenceModeError", "to_inference_mode"]


class InferenceModeError(PaddlecError):
    """The graph still uses a training-only output (BN running stats, a dropout mask)."""

    exit_code = 2


def to_inference_mode(model: ir.Model, drop_training_ops: bool = False) -> dict[str, int]:
    """Rewrite in place; returns counts
    ``{"dropout_removed": n, "batch_norm_to_inference": m}``.

    ``drop_training_ops`` first removes every ``paddlec.train`` node and whatever only they
    used (what ``Program.clone(for_test=True)`` wants).
    """
    graph = model.graph
    if drop_training_ops:
        graph.remove([n for n in graph if n.domain == TRAIN_DOMAIN], safe=True)
    counts = {"dropout_removed": 0, "batch_norm_to_inference": 0}
    for node in list(graph):
        if node.domain not in ("", "ai.onnx"):
            continue
        if node.op_type == "Dropout":
            _check_unused(node, node.outputs[1:], "dropout mask")
            ir.convenience.replace_all_uses_with(
                node.outputs[0], node.inputs[0], replace_graph_outputs=True
            )
            graph.remove(node, safe=True)
            counts["dropout_removed"] += 1
        elif node.op_type == "BatchNormalization" and _training(node):
            _check_unused(node, node.outputs[1:], "running statistics output")
            attrs = {
                "epsilon": node.attributes.get_float("epsilon", 1e-5),
                "momentum": node.attributes.get_float("momentum", 0.9),
            }
            _replace_node(graph, node, ir.node("BatchNormalization", list(node.inputs), attrs))
            counts["batch_norm_to_inference"] += 1
    return counts


def _training(node: ir.Node) -> bool:
    return bool(node.attributes.get_int("training_mode", 0)) or len(node.outputs) > 1


def _check_unused(node: ir.Node, outputs, what: str) -> None:
    for value in outputs:
        if value is not None and (value.uses() or value.is_graph_output()):
            users = ", ".join(u.node.op_type for u in value.uses()) or "a graph output"
            raise InferenceModeError(
                f"{node.op_type} {node.outputs[0].name!r}: its {what} {value.name!r} is still "
                f"used by {users}; prune the graph to the inference targets first"
            )


def _replace_node(graph: ir.Graph, old: ir.Node, new: ir.Node) -> None:
    """Put ``new`` where ``old`` was; its single output takes over the first output's uses,
    name, type and shape."""
    before, after = old.outputs[0], new.outputs[0]
    after.type, after.shape = before.type, before.shape
    graph.insert_before(old, new)
    ir.convenience.replace_all_uses_with(before, after, replace_graph_outputs=True)
    graph.remove(old, safe=True)
    name, before.name = before.name, None
    after.name = name
