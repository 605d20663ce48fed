"""Model.check_feed: the prepared per-input checks (the fast path of run()) and the full walk
must accept and reject the same feeds."""

from types import SimpleNamespace

import numpy as np
import pytest

from paddlec.errors import InputMismatchError
from paddlec.runtime.manifest import TensorSpec
from paddlec.runtime.feeds import plain_input_checks
from paddlec.runtime.model import Model


def _model(*specs: TensorSpec) -> Model:
    model = object.__new__(Model)  # only what check_feed reads
    model.manifest = SimpleNamespace(inputs=specs, dim_ranges={})
    model._plain_inputs = plain_input_checks(specs)
    return model


def test_plain_inputs_are_checked_per_dimension():
    model = _model(TensorSpec("x", "float32", ("N", 3, 8)), TensorSpec("k", "int64", (2,)))
    assert model._plain_inputs is not None
    for batch in (1, 5):
        model.check_feed({"x": np.zeros((batch, 3, 8), np.float32), "k": np.zeros(2, np.int64)})
    bad = [({"x": np.zeros((1, 3, 9), np.float32)}, "expected shape Nx3x8, got 1x3x9"),
           ({"x": np.zeros((3, 8), np.float32)}, "expected shape Nx3x8, got 3x8"),
           ({"x": np.zeros((1, 3, 8), np.float64)}, "expected dtype float32, got float64")]
    for feed, message in bad:
        with pytest.raises(InputMismatchError, match=message):
            model.check_feed({**feed, "k": np.zeros(2, np.int64)})
    with pytest.raises(InputMismatchError, match="expected shape 2, got 3"):
        model.check_feed({"x": np.zeros((1, 3, 8), np.float32), "k": np.zeros(3, np.int64)})
    with pytest.raises(InputMismatchError, match="unknown input"):
        model.check_feed({"x": np.zeros((1, 3, 8), np.float32), "y": np.zeros(2, np.int64)})


def test_a_dimension_name_shared_by_two_inputs_takes_the_full_walk():
    model = _model(TensorSpec("a", "float32", ("N", 4)), TensorSpec("b", "float32", ("N", 2)))
    assert model._plain_inputs is None
    model.check_feed({"a": np.zeros((2, 4), np.float32), "b": np.zeros((2, 2), np.float32)})
    with pytest.raises(InputMismatchError, match="dimension 'N' is 3 here but 2"):
        model.check_feed({"a": np.zeros((2, 4), np.float32), "b": np.zeros((3, 2), np.float32)})


def test_lists_and_array_likes_are_fed_too():
    model = _model(TensorSpec("x", "int64", (2,)))
    assert model.check_feed([[1, 2]])[0].dtype == np.int64
    with pytest.raises(InputMismatchError, match="expected 1 input"):
        model.check_feed([np.zeros(2, np.int64)] * 2)
