"""``batch_norm(x, γ, β, μ, σ²)[0] → x * s + t`` with ``s = γ / sqrt(σ² + ε)``, ``t = β - μ s``.

Runs after TVM's ``FoldBatchnormToConv2D``, which only folds a BN that directly follows a
bias-free ``conv2d``. Any other inference BN (after a conv with bias, after an add...)
becomes a multiply and an add — both in TensorRT's pattern table, so the BN no longer cuts
a region; TensorRT fuses them into a scale layer. Statistics must be constants
(inference, ``training=False``).

The ONNX-level pass ``passes/batchnorm_to_affine.py`` does the same rewrite before lowering
(at -O2 no BN reaches this point), but the partitioner also takes modules that were never
optimized (-O0, ``--disable-pass``, direct API use) and must see only the BNs that TVM's
conv fold left; so this stays a Relax rewrite and shares the algebra,
``passes.fuse_conv_bn.batchnorm_scale_shift``.
"""

from __future__ import annotations

__all__ = ["batch_norm_to_affine"]


def batch_norm_to_affine(mod):
    from tvm import relax
    from tvm.relax.dpl import TupleGetItemPattern, is_const, is_op, rewrite_call, wildcard

    from ...passes.fuse_conv_bn import batchnorm_scale_shift

    x, gamma, beta, mean, var = wildcard(), is_const(), is_const(), is_const(), is_const()
    bn = is_op("relax.nn.batch_norm")(x, gamma, beta, mean, var)
    pattern = TupleGetItemPattern(bn, 0)

    def rewriter(expr, matches):
        call = matches[bn]
        data = matches[x]
        if bool(getattr(call.attrs, "training", False)) or data.ty.shape is None:
            return expr
        scale, shift = batchnorm_scale_shift(
            *(matches[p].value.numpy() for p in (gamma, beta, mean, var)),
            float(call.attrs.epsilon))
        rank = len(data.ty.shape.values)
        axis = int(call.attrs.axis) % rank
        shape = [1] * rank
        shape[axis] = -1
        dtype = str(data.ty.dtype)
        s = relax.const(scale.reshape(shape).astype(dtype))
        t = relax.const(shift.reshape(shape).astype(dtype))
        return relax.op.add(relax.op.multiply(data, s), t)

    updates = {gv: rewrite_call(pattern, rewriter, func) for gv, func in mod.functions.items()
               if isinstance(func, relax.Function)}
    for gv, func in updates.items():
        mod[gv] = func
    return mod
