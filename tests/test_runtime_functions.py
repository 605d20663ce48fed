"""Every artifact the compiler writes loads and runs where only TVM's runtime library is:
functions that exist only in TVM's compiler are carried in model.so (the sorts behind TopK
and NonMaxSuppression) or refused at compile time with a typed error (Unique, NonZero)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from _helpers import ort_run
from paddlec.compiler import compile_model
from paddlec.compiler.runtime_functions import called_functions, runtime_registry
from paddlec.errors import UnsupportedModelError

RUN_IN_RUNTIME_ONLY_PROCESS = r"""
import json, sys
import numpy as np
import paddlec.runtime as rt
model = rt.load(sys.argv[1])
feed = dict(np.load(sys.argv[2]))
out = model.run(feed)
np.savez(sys.argv[3], **out)
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in ("onnx", "onnx_ir")
                        or m.startswith(("paddlec.compiler", "tvm.relax")))))
"""


def _topk_model(largest: int) -> onnx.ModelProto:
    k = helper.make_tensor("k", TensorProto.INT64, [1], [3])
    graph = helper.make_graph(
        [helper.make_node("TopK", ["x", "k"], ["values", "indices"], axis=1, largest=largest)],
        "topk", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 9])],
        [helper.make_tensor_value_info("values", TensorProto.FLOAT, [4, 3]),
         helper.make_tensor_value_info("indices", TensorProto.INT64, [4, 3])], [k])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)])


@pytest.mark.parametrize("largest", [1, 0])
def test_topk_runs_in_a_runtime_only_process(tmp_path, largest):
    model = _topk_model(largest)
    onnx.save(model, tmp_path / "topk.onnx")
    manifest = compile_model(tmp_path / "topk.onnx", tmp_path / "art", target="llvm")
    assert "paddlec.contrib.sort.topk" in manifest["runtime_functions"]
    assert "paddlec.contrib.sort.topk" not in runtime_registry("cpu")  # only model.so has it
    rng = np.random.default_rng(0)
    x = rng.integers(-4, 4, (4, 9)).astype(np.float32)  # ties: lower index first
    np.savez(tmp_path / "feed.npz", x=x)
    proc = subprocess.run([sys.executable, "-c", RUN_IN_RUNTIME_ONLY_PROCESS,
                           str(tmp_path / "art"), str(tmp_path / "feed.npz"),
                           str(tmp_path / "out.npz")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == []
    got, want = np.load(tmp_path / "out.npz"), ort_run(tmp_path / "topk.onnx", {"x": x})
    np.testing.assert_array_equal(got["values"], want["values"])
    np.testing.assert_array_equal(got["indices"], want["indices"])


def _unique_model() -> onnx.ModelProto:
    graph = helper.make_graph(
        [helper.make_node("Unique", ["x"], ["y"], sorted=1)], "unique",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [6])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n"])])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)])


def test_a_function_only_the_compiler_has_is_refused_at_compile_time(tmp_path):
    onnx.save(_unique_model(), tmp_path / "unique.onnx")
    with pytest.raises(UnsupportedModelError, match=r"relax\.run\.unique \(Unique"):
        compile_model(tmp_path / "unique.onnx", tmp_path / "art", target="llvm")
    assert not (tmp_path / "art").exists()


def test_the_executable_lists_what_it_calls_by_name(example_artifact):
    import tvm
    from tvm import relax

    from paddlec.runtime.manifest import read_manifest
    from paddlec.runtime.native_libraries import load_native_libraries

    manifest = read_manifest(example_artifact)
    load_native_libraries(manifest.raw["native_libraries"])
    module = tvm.runtime.load_module(str(example_artifact / manifest.library))
    names = called_functions(relax.VMExecutable(module))
    assert "vm.builtin.alloc_storage" in names
    # every VM builtin the manifest lists is in the runtime library
    builtins = [n for n in manifest.raw["runtime_functions"] if n.startswith("vm.")]
    assert builtins and set(builtins) <= runtime_registry("cpu")


LOAD_IN_RUNTIME_ONLY_PROCESS = r"""
import sys
import paddlec.runtime as rt
try:
    rt.load(sys.argv[1])
except rt.ArtifactError as exc:
    print("ArtifactError:", exc)
"""


def test_an_artifact_built_without_the_check_is_refused_at_load(tmp_path, monkeypatch):
    """An artifact that calls a compiler-only function (as one from before the check would)
    fails to load in a runtime-only process with ArtifactError naming the function."""
    import paddlec.compiler.runtime_functions as runtime_functions

    monkeypatch.setattr(runtime_functions, "check_runtime_functions", lambda *a, **k: [])
    onnx.save(_unique_model(), tmp_path / "unique.onnx")
    compile_model(tmp_path / "unique.onnx", tmp_path / "art", target="llvm")
    proc = subprocess.run([sys.executable, "-c", LOAD_IN_RUNTIME_ONLY_PROCESS,
                           str(tmp_path / "art")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "ArtifactError:" in proc.stdout and "relax.run.unique" in proc.stdout
