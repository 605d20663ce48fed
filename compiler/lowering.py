"""IR (``onnx_ir.Model``) → TVM Relax ``IRModule``.

The graph is serialized to an ONNX ``ModelProto`` and converted by
paddlec's importer (``compiler/converters``: TVM's ``from_onnx`` with paddlec's converter
registry in front of TVM's), with weights bound as constants so that they end up
inside the compiled library. Converter failures are collected per operator so that the user
sees every unsupported op at once instead of the first TVM traceback.
"""

from __future__ import annotations

import contextlib
import io
import re
import warnings
from dataclasses import dataclass

import onnx_ir as ir

from ..errors import CompileError, UnsupportedModelError
from ..runtime.manifest import TensorSpec

__all__ = ["LoweredModule", "lower_to_relax"]


@dataclass
class LoweredModule:
    mod: object  # tvm.IRModule
    inputs: list[TensorSpec]
    outputs: list[TensorSpec]


def _unsupported_ops(model: ir.Model,
                     refused: dict | None = None) -> dict[str, tuple[int, str]]:
    """Every op that neither paddlec's converters nor TVM's lower: name → (count, reason).

    Consistent with what the importer does: a paddlec converter registered at or below the
    model's opset for the op's domain, else TVM's converter map (default domain only).
    ``refused`` gives node-specific reasons (a Scan/Loop that ``prepare_for_lowering`` could
    not unroll).
    """
    refused = refused or {}
    from tvm.relax.frontend.onnx.onnx_frontend import _get_convert_map

    from .converters import find_converter, unsupported_reason

    known = _get_convert_map()
    opsets = {("" if d == "ai.onnx" else d): v for d, v in model.opset_imports.items()}
    folded = _foldable_nodes(model)
    found: dict[str, tuple[int, str]] = {}
    for node in ir.traversal.RecursiveGraphIterator(model.graph):
        domain = "" if node.domain == "ai.onnx" else node.domain
        opset = opsets.get(domain, 1)
        if domain == "" and node.op_type in ("If", "Constant") or id(node) in folded:
            continue
        if find_converter(domain, node.op_type, opset) is not None:
            continue
        reason = refused.get(node) or unsupported_reason(domain, node.op_type)
        if reason is None and domain == "" and node.op_type in known:
            continue
        name = f"{domain}::{node.op_type}" if domain else node.op_type
        reason = reason or "no converter in paddlec or TVM 0.27"
        count = found.get(name, (0, ""))[0] + 1
        found[name] = (count, f"opset {opset}: {reason}")
    return found


def _foldable_nodes(model: ir.Model) -> set[int]:
    """ids of top-level nodes whose inputs are all constants: the importer evaluates them
    (``converters/fold.py``), so they need no converter."""
    from .converters.fold import NEVER_FOLD

    constant = {name for name in model.graph.initializers}
    foldable: set[int] = set()
    for node in model.graph:
        inputs = [value for value in node.inputs if value is not None]
        if node.domain in ("", "ai.onnx") and node.op_type not in NEVER_FOLD and inputs and \
                all(value.name in constant for value in inputs):
            foldable.add(id(node))
        is_constant = node.op_type == "Constant" and node.domain in ("", "ai.onnx")
        if id(node) in foldable or is_constant:
            constant.update(output.name for output in node.outputs)
    return foldable


def _dim_json(dim) -> int | str:
    import tvm

    if isinstance(dim, tvm.tirx.IntImm):
        return int(dim.value)
    if isinstance(dim, int):
        return dim
    # an expression of the inputs' dims, e.g. "(x_dim3 - 5) // 8 + 1" (TVM prints T.int64(5))
    return re.sub(r"T\.int64\((-?\d+)\)", r"\1", str(dim))


def _spec_from_type(name: str, ty) -> TensorSpec:
    from tvm import relax

    if isinstance(ty, relax.TensorType) and ty.shape is not None:
        dims = tuple(_dim_json(d) for d in ty.shape.values)
        return TensorSpec(name, str(ty.dtype), dims)
    if isinstance(ty, relax.TensorType) and ty.ndim >= 0:
        # data-dependent shape (NonZero, Unique, Compress...): known rank, named dims
        return TensorSpec(name, str(ty.dtype), tuple(f"{name}_dim{i}" for i in range(ty.ndim)))
    if isinstance(ty, relax.ShapeType):
        return TensorSpec(name, "int64", (int(ty.ndim),))
    raise CompileError(f"output {name!r} has a type paddlec cannot describe: {ty}")


def _output_types(func) -> list:
    from tvm import ir as tvm_ir

    ret = func.ret_ty
    return list(ret.fields) if isinstance(ret, tvm_ir.TupleType) else [ret]


def lower_to_relax(model: ir.Model) -> LoweredModule:
    """Convert the IR to Relax; raise :class:`UnsupportedModelError` listing every unknown op."""
    from .converters import ConverterError, import_onnx
    from .empty_constants import drop_empty_concat_operands
    from .prepare import prepare_for_lowering
    from .storage_lowering import lower_storage

    missing = _unsupported_ops(model, prepare_for_lowering(model))
    if missing:
        listing = ", ".join(f"{op} ({count})" for op, (count, _) in sorted(missing.items()))
        reasons = "; ".join(f"{op}: {reason}" for op, (_, reason) in sorted(missing.items()))
        raise UnsupportedModelError(f"unsupported operators: {listing} [{reasons}]")
    proto = ir.to_proto(model)  # input shapes and dtypes travel in the proto's value infos
    storage = lower_storage(proto)  # float8 / 4-bit / 2-bit tensors as uint8 bit patterns
    proto = storage.proto
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            mod = import_onnx(proto)
    except ConverterError as exc:
        raise UnsupportedModelError(f"cannot lower: {exc}") from exc
    except Exception as exc:  # TVM's converters raise anything from ValueError to TVMError
        raise UnsupportedModelError(f"TVM's ONNX importer failed: {_first_line(exc)}") from exc
    mod = drop_empty_concat_operands(mod)
    func = mod["main"]
    inputs = [storage.spec(_spec_from_type(param.name, param.ty)) for param in func.params]
    names = [value.name for value in model.graph.outputs]
    types = _output_types(func)
    if len(types) != len(names):
        raise CompileError(f"the Relax module returns {len(types)} values for {len(names)} outputs")
    outputs = [storage.spec(_spec_from_type(name, ty)) for name, ty in zip(names, types)]
    return LoweredModule(mod, inputs, outputs)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[-1] if text else ''}"
