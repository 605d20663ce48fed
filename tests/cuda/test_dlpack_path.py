"""``Model.run_dlpack``: device tensors in and out without host copies.

Exercised on the CPU artifact (numpy speaks DLPack); on a GPU the same code takes
torch/cupy CUDA tensors (scripts/gpu_check.sh runs it there).
"""

import numpy as np
import pytest

import paddlec.runtime as rt
from paddlec.errors import InputMismatchError


@pytest.fixture(scope="module")
def model(example_artifact):
    return rt.load(example_artifact, engine="tvm")  # DLPack in/out: TVM's runtime


def _image(batch=2):
    return np.random.default_rng(1).standard_normal((batch, 3, 64, 64)).astype(np.float32)


def test_outputs_are_dlpack_tensors_equal_to_run(model):
    x = _image()
    expected = model.run({"image": x})["probs"]
    out = model.run_dlpack({"image": x})
    tensor = out["probs"]
    assert hasattr(tensor, "__dlpack__")
    view = np.from_dlpack(tensor)
    np.testing.assert_array_equal(view, expected)
    assert np.from_dlpack(tensor).ctypes.data == view.ctypes.data  # a view, not a copy


def test_aligned_input_is_used_in_place_misaligned_is_copied(model):
    x = _image()
    raw = np.empty(x.size + 16, np.float32)
    offset = (-raw.ctypes.data % 64) // 4
    aligned = raw[offset:offset + x.size].reshape(x.shape)
    aligned[...] = x
    tensor = model._dlpack_tensor(rt.model.tvm_runtime(), aligned)
    assert tensor.data_ptr() == aligned.ctypes.data  # zero-copy
    misaligned = raw[offset + 1:offset + 1 + x.size].reshape(x.shape)
    misaligned[...] = x
    moved = model._dlpack_tensor(rt.model.tvm_runtime(), misaligned)
    assert moved.data_ptr() % 64 == 0 and moved.data_ptr() != misaligned.ctypes.data
    expected = model.run([x])["probs"]
    np.testing.assert_array_equal(np.from_dlpack(model.run_dlpack([misaligned])["probs"]),
                                  expected)


@pytest.mark.parametrize("value, fragment", [
    (np.zeros((2, 3, 64, 64), np.float64), "expected dtype float32"),
    (np.zeros((2, 3, 32, 64), np.float32), "expected shape Nx3x64x64"),
    ([[1.0]], "takes DLPack tensors"),
])
def test_bad_device_inputs_are_typed_errors(model, value, fragment):
    with pytest.raises(InputMismatchError, match=fragment):
        model.run_dlpack({"image": value})
