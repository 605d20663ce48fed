"""Losses and metrics: ``cross_entropy`` on probabilities (the 1.x API) and ``accuracy``."""

from __future__ import annotations

import numpy as np

from ..framework import Variable
from ..layer_helper import LayerHelper, dims

__all__ = ["cross_entropy", "accuracy"]


def cross_entropy(input, label, soft_label=False, ignore_index=-100) -> Variable:
    """``-log(input[label])`` per row (shape ``[..., 1]``); with ``soft_label``,
    ``-sum(label * log(input))``. ``input`` holds probabilities (e.g. a softmax output).

    Hard labels become ``Neg(Log(GatherElements(input, label, axis=-1)))``: plain ONNX, so
    a saved program that keeps its loss still compiles. ``ignore_index`` is not supported.
    """
    if ignore_index != -100:
        raise ValueError("cross_entropy: ignore_index is not supported by paddlec.fluid")
    helper = LayerHelper("cross_entropy")
    x_dims = dims(input)
    out_dims = x_dims[:-1] + [1]
    if soft_label:
        (logp,) = helper.append("Log", [input], {}, [x_dims], [input.dtype])
        (prod,) = helper.append("Mul", [label, logp], {}, [x_dims], [input.dtype])
        axes = helper.const(np.array([-1], np.int64))
        (total,) = helper.append(
            "ReduceSum", [prod, axes], {"keepdims": 1}, [out_dims], [input.dtype]
        )
        return helper.append("Neg", [total], {}, [out_dims], [input.dtype])[0]
    if len(dims(label)) != len(x_dims):
        raise ValueError(
            f"cross_entropy: label {label.name!r} must have rank {len(x_dims)} "
            f"(shape [..., 1]), got shape {list(label.shape)}"
        )
    (picked,) = helper.append(
        "GatherElements", [input, label], {"axis": len(x_dims) - 1}, [out_dims], [input.dtype]
    )
    (logp,) = helper.append("Log", [picked], {}, [out_dims], [input.dtype])
    return helper.append("Neg", [logp], {}, [out_dims], [input.dtype])[0]


def accuracy(input, label, k=1, correct=None, total=None) -> Variable:
    """Fraction of rows whose label is among the top-``k`` scores (a scalar)."""
    helper = LayerHelper("accuracy")
    x_dims = dims(input)
    k_value = helper.const(np.array([k], np.int64))
    _, indices = helper.append(
        "TopK",
        [input, k_value],
        {"axis": -1},
        [x_dims[:-1] + [k]] * 2,
        [input.dtype, "int64"],
        stop_gradient=True,
    )
    (hits,) = helper.append(
        "Equal", [indices, label], {}, [x_dims[:-1] + [k]], ["bool"], stop_gradient=True
    )
    (hits,) = helper.append(
        "Cast",
        [hits],
        {"to": 1 if input.dtype == "float32" else 11},
        [x_dims[:-1] + [k]],
        [input.dtype],
        stop_gradient=True,
    )
    (best,) = helper.append(
        "ReduceMax",
        [hits],
        {"axes": [-1], "keepdims": 0},
        [x_dims[:-1]],
        [input.dtype],
        stop_gradient=True,
    )
    return helper.append(
        "ReduceMean", [best], {"keepdims": 0}, [[]], [input.dtype], stop_gradient=True
    )[0]
