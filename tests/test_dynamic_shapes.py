"""Models with symbolic dims compile once and run at every shape: shape computations
(Shape → Slice/Gather → Concat → Reshape / Expand / Slice / Resize sizes) resolved by
``passes/resolve_shape_operands.py``, checked against onnxruntime at several shapes; dim
ranges (``--input-shape-range``) refuse feeds outside them with a typed error naming the
input and dim; a data-dependent output shape is refused at compile time naming the op."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from paddlec.compiler import compile_model
from paddlec.errors import InputMismatchError, UnsupportedModelError
from paddlec.runtime import load

ort = pytest.importorskip("onnxruntime")


def _model(nodes, inputs, outputs, initializers=()):
    graph = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(initializers))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _ints(name, values):
    return helper.make_tensor(name, TensorProto.INT64, [len(values)], values)


def _compare_at_shapes(tmp_path, model, shapes, **options):
    path = tmp_path / "model.onnx"
    onnx.save(model, str(path))
    manifest = compile_model(path, tmp_path / "art", **options)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    for engine in ("native", "tvm"):
        compiled = load(tmp_path / "art", engine=engine)
        for seed, shape in enumerate(shapes):
            x = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
            want = session.run(None, {"x": x})
            got = list(compiled.run([x]).values())
            for g, w in zip(got, want):
                assert g.shape == w.shape, (engine, shape, g.shape, w.shape)
                np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)
    return manifest


def test_reshape_flatten_from_computed_shape(tmp_path):
    """y = Reshape(x, Concat(Shape(x)[0:1], [-1])) and an attention-style split of the last
    dim into heads (Shape(x)[0:2] ++ [2, C/2]) keep N and T symbolic."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", "T", 8])
    nodes = [
        helper.make_node("Shape", ["x"], ["s"]),
        helper.make_node("Slice", ["s", "zero", "one"], ["n"]),
        helper.make_node("Slice", ["s", "zero", "two"], ["nt"]),
        helper.make_node("Concat", ["n", "minus_one"], ["flat_shape"], axis=0),
        helper.make_node("Reshape", ["x", "flat_shape"], ["flat"]),
        helper.make_node("Concat", ["nt", "heads"], ["split_shape"], axis=0),
        helper.make_node("Reshape", ["x", "split_shape"], ["split"]),
        helper.make_node("Relu", ["split"], ["y"]),
    ]
    model = _model(nodes, [x], [helper.make_tensor_value_info("flat", TensorProto.FLOAT, ["N", "F"]),
                               helper.make_tensor_value_info("y", TensorProto.FLOAT,
                                                             ["N", "T", 2, 4])],
                   [_ints("zero", [0]), _ints("one", [1]), _ints("two", [2]),
                    _ints("minus_one", [-1]), _ints("heads", [2, 4])])
    manifest = _compare_at_shapes(tmp_path, model, [(1, 3, 8), (4, 7, 8), (2, 1, 8)])
    dims = manifest["inputs"][0]["shape"]
    assert dims[0] == "N" and isinstance(dims[1], str) and dims[2] == 8, dims


def test_resize_to_another_maps_runtime_size_and_expand(tmp_path):
    """An FPN step: the coarse map resized to the fine map's run-time H x W (sizes from
    Shape), added to it; and an Expand to a computed shape."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4, "H", "W"])
    nodes = [
        helper.make_node("MaxPool", ["x"], ["coarse"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Shape", ["x"], ["s"]),
        helper.make_node("Slice", ["s", "two", "four"], ["hw"]),
        helper.make_node("Shape", ["coarse"], ["cs"]),
        helper.make_node("Slice", ["cs", "zero", "two"], ["nc"]),
        helper.make_node("Concat", ["nc", "hw"], ["sizes"], axis=0),
        helper.make_node("Resize", ["coarse", "", "", "sizes"], ["up"], mode="nearest",
                         coordinate_transformation_mode="asymmetric", nearest_mode="floor"),
        helper.make_node("Add", ["x", "up"], ["y"]),
        helper.make_node("ReduceMean", ["x"], ["mean"], axes=[2, 3], keepdims=1),
        helper.make_node("Expand", ["mean", "s"], ["spread"]),
    ]
    model = _model(nodes, [x], [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4, "H", "W"]),
                               helper.make_tensor_value_info("spread", TensorProto.FLOAT,
                                                             ["N", 4, "H", "W"])],
                   [_ints("zero", [0]), _ints("two", [2]), _ints("four", [4]),
                    ])
    _compare_at_shapes(tmp_path, model, [(1, 4, 8, 8), (2, 4, 12, 6), (1, 4, 16, 20)])


def test_feed_outside_the_declared_range_is_refused(tmp_path):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, "W"])
    model = _model([helper.make_node("Relu", ["x"], ["y"])], [x],
                   [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3, "W"])])
    ranges = {"x": ([1, 3, 16], [1, 3, 320], [8, 3, 1600])}
    manifest = _compare_at_shapes(tmp_path, model, [(1, 3, 16), (8, 3, 1600), (2, 3, 100)],
                                  input_shape_ranges=ranges)
    assert manifest["dim_ranges"] == {"N": [1, 8], "W": [16, 1600]}
    for engine in ("native", "tvm"):
        compiled = load(tmp_path / "art", engine=engine)
        with pytest.raises(InputMismatchError, match=r"'x': dimension 2 \('W'\) is 1601, "
                                                     r"outside the range 16\.\.1600"):
            compiled.run([np.zeros((1, 3, 1601), np.float32)])
        with pytest.raises(InputMismatchError, match=r"dimension 0 \('N'\) is 9"):
            compiled.run([np.zeros((9, 3, 20), np.float32)])


def test_range_that_contradicts_a_static_dim_is_refused(tmp_path):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3])
    model = _model([helper.make_node("Relu", ["x"], ["y"])], [x],
                   [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3])])
    onnx.save(model, str(tmp_path / "m.onnx"))
    with pytest.raises(InputMismatchError, match="axis 1 is static"):
        compile_model(tmp_path / "m.onnx", tmp_path / "art",
                      input_shape_ranges={"x": ([1, 4], [1, 4], [2, 4])})
    assert not (tmp_path / "art").exists()


def test_data_dependent_output_shape_names_the_op(tmp_path):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N"])
    model = _model([helper.make_node("NonZero", ["x"], ["y"])], [x],
                   [helper.make_tensor_value_info("y", TensorProto.INT64, [1, "K"])])
    onnx.save(model, str(tmp_path / "m.onnx"))
    with pytest.raises(UnsupportedModelError, match="NonZero"):
        compile_model(tmp_path / "m.onnx", tmp_path / "art")
    assert not (tmp_path / "art").exists()


@pytest.mark.parametrize("op", ["GlobalAveragePool", "ReduceMean"])
def test_mean_over_a_large_symbolic_map_is_accurate(tmp_path, op):
    """One float32 sum over a 640x640 map (what TVM emits for a multi-axis mean) drifts by
    about 1e-5; per axis it stays near float32 resolution."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4, "H", "W"])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4, 1, 1])
    node = (helper.make_node(op, ["x"], ["y"]) if op == "GlobalAveragePool"
            else helper.make_node(op, ["x", "axes"], ["y"], keepdims=1))
    consts = [] if op == "GlobalAveragePool" else [_ints("axes", [2, 3])]
    path = tmp_path / "model.onnx"
    model = _model([node], [x], [y], consts)
    model.opset_import[0].version = 18
    onnx.save(model, str(path))
    compile_model(path, tmp_path / "art")
    feed = (np.random.default_rng(0).standard_normal((1, 4, 640, 640)) + 3).astype(np.float32)
    got = list(load(tmp_path / "art").run([feed]).values())[0]
    exact = feed.astype(np.float64).mean(axis=(2, 3), keepdims=True)
    assert np.abs(got - exact).max() / np.abs(exact).max() < 3e-6
