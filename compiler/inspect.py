"""Describe a source model without compiling it (``paddlec inspect MODEL``)."""

from __future__ import annotations

import collections
from pathlib import Path

import onnx_ir as ir

from .frontends import load_model

__all__ = ["describe_model"]


def _spec(value: ir.Value) -> dict:
    shape = [] if value.shape is None else [d if isinstance(d, int) else str(d) for d in value.shape]
    try:
        dtype = value.dtype.numpy().name if value.dtype is not None else "unknown"
    except TypeError:  # a type numpy has no dtype for (UNDEFINED, STRING...)
        dtype = value.dtype.name.lower()
    return {"name": value.name, "dtype": dtype, "shape": shape}


def describe_model(path: str | Path, model_file: str | Path | None = None,
                   params_file: str | Path | None = None) -> dict:
    """Format, opset, inputs, outputs and an operator histogram of the model at ``path``.

    For a Paddle model, ``ops`` counts the *Paddle* program's op types (what the user wrote)
    and ``ir_ops`` the ONNX nodes they were mapped to.
    """
    source = load_model(path, model_file=model_file, params_file=params_file)
    graph = source.model.graph
    ops = collections.Counter(
        node.op_type if node.domain in ("", "ai.onnx") else f"{node.domain}::{node.op_type}"
        for node in ir.traversal.RecursiveGraphIterator(graph)
    )
    info = {
        "file": str(source.files[0]),
        "format": source.format,
        "opset": source.model.opset_imports.get("", None),
        "inputs": [_spec(value) for value in graph.inputs],
        "outputs": [_spec(value) for value in graph.outputs],
        "node_count": sum(ops.values()),
        "ops": dict(ops.most_common()),
    }
    if source.source_ops is not None:
        info["ir_ops"], info["ir_node_count"] = info["ops"], info["node_count"]
        info["ops"], info["node_count"] = source.source_ops, sum(source.source_ops.values())
        info["files"] = [str(f) for f in source.files]
    return info
