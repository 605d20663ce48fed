"""IR (``onnx_ir.Model``) → TVM Relax ``IRModule``.

The graph is serialized to an ONNX ``ModelProto`` and converted by
``tvm.relax.frontend.onnx.from_onnx``, with weights bound as constants so that they end up
inside the compiled library. Converter failures are collected per operator so that the user
sees every unsupported op at once instead of the first TVM traceback.
"""

from __future__ import annotations

import collections
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


def _unsupported_ops(model: ir.Model) -> dict[str, int]:
    from tvm.relax.frontend.onnx.onnx_frontend import _get_convert_map

    known = _get_convert_map()
    counts: collections.Counter[str] = collections.Counter()
    for node in ir.traversal.RecursiveGraphIterator(model.graph):
        if node.op_type in ("If", "Constant") and node.domain in ("", "ai.onnx"):
            continue
        if node.domain in ("", "ai.onnx") and node.op_type not in known:
            counts[node.op_type] += 1
        elif node.domain not in ("", "ai.onnx"):
            counts[f"{node.domain}::{node.op_type}"] += 1
    return dict(counts)


def _dim_json(dim) -> int | str:
    import tvm

    if isinstance(dim, tvm.tirx.IntImm):
        return int(dim.value)
    if isinstance(dim, int):
        return dim
    return str(dim)


def _spec_from_type(name: str, ty) -> TensorSpec:
    from tvm import relax

    if isinstance(ty, relax.TensorType) and ty.shape is not None:
        dims = tuple(_dim_json(d) for d in ty.shape.values)
        return TensorSpec(name, str(ty.dtype), dims)
    if isinstance(ty, relax.ShapeType):
        return TensorSpec(name, "int64", (int(ty.ndim),))
    raise CompileError(f"output {name!r} has a type paddlec cannot describe: {ty}")


def _output_types(func) -> list:
    from tvm import ir as tvm_ir

    ret = func.ret_ty
    return list(ret.fields) if isinstance(ret, tvm_ir.TupleType) else [ret]


def lower_to_relax(model: ir.Model) -> LoweredModule:
    """Convert the IR to Relax; raise :class:`UnsupportedModelError` listing every unknown op."""
    from tvm.relax.frontend.onnx import from_onnx

    missing = _unsupported_ops(model)
    if missing:
        listing = ", ".join(f"{op} ({count})" for op, count in sorted(missing.items()))
        raise UnsupportedModelError(f"unsupported operators: {listing}")
    proto = ir.to_proto(model)  # input shapes and dtypes travel in the proto's value infos
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mod = from_onnx(proto, dtype_dict=None, keep_params_in_input=False,
                            sanitize_input_names=False)
    except Exception as exc:  # TVM's converters raise anything from ValueError to TVMError
        raise UnsupportedModelError(f"TVM's ONNX importer failed: {_first_line(exc)}") from exc
    func = mod["main"]
    inputs = [_spec_from_type(param.name, param.ty) for param in func.params]
    names = [value.name for value in model.graph.outputs]
    types = _output_types(func)
    if len(types) != len(names):
        raise CompileError(f"the Relax module returns {len(types)} values for {len(names)} outputs")
    outputs = [_spec_from_type(name, ty) for name, ty in zip(names, types)]
    return LoweredModule(mod, inputs, outputs)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[-1] if text else ''}"
