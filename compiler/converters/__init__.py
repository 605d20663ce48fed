"""paddlec's own ONNX → Relax converters, in front of TVM's (see ``registry.py``).

Importing this package registers every converter family; ``import_onnx`` is the importer
that uses them. One module per op family: ``reduce.py``, ``resize.py``, ``normalization.py``...
"""

from __future__ import annotations

from . import registry
from .registry import (
    ConverterError,
    converter,
    find_converter,
    registered_ops,
    unsupported,
    unsupported_reason,
)

# Importing a family module registers its converters.
from . import (  # noqa: E402,F401  isort: skip
    attention, causal_conv, elementwise, loss, normalization, quantize, recurrent, reduce,
    resize, tensor,
)
from . import low_precision  # noqa: E402,F401  isort: skip
from . import (  # noqa: E402,F401  isort: skip
    activation, bitcast, conv_transpose, deform_conv, detection, flex_attention, generators,
    half_precision, index_ops, legacy_softmax, linalg, onnx_ml, padding, pooling, quantized_conv, scan_ops,
    signal, slicing, sorting, spatial, split, tfidf, training_ops, vector_norm,
)

__all__ = [
    "ConverterError",
    "converter",
    "find_converter",
    "import_onnx",
    "registered_ops",
    "registry",
    "unsupported",
    "unsupported_reason",
]


def import_onnx(proto):
    """ONNX ``ModelProto`` → Relax ``IRModule`` (imports TVM's compiler lazily)."""
    from .importer import import_onnx as _import_onnx

    return _import_onnx(proto)
