"""Drop zero-element constant operands of ``concat`` in a lowered Relax module.

TVM 0.27 serializes a constant with no elements (shape ``(2, 4, 0)``: the empty state of a
kernel-size-1 causal convolution, folded at import) into ``model.so`` in a form its own
loader rejects ("Invalid DLTensor file format"). The common source is padding by an empty
tensor: ``concat((empty, x, ...))`` → ``concat((x, ...))`` is the same value. (Replacing
other empty constants by ``R.zeros`` does not help: the build pipeline folds it back into one.)
"""

from __future__ import annotations

from tvm import relax, tirx
from tvm.ir import GenericConst, IRModule, Op

__all__ = ["drop_empty_concat_operands"]

_CONCAT = Op.get("relax.concat")


def _is_empty(expr) -> bool:
    """A tensor constant with a static zero dimension."""
    ty = expr.ty
    return isinstance(expr, GenericConst) and isinstance(ty, relax.TensorType) and \
        ty.shape is not None and any(isinstance(dim, tirx.IntImm) and int(dim.value) == 0
                                     for dim in ty.shape.values)


@relax.expr_functor.mutator
class _EmptyOperands(relax.PyExprMutator):
    def visit_call_(self, call):
        if call.op.same_as(_CONCAT) and isinstance(call.args[0], relax.Tuple):
            fields = list(call.args[0].fields)
            kept = [field for field in fields if not _is_empty(field)]
            if kept and len(kept) < len(fields):
                kept = [self.visit_expr(field) for field in kept]
                return relax.op.concat(kept, axis=int(call.attrs.axis))
        return super().visit_call_(call)


def drop_empty_concat_operands(mod: IRModule) -> IRModule:
    """``mod`` without zero-element constant operands of ``concat`` in its Relax functions."""
    for gvar, func in list(mod.functions.items()):
        if isinstance(func, relax.Function):
            mod[gvar] = _EmptyOperands().visit_expr(func)
    return mod
