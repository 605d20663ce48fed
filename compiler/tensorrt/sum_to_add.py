"""``sum(stack([broadcast_to(a, s), broadcast_to(b, s)]), axis=0) → add(a, b)``.

TVM 0.27 imports ONNX ``Sum`` (ResNet-50's residual adds) as broadcast + stack + sum.
``stack`` is not in TensorRT's pattern table, so each residual add would cut a TensorRT
region (ONNX light ResNet-50: 10 regions instead of 1). For two inputs whose shapes already
equal the result shape, the rewrite is exact: same single addition per element.
"""

from __future__ import annotations

__all__ = ["rewrite_sum_of_two"]


def rewrite_sum_of_two(mod):
    """Apply the rewrite to every Relax function of ``mod``."""
    import tvm
    from tvm import relax
    from tvm.relax.dpl import TuplePattern, is_op, rewrite_call, wildcard

    a, b = wildcard(), wildcard()
    broadcast_a = is_op("relax.broadcast_to")(a, wildcard())
    broadcast_b = is_op("relax.broadcast_to")(b, wildcard())
    stacked = is_op("relax.stack")(TuplePattern([broadcast_a, broadcast_b]))
    pattern = is_op("relax.sum")(stacked)

    def dims(x) -> list | None:
        shape = getattr(x.ty, "shape", None)
        if shape is None:
            return None
        return [int(d.value) if isinstance(d, tvm.tirx.IntImm) else d for d in shape.values]

    def same_shape(x, y) -> bool:
        left, right = dims(x), dims(y)
        return left is not None and right is not None and len(left) == len(right) and all(
            p == q if isinstance(p, int) and isinstance(q, int) else
            (not isinstance(p, int) and not isinstance(q, int) and p.same_as(q))
            for p, q in zip(left, right))

    def rewriter(expr, matches):
        left, right = matches[a], matches[b]
        stack_call, sum_call = matches[stacked], matches[pattern]
        axes = sum_call.attrs.axis
        if int(stack_call.attrs.axis) != 0 or axes is None or [int(x) for x in axes] != [0] \
                or bool(sum_call.attrs.keepdims):
            return expr
        if not (same_shape(left, right) and same_shape(left, expr)) or \
                str(left.ty.dtype) != str(right.ty.dtype):
            return expr
        return relax.op.add(left, right)

    updates = {gv: rewrite_call(pattern, rewriter, func) for gv, func in mod.functions.items()
               if isinstance(func, relax.Function)}
    for gv, func in updates.items():
        mod[gv] = func
    return mod
