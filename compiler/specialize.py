"""A batch-1 copy of ``main`` next to the dynamic one.

With a symbolic batch dimension the Relax VM computes every intermediate shape at run time:
on MobileNetV2 at batch 1 that is 87 ``make_shape`` and 30 ``alloc_storage`` calls per run,
~0.35 ms of 4.3 (compiled with a static batch it runs 8 % faster, ``bench/ab.py``). Batch 1
is the common serving case, so the compiler adds ``main_batch1``: ``main`` with the batch
variable bound to 1, whose shapes, memory plan and kernels are all static. The runtime calls it
when every batched input has a leading dimension of 1, ``main`` otherwise.

Safe because binding a symbolic variable to a value it takes at run time is exactly what
``main`` computes for that value; the copy shares the constants (weights) with ``main``.
Applied only when one variable is the leading dimension of the inputs that use it and appears
nowhere else in an input shape, so the runtime's check of dimension 0 is the whole condition.
"""

from __future__ import annotations

import tvm
from tvm import relax, tirx

__all__ = ["BATCH_ONE_FUNCTION", "add_batch_one"]

BATCH_ONE_FUNCTION = "main_batch1"


def _batch_var(func: relax.Function) -> tuple[tirx.Var, list[int]] | None:
    """The symbolic leading dimension shared by the inputs, and those inputs' indices."""
    leading: dict = {}
    elsewhere: set = set()
    for index, param in enumerate(func.params):
        shape = getattr(param.ty, "shape", None)
        if shape is None or not hasattr(shape, "values"):
            return None  # an input of unknown rank: leave the model alone
        for position, dim in enumerate(shape.values):
            if isinstance(dim, tirx.IntImm):
                continue
            if not isinstance(dim, tirx.Var):
                return None  # an expression of variables: leave the model alone
            if position == 0:
                leading.setdefault(dim, []).append(index)
            else:
                elsewhere.add(dim)
    candidates = [(var, indices) for var, indices in leading.items() if var not in elsewhere]
    names = [var.name for var in {*leading, *elsewhere}]
    if len(candidates) != 1 or names.count(candidates[0][0].name) != 1:
        return None  # no batch variable, several, or one whose name is not unique
    return candidates[0]


def add_batch_one(mod) -> tuple[object, dict | None]:
    """``mod`` with ``main_batch1`` added, and the manifest entry that tells the runtime when
    to call it (``{"function", "inputs"}``: the indices of the batched inputs); ``(mod, None)``
    when ``main`` has no single symbolic batch dimension."""
    main = mod["main"]
    found = _batch_var(main)
    if found is None:
        return mod, None
    var, indices = found
    if _batched_prim_func_calls(main, var):
        # a converter emitted a TIR function for the symbolic batch (TVM's opset-12 Clip):
        # bound to 1 in the copy, its buffers no longer match their callers' (FuseTIR fails)
        return mod, None
    # fresh variables (a relax.Var may be defined in one function only; the copy has its own
    # symbolic variables, hence binding by name)
    copy = relax.utils.copy_with_new_vars(main).bind_symbolic_vars({var.name: 1})
    if _unknown_shapes(copy) > _unknown_shapes(main):
        # re-deriving the types lost a shape (a match_cast to an expression of the batch
        # variable): the copy would not lower, so the model keeps ``main`` only
        return mod, None
    copy = copy.with_attr("global_symbol", BATCH_ONE_FUNCTION)
    mod = tvm.IRModule(dict(mod.functions), attrs=mod.attrs)
    mod[BATCH_ONE_FUNCTION] = copy
    return mod, {"function": BATCH_ONE_FUNCTION, "inputs": indices}


def _batched_prim_func_calls(func: relax.Function, batch: tirx.Var) -> bool:
    """Whether ``func`` calls a TIR function on a tensor whose shape uses ``batch``."""
    found = False
    call_tir = tvm.ir.Op.get("relax.call_tir")

    @relax.expr_functor.visitor
    class _Finder(relax.PyExprVisitor):
        def visit_call_(self, call) -> None:
            nonlocal found
            if call.op == call_tir:
                for arg in call.args[1].fields:
                    shape = getattr(arg.ty, "shape", None)
                    if shape is not None and hasattr(shape, "values") and any(
                            used.same_as(batch) for dim in shape.values
                            for used in tirx.analysis.undefined_vars(dim)):
                        found = True
            super().visit_call_(call)

    _Finder().visit_expr(func)
    return found


def _unknown_shapes(func: relax.Function) -> int:
    """How many bindings of ``func`` are tensors of known rank but unknown shape."""
    count = 0

    @relax.expr_functor.visitor
    class _Counter(relax.PyExprVisitor):
        def visit_var_binding_(self, binding) -> None:
            nonlocal count
            ty = binding.var.ty
            if isinstance(ty, relax.TensorType) and ty.shape is None and ty.ndim >= 0:
                count += 1
            super().visit_var_binding_(binding)

    _Counter().visit_expr(func)
    return count
