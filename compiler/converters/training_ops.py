"""Training-time ops with deterministic outputs: optimizer steps and BatchNormalization
statistics.

* ``ai.onnx.preview.training`` opset 1 ``Adagrad``, ``Adam``, ``Momentum`` (standard and
  nesterov): one update step of every ``(X, G, state...)`` group, elementwise arithmetic on
  the given tensors with the learning rate ``R`` and step count ``T`` as runtime scalars
  (``T > 0`` branches become selects), as ``onnx/reference/ops/aionnx_preview_training``.
* ``BatchNormalization`` (opset 14/15) with ``training_mode=1``: ``Y`` normalized with the
  batch statistics, and ``running_mean = mean * momentum + batch_mean * (1 - momentum)``
  (likewise the population variance), the ONNX convention; TVM's Relax ``batch_norm`` uses
  the opposite weighting for its running statistics. Inference mode stays with TVM's
  converter (a ``batch_norm`` call, which the CPU build folds into convolutions).
"""

from __future__ import annotations

from tvm import relax
from tvm.relax.frontend.onnx.onnx_frontend import BatchNormalization as _TvmBatchNorm

from ._common import attr_str, dtype_of, ndim
from .registry import ConverterError, converter

__all__ = ["adagrad", "adam", "batch_normalization", "momentum"]

_op = relax.op


def _groups(inputs, per_group: int, op: str) -> list[list]:
    tensors = inputs[2:]
    if not tensors or len(tensors) % per_group:
        raise ConverterError(f"{op} needs R, T and {per_group} equally long tensor lists")
    n = len(tensors) // per_group
    return [[tensors[kind * n + i] for kind in range(per_group)] for i in range(n)]


def _scalar(value: float, dtype: str):
    return relax.const(float(value), dtype)


def _step(t, dtype: str):
    """``(T as dtype, T > 0)`` for the runtime step count."""
    return _op.astype(t, dtype), _op.greater(t, relax.const(0, dtype_of(t)))


@converter("ai.onnx.preview.training", "Adagrad", 1)
def adagrad(bb, inputs, attrs, ctx):
    """X_new, H_new = Adagrad(R, T, X, G, H): r / (1 + T * decay) * g / (sqrt(h) + eps)."""
    r, t = inputs[0], inputs[1]
    decay, eps = float(attrs.get("decay_factor", 0.0)), float(attrs.get("epsilon", 0.0))
    norm = float(attrs.get("norm_coefficient", 0.0))
    xs, hs = [], []
    for x, g, h in _groups(inputs, 3, "Adagrad"):
        dtype = dtype_of(x)
        t_f, _ = _step(t, dtype)
        rate = _op.divide(_op.astype(r, dtype),
                          _op.add(_scalar(1, dtype), _op.multiply(t_f, _scalar(decay, dtype))))
        g_reg = _op.add(_op.multiply(_scalar(norm, dtype), x), g)
        h_new = _op.add(h, _op.multiply(g_reg, g_reg))
        root = _op.add(_op.sqrt(h_new), _scalar(eps, dtype))
        xs.append(_op.subtract(x, _op.divide(_op.multiply(rate, g_reg), root)))
        hs.append(h_new)
    return relax.Tuple(xs + hs)


@converter("ai.onnx.preview.training", "Adam", 1)
def adam(bb, inputs, attrs, ctx):
    """X_new, V_new, H_new = Adam(R, T, X, G, V, H), bias-corrected when T > 0."""
    r, t = inputs[0], inputs[1]
    alpha, beta = float(attrs.get("alpha", 0.9)), float(attrs.get("beta", 0.999))
    eps = float(attrs.get("epsilon", 0.0))
    norm = float(attrs.get("norm_coefficient", 0.0))
    post = float(attrs.get("norm_coefficient_post", 0.0))
    xs, vs, hs = [], [], []
    for x, g, v, h in _groups(inputs, 4, "Adam"):
        dtype = dtype_of(x)
        one = _scalar(1, dtype)
        t_f, started = _step(t, dtype)
        g_reg = _op.add(_op.multiply(_scalar(norm, dtype), x), g)
        v_new = _op.add(_op.multiply(_scalar(alpha, dtype), v),
                        _op.multiply(_scalar(1 - alpha, dtype), g_reg))
        h_new = _op.add(_op.multiply(_scalar(beta, dtype), h),
                        _op.multiply(_scalar(1 - beta, dtype), _op.multiply(g_reg, g_reg)))
        root = _op.add(_op.sqrt(h_new), _scalar(eps, dtype))
        rate = _op.astype(r, dtype)
        beta_t = _op.power(_scalar(beta, dtype), t_f)
        alpha_t = _op.power(_scalar(alpha, dtype), t_f)
        corrected = _op.divide(_op.multiply(rate, _op.sqrt(_op.subtract(one, beta_t))),
                               _op.subtract(one, alpha_t))
        rate = _op.where(started, corrected, rate)
        x_new = _op.subtract(x, _op.multiply(rate, _op.divide(v_new, root)))
        xs.append(_op.multiply(_scalar(1 - post, dtype), x_new))
        vs.append(v_new)
        hs.append(h_new)
    return relax.Tuple(xs + vs + hs)


@converter("ai.onnx.preview.training", "Momentum", 1)
def momentum(bb, inputs, attrs, ctx):
    """X_new, V_new = Momentum(R, T, X, G, V), ``mode`` standard or nesterov."""
    r, t = inputs[0], inputs[1]
    alpha, beta = float(attrs["alpha"]), float(attrs["beta"])
    norm = float(attrs.get("norm_coefficient", 0.0))
    mode = attr_str(attrs, "mode", "standard")
    if mode not in ("standard", "nesterov"):
        raise ConverterError(f"mode {mode!r} is neither 'standard' nor 'nesterov'")
    xs, vs = [], []
    for x, g, v in _groups(inputs, 3, "Momentum"):
        dtype = dtype_of(x)
        _, started = _step(t, dtype)
        g_reg = _op.add(_op.multiply(_scalar(norm, dtype), x), g)
        beta_t = _op.where(started, _scalar(beta, dtype), _scalar(1, dtype))
        v_new = _op.add(_op.multiply(_scalar(alpha, dtype), v), _op.multiply(beta_t, g_reg))
        direction = v_new if mode == "standard" else _op.add(
            g_reg, _op.multiply(_scalar(alpha, dtype), v_new))
        xs.append(_op.subtract(x, _op.multiply(_op.astype(r, dtype), direction)))
        vs.append(v_new)
    return relax.Tuple(xs + vs)


@converter("", "BatchNormalization", 14)
def batch_normalization(bb, inputs, attrs, ctx):
    """Training mode as the ONNX spec weights the running statistics; inference mode is
    TVM's converter unchanged."""
    if not int(attrs.get("training_mode", 0)):
        return _TvmBatchNorm.get_converter(15)(bb, inputs, attrs, ctx.params)
    x, scale, bias, mean, var = inputs[:5]
    dtype = dtype_of(x)
    if dtype == "float16" or any(dtype_of(p) != dtype for p in inputs[1:5]):
        raise ConverterError("training_mode needs X, scale, B, mean and var of one float type "
                             "other than float16")
    eps, moment = float(attrs.get("epsilon", 1e-5)), float(attrs.get("momentum", 0.9))
    axes = [a for a in range(ndim(x)) if a != 1]
    batch_mean = _op.mean(x, axes, keepdims=False)
    batch_var = _op.variance(x, axes, keepdims=False)
    normalized = _op.nn.batch_norm(x, scale, bias, batch_mean, batch_var, axis=1,
                                   epsilon=eps, momentum=moment, training=False)
    y = relax.TupleGetItem(bb.normalize(normalized), 0)
    keep, take = _scalar(moment, dtype), _scalar(1 - moment, dtype)
    running_mean = _op.add(_op.multiply(mean, keep), _op.multiply(batch_mean, take))
    running_var = _op.add(_op.multiply(var, keep), _op.multiply(batch_var, take))
    return relax.Tuple([y, running_mean, running_var])
