"""Lone BatchNormalization → per-channel Mul + Add."""

from __future__ import annotations

import numpy as np
import onnx_ir as ir

from ._rewrite import Match, RewriteRule, add_initializer, const_array, replace_node
from .fuse_conv_bn import batchnorm_affine, check_batchnorm

__all__ = ["BatchNormToAffinePass"]


class BatchNormToAffinePass(RewriteRule):
    """``y = BN(x, g, b, m, v)`` → ``y = Add(Mul(x, s), t)`` with ``s = g / sqrt(v + eps)``
    and ``t = b - m * s``, both shaped ``[C, 1, ...]`` to broadcast over ``x``'s axis 1.

    Runs after the conv fusions, for the BNs that follow no conv (DenseNet's pre-activation
    BNs follow a Concat or a pool). Safe because inference-mode BN is exactly this affine map;
    two elementwise ops are what TVM fuses into its neighbours, and a following conv/add
    fusion may absorb them. Refused when the input rank is unknown (the constants' shape
    depends on it) or the BN is not foldable (training mode, non-constant statistics).
    """

    anchors = ("BatchNormalization",)

    def pattern(self, node: ir.Node) -> Match | None:
        return Match({"bn": node})

    def check(self, match: Match) -> str | None:
        bn = match["bn"]
        if bn.inputs[0].shape is None:
            return "the input rank is unknown"
        if len(bn.inputs[0].shape) < 2:
            return "the input has no channel axis"
        return check_batchnorm(bn)

    def rewrite(self, graph: ir.Graph, match: Match) -> None:
        bn = match["bn"]
        scale, shift = batchnorm_affine(bn)
        dtype = const_array(bn.inputs[1]).dtype
        view = (-1,) + (1,) * (len(bn.inputs[0].shape) - 2)
        name = bn.name or bn.outputs[0].name
        s = add_initializer(graph, scale.reshape(view).astype(dtype), f"{name}_scale")
        t = add_initializer(graph, shift.reshape(view).astype(dtype), f"{name}_shift")
        mul = ir.node("Mul", [bn.inputs[0], s], name=f"{name}_mul")
        add = ir.node("Add", [mul.outputs[0], t], name=f"{name}_add")
        mul.outputs[0].name = f"{name}_scaled"
        mul.outputs[0].dtype = bn.outputs[0].dtype
        mul.outputs[0].shape = bn.outputs[0].shape
        replace_node(graph, [bn], [mul, add], bn.outputs[0], add.outputs[0])
