"""Storage lowering: float8 / float4 / 4-bit / 2-bit tensors become uint8 bit patterns.

Runs on the ONNX ``ModelProto`` right before TVM's importer (``lowering.py``). TVM 0.27 cannot
compile casts to or from these element types and its runtime cannot exchange packed sub-byte
tensors, so every such tensor (graph input / output, initializer, ``Constant``, intermediate
value) is re-typed to uint8 holding one element's bit pattern in the low bits — byte for
byte the numpy array of the ``ml_dtypes`` dtype that onnx uses, so the runtime only views
it. The ops that convert from or to these types are replaced by the ``paddlec.lowp`` ops of
``converters/low_precision.py``:

    Cast / CastLike      → LowPrecisionEncode / LowPrecisionDecode (both for type → type)
    QuantizeLinear       → QuantizeLowPrecision      (quantized type in TYPES)
    DequantizeLinear     → DequantizeLowPrecision

Data movement (Identity, Reshape, Transpose, Concat, Slice, Gather...) works on the storage
unchanged; any other op that reads such a tensor is refused with the op and type named.
The result records the logical type of every graph input and output for the manifest.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from ..errors import UnsupportedModelError
from ..runtime.manifest import TensorSpec
from .converters.low_precision import DOMAIN, STORAGE_DTYPE, TYPES

__all__ = ["StorageLowering", "lower_storage"]

# ops that only move / select elements: their outputs have input 0's element type
_DATA_MOVEMENT = frozenset({
    "Identity", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Transpose", "Slice", "Gather",
    "GatherElements", "GatherND", "Expand", "Tile", "Concat", "Split", "DepthToSpace",
    "SpaceToDepth",
})
_SHAPE_ONLY = frozenset({"Shape", "Size"})
_STORAGE_CODE = TensorProto.UINT8


@dataclass
class StorageLowering:
    """The rewritten model and the logical element type (ml_dtypes name) of each graph
    input / output that now travels as uint8."""

    proto: onnx.ModelProto
    logical: dict[str, str] = field(default_factory=dict)

    def spec(self, spec: TensorSpec) -> TensorSpec:
        """``spec`` (as read from the Relax function, uint8) with its logical dtype."""
        name = self.logical.get(spec.name)
        if name is None:
            return spec
        return TensorSpec(spec.name, name, spec.shape, storage=STORAGE_DTYPE)


def _tensor_code(value_info) -> int | None:
    kind = value_info.type
    return kind.tensor_type.elem_type if kind.HasField("tensor_type") else None


def _to_storage(tensor: TensorProto) -> TensorProto:
    """A TensorProto of a low-precision type → uint8 tensor of its bit patterns."""
    array = np.asarray(numpy_helper.to_array(tensor))
    if array.dtype.itemsize != 1:
        raise UnsupportedModelError(f"tensor {tensor.name!r}: unexpected numpy dtype "
                                    f"{array.dtype} for element type {tensor.data_type}")
    return numpy_helper.from_array(array.view(np.uint8), tensor.name)


def _attr(node, name: str, default=None):
    for attr in node.attribute:
        if attr.name == name:
            return helper.get_attribute_value(attr)
    return default


def lower_storage(proto: onnx.ModelProto) -> StorageLowering:
    """Rewrite ``proto`` (unchanged when it has no low-precision tensor)."""
    graph = proto.graph
    types: dict[str, int] = {}  # element type of every value we know it for
    for info in list(graph.input) + list(graph.value_info) + list(graph.output):
        code = _tensor_code(info)
        if code:
            types[info.name] = code
    for tensor in graph.initializer:
        types[tensor.name] = tensor.data_type
    if not _uses_low_precision(graph, types):
        return StorageLowering(proto)

    proto = _copy(proto)
    graph = proto.graph
    nodes, refused = [], []
    for node in graph.node:
        replaced = _rewrite_node(node, types, refused)
        nodes.extend(replaced)
    if refused:
        listing = ", ".join(sorted(set(refused)))
        raise UnsupportedModelError(
            f"unsupported operators on float8 / float4 / 4-bit / 2-bit tensors: {listing} "
            "(paddlec converts these types with Cast, CastLike, QuantizeLinear and "
            "DequantizeLinear and moves them with data-movement ops only)")
    del graph.node[:]
    graph.node.extend(nodes)

    logical = {}
    for info in list(graph.input) + list(graph.output):
        code = _tensor_code(info)
        if code in TYPES:
            logical[info.name] = TYPES[code].name
    for info in list(graph.input) + list(graph.value_info) + list(graph.output):
        if _tensor_code(info) in TYPES:
            info.type.tensor_type.elem_type = _STORAGE_CODE
    for i, tensor in enumerate(graph.initializer):
        if tensor.data_type in TYPES:
            graph.initializer[i].CopyFrom(_to_storage(tensor))
    if not any(entry.domain == DOMAIN for entry in proto.opset_import):
        proto.opset_import.append(helper.make_opsetid(DOMAIN, 1))
    return StorageLowering(proto, logical)


def _copy(proto: onnx.ModelProto) -> onnx.ModelProto:
    copy = onnx.ModelProto()
    copy.CopyFrom(proto)
    return copy


def _uses_low_precision(graph, types: dict[str, int]) -> bool:
    if any(code in TYPES for code in types.values()):
        return True
    for node in graph.node:
        if node.op_type in ("Cast", "QuantizeLinear") and \
                (_attr(node, "to") in TYPES or _attr(node, "output_dtype") in TYPES):
            return True
        value = _attr(node, "value")
        if isinstance(value, TensorProto) and value.data_type in TYPES:
            return True
    return False


def _rewrite_node(node, types: dict[str, int], refused: list[str]) -> list:
    """The node(s) replacing ``node``; records the element types of its outputs."""
    op = node.op_type
    inputs = list(node.input)
    if node.domain not in ("", "ai.onnx"):
        return [node]
    if op in ("Cast", "CastLike"):
        to = _attr(node, "to") if op == "Cast" else types.get(inputs[1])
        return _rewrite_cast(node, inputs[0], to, types, refused)
    if op == "QuantizeLinear":
        zero = inputs[2] if len(inputs) > 2 and inputs[2] else ""
        to = types.get(zero) if zero else (_attr(node, "output_dtype") or TensorProto.UINT8)
        types[node.output[0]] = to
        if to not in TYPES:
            return [node]
        if _attr(node, "precision"):
            refused.append(f"QuantizeLinear (precision attribute into {TYPES[to].name})")
        return [helper.make_node(
            "QuantizeLowPrecision", inputs, list(node.output), name=node.name, domain=DOMAIN,
            to=to, axis=_attr(node, "axis", 1), saturate=_attr(node, "saturate", 1),
            block_size=_attr(node, "block_size", 0))]
    if op == "DequantizeLinear":
        source = types.get(inputs[0])
        if source not in TYPES:
            return [node]
        return [helper.make_node(
            "DequantizeLowPrecision", inputs, list(node.output), name=node.name,
            domain=DOMAIN, axis=_attr(node, "axis", 1), block_size=_attr(node, "block_size", 0),
            output_dtype=_attr(node, "output_dtype", 0), **{"from": source})]
    if op in ("Constant", "ConstantOfShape"):
        value = _attr(node, "value")
        if isinstance(value, TensorProto) and value.data_type in TYPES:
            types[node.output[0]] = value.data_type
            for attr in node.attribute:
                if attr.name == "value":
                    attr.t.CopyFrom(_to_storage(value))
        return [node]
    low = [types[name] for name in inputs if name and types.get(name) in TYPES]
    if not low:
        return [node]
    if op in _DATA_MOVEMENT:
        for name in node.output:
            types[name] = types.get(inputs[0], low[0])
    elif op not in _SHAPE_ONLY:
        refused.append(f"{op} ({TYPES[low[0]].name})")
    return [node]


def _rewrite_cast(node, source_name: str, to: int | None, types: dict[str, int],
                  refused: list[str]) -> list:
    source = types.get(source_name)
    out = node.output[0]
    if to is None:
        if source in TYPES:
            refused.append(f"{node.op_type} (from {TYPES[source].name} to an unknown type)")
        return [node]
    types[out] = to
    if source not in TYPES and to not in TYPES:
        return [node]
    saturate = _attr(node, "saturate", 1)
    rounding = {"round_mode": _attr(node, "round_mode", b"up")} \
        if to == TensorProto.FLOAT8E8M0 else {}
    if source in TYPES and to in TYPES:
        middle = f"{out}__paddlec_float"
        types[middle] = TensorProto.FLOAT
        return [
            helper.make_node("LowPrecisionDecode", [source_name], [middle], domain=DOMAIN,
                             to=TensorProto.FLOAT, **{"from": source}),
            helper.make_node("LowPrecisionEncode", [middle], [out], name=node.name,
                             domain=DOMAIN, to=to, saturate=saturate, **rounding),
        ]
    if source in TYPES:
        return [helper.make_node("LowPrecisionDecode", [source_name], [out], name=node.name,
                                 domain=DOMAIN, to=to, **{"from": source})]
    return [helper.make_node("LowPrecisionEncode", [source_name], [out], name=node.name,
                             domain=DOMAIN, to=to, saturate=saturate, **rounding)]
