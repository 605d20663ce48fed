"""``ai.onnx.ml`` ops on numeric tensors: ArrayFeatureExtractor, Binarizer, TreeEnsemble.

* ``Z = ArrayFeatureExtractor(X, Y)``: ``X[..., Y]`` (indices flattened, a 1-D ``X`` gives
  one row), as onnxruntime and the ONNX reference do; negative indices count from the end.
* ``Y = Binarizer(X)``: ``1`` where ``X > threshold``, else ``0``, in X's type.
* ``Y = TreeEnsemble(X)`` (opset 5): the trees are constants, so each tree is unrolled at
  compile time into one boolean path condition per leaf (conjunction of its node tests:
  ``<=``, ``<``, ``>=``, ``>``, ``==``, ``!=``, set membership, NaN following
  ``nodes_missing_value_tracks_true``) and the leaf weights are aggregated per target with
  SUM / AVERAGE / MIN / MAX, as ``onnx/reference/ops/aionnxml/op_tree_ensemble.py``.
  Refused: a ``post_transform`` other than NONE (the reference does not apply it either).

LabelEncoder is refused: every mapping in the suite has string keys, and paddlec's runtime
has no string tensors.
"""

from __future__ import annotations

import numpy as np
from onnx import numpy_helper
from tvm import relax

from ._common import dtype_of, static_shape
from .registry import ConverterError, converter, unsupported

__all__ = ["array_feature_extractor", "binarizer", "tree_ensemble"]

_op = relax.op

unsupported("ai.onnx.ml", "LabelEncoder",
            "string keys or values: paddlec's runtime has no string tensors")


@converter("ai.onnx.ml", "ArrayFeatureExtractor", 1)
def array_feature_extractor(bb, inputs, attrs, ctx):
    """Z = X[..., Y] with Y flattened; a 1-D X gives shape (1, len(Y))."""
    data, indices = inputs[0], inputs[1]
    data_shape, index_shape = static_shape(data), static_shape(indices)
    if data_shape is None or index_shape is None:
        raise ConverterError("X and Y need static shapes")
    count = int(np.prod(index_shape))
    flat = _op.reshape(indices, [count])
    picked = _op.take(data, flat, axis=len(data_shape) - 1, mode="wrap")
    out_shape = [1, count] if len(data_shape) == 1 else data_shape[:-1] + [count]
    return _op.reshape(picked, out_shape)


@converter("ai.onnx.ml", "Binarizer", 1)
def binarizer(bb, inputs, attrs, ctx):
    """Y = (X > threshold) in X's type."""
    x = inputs[0]
    dtype = dtype_of(x)
    threshold = relax.const(float(attrs.get("threshold", 0.0)), dtype)
    return _op.astype(_op.greater(x, threshold), dtype)


def _array(attrs, name: str, required: bool = True):
    value = attrs.get(name)
    if value is None:
        if required:
            raise ConverterError(f"attribute {name} is required")
        return None
    if hasattr(value, "dims"):  # a TensorProto attribute
        return numpy_helper.to_array(value)
    return np.asarray(value)


class _Tests:
    """The boolean test of every node, built once per node on the columns of X."""

    _COMPARE = {0: _op.less_equal, 1: _op.less, 2: _op.greater_equal, 3: _op.greater,
                4: _op.equal, 5: _op.not_equal}

    def __init__(self, x, dtype: str, attrs) -> None:
        self.x, self.dtype = x, dtype
        self.rows, self.width = static_shape(x)
        self.modes = _array(attrs, "nodes_modes").astype(int)
        self.features = _array(attrs, "nodes_featureids").astype(int)
        self.splits = _array(attrs, "nodes_splits")
        tracks = _array(attrs, "nodes_missing_value_tracks_true", required=False)
        self.tracks = np.zeros(len(self.modes), int) if tracks is None else tracks.astype(int)
        self.members = self._member_sets(_array(attrs, "membership_values", required=False))
        self.cache: dict[int, relax.Expr] = {}

    def _member_sets(self, values) -> dict[int, list[float]]:
        member_nodes = [i for i, mode in enumerate(self.modes) if mode == 6]
        if not member_nodes:
            return {}
        if values is None or int(np.isnan(values).sum()) != len(member_nodes):
            raise ConverterError("membership_values must hold one NaN-ended set per "
                                 "set-membership node")
        sets, current = [], []
        for value in values:
            if np.isnan(value):
                sets.append(current)
                current = []
            else:
                current.append(float(value))
        return dict(zip(member_nodes, sets))

    def test(self, node: int):
        if node not in self.cache:
            feature = int(self.features[node])
            if not 0 <= feature < self.width:
                raise ConverterError(f"node {node} reads feature {feature} of {self.width}")
            column = _op.reshape(_op.strided_slice(self.x, axes=[1], begin=[feature],
                                                   end=[feature + 1]), [self.rows])
            mode = int(self.modes[node])
            if mode == 6:
                result = relax.const(np.zeros((), bool))
                for member in self.members[node]:
                    result = _op.logical_or(
                        result, _op.equal(column, relax.const(member, self.dtype)))
            elif mode in self._COMPARE:
                split = relax.const(float(self.splits[node]), self.dtype)
                result = self._COMPARE[mode](column, split)
            else:
                raise ConverterError(f"node mode {mode} is not one of 0..6")
            if self.tracks[node]:
                result = _op.logical_or(result, _op.isnan(column))
            self.cache[node] = result
        return self.cache[node]


def _leaves(attrs, tests: _Tests, root: int):
    """(leaf index, path condition or None for 'always') for every leaf under ``root``."""
    true_ids = _array(attrs, "nodes_truenodeids")
    false_ids = _array(attrs, "nodes_falsenodeids")
    true_leaf, false_leaf = _array(attrs, "nodes_trueleafs"), _array(attrs, "nodes_falseleafs")
    if true_leaf[root] and false_leaf[root] and true_ids[root] == false_ids[root]:
        return [(root, None)]  # the reference's degenerate tree: the root is a leaf
    found, stack = [], [(root, False, None)]
    while stack:
        index, is_leaf, condition = stack.pop()
        if is_leaf:
            found.append((index, condition))
            continue
        test = tests.test(index)
        yes = test if condition is None else _op.logical_and(condition, test)
        no = _op.logical_not(test)
        no = no if condition is None else _op.logical_and(condition, no)
        stack.append((int(false_ids[index]), bool(false_leaf[index]), no))
        stack.append((int(true_ids[index]), bool(true_leaf[index]), yes))
    return found


@converter("ai.onnx.ml", "TreeEnsemble", 5)
def tree_ensemble(bb, inputs, attrs, ctx):
    """Y[n, t] = aggregate over trees of the weight of the leaf that sample n reaches."""
    x = inputs[0]
    shape = static_shape(x)
    if shape is None or len(shape) != 2:
        raise ConverterError("X needs a static 2-D shape")
    if int(attrs.get("post_transform", 0)) != 0:
        raise ConverterError("post_transform other than NONE is not supported")
    aggregate = int(attrs.get("aggregate_function", 1))
    if aggregate not in (0, 1, 2, 3):
        raise ConverterError(f"aggregate_function {aggregate} is not one of 0..3")
    dtype = dtype_of(x)
    weights = _array(attrs, "leaf_weights")
    targets = _array(attrs, "leaf_targetids").astype(int)
    roots = [int(r) for r in _array(attrs, "tree_roots")]
    n_targets = int(attrs.get("n_targets", int(targets.max()) + 1))
    tests = _Tests(x, dtype, attrs)
    info = np.finfo(np.dtype(dtype))
    start = {0: 0.0, 1: 0.0, 2: float(info.max), 3: float(info.min)}[aggregate]
    rows = [relax.const(np.full([shape[0]], start, dtype), dtype) for _ in range(n_targets)]
    for root in roots:
        for leaf, condition in _leaves(attrs, tests, root):
            target = int(targets[leaf])
            weight = float(weights[leaf]) / (len(roots) if aggregate == 0 else 1)
            value = relax.const(weight, dtype)
            if aggregate in (0, 1):
                value = value if condition is None else _op.where(
                    condition, value, relax.const(0.0, dtype))
                rows[target] = _op.add(rows[target], value)
            else:
                pick = _op.minimum if aggregate == 2 else _op.maximum
                value = value if condition is None else _op.where(
                    condition, value, relax.const(start, dtype))
                rows[target] = pick(rows[target], value)
    return _op.stack([bb.normalize(row) for row in rows], axis=1)
