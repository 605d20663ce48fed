"""Move data-dependent shape definitions out of dataflow blocks (a Relax rewrite).

A value whose size is computed at run time (``Range`` with a runtime limit, a window
length read from an input) gets its symbolic dimension from a ``match_cast`` of a
``tensor_to_shape``: ``n = T.int64(); s: R.Shape([n]) = R.match_cast(...)``. TVM 0.27's
importer leaves that binding inside the dataflow block, and ``FuseOps`` there ignores the
dependence through ``n``: it fuses an op that uses ``n`` with ops computed *before* the
``match_cast`` and places the fused call first, so the build fails with "PrimExpr ... n
has not been computed" (the window-function cases of the ONNX suite, ``HannWindow``'s
expanded body).

    DataflowBlock[a..., s = match_cast(...) defining n, b...]
      → DataflowBlock[a...], BindingBlock[s = match_cast(...)], DataflowBlock[b...]

Fusion cannot cross a block boundary, so every use of ``n`` stays after its definition.
Dataflow variables used across the new boundaries become ordinary variables. Functions
without such a ``match_cast`` are returned unchanged (fusion is untouched for them).

Applied by the ONNX importer (``converters/importer.py``) to every imported module.
"""

from __future__ import annotations

from tvm import relax
from tvm.ir import IRModule
from tvm.relax.expr_functor import PyExprMutator, mutator

__all__ = ["split_at_shape_definitions"]


def _split_points(func: relax.Function) -> set:
    """MatchCast bindings inside dataflow blocks that define symbolic vars not known yet."""
    known = set()
    for param in func.params:
        known.update(relax.analysis.definable_tir_vars_in_type(param.ty))
    points = set()
    for block in func.body.blocks:
        for binding in block.bindings:
            if not isinstance(binding, relax.MatchCast):
                continue
            defined = set(relax.analysis.definable_tir_vars_in_type(binding.ty))
            if defined - known and isinstance(block, relax.DataflowBlock):
                points.add(binding)
            known |= defined
    return points


def _segments(block, points: set) -> list[tuple[list, bool]]:
    """The block's bindings as (bindings, is_dataflow) runs, each split point alone."""
    segments, current = [], []
    for binding in block.bindings:
        if binding in points:
            if current:
                segments.append((current, True))
            segments.append(([binding], False))
            current = []
        else:
            current.append(binding)
    if current:
        segments.append((current, True))
    return segments


def _crossing_vars(func: relax.Function, points: set) -> set:
    """Dataflow vars that a split leaves outside their dataflow segment (used in another
    segment or block, or bound by a split point itself)."""
    owner = {}
    segment_number = 0
    for block in func.body.blocks:
        runs = _segments(block, points) if isinstance(block, relax.DataflowBlock) else \
            [(list(block.bindings), False)]
        for bindings, _ in runs:
            for binding in bindings:
                owner[binding.var] = segment_number
            segment_number += 1
    crossing = {point.var for point in points}
    segment_number = 0
    for block in func.body.blocks:
        runs = _segments(block, points) if isinstance(block, relax.DataflowBlock) else \
            [(list(block.bindings), False)]
        for bindings, _ in runs:
            for binding in bindings:
                for used in relax.analysis.free_vars(binding.value):
                    if isinstance(used, relax.DataflowVar) and owner.get(used) != \
                            segment_number:
                        crossing.add(used)
            segment_number += 1
    return {var for var in crossing if isinstance(var, relax.DataflowVar)}


@mutator
class _Splitter(PyExprMutator):
    def __init__(self, mod: IRModule, points: set, crossing: set) -> None:
        super().__init__(mod)
        self.points = points
        self.crossing = crossing

    def visit_dataflow_var_def_(self, var):
        if var in self.crossing:
            new = relax.Var(var.name, var.ty)
            self.set_var_remap(var, new)
            return new
        return super().visit_dataflow_var_def_(var)

    def visit_seq_expr_(self, op):
        blocks = []
        for block in op.blocks:
            if not isinstance(block, relax.DataflowBlock) or \
                    not any(binding in self.points for binding in block.bindings):
                blocks.append(self.visit_binding_block(block))
                continue
            for bindings, dataflow in _segments(block, self.points):
                if dataflow:
                    self.builder_._begin_dataflow_block()
                else:
                    self.builder_._begin_binding_block()
                for binding in bindings:
                    self.visit_binding(binding)
                blocks.append(self.builder_._end_block())
        return relax.SeqExpr(blocks, self.visit_expr(op.body))


def split_at_shape_definitions(mod: IRModule) -> IRModule:
    """``mod`` with data-dependent ``match_cast``s moved out of dataflow blocks."""
    for gvar, func in list(mod.functions_items()):
        if not isinstance(func, relax.Function) or not isinstance(func.body, relax.SeqExpr):
            continue
        points = _split_points(func)
        if not points:
            continue
        splitter = _Splitter(mod, points, _crossing_vars(func, points))
        mod[gvar] = splitter.visit_expr(func)
    return mod

