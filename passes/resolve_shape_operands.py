"""Turn shape operands that are computed from ``Shape`` into constants, where their meaning
allows it.

    y = Reshape(x[N,T,360], Concat(0, Slice(Shape(t[N,T,120]), 1, 2), 3, 8, 15))
      → y = Reshape(x, [0, 0, 3, 8, 15])            (0: copy x's dim; at most one -1: infer)
    y = Expand(x[N,1,C], Shape(t[N,K,C]))  → y = Expand(x, [1, K?...])   (only when resolvable)
    y = Slice(x[N,W], 0, Shape(x)[1], 1)   → y = Slice(x, 0, INT64_MAX, 1)
    y = Resize(a, "", "", Concat(Shape(a)[:2], Cast(Shape(b)[2:])))
      → y = Resize(a, "", "", Concat(Shape(a, 0, 1), [C], Shape(b, 2, 3), Shape(b, 3, 4)))

Exporters (paddle2onnx, Paddle's ``reshape2`` with a ShapeTensor) compute target shapes at
run time from the input's symbolic dims, and TVM's importer can only reshape to shapes it
knows. Here each integer tensor computed by Shape / Gather / Slice / Concat / Cast /
Unsqueeze / Squeeze / Reshape / Identity / integer arithmetic is evaluated symbolically: an
element is an int, the name of a symbolic dim (ONNX shape inference gives equal sizes the
same name) or unknown. A Reshape target element that names the input's own dim at that
position becomes 0, which copies exactly that dim; a single element that stays unknown
becomes -1, which Reshape infers from the element count: the result is the size the
computation would produce for every input shape. Resize's sizes, whose elements name dims
of tensors defined before it (an FPN resizes a coarse map to a lateral map's size), become a
Concat of one-dim Shape slices of those tensors and constants: a chain TVM's importer reads
as a shape expression. An operand that cannot be expressed that way is left alone (and reported by the lowering if TVM cannot take it).
"""

from __future__ import annotations

import numpy as np
import onnx_ir as ir

from ._rewrite import add_initializer, attr_int, const_array

__all__ = ["ResolveShapeOperandsPass", "SHAPE_OPERANDS", "symbolic_values"]

# op -> positions of its shape-like operands
SHAPE_OPERANDS = {"Reshape": (1,), "Expand": (1,), "Tile": (1,), "ConstantOfShape": (0,),
                  "Range": (0, 1, 2), "Slice": (1, 2, 3, 4), "Resize": (3,)}

UNKNOWN = object()  # an element whose value the analysis cannot name
INT64_MAX = np.iinfo(np.int64).max
_INTEGER_TYPES = {ir.DataType.INT64, ir.DataType.INT32, ir.DataType.INT16, ir.DataType.INT8,
                  ir.DataType.UINT8, ir.DataType.UINT16, ir.DataType.UINT32}


def _dim(dim) -> object:
    if isinstance(dim, int):
        return dim
    return dim.value if isinstance(getattr(dim, "value", None), str) else UNKNOWN


def _ints(value: ir.Value) -> list[int] | None:
    array = const_array(value)
    if array is None or array.ndim > 1 or array.dtype.kind not in "iu":
        return None
    return [int(v) for v in array.reshape(-1)]


class _Symbolic:
    """1-D (or scalar, ``scalar=True``) integer tensor with symbolic elements."""

    def __init__(self, elements: list, scalar: bool = False) -> None:
        self.elements, self.scalar = elements, scalar


def _arith(op: str, a: object, b: object) -> object:
    if not (isinstance(a, int) and isinstance(b, int)):
        if op == "Mul" and (a == 1 or b == 1):  # x * 1 keeps the name
            return b if a == 1 else a
        return UNKNOWN
    if op == "Add":
        return a + b
    if op == "Sub":
        return a - b
    if op == "Mul":
        return a * b
    if op == "Div":
        return int(a / b) if b else UNKNOWN  # ONNX integer Div truncates
    if op == "Max":
        return max(a, b)
    if op == "Min":
        return min(a, b)
    return UNKNOWN


def _evaluate(node: ir.Node, known: dict[ir.Value, _Symbolic]) -> _Symbolic | None:
    op, inputs = node.op_type, node.inputs

    def get(value: ir.Value | None) -> _Symbolic | None:
        if value is None:
            return None
        if value in known:
            return known[value]
        ints = _ints(value)
        if ints is None:
            return None
        return _Symbolic(ints, scalar=const_array(value).ndim == 0)

    if op == "Shape":
        shape = inputs[0].shape
        if shape is None:
            return None
        dims = [_dim(d) for d in shape]
        start, end = attr_int(node, "start", 0), node.attributes.get("end")
        end = end.as_int() if end is not None else len(dims)
        return _Symbolic(dims[slice(start, end)])
    if op in ("Cast", "Identity") or (op == "Squeeze" and get(inputs[0]) is not None and
                                      len(get(inputs[0]).elements) == 1):
        source = get(inputs[0])
        if source is None:
            return None
        if op == "Cast" and node.attributes["to"].as_int() not in \
                {int(t) for t in _INTEGER_TYPES}:
            return None
        return _Symbolic(source.elements, scalar=source.scalar or op == "Squeeze")
    if op in ("Unsqueeze", "Reshape"):
        source = get(inputs[0])
        target = _ints(inputs[1]) if len(inputs) > 1 and inputs[1] is not None else None
        if source is None or (op == "Reshape" and target not in ([-1], [len(source.elements)])):
            return None
        if op == "Unsqueeze" and not source.scalar:
            return None
        return _Symbolic(source.elements)
    if op == "Concat":
        parts = [get(value) for value in inputs]
        if any(part is None for part in parts):
            return None
        return _Symbolic([e for part in parts for e in part.elements])
    if op == "Gather":
        data, indices = get(inputs[0]), const_array(inputs[1])
        if data is None or indices is None or data.scalar or indices.ndim > 1 or \
                attr_int(node, "axis", 0) != 0:
            return None
        picked = [data.elements[int(i)] for i in indices.reshape(-1)]
        return _Symbolic(picked, scalar=indices.ndim == 0)
    if op == "Slice":
        data = get(inputs[0])
        operands = [_ints(v) if v is not None else None for v in inputs[1:5]]
        if data is None or data.scalar or operands[0] is None or operands[1] is None:
            return None
        starts, ends = operands[0], operands[1]
        axes = operands[2] if len(operands) > 2 and operands[2] is not None else [0]
        steps = operands[3] if len(operands) > 3 and operands[3] is not None else [1]
        if len(starts) != 1 or axes not in ([0], [-1]) or steps[0] <= 0:
            return None
        end = min(ends[0], len(data.elements)) if ends[0] >= 0 else ends[0]
        return _Symbolic(data.elements[starts[0]:end:steps[0]])
    if op in ("Add", "Sub", "Mul", "Div", "Max", "Min"):
        a, b = get(inputs[0]), get(inputs[1])
        if a is None or b is None:
            return None
        ea, eb = a.elements, b.elements
        if len(ea) != len(eb):
            if len(ea) == 1:
                ea = ea * len(eb)
            elif len(eb) == 1:
                eb = eb * len(ea)
            else:
                return None
        return _Symbolic([_arith(op, x, y) for x, y in zip(ea, eb)], a.scalar and b.scalar)
    return None


def symbolic_values(graph: ir.Graph) -> dict[ir.Value, _Symbolic]:
    """The symbolic value of every integer tensor the analysis can follow, in graph order."""
    known: dict[ir.Value, _Symbolic] = {}
    for node in graph:
        if node.domain not in ("", "ai.onnx") or len(node.outputs) != 1:
            continue
        result = _evaluate(node, known)
        if result is not None:
            known[node.outputs[0]] = result
    return known


def _reshape_target(node: ir.Node, value: _Symbolic) -> list[int] | None:
    shape = node.inputs[0].shape
    source = [_dim(d) for d in shape] if shape is not None else []
    target, unknown = [], 0
    for position, element in enumerate(value.elements):
        if isinstance(element, int):
            target.append(element)
        elif position < len(source) and element is not UNKNOWN and source[position] == element:
            target.append(0)
        else:
            target.append(-1)
            unknown += 1
    if unknown > 1 or (unknown == 1 and -1 in [e for e in value.elements
                                             if isinstance(e, int)]):
        return None
    return target


def _expand_target(node: ir.Node, value: _Symbolic) -> list[int] | None:
    shape = node.inputs[0].shape
    if shape is None:
        return None
    source = [_dim(d) for d in shape]
    offset = len(value.elements) - len(source)
    target = []
    for position, element in enumerate(value.elements):
        aligned = source[position - offset] if position >= offset else None
        if isinstance(element, int):
            target.append(element)
        elif element is not UNKNOWN and aligned == element:
            target.append(1)  # broadcasting keeps the input's own dim
        else:
            return None
    return target


def _slice_ends(node: ir.Node, ends: _Symbolic) -> list[int] | None:
    shape, axes = node.inputs[0].shape, _ints(node.inputs[3]) if len(node.inputs) > 3 and \
        node.inputs[3] is not None else None
    if shape is None:
        return None
    axes = axes if axes is not None else list(range(len(ends.elements)))
    result = []
    for axis, element in zip(axes, ends.elements):
        if isinstance(element, int):
            result.append(element)
        elif element is not UNKNOWN and _dim(shape[axis]) == element:
            result.append(int(INT64_MAX))  # "to the end" of that dim
        else:
            return None
    return result


class ResolveShapeOperandsPass(ir.passes.InPlacePass):
    """See the module docstring. Needs the value shapes of ONNX shape inference (run it
    first); replaces operands with new initializers and leaves the old chains to DCE."""

    def call(self, model: ir.Model) -> ir.passes.PassResult:
        graph = model.graph
        known = symbolic_values(graph)
        modified = False
        carriers: dict[str, tuple[ir.Value, int]] = {}  # dim name → (tensor, axis), so far
        for value in graph.inputs:
            _note_dims(carriers, value)
        for node in list(graph):
            if node.domain not in ("", "ai.onnx"):
                continue
            if node.op_type == "Resize" and len(node.inputs) > 3:
                modified |= _resize_sizes_from_shapes(graph, node, known, carriers)
            for output in node.outputs:
                _note_dims(carriers, output)
            for index in SHAPE_OPERANDS.get(node.op_type, ()):
                operand = node.inputs[index] if index < len(node.inputs) else None
                value = known.get(operand) if operand is not None else None
                if value is None:
                    continue
                if all(isinstance(e, int) for e in value.elements):
                    constant = value.elements  # a shape computed from static dims only
                elif node.op_type == "Reshape" and not attr_int(node, "allowzero", 0):
                    constant = _reshape_target(node, value)
                elif node.op_type == "Expand":
                    constant = _expand_target(node, value)
                elif node.op_type == "Resize":
                    constant = None  # handled above
                elif node.op_type == "Slice" and index == 2:
                    constant = _slice_ends(node, value)
                else:
                    constant = None
                if constant is not None:
                    array = np.array(constant, np.int64)
                    self._replace(graph, node, index, array.reshape(()) if value.scalar
                                  else array)
                    modified = True
        return ir.passes.PassResult(model, modified)

    @staticmethod
    def _replace(graph: ir.Graph, node: ir.Node, index: int, array: np.ndarray) -> None:
        old = node.inputs[index]
        dtype = old.dtype.numpy() if old.dtype is not None else np.dtype(np.int64)
        value = add_initializer(graph, array.astype(dtype), f"{old.name}_resolved")
        node.replace_input_with(index, value)


def _note_dims(carriers: dict, value: ir.Value) -> None:
    for axis, dim in enumerate(value.shape or ()):
        name = _dim(dim)
        if isinstance(name, str):
            carriers.setdefault(name, (value, axis))


def _is_shape_concat(value: ir.Value) -> bool:
    """Already in the form _resize_sizes_from_shapes builds (Shape slices and constants)."""
    producer = value.producer()
    return producer is not None and producer.op_type == "Concat" and all(
        const_array(part) is not None or
        (part.producer() is not None and part.producer().op_type == "Shape")
        for part in producer.inputs)


def _resize_sizes_from_shapes(graph: ir.Graph, node: ir.Node, known: dict,
                              carriers: dict) -> bool:
    sizes = node.inputs[3]
    value = known.get(sizes) if sizes is not None else None
    if value is None or _is_shape_concat(sizes) or \
            all(isinstance(e, int) for e in value.elements):
        return False
    if any(e is UNKNOWN or (isinstance(e, str) and e not in carriers) for e in value.elements):
        return False
    parts, new_nodes = [], []
    for element in value.elements:
        if isinstance(element, int):
            parts.append(add_initializer(graph, np.array([element], np.int64),
                                         f"{sizes.name}_dim"))
            continue
        source, axis = carriers[element]
        shape = ir.node("Shape", [source], {"start": axis, "end": axis + 1})
        new_nodes.append(shape)
        parts.append(shape.outputs[0])
    concat = ir.node("Concat", parts, {"axis": 0})
    new_nodes.append(concat)
    graph.insert_before(node, new_nodes)
    concat.outputs[0].name = f"{sizes.name}_from_shapes"
    concat.outputs[0].type = ir.TensorType(ir.DataType.INT64)
    concat.outputs[0].shape = ir.Shape([len(parts)])
    node.replace_input_with(3, concat.outputs[0])
    return True
