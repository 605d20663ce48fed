"""paddlec's converter registry, the unsupported-op report and constant-input binding."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from _helpers import ort_run, save_model
from onnx import TensorProto, helper

from paddlec.compiler import compile_model
from paddlec.compiler.converters import converter, find_converter
from paddlec.errors import ModelLoadError, UnsupportedModelError
from paddlec.runtime import load


def _model(nodes, inputs, outputs, opset=18, initializers=(), extra_opsets=()):
    graph = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(initializers))
    opsets = [helper.make_opsetid("", opset), *extra_opsets]
    return helper.make_model(graph, opset_imports=opsets, ir_version=9)


def test_registry_picks_newest_version_not_above_opset():
    @converter("test.paddlec", "Probe", 5)
    def probe_v5(bb, inputs, attrs, ctx):
        return "v5"

    @converter("test.paddlec", "Probe", 10)
    def probe_v10(bb, inputs, attrs, ctx):
        return "v10"

    assert find_converter("test.paddlec", "Probe", 4) is None
    assert find_converter("test.paddlec", "Probe", 9) is probe_v5
    assert find_converter("test.paddlec", "Probe", 22) is probe_v10
    with pytest.raises(ValueError, match="registered twice"):
        converter("test.paddlec", "Probe", 10)(probe_v10)


def test_unsupported_ops_are_listed_together_with_opset_and_reason(tmp_path):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])
    z = helper.make_tensor_value_info("z", TensorProto.FLOAT, [2])
    model = _model([helper.make_node("Foo", ["x"], ["y"], domain="com.example"),
                    helper.make_node("Bar", ["x"], ["z"], domain="com.example")],
                   [x], [y, z], extra_opsets=[helper.make_opsetid("com.example", 3)])
    path = save_model(tmp_path, model)
    with pytest.raises(UnsupportedModelError) as info:
        compile_model(path, tmp_path / "out")
    message = str(info.value)
    assert "com.example::Foo" in message and "com.example::Bar" in message
    assert "opset 3" in message and "no converter" in message
    assert not (tmp_path / "out").exists()


def _resize_model():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 4, 4])
    sizes = helper.make_tensor_value_info("sizes", TensorProto.INT64, [4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 1, 7, 3])
    node = helper.make_node("Resize", ["x", "", "", "sizes"], ["y"], mode="cubic",
                            coordinate_transformation_mode="half_pixel")
    return _model([node], [x, sizes], [y])


def test_bound_shape_input_compiles_specialized_and_matches_onnxruntime(tmp_path):
    path = save_model(tmp_path, _resize_model())
    x = np.random.default_rng(0).standard_normal((1, 1, 4, 4)).astype(np.float32)
    sizes = np.array([1, 1, 7, 3], np.int64)
    compile_model(path, tmp_path / "art", const_inputs={"sizes": sizes})
    compiled = load(tmp_path / "art")
    assert compiled.input_names == ["x"]  # the bound input left the signature
    got = compiled.run({"x": x})["y"]
    want = ort_run(path, {"x": x, "sizes": sizes})["y"]
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_unbound_shape_input_is_refused_with_a_hint(tmp_path):
    path = save_model(tmp_path, _resize_model())
    with pytest.raises(UnsupportedModelError, match="const_inputs"):
        compile_model(path, tmp_path / "art")


def test_binding_rejects_unknown_names_and_dtypes(tmp_path):
    path = save_model(tmp_path, _resize_model())
    with pytest.raises(ModelLoadError, match="unknown input"):
        compile_model(path, tmp_path / "a", const_inputs={"nope": np.zeros(4, np.int64)})
    with pytest.raises(ModelLoadError, match="dtype"):
        compile_model(path, tmp_path / "b", const_inputs={"sizes": np.zeros(4, np.int32)})


def test_layer_normalization_mean_and_inv_std_dev_match_onnxruntime(tmp_path):
    shape = [2, 3, 5]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)
    outputs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, s)
               for n, s in (("y", shape), ("mean", [2, 1, 1]), ("inv_std", [2, 1, 1]))]
    rng = np.random.default_rng(1)
    scale = onnx.numpy_helper.from_array(rng.standard_normal((3, 5)).astype(np.float32), "s")
    bias = onnx.numpy_helper.from_array(rng.standard_normal((3, 5)).astype(np.float32), "b")
    node = helper.make_node("LayerNormalization", ["x", "s", "b"], ["y", "mean", "inv_std"],
                            axis=1, epsilon=1e-3)
    path = save_model(tmp_path, _model([node], [x], outputs, 17, [scale, bias]))
    feed = {"x": rng.standard_normal(shape).astype(np.float32)}
    compile_model(path, tmp_path / "art")
    got = load(tmp_path / "art").run(feed)
    want = ort_run(path, feed)
    for name in ("y", "mean", "inv_std"):
        assert got[name].shape == want[name].shape, name
        np.testing.assert_allclose(got[name], want[name], rtol=1e-4, atol=1e-5, err_msg=name)


def test_cli_const_input(tmp_path):
    from click.testing import CliRunner

    from paddlec.cli import cli

    path = save_model(tmp_path, _resize_model())
    np.save(tmp_path / "sizes.npy", np.array([1, 1, 7, 3], np.int64))
    result = CliRunner().invoke(cli, ["compile", str(path), "-o", str(tmp_path / "art"),
                                      "--const-input", f"sizes={tmp_path / 'sizes.npy'}"])
    assert result.exit_code == 0, result.output
    assert "sizes" not in result.output.split("inputs:")[1].split("outputs:")[0]
