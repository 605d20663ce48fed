"""The nine models in onnx's backend/test/data/light compile for llvm and match their
expected outputs. Inputs follow onnx's backend runner: arange(n)/n in the input's shape."""

import time

import numpy as np
import onnx
import pytest
from _helpers import LIGHT_DIR

from paddlec import runtime
from paddlec.compiler import compile_model

FAST = ["resnet50", "shufflenet", "squeezenet"]
SLOW = ["bvlc_alexnet", "densenet121", "inception_v1", "inception_v2", "vgg19", "zfnet512"]


def _check(name, tmp_path):
    source = LIGHT_DIR / f"light_{name}.onnx"
    start = time.perf_counter()
    compile_model(source, tmp_path / name, target="llvm")
    compile_seconds = time.perf_counter() - start
    model = runtime.load(tmp_path / name)
    (spec,) = model.inputs
    count = int(np.prod(spec.shape))
    x = (np.arange(count).reshape(spec.shape) / count).astype(np.float32)
    start = time.perf_counter()
    (got,) = model.run([x]).values()
    run_seconds = time.perf_counter() - start
    want = onnx.numpy_helper.to_array(onnx.load_tensor(str(LIGHT_DIR / f"light_{name}_output_0.pb")))
    print(f"{name}: compile {compile_seconds:.1f}s, run {run_seconds * 1000:.0f} ms")
    np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("name", FAST)
def test_light_model(name, tmp_path):
    _check(name, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("name", SLOW)
def test_light_model_slow(name, tmp_path):
    _check(name, tmp_path)
