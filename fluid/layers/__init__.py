"""``fluid.layers``: functions that append nodes to the default main program."""

from __future__ import annotations

from ..framework import Variable, default_main_program
from .loss import accuracy, cross_entropy
from .math import (
    concat,
    elementwise_add,
    elementwise_div,
    elementwise_mul,
    elementwise_sub,
    fill_constant,
    flatten,
    matmul,
    mean,
    relu,
    reshape,
    scale,
    sigmoid,
    softmax,
    tanh,
    transpose,
)
from .nn import batch_norm, conv2d, dropout, fc, pool2d

__all__ = [
    "data",
    "fc",
    "conv2d",
    "batch_norm",
    "pool2d",
    "dropout",
    "relu",
    "sigmoid",
    "tanh",
    "softmax",
    "cross_entropy",
    "accuracy",
    "mean",
    "reshape",
    "flatten",
    "concat",
    "elementwise_add",
    "elementwise_sub",
    "elementwise_mul",
    "elementwise_div",
    "matmul",
    "scale",
    "fill_constant",
    "transpose",
]


def data(
    name: str, shape, dtype="float32", lod_level=0, append_batch_size=True, stop_gradient=True
) -> Variable:
    """The 1.x ``layers.data``: a feed whose shape gets a leading batch dim by default."""
    shape = list(shape)
    if append_batch_size and not any(d is None or d < 0 for d in shape):
        shape = [None] + shape
    return default_main_program().add_data(name, shape, dtype)
