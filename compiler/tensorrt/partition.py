"""Partition a Relax module into TensorRT regions and TVM code, the way Paddle-TRT does.

1. Rewrite TVM's import of a two-input ONNX ``Sum`` to ``add`` (:mod:`.sum_to_add`) and
   fold batch norm into the preceding convolution (``FoldBatchnormToConv2D`` after dead-code
   elimination and constant folding; any other BN becomes ``x * s + t``,
   :mod:`.bn_to_affine`): an unfolded BN is not in the TensorRT pattern table
   and would cut every region after each convolution (ResNet-50: 21 regions → 10).
2. ``FuseOpsByPattern`` with TVM's TensorRT pattern table (``tvm.relax.backend.contrib
   .tensorrt``), each pattern's check extended with :func:`onnx_export.can_export`, then
   ``MergeCompositeFunctions`` grows maximal regions.
3. Regions with fewer than ``min_subgraph_size`` ops go back to TVM (Paddle's
   ``min_subgraph_size``); every other region is exported to ONNX and its call site becomes
   ``R.call_dps_packed("paddlec_trt_<hash>", args)``, a function the runtime registers.
4. With ``fallback=True`` each region is also kept as a plain Relax function
   (``paddlec_region_<i>``) compiled with the rest, for hosts without TensorRT.
"""

from __future__ import annotations

import collections
import hashlib
import re
from dataclasses import dataclass, field

import onnx

from ...errors import CompileError
from ...runtime.manifest import TensorSpec
from .bn_to_affine import batch_norm_to_affine
from .sum_to_add import rewrite_sum_of_two
from .onnx_export import OnnxBuilder, can_export, convert_call, make_model, onnx_dims

__all__ = ["Region", "fold_batch_norm", "partition_for_regions"]

CODEGEN = "tensorrt"


@dataclass
class Region:
    """One TensorRT region: its ONNX graph, interface, and the same computation in Relax."""

    index: int
    onnx: onnx.ModelProto
    inputs: list[TensorSpec]
    outputs: list[TensorSpec]
    ops: dict[str, int]
    plain: object  # relax.Function: the region without composites (fallback, reference)
    sha256: str = ""
    symbol: str = ""
    fallback: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def file(self) -> str:
        return f"regions/region_{self.index}.onnx"

    @property
    def size(self) -> int:
        return sum(self.ops.values())


def fold_batch_norm(mod):
    """``conv2d → batch_norm`` (inference) → ``conv2d(w * s) + b``, with constants folded."""
    import tvm
    from tvm import relax

    seq = tvm.transform.Sequential([
        relax.transform.DeadCodeElimination(),
        relax.transform.FoldConstant(),
        relax.transform.FoldBatchnormToConv2D(),
        relax.transform.FoldConstant(),
    ])
    with tvm.target.Target({"kind": "llvm"}):  # FoldConstant evaluates on the host
        mod = seq(mod)
        return relax.transform.DeadCodeElimination()(batch_norm_to_affine(mod))


def _patterns():
    from tvm.relax.backend.contrib import tensorrt  # noqa: F401  (registers the table)
    from tvm.relax.backend.pattern_registry import get_patterns_with_prefix
    from tvm.relax.transform import FusionPattern

    def checked(original):
        def check(context) -> bool:
            if not can_export(context.matched_expr):
                return False
            return original(context) if original is not None else True
        return check

    return [FusionPattern(p.name, p.pattern, dict(p.annotation_patterns), checked(p.check))
            for p in get_patterns_with_prefix(CODEGEN)]


def _region_ops(func):
    """The op calls of a merged region in order: ``(bound var, relax op call)``; each call's
    arguments refer to the region's params, constants or earlier bound vars."""
    from tvm import relax

    local, steps = {}, []
    for block in func.body.blocks:
        for binding in block.bindings:
            value = binding.value
            if isinstance(value, relax.Function):
                local[binding.var] = value
                continue
            callee = None
            if isinstance(value, relax.Call):
                callee = value.op if isinstance(value.op, relax.Function) else local.get(value.op)
            if callee is not None and "Composite" in (callee.attrs or {}):
                inner = callee.bind_params(dict(zip(callee.params, value.args)))
                bindings = [b for blk in inner.body.blocks for b in blk.bindings]
                if len(bindings) != 1:
                    raise CompileError(f"composite {callee.attrs['Composite']} has "
                                       f"{len(bindings)} ops; expected one")
                steps.append((binding.var, bindings[0].value))
            elif isinstance(value, (relax.TupleGetItem, relax.Tuple, relax.Var)):
                steps.append((binding.var, value))
            else:
                raise CompileError(f"unexpected binding in a TensorRT region: {type(value)}")
    return steps, func.body.body


def _c_name(name: str, index: int) -> str:
    clean = re.sub(r"\W", "_", name)
    return clean if clean and not clean[0].isdigit() else f"in_{index}"


def _substitute(expr, env):
    from tvm import relax

    if isinstance(expr, relax.Var) and expr in env:
        return env[expr]
    if isinstance(expr, relax.Tuple):
        return relax.Tuple([_substitute(field_, env) for field_ in expr.fields])
    if isinstance(expr, relax.TupleGetItem):
        return relax.TupleGetItem(_substitute(expr.tuple_value, env), expr.index)
    if isinstance(expr, relax.Call):
        return relax.Call(expr.op, [_substitute(arg, env) for arg in expr.args], expr.attrs,
                          expr.ty_args)
    return expr


def _plain_function(func, steps, result):
    """The region as an ordinary Relax function (no composites): TVM can compile it."""
    from tvm import relax

    builder = relax.BlockBuilder()
    params = [relax.Var(_c_name(p.name, i), p.ty) for i, p in enumerate(func.params)]
    env = dict(zip(func.params, params))
    with builder.function("region", params):
        with builder.dataflow():
            for var, value in steps:
                env[var] = builder.emit(_substitute(value, env))
            out = builder.emit_output(_substitute(result, env))
        builder.emit_func_output(out)
    return builder.get()["region"]


def _tensor_spec(name: str, ty) -> TensorSpec:
    return TensorSpec(name, str(ty.dtype), tuple(onnx_dims(ty)))


def _export(index: int, func, steps, result) -> tuple[onnx.ModelProto, list, list, dict]:
    import tvm
    from tvm import relax

    builder = OnnxBuilder(prefix=f"r{index}_")
    names: dict = {}
    inputs = []
    for i, param in enumerate(func.params):
        names[param] = _c_name(param.name, i)
        inputs.append(_tensor_spec(names[param], param.ty))
    ops: collections.Counter[str] = collections.Counter()

    def value_name(expr) -> str:
        if isinstance(expr, tvm.ir.GenericConst):
            return builder.const(expr.value.numpy(), "w")
        if isinstance(expr, relax.Var):
            return names[expr]
        raise CompileError(f"cannot export {type(expr).__name__} as an ONNX value")

    for var, value in steps:
        if isinstance(value, relax.Call):
            args = value.args[0].fields if value.op.name == "relax.concat" else value.args
            names[var] = convert_call(builder, value, [value_name(a) for a in args
                                                       if not isinstance(a, (tvm.tirx.FloatImm,
                                                                             tvm.tirx.IntImm,
                                                                             relax.ShapeExpr))])
            ops[value.op.name] += 1
        elif isinstance(value, relax.Var):
            names[var] = names[value]
        else:
            raise CompileError(f"tuples inside a TensorRT region are not supported ({value})")
    fields = result.fields if isinstance(result, relax.Tuple) else [result]
    outputs = []
    for i, field_ in enumerate(fields):
        out = f"out_{i}"
        builder.nodes.append(onnx.helper.make_node("Identity", [names[field_]], [out],
                                                   name=f"r{index}_output_{i}"))
        outputs.append(_tensor_spec(out, field_.ty))
    model = make_model(builder, f"paddlec_region_{index}",
                       [(s.name, s.dtype, list(s.shape)) for s in inputs],
                       [(s.name, s.dtype, list(s.shape)) for s in outputs])
    return model, inputs, outputs, dict(ops)


def partition_for_regions(mod, min_subgraph_size: int = 3, fallback: bool = False):
    """Partition ``mod`` (weights bound as constants); returns ``(mod, regions, outside)``
    where ``outside`` counts the Relax ops left to TVM in ``main``."""
    import tvm
    from tvm import relax
    from tvm.relax.expr_functor import PyExprMutator, mutator

    mod = fold_batch_norm(rewrite_sum_of_two(mod))
    mod = relax.transform.FuseOpsByPattern(_patterns(), bind_constants=True,
                                           annotate_codegen=False)(mod)
    mod = relax.transform.MergeCompositeFunctions()(mod)
    candidates = {gv: f for gv, f in mod.functions.items() if isinstance(f, relax.Function)
                  and (f.attrs or {}).get("Codegen") == CODEGEN}
    regions: dict = {}
    inline: dict = {}
    dropped: dict = {}  # region → indices of shape arguments bound into it
    for gvar, args in _call_sites(mod["main"], candidates).items():
        original = candidates[gvar]
        func, dropped[gvar] = _bind_shape_params(original, args)
        steps, result = _region_ops(func or original)
        size = sum(isinstance(value, relax.Call) for _, value in steps)
        if size < min_subgraph_size or func is None:  # back to TVM, with its original params
            inline[gvar] = _plain_function(original, *_region_ops(original))
            continue
        plain = _plain_function(func, steps, result)
        model, inputs, outputs, ops = _export(len(regions), func, steps, result)
        region = Region(len(regions), model, inputs, outputs, ops, plain)
        region.sha256 = hashlib.sha256(model.SerializeToString(deterministic=True)).hexdigest()
        region.symbol = f"paddlec_trt_{region.sha256[:16]}"
        regions[gvar] = region
    ordered = list(regions.values())

    @mutator
    class CallSites(PyExprMutator):
        def visit_call_(self, call):
            call = super().visit_call_(call)
            if isinstance(call.op, tvm.ir.GlobalVar) and call.op in regions:
                region = regions[call.op]
                args = [a for i, a in enumerate(call.args) if i not in dropped[call.op]]
                ret = call.ty  # the region's result type in main's symbolic dims
                out_ty = list(ret.fields) if isinstance(ret, tvm.ir.TupleType) else ret
                return relax.call_dps_packed(relax.ExternFunc(region.symbol),
                                             relax.Tuple(args), out_ty)
            return call

    main = CallSites().visit_expr(mod["main"])
    if inline:
        main = main.inline_functions(inline)
    new = tvm.IRModule({gv: f for gv, f in mod.functions.items()
                        if gv not in regions and gv not in inline and gv.name_hint != "main"})
    new[mod.get_global_var("main")] = main
    if fallback:
        for region in ordered:
            region.fallback = f"paddlec_region_{region.index}"
            new[region.fallback] = region.plain.with_attr("global_symbol", region.fallback)
    new = relax.transform.DeadCodeElimination(["main"] + [r.fallback for r in ordered
                                                          if r.fallback])(new)
    return new, ordered, _outside_ops(new["main"])


def _call_sites(main, candidates) -> dict:
    """Region function → its call's arguments, in the order ``main`` calls them (so that
    region_0 runs first)."""
    import tvm
    from tvm import relax

    found: dict = {}

    def visit(expr) -> None:
        if isinstance(expr, relax.Call) and isinstance(expr.op, tvm.ir.GlobalVar) and \
                expr.op in candidates:
            found.setdefault(expr.op, list(expr.args))

    relax.analysis.post_order_visit(main.body, visit)
    return found


def _bind_shape_params(func, args):
    """Shape arguments (a reshape's target shape lifted into a param) → bound into the
    region, so that its interface is tensors only. ``(None, ...)`` when a shape is only known
    at run time: that region stays with TVM."""
    from tvm import relax

    binds, dropped = {}, set()
    for index, (param, arg) in enumerate(zip(func.params, args)):
        if isinstance(param.ty, relax.ShapeType):
            if not isinstance(arg, relax.ShapeExpr):
                return None, set()
            binds[param] = arg
            dropped.add(index)
    return (func.bind_params(binds) if binds else func), dropped


def _outside_ops(main) -> dict[str, int]:
    import tvm
    from tvm import relax

    counts: collections.Counter[str] = collections.Counter()
    relax.analysis.post_order_visit(main.body, lambda e: counts.update(
        [e.op.name]) if isinstance(e, relax.Call) and isinstance(e.op, tvm.ir.Op) and
        e.op.name != "relax.call_dps_packed" else None)
    return dict(sorted(counts.items()))
