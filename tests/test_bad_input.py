"""Bad input gets a typed error (exit code 2 from the CLI) and never a partial artifact."""

from pathlib import Path

import numpy as np
import onnx
import pytest
from click.testing import CliRunner
from _helpers import EXAMPLE_MODEL, save_model
from onnx import TensorProto, helper

from paddlec import runtime
from paddlec.cli import cli
from paddlec.compiler import compile_model
from paddlec.errors import (
    ArtifactError,
    InputMismatchError,
    ModelLoadError,
    TargetError,
    UnsupportedModelError,
)


def _compile_fails(tmp_path: Path, model, error, match, **options):
    out = tmp_path / "out"
    with pytest.raises(error, match=match):
        compile_model(model, out, **options)
    assert not out.exists()
    assert list(tmp_path.glob(".out*")) == []  # no staging folder left behind


def test_missing_file(tmp_path):
    _compile_fails(tmp_path, tmp_path / "nope.onnx", ModelLoadError, "no such file")


def test_file_that_is_not_onnx(tmp_path):
    path = tmp_path / "notes.onnx"
    path.write_text("this is not a model\n" * 20)
    _compile_fails(tmp_path, path, ModelLoadError, str(path))


def test_truncated_onnx(tmp_path):
    data = EXAMPLE_MODEL.read_bytes()
    path = tmp_path / "truncated.onnx"
    path.write_bytes(data[: len(data) // 2])
    _compile_fails(tmp_path, path, ModelLoadError, "truncated.onnx")


def test_empty_folder(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    _compile_fails(tmp_path, folder, ModelLoadError, "no .onnx file")


def test_unknown_target_key(tmp_path):
    _compile_fails(tmp_path, EXAMPLE_MODEL, TargetError, "unknown option -mcpux", target="llvm -mcpux=a")


def test_unsupported_ops_are_all_listed(tmp_path):
    nodes = [helper.make_node("Relu", ["x"], ["a"]),
             helper.make_node("FooOp", ["a"], ["b"], domain="com.example"),
             helper.make_node("FooOp", ["b"], ["c"], domain="com.example"),
             helper.make_node("BarOp", ["c"], ["y"], domain="com.example")]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                    helper.make_opsetid("com.example", 1)])
    path = save_model(tmp_path, model)
    _compile_fails(tmp_path, path, UnsupportedModelError,
                   r"com\.example::BarOp \(1\), com\.example::FooOp \(2\)")


def test_input_shape_for_unknown_input(tmp_path):
    _compile_fails(tmp_path, EXAMPLE_MODEL, ModelLoadError, "unknown input",
                   input_shapes={"img": [1, 3, 64, 64]})


def test_refuses_to_overwrite_a_folder_that_is_not_an_artifact(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "precious.txt").write_text("keep me")
    with pytest.raises(ArtifactError, match="not a paddlec artifact"):
        compile_model(EXAMPLE_MODEL, out)
    assert (out / "precious.txt").read_text() == "keep me"


@pytest.mark.parametrize(
    "feed, match",
    [
        ({"image": np.zeros((1, 3, 64, 64), np.float64)}, "expected dtype float32, got float64"),
        ({"image": np.zeros((1, 3, 32, 32), np.float32)}, "expected shape Nx3x64x64, got 1x3x32x32"),
        ({"image": np.zeros((3, 64, 64), np.float32)}, "expected shape"),
        ({}, "missing input"),
        ({"image": np.zeros((1, 3, 64, 64), np.float32), "extra": np.zeros(1)}, "unknown input"),
        ([], "expected 1 input"),
    ],
)
def test_bad_feeds(example_artifact, feed, match):
    model = runtime.load(example_artifact)
    with pytest.raises(InputMismatchError, match=match):
        model.run(feed)


def test_tampered_library_is_refused(tmp_path, example_artifact):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(example_artifact, copy)
    with open(copy / "model.so", "ab") as handle:
        handle.write(b"\0")
    with pytest.raises(ArtifactError, match="checksum mismatch"):
        runtime.load(copy)


def test_not_an_artifact(tmp_path):
    with pytest.raises(ArtifactError, match="manifest.json is missing"):
        runtime.load(tmp_path)


# --- the CLI maps the same errors to exit code 2 with a one-line message ---

def _cli(*args):
    result = CliRunner().invoke(cli, list(map(str, args)))
    return result.exit_code, result.output


def test_cli_exit_codes(tmp_path, example_artifact):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x08\x01garbage")
    code, out = _cli("compile", bad, "-o", tmp_path / "o")
    assert code == 2 and "error:" in out and "bad.onnx" in out and "Traceback" not in out
    assert not (tmp_path / "o").exists()

    code, out = _cli("compile", EXAMPLE_MODEL, "--target", "llvm -bogus=1", "-o", tmp_path / "o")
    assert code == 2 and "unknown option -bogus" in out

    np.save(tmp_path / "x.npy", np.zeros((1, 3, 64, 64), np.int32))
    code, out = _cli("run", example_artifact, "--input", f"image={tmp_path / 'x.npy'}")
    assert code == 2 and "expected dtype float32, got int32" in out

    code, out = _cli("run", example_artifact)
    assert code == 2 and "missing input" in out

    code, out = _cli("compile")
    assert code == 2  # click usage error


def test_cli_compile_run_inspect(tmp_path):
    out = tmp_path / "art"
    code, text = _cli("compile", EXAMPLE_MODEL, "--target", "llvm", "-o", out)
    assert code == 0, text
    np.save(tmp_path / "x.npy", np.ones((3, 3, 64, 64), np.float32))
    code, text = _cli("run", out, "--input", f"image={tmp_path / 'x.npy'}", "--output-dir", tmp_path / "res")
    assert code == 0, text
    assert "probs: float32[3, 10]" in text
    assert np.load(tmp_path / "res" / "probs.npy").shape == (3, 10)
    code, text = _cli("inspect", out)
    assert code == 0 and "Nx3x64x64" in text and "llvm" in text
    code, text = _cli("inspect", EXAMPLE_MODEL)
    assert code == 0 and "BatchNormalization" in text and "opset 17" in text
