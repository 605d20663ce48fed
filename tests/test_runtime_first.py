"""A process that loaded TVM runtime-only (paddlec.runtime first) gets a clear error from the
compiler instead of an obscure failure deep inside TVM."""

import subprocess
import sys

SCRIPT = r"""
import sys
import paddlec.runtime as rt
rt.load(sys.argv[1])
from paddlec.compiler import compile_model
from paddlec.errors import CompileError
try:
    compile_model(sys.argv[2], sys.argv[3])
except CompileError as exc:
    print("CompileError:", exc)
"""


def test_compiler_after_runtime_only_import_says_why(example_artifact, example_model, tmp_path):
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(example_artifact), str(example_model),
                           str(tmp_path / "out")], capture_output=True, text=True, timeout=300)
    assert "CompileError: TVM was imported in runtime-only mode" in proc.stdout, proc.stderr[-2000:]
    assert not (tmp_path / "out").exists()
