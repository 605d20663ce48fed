"""A process that loaded an artifact before it compiles: with the C runtime (the default
engine) the compiler works afterwards; after TVM's Python runtime-only mode (engine="tvm")
the compiler says why it cannot, instead of failing deep inside TVM."""

import subprocess
import sys

import pytest

SCRIPT = r"""
import sys
import paddlec.runtime as rt
rt.load(sys.argv[1], engine=sys.argv[4])
from paddlec.compiler import compile_model
from paddlec.errors import CompileError
try:
    compile_model(sys.argv[2], sys.argv[3])
    print("compiled; loads with", rt.load(sys.argv[3]).engine)
except CompileError as exc:
    print("CompileError:", exc)
"""


@pytest.mark.parametrize("engine, expected", [
    ("native", "compiled; loads with native"),
    ("tvm", "CompileError: TVM was imported in runtime-only mode"),
])
def test_compiling_after_loading_an_artifact(example_artifact, example_model, tmp_path,
                                             engine, expected):
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(example_artifact), str(example_model),
                           str(tmp_path / "out"), engine], capture_output=True, text=True,
                          timeout=300)
    assert expected in proc.stdout, proc.stderr[-2000:]
    assert (tmp_path / "out").exists() == (engine == "native")
