"""The Paddle frontend on the tiny committed fixtures (real Paddle files, no Paddle needed):
discovery, both program formats, legacy per-variable params, numerics against Paddle
Inference's recorded outputs, ``paddlec inspect``/``compile`` with --model-file/--params-file.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import onnx
import onnx_ir as ir
import pytest
from click.testing import CliRunner

from paddlec.cli import cli
from paddlec.compiler.frontends import load_model
from paddlec.compiler.frontends.paddle import PIR, PROTOBUF
from paddlec.compiler.frontends.paddle.ops import coverage

FIXTURES = Path(__file__).resolve().parent / "fixtures"
IO = np.load(FIXTURES / "io.npz")
CASES = [("tiny_pir", PIR, "fetch_name_0"), ("tiny_pdmodel", PROTOBUF, "softmax_0.tmp_0"),
         ("tiny_legacy_vars", PROTOBUF, "softmax_0.tmp_0")]


def _expected(output: str) -> np.ndarray:
    key = next(k for k in IO.files if k.endswith(":" + output))
    return IO[key]


def _ort(model: ir.Model, feed: dict) -> list[np.ndarray]:
    import onnxruntime as ort

    proto = ir.to_proto(model)
    onnx.checker.check_model(proto)
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, feed)


@pytest.mark.parametrize("folder,fmt,output", CASES)
def test_fixture_matches_paddle_inference(folder, fmt, output):
    source = load_model(FIXTURES / folder)
    assert source.format == fmt
    assert [v.name for v in source.model.graph.inputs] == ["image"]
    assert [v.name for v in source.model.graph.outputs] == [output]
    assert source.model.graph.inputs[0].shape[0] == ir.SymbolicDim("N")
    (out,) = _ort(source.model, {"image": IO["image"]})
    np.testing.assert_allclose(out, _expected(output), rtol=1e-5, atol=1e-6)


def test_files_cover_program_and_params():
    pir = load_model(FIXTURES / "tiny_pir")
    assert [f.name for f in pir.files] == ["inference.json", "inference.pdiparams"]
    legacy = load_model(FIXTURES / "tiny_legacy_vars")
    assert legacy.files[0].name == "__model__" and len(legacy.files) == 10


def test_weights_are_not_copied():
    source = load_model(FIXTURES / "tiny_pdmodel")
    for value in source.model.graph.initializers.values():
        array = value.const_value.numpy()
        if value.name.endswith(("w_0", "b_0", "w_1", "w_2")):
            base = array
            while not isinstance(base, np.memmap) and base.base is not None:
                base = base.base
            assert isinstance(base, np.memmap), value.name


def test_file_arguments_and_overrides(tmp_path):
    shutil.copy(FIXTURES / "tiny_pir" / "inference.json", tmp_path / "net.json")
    shutil.copy(FIXTURES / "tiny_pir" / "inference.pdiparams", tmp_path / "weights.bin")
    source = load_model(tmp_path, model_file="net.json", params_file="weights.bin")
    assert source.format == PIR and [f.name for f in source.files] == ["net.json", "weights.bin"]
    direct = load_model(FIXTURES / "tiny_pdmodel" / "inference.pdmodel")
    assert direct.format == PROTOBUF


def test_inspect_shows_paddle_ops():
    result = CliRunner().invoke(cli, ["inspect", str(FIXTURES / "tiny_pir"), "--json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    assert info["format"] == "paddle-pir"
    assert info["ops"]["conv2d"] == 1 and info["ops"]["depthwise_conv2d"] == 1
    assert info["ops"]["batch_norm"] == 1 and "Conv" in info["ir_ops"]
    assert info["inputs"] == [{"name": "image", "dtype": "float32", "shape": ["N", 3, 8, 8]}]
    text = CliRunner().invoke(cli, ["inspect", str(FIXTURES / "tiny_pdmodel")])
    assert text.exit_code == 0 and "paddle-protobuf" in text.output
    assert "batch_norm" in text.output and "feed" not in text.output


def test_compile_run_with_overrides(tmp_path):
    import paddlec.runtime as rt

    model_dir = tmp_path / "model"
    model_dir.mkdir()
    shutil.copy(FIXTURES / "tiny_pdmodel" / "inference.pdmodel", model_dir / "net.pdmodel")
    shutil.copy(FIXTURES / "tiny_pdmodel" / "inference.pdiparams", model_dir / "net.params")
    out = tmp_path / "artifact"
    result = CliRunner().invoke(cli, ["compile", str(model_dir), "-o", str(out),
                                      "--model-file", "net.pdmodel",
                                      "--params-file", str(model_dir / "net.params")])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["source"]["format"] == "paddle-protobuf"
    digest = hashlib.sha256((model_dir / "net.pdmodel").read_bytes()
                            + (model_dir / "net.params").read_bytes()).hexdigest()
    assert manifest["source"]["sha256"] == digest
    model = rt.load(out)
    got = model.run({"image": IO["image"]})["softmax_0.tmp_0"]
    np.testing.assert_allclose(got, _expected("softmax_0.tmp_0"), rtol=1e-5, atol=1e-6)


def test_registry_covers_both_formats():
    table = coverage()
    pir = {op for fmt, op, _ in table if fmt == PIR}
    legacy = {op for fmt, op, _ in table if fmt == PROTOBUF}
    assert {"conv2d", "batch_norm", "pool2d", "matmul", "add", "full_int_array"} <= pir
    assert {"conv2d", "batch_norm", "pool2d", "matmul_v2", "elementwise_add",
            "lookup_table_v2", "fill_constant"} <= legacy


def test_model_file_also_selects_onnx(tmp_path, example_model):
    shutil.copy(example_model, tmp_path / "a.onnx")
    shutil.copy(example_model, tmp_path / "b.onnx")
    source = load_model(tmp_path, model_file="b.onnx")
    assert source.format == "onnx" and source.files == [tmp_path / "b.onnx"]


def test_pir_preferred_when_both_formats_present(tmp_path):
    for folder in ("tiny_pir", "tiny_pdmodel"):
        for file in (FIXTURES / folder).iterdir():
            shutil.copy(file, tmp_path / file.name)
    assert load_model(tmp_path).format == PIR
    assert load_model(tmp_path, model_file="inference.pdmodel").format == PROTOBUF
