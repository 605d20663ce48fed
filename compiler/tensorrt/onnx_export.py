"""One TensorRT region (a Relax function of single-op composites) → a standalone ONNX graph.

TensorRT builds engines from ONNX with its own parser, so each region partitioned by TVM's
TensorRT pattern table is written back to ONNX (opset 17): one converter per Relax op,
weights as initializers, symbolic dims (``N``) as ``dim_param``. :func:`can_export` is also
the check that keeps an op *out* of the regions when it has attributes we cannot express
(a non-NCHW layout, adaptive pooling to a size other than 1x1, ...).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import onnx
from onnx import helper, numpy_helper

__all__ = ["EXPORTABLE_OPS", "OPSET", "can_export", "onnx_dims", "OnnxBuilder"]

OPSET = 17

_UNARY = {
    "relax.nn.relu": "Relu", "relax.sigmoid": "Sigmoid", "relax.tanh": "Tanh",
    "relax.exp": "Exp", "relax.log": "Log", "relax.sqrt": "Sqrt", "relax.abs": "Abs",
    "relax.negative": "Neg", "relax.sin": "Sin", "relax.cos": "Cos", "relax.atan": "Atan",
    "relax.ceil": "Ceil", "relax.floor": "Floor", "relax.erf": "Erf",
}
_BINARY = {
    "relax.add": "Add", "relax.subtract": "Sub", "relax.multiply": "Mul",
    "relax.divide": "Div", "relax.power": "Pow", "relax.maximum": "Max",
    "relax.minimum": "Min", "relax.matmul": "MatMul",
}
_REDUCE = {"relax.sum": "ReduceSum", "relax.mean": "ReduceMean", "relax.max": "ReduceMax",
           "relax.min": "ReduceMin", "relax.prod": "ReduceProd"}


def onnx_dims(ty) -> list[int | str]:
    """Relax tensor type → ONNX dims (ints, or the symbolic dim's name)."""
    import tvm

    return [int(d.value) if isinstance(d, tvm.tirx.IntImm) else str(d) for d in ty.shape.values]


def _ints(values) -> list[int]:
    return [int(v) for v in values]


class OnnxBuilder:
    """Collects nodes and initializers while a region is converted."""

    def __init__(self, prefix: str) -> None:
        self.prefix, self.nodes, self.initializers, self._count = prefix, [], [], 0

    def fresh(self, hint: str) -> str:
        self._count += 1
        return f"{self.prefix}{hint}_{self._count}"

    def const(self, array: np.ndarray, hint: str = "c") -> str:
        name = self.fresh(hint)
        self.initializers.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def node(self, op: str, inputs: list[str], **attrs) -> str:
        out = self.fresh(op.lower())
        self.nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out


def _layout_ok(call) -> bool:
    attrs = call.attrs
    return str(getattr(attrs, "layout", "NCHW")) == "NCHW" and \
        str(getattr(attrs, "out_layout", "NCHW")) == "NCHW"


def _conv(b, call, x) -> str:
    a = call.attrs
    return b.node("Conv", [x[0], x[1]], strides=_ints(a.strides), pads=_ints(a.padding),
                  dilations=_ints(a.dilation), group=int(a.groups))


def _pool(op):
    def convert(b, call, x) -> str:
        a = call.attrs
        extra = {"count_include_pad": int(bool(a.count_include_pad))} if op == "AveragePool" \
            else {"dilations": _ints(a.dilation)}
        return b.node(op, [x[0]], kernel_shape=_ints(a.pool_size), strides=_ints(a.strides),
                      pads=_ints(a.padding), ceil_mode=int(bool(a.ceil_mode)), **extra)
    return convert


def _reduce(op):
    def convert(b, call, x) -> str:
        axes = call.attrs.axis
        keep = int(bool(call.attrs.keepdims))
        if op == "ReduceSum":  # opset 13+: axes is an input
            inputs = [x[0]] + ([b.const(np.array(_ints(axes), np.int64), "axes")] if axes else [])
            return b.node(op, inputs, keepdims=keep)
        return b.node(op, [x[0]], keepdims=keep, **({"axes": _ints(axes)} if axes else {}))
    return convert


def _reshape(b, call, x) -> str:
    import tvm

    dims = [int(d.value) if isinstance(d, tvm.tirx.IntImm) else -1 for d in call.args[1].values]
    return b.node("Reshape", [x[0], b.const(np.array(dims, np.int64), "shape")])


def _layer_norm(b, call, x) -> str:
    rank = len(call.args[0].ty.shape.values)
    axis = min(int(a) % rank for a in call.attrs.axes)
    return b.node("LayerNormalization", x[:3], axis=axis, epsilon=float(call.attrs.epsilon))


def _clip(b, call, x) -> str:
    dtype = np.dtype(str(call.args[0].ty.dtype))
    low, high = (float(call.args[i].value) for i in (1, 2))
    return b.node("Clip", [x[0], b.const(np.array(low, dtype), "min"),
                           b.const(np.array(high, dtype), "max")])


def _transpose(b, call, x) -> str:
    axes = call.attrs.axes
    return b.node("Transpose", [x[0]], **({"perm": _ints(axes)} if axes is not None else {}))


def _silu(b, call, x) -> str:
    return b.node("Mul", [x[0], b.node("Sigmoid", [x[0]])])


_CONVERTERS: dict[str, Callable] = {
    **{op: (lambda onnx_op: lambda b, call, x: b.node(onnx_op, [x[0]]))(name)
       for op, name in _UNARY.items()},
    **{op: (lambda onnx_op: lambda b, call, x: b.node(onnx_op, [x[0], x[1]]))(name)
       for op, name in _BINARY.items()},
    **{op: _reduce(name) for op, name in _REDUCE.items()},
    "relax.nn.conv2d": _conv,
    "relax.nn.max_pool2d": _pool("MaxPool"),
    "relax.nn.avg_pool2d": _pool("AveragePool"),
    "relax.nn.adaptive_avg_pool2d": lambda b, call, x: b.node("GlobalAveragePool", [x[0]]),
    "relax.nn.softmax": lambda b, call, x: b.node("Softmax", [x[0]], axis=int(call.attrs.axis)),
    "relax.nn.batch_flatten": lambda b, call, x: b.node("Flatten", [x[0]], axis=1),
    "relax.nn.silu": _silu,
    "relax.permute_dims": _transpose,
    "relax.reshape": _reshape,
    "relax.nn.layer_norm": _layer_norm,
    "relax.clip": _clip,
    "relax.concat": lambda b, call, x: b.node("Concat", x, axis=int(call.attrs.axis)),
    "relax.expand_dims": lambda b, call, x: b.node(
        "Unsqueeze", [x[0], b.const(np.array(_ints(call.attrs.axis), np.int64), "axes")]),
    "relax.squeeze": lambda b, call, x: b.node("Squeeze", [x[0]] + (
        [b.const(np.array(_ints(call.attrs.axis), np.int64), "axes")]
        if call.attrs.axis is not None else [])),
}
EXPORTABLE_OPS = frozenset(_CONVERTERS)


def can_export(call) -> bool:
    """Whether ``call`` (a Relax op call matched by a TensorRT pattern) has an exact ONNX
    equivalent here; ops that return False stay outside the TensorRT regions."""
    import tvm
    from tvm import relax

    name = call.op.name if isinstance(call.op, tvm.ir.Op) else ""
    if name not in _CONVERTERS:
        return False
    ty = call.ty
    if not isinstance(ty, relax.TensorType) or ty.shape is None or \
            str(ty.dtype) not in ("float32", "float16"):
        return False
    attrs = call.attrs
    if name == "relax.nn.conv2d":
        return (str(attrs.data_layout), str(attrs.kernel_layout), str(attrs.out_layout)) == \
            ("NCHW", "OIHW", "NCHW") and call.args[1].ty.shape is not None
    if name in ("relax.nn.max_pool2d", "relax.nn.avg_pool2d"):
        return _layout_ok(call)
    if name == "relax.nn.adaptive_avg_pool2d":
        size = attrs.output_size
        return _layout_ok(call) and (size is None or _ints(size) == [1, 1])
    if name == "relax.reshape":
        import tvm as _tvm

        values = getattr(call.args[1], "values", None)
        return values is not None and \
            sum(not isinstance(d, _tvm.tirx.IntImm) for d in values) <= 1
    if name == "relax.nn.layer_norm":
        rank = len(call.args[0].ty.shape.values)
        axes = sorted(int(a) % rank for a in attrs.axes)
        return axes == list(range(rank - len(axes), rank))
    if name == "relax.clip":
        return all(isinstance(call.args[i], (tvm.tirx.FloatImm, tvm.tirx.IntImm)) for i in (1, 2))
    if name == "relax.matmul":
        return attrs.out_dtype is None or str(attrs.out_dtype) in ("", str(ty.dtype))
    return True


def convert_call(builder: OnnxBuilder, call, inputs: list[str]) -> str:
    return _CONVERTERS[call.op.name](builder, call, inputs)


def make_model(builder: OnnxBuilder, name: str, inputs, outputs) -> onnx.ModelProto:
    """``inputs``/``outputs``: lists of (name, numpy dtype, dims)."""
    def info(name, dtype, dims):
        elem = helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
        return helper.make_tensor_value_info(name, elem, dims)

    graph = helper.make_graph(builder.nodes, name, [info(*i) for i in inputs],
                              [info(*o) for o in outputs], initializer=builder.initializers)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                             producer_name="paddlec-tensorrt-region")
