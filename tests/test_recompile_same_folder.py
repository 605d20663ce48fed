"""An artifact recompiled into the same folder and loaded again in the same process runs
the new code, on both engines (glibc's dlopen would hand back the library it loaded under
that name before: ``runtime/stale_library.py``)."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from paddlec.compiler import compile_model
from paddlec.runtime import load

X = np.linspace(-3, 3, 16, dtype=np.float32)[None]
CASES = [("Relu", np.maximum(X, 0)), ("Neg", -X), ("Abs", np.abs(X))]


@pytest.mark.parametrize("engine", ["native", "tvm"])
def test_recompiled_artifact_runs_the_new_code(tmp_path, engine):
    for op, expected in CASES:
        x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 16])
        y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 16])
        graph = helper.make_graph([helper.make_node(op, ["x"], ["y"])], op, [x], [y])
        onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]),
                  str(tmp_path / "model.onnx"))
        compile_model(tmp_path / "model.onnx", tmp_path / "artifact")
        model = load(tmp_path / "artifact", engine=engine)
        np.testing.assert_array_equal(model.run([X])["y"], expected, err_msg=op)
