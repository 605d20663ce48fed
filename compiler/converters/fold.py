"""Import-time evaluation of nodes whose inputs are all constants.

Shape-like operands in real graphs are often computed (``Shape → Gather → Range →
ReduceMean(axes)``, the ``_expanded`` function bodies of the ONNX suite) rather than stored.
TVM's converters need them as constants. While importing, a node whose inputs are all known
values (initializers, folded results, static ``ShapeExpr``s) is evaluated once with the ONNX
reference evaluator — the spec's own semantics — and its outputs become constants. Random
ops, control flow and large results are left to the converters.
"""

from __future__ import annotations

import numpy as np
import tvm
from tvm import relax, tirx

__all__ = ["NEVER_FOLD", "known_value", "fold_node"]

NEVER_FOLD = frozenset({
    "RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial",
    "Bernoulli", "If", "Loop", "Scan", "Constant", "Identity", "ImageDecoder",
    "SequenceConstruct",
    "SequenceEmpty", "Optional", "OptionalHasElement", "OptionalGetElement",
})
_FOLDABLE_DTYPES = frozenset({"bool", "int8", "int16", "int32", "int64", "uint8", "uint16",
                              "uint32", "uint64", "float16", "float32", "float64"})
_MAX_ELEMENTS = 1 << 20


def known_value(expr) -> np.ndarray | None:
    """The value of a constant or a fully static ShapeExpr; None otherwise."""
    if isinstance(expr, tvm.ir.GenericConst):
        return expr.value.numpy()
    if isinstance(expr, relax.ShapeExpr) and all(isinstance(d, tirx.IntImm)
                                                 for d in expr.values):
        return np.array([int(d.value) for d in expr.values], dtype=np.int64)
    return None


def fold_node(node, values: dict, opsets: dict[str, int]) -> list | None:
    """Evaluate ``node`` (a NodeProto) when every input has a known value.

    Returns the outputs as Relax constants, or None when the node is not foldable (an input
    is not known, the op is random or control flow, a result is large or of a dtype the
    converters do not fold, or the reference evaluator cannot run it).
    """
    from onnx.reference import ReferenceEvaluator

    if node.domain not in ("", "ai.onnx") or node.op_type in NEVER_FOLD or not node.input:
        return None
    if any(attr.HasField("g") or attr.graphs for attr in node.attribute):
        return None
    feeds = {}
    for name in node.input:
        if not name:
            continue
        value = known_value(values.get(name))
        if value is None or value.dtype.name not in _FOLDABLE_DTYPES or \
                value.size > _MAX_ELEMENTS:
            return None
        feeds[name] = value
    try:
        evaluator = ReferenceEvaluator(node, opsets={"": opsets.get("", 1)})
        results = evaluator.run(None, feeds)
    except Exception:  # noqa: BLE001  the converters get the node instead
        return None
    constants = []
    for result in results:
        array = np.asarray(result)
        if array.dtype.name not in _FOLDABLE_DTYPES or array.size > _MAX_ELEMENTS:
            return None
        constants.append(relax.const(array, array.dtype.name))
    return constants
