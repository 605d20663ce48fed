"""Acceptance: after -O2 the ONNX light models keep no BatchNormalization, Identity or Dropout,
and the optimized graph still computes the expected outputs (onnxruntime runs it).

Inputs follow onnx's backend runner: arange(n)/n in the input's shape. The compiled (TVM)
outputs at -O2 are checked by tests/test_light_models.py, which compiles at the default -O2.
"""

import collections

import numpy as np
import onnx
import onnx_ir as ir
import pytest
from _helpers import LIGHT_DIR, ort_run

from paddlec.compiler.frontends import load_model
from paddlec.passes import count_nodes, run_pipeline

FAST = ["resnet50", "shufflenet", "squeezenet"]
SLOW = ["bvlc_alexnet", "densenet121", "inception_v1", "inception_v2", "vgg19", "zfnet512"]
GONE = {"BatchNormalization", "Identity", "Dropout"}


def _check(name):
    source = LIGHT_DIR / f"light_{name}.onnx"
    model = load_model(source).model
    before = count_nodes(model)
    run_pipeline(model, 2)
    ops = collections.Counter(node.op_type for node in model.graph)
    print(f"{name}: {before} -> {count_nodes(model)} nodes; {dict(ops)}")
    assert not GONE & set(ops), f"left: {GONE & set(ops)}"
    (spec,) = model.graph.inputs
    count = int(np.prod(spec.shape.dims))
    x = (np.arange(count).reshape(spec.shape.dims) / count).astype(np.float32)
    (got,) = ort_run(ir.to_proto(model).SerializeToString(), {spec.name: x}).values()
    want = onnx.numpy_helper.to_array(
        onnx.load_tensor(str(LIGHT_DIR / f"light_{name}_output_0.pb")))
    (original,) = ort_run(source, {spec.name: x}).values()
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(got, original, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name", FAST)
def test_light_model_after_o2(name):
    _check(name)


@pytest.mark.slow
@pytest.mark.parametrize("name", SLOW)
def test_light_model_after_o2_slow(name):
    _check(name)
