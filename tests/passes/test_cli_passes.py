"""CLI: ``paddlec optimize``, ``compile --verify-passes`` and the pass table in ``inspect``."""

import json

import numpy as np
import onnx
import pytest
from _helpers import EXAMPLE_MODEL, ort_run
from click.testing import CliRunner

from paddlec.cli import cli


@pytest.fixture
def runner():
    return CliRunner()


def test_optimize_writes_an_equivalent_onnx_file(runner, tmp_path):
    out = tmp_path / "opt.onnx"
    result = runner.invoke(cli, ["optimize", str(EXAMPLE_MODEL), "-o", str(out),
                                 "--input-shape", "image:2x3x64x64"])
    assert result.exit_code == 0, result.output
    assert "fuse_conv_bn" in result.output and f"wrote {out}" in result.output
    optimized = onnx.load(str(out))
    onnx.checker.check_model(optimized)
    ops = {node.op_type for node in optimized.graph.node}
    assert "BatchNormalization" not in ops
    x = np.random.default_rng(0).standard_normal((2, 3, 64, 64)).astype(np.float32)
    np.testing.assert_allclose(ort_run(out, {"image": x})["probs"],
                               ort_run(EXAMPLE_MODEL, {"image": x})["probs"],
                               rtol=1e-4, atol=1e-5)


def test_optimize_o0_keeps_the_graph(runner, tmp_path):
    out = tmp_path / "same.onnx"
    result = runner.invoke(cli, ["optimize", str(EXAMPLE_MODEL), "-o", str(out), "-O0"])
    assert result.exit_code == 0
    assert [n.op_type for n in onnx.load(str(out)).graph.node] == \
        [n.op_type for n in onnx.load(str(EXAMPLE_MODEL)).graph.node]


def test_optimize_rejects_unknown_pass_with_exit_2(runner, tmp_path):
    out = tmp_path / "x.onnx"
    result = runner.invoke(cli, ["optimize", str(EXAMPLE_MODEL), "-o", str(out),
                                 "--disable-pass", "nope"])
    assert result.exit_code == 2 and "known passes" in result.output
    assert not out.exists()


def test_print_passes_lists_levels(runner):
    result = runner.invoke(cli, ["compile", str(EXAMPLE_MODEL), "-o", "unused", "-O1",
                                 "--print-passes"])
    assert result.exit_code == 0
    assert "constant_folding" in result.output and "fuse_conv_bn" not in result.output


def test_compile_verify_passes_records_errors_and_inspect_shows_them(runner, tmp_path):
    out = tmp_path / "artifact"
    result = runner.invoke(cli, ["compile", str(EXAMPLE_MODEL), "-o", str(out),
                                 "--verify-passes"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    stats = {stat["name"]: stat for stat in manifest["passes"]}
    assert stats["fuse_conv_bn"]["nodes_after"] < stats["fuse_conv_bn"]["nodes_before"]
    assert all(stat["max_error"] < 1e-4 for stat in stats.values())
    shown = runner.invoke(cli, ["inspect", str(out)])
    assert shown.exit_code == 0
    assert "*fuse_conv_bn" in shown.output and "max error" in shown.output
    assert "nodes: 24 -> 18" in shown.output
