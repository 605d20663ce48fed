"""Give an ONNX light model random weights, so that its outputs say something.

The models in onnx's ``backend/test/data/light`` build every weight with ConstantOfShape and
one value (0.02): their outputs are nearly uniform, and TVM can even fold the constant fill
into the kernels. ``randomize`` replaces each ConstantOfShape weight with seeded random values
of a plausible scale for its role (He-scaled conv/Gemm weights, BN variance and Caffe2 scales
in [0.5, 1.5], biases and means ~N(0, 0.1)) and drops the final Softmax (a saturated softmax
hides errors). Used by tests/passes/test_light_models_o2.py and bench/passes_o0_vs_o2.py.
"""

from __future__ import annotations

import collections
from pathlib import Path

import numpy as np
import onnx

__all__ = ["randomize"]


def randomize(source: Path, out_path: Path, seed: int = 0) -> Path:
    """Write ``source`` with random weights (see the module docstring) to ``out_path``."""
    proto = onnx.load(str(source))
    shapes = {init.name: onnx.numpy_helper.to_array(init) for init in proto.graph.initializer}
    readers = collections.defaultdict(list)
    for node in proto.graph.node:
        for index, name in enumerate(node.input):
            readers[name].append((node.op_type, index))
    rng = np.random.default_rng(seed)
    kept = []
    for node in proto.graph.node:
        if node.op_type != "ConstantOfShape":
            kept.append(node)
            continue
        shape = tuple(int(d) for d in shapes[node.input[0]])
        role = readers[node.output[0]][0]
        if role in (("Conv", 1), ("Gemm", 1), ("Reshape", 0)):
            value = rng.standard_normal(shape) * np.sqrt(2.0 * shape[0] / np.prod(shape))
        elif role in (("BatchNormalization", 2), ("BatchNormalization", 3), ("Conv", 2),
                      ("Gemm", 2)):
            value = rng.standard_normal(shape) * 0.1
        else:  # BN scale and variance, Caffe2 "scale" layers: positive, near 1
            value = rng.uniform(0.5, 1.5, shape)
        proto.graph.initializer.append(
            onnx.numpy_helper.from_array(value.astype(np.float32), node.output[0]))
    if kept[-1].op_type == "Softmax":
        proto.graph.output[0].name = kept.pop().input[0]
    del proto.graph.node[:]
    proto.graph.node.extend(kept)
    proto.ir_version = max(proto.ir_version, 4)  # IR 3 wants every initializer as an input
    onnx.save(proto, str(out_path))
    return out_path
