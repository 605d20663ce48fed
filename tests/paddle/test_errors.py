"""Corrupt or unsupported Paddle models give typed errors that name the file and the byte
offset (or the op), and exit code 2 from the CLI. Built from the committed fixtures."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from paddlec.cli import cli
from paddlec.compiler.frontends import load_model
from paddlec.compiler.frontends.paddle.params import read_records, write_record
from paddlec.errors import ModelLoadError, UnsupportedModelError

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(params=["tiny_pir", "tiny_pdmodel"])
def model_dir(request, tmp_path) -> Path:
    folder = tmp_path / request.param
    shutil.copytree(FIXTURES / request.param, folder)
    return folder


def _rewrite_params(path: Path, change) -> None:
    arrays = [np.array(record.array) for record in read_records(path)]
    arrays = change(arrays)
    with open(path, "wb") as handle:
        for array in arrays:
            write_record(handle, array)


def test_truncated_params(model_dir):
    params = model_dir / "inference.pdiparams"
    params.write_bytes(params.read_bytes()[:-10])
    with pytest.raises(ModelLoadError, match=r"truncated in tensor #8.*byte offset \d+") as info:
        load_model(model_dir)
    assert str(params) in str(info.value)


def test_fewer_tensors_than_program(model_dir):
    params = model_dir / "inference.pdiparams"
    _rewrite_params(params, lambda arrays: arrays[:-1])
    with pytest.raises(ModelLoadError, match=r"holds 8 tensors but the program needs 9"):
        load_model(model_dir)


def test_more_tensors_than_program(model_dir):
    params = model_dir / "inference.pdiparams"
    _rewrite_params(params, lambda arrays: arrays + [np.ones(3, np.float32)])
    with pytest.raises(ModelLoadError, match=r"bytes left after the 9 tensors.*byte offset"):
        load_model(model_dir)


def test_tensor_dims_disagree_with_program(model_dir):
    params = model_dir / "inference.pdiparams"
    # sorted names: batch_norm2d_0.{b_0,w_0,w_1,w_2}, conv2d_0.b_0, conv2d_0.w_0 (4x3x3x3), ...
    _rewrite_params(params, lambda arrays: arrays[:5] + [arrays[5].reshape(4, 27)] + arrays[6:])
    with pytest.raises(ModelLoadError) as info:
        load_model(model_dir)
    message = str(info.value)
    assert "'conv2d_0.w_0'" in message and "dims [4, 27]" in message
    assert "declares [4, 3, 3, 3]" in message and "byte offset" in message


def test_garbage_protobuf(tmp_path):
    folder = tmp_path / "m"
    shutil.copytree(FIXTURES / "tiny_pdmodel", folder)
    program = folder / "inference.pdmodel"
    program.write_bytes(np.random.default_rng(1).integers(0, 256, 300, np.uint8).tobytes())
    with pytest.raises(ModelLoadError, match=r"not a Paddle ProgramDesc.*byte offset \d+") as info:
        load_model(folder)
    assert str(program) in str(info.value)


def test_other_protobuf_is_not_a_program(tmp_path, example_model):
    folder = tmp_path / "m"
    folder.mkdir()
    shutil.copy(example_model, folder / "inference.pdmodel")  # an ONNX ModelProto
    with pytest.raises(ModelLoadError, match="inference.pdmodel"):
        load_model(folder)


def test_json_that_is_not_pir(tmp_path):
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "inference.json").write_text(json.dumps({"model": "something else"}))
    with pytest.raises(ModelLoadError, match="not a Paddle PIR program"):
        load_model(folder)
    (folder / "inference.json").write_text('{"base_code": {"magic": "pir"}, "program": [')
    with pytest.raises(ModelLoadError, match=r"not valid JSON \(byte offset \d+\)"):
        load_model(folder)


def test_unmapped_ops_are_all_listed_pir(tmp_path):
    folder = tmp_path / "m"
    shutil.copytree(FIXTURES / "tiny_pir", folder)
    program = folder / "inference.json"
    text = program.read_text()
    text = text.replace('"1.relu"', '"1.frobnicate"').replace('"1.hardswish"', '"1.wibble"')
    text = text.replace('"1.softmax"', '"1.frobnicate"')
    program.write_text(text)
    with pytest.raises(UnsupportedModelError) as info:
        load_model(folder)
    assert "frobnicate (2), wibble (1)" in str(info.value)
    assert str(program) in str(info.value)


def test_unmapped_ops_are_all_listed_pdmodel(tmp_path):
    folder = tmp_path / "m"
    shutil.copytree(FIXTURES / "tiny_pdmodel", folder)
    program = folder / "inference.pdmodel"
    data = program.read_bytes()
    # OpDesc.type is field 3 (tag 0x1a); keep lengths so the message stays well formed
    data = data.replace(b"\x1a\x04relu", b"\x1a\x04relx").replace(b"\x1a\x07softmax",
                                                                   b"\x1a\x07softmay")
    program.write_bytes(data)
    with pytest.raises(UnsupportedModelError, match=r"relx \(1\), softmay \(1\)"):
        load_model(folder)


def test_cli_exit_code_2(tmp_path):
    folder = tmp_path / "m"
    shutil.copytree(FIXTURES / "tiny_pir", folder)
    (folder / "inference.pdiparams").write_bytes(b"\x00" * 7)
    result = CliRunner().invoke(cli, ["compile", str(folder), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "truncated" in result.output and not (tmp_path / "out").exists()
    missing = CliRunner().invoke(cli, ["inspect", str(folder), "--model-file", "nope.json"])
    assert missing.exit_code == 2 and "nope.json" in missing.output
