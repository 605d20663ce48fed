"""Losses: NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss (inference-time evaluation).

``loss[n, d...] = -input[n, target[n, d...], d...] · weight[target]``, zero where the target
equals ``ignore_index``; ``mean`` divides by the summed weights of the kept targets, as the
spec (and its reference) says. SoftmaxCrossEntropyLoss is the same on ``log_softmax(scores)``
and can also return that log-probability tensor.
"""

from __future__ import annotations

from tvm import relax

from ._common import attr_str, dtype_of
from .registry import converter

__all__ = ["negative_log_likelihood_loss", "softmax_cross_entropy_loss"]

_op = relax.op


def _nll(log_prob, target, weight, attrs):
    dtype = dtype_of(log_prob)
    target = _op.astype(target, "int64")
    ignore = attrs.get("ignore_index")
    keep = None
    safe_target = target
    if ignore is not None:
        keep = _op.not_equal(target, relax.const(int(ignore), "int64"))
        safe_target = _op.where(keep, target, _op.zeros_like(target))
    picked = _op.squeeze(_op.gather_elements(log_prob, _op.expand_dims(safe_target, 1), 1),
                         [1])
    if weight is not None:
        scale = _op.take(weight, safe_target, axis=0)
    else:
        scale = _op.ones_like(picked)
    if keep is not None:
        scale = _op.where(keep, scale, _op.zeros_like(scale))
    loss = _op.negative(_op.multiply(picked, scale))
    reduction = attr_str(attrs, "reduction", "mean")
    if reduction == "none":
        return loss
    total = _op.sum(loss)
    if reduction == "sum":
        return total
    return _op.divide(total, _op.astype(_op.sum(scale), dtype))


@converter("", "NegativeLogLikelihoodLoss", 12)
def negative_log_likelihood_loss(bb, inputs, attrs, ctx):
    """loss = NegativeLogLikelihoodLoss(input, target, weight?)."""
    weight = inputs[2] if len(inputs) > 2 else None
    return _nll(inputs[0], inputs[1], weight, attrs)


@converter("", "SoftmaxCrossEntropyLoss", 12)
def softmax_cross_entropy_loss(bb, inputs, attrs, ctx):
    """loss, log_prob = SoftmaxCrossEntropyLoss(scores, labels, weights?)."""
    weight = inputs[2] if len(inputs) > 2 else None
    log_prob = bb.normalize(_op.nn.log_softmax(inputs[0], axis=1))
    loss = _nll(log_prob, inputs[1], weight, attrs)
    if ctx.num_outputs > 1:
        return relax.Tuple([loss, log_prob])
    return loss
