"""TensorRT partitioning: regions, what stays outside, and the region ONNX export checked
against the same region compiled by paddlec (TVM) for llvm. No TensorRT involved."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from _helpers import EXAMPLE_MODEL, LIGHT_DIR
from _trt_models import concat_layernorm_model, two_region_model


def _lower(model: onnx.ModelProto):
    import onnx_ir as ir

    from paddlec.compiler.lowering import lower_to_relax

    return lower_to_relax(ir.from_proto(model)).mod


def _partition(model, **kwargs):
    from paddlec.compiler.tensorrt import partition_for_regions

    return partition_for_regions(_lower(model), **kwargs)


def _feeds(region, batch=2, seed=0):
    rng = np.random.default_rng(seed)
    return {s.name: rng.standard_normal([d if isinstance(d, int) else batch
                                         for d in s.shape]).astype(s.dtype)
            for s in region.inputs}


def _run_plain_on_llvm(region, feeds):
    """The region as paddlec compiles it (its plain Relax function, TVM llvm)."""
    import tvm
    from tvm import relax

    target = tvm.target.Target({"kind": "llvm"})
    mod = tvm.IRModule({"main": region.plain.with_attr("global_symbol", "main")})
    with target:
        executable = relax.build(mod, target=target,
                                 relax_pipeline=relax.get_default_pipeline(target))
    vm = relax.VirtualMachine(executable, tvm.cpu())
    result = vm["main"](*[tvm.runtime.tensor(feeds[s.name]) for s in region.inputs])
    flat = [result] if hasattr(result, "numpy") else list(result)
    return [value.numpy() for value in flat]


def _check_region(region, batch=2):
    onnx.checker.check_model(region.onnx, full_check=True)
    feeds = _feeds(region, batch)
    session = ort.InferenceSession(region.onnx.SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    from_onnx = session.run([s.name for s in region.outputs], feeds)
    from_tvm = _run_plain_on_llvm(region, feeds)
    assert len(from_onnx) == len(from_tvm) == len(region.outputs)
    for got, want in zip(from_onnx, from_tvm):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_two_regions_with_round_outside_and_exports_match_tvm():
    new, regions, outside = _partition(two_region_model(), min_subgraph_size=3)
    assert len(regions) == 2
    assert outside == {"relax.round": 1}
    # conv+bias, BN (after a biased conv) as multiply+add, relu, conv, relu
    assert regions[0].ops == {"relax.nn.conv2d": 2, "relax.add": 2, "relax.multiply": 1,
                              "relax.nn.relu": 2}
    assert "relax.nn.softmax" in regions[1].ops and "relax.matmul" in regions[1].ops
    assert [len(r.outputs) for r in regions] == [1, 2]  # probs and feat leave region 1
    assert regions[0].inputs[0].shape == ("N", 3, 16, 16)  # dynamic batch kept
    for region in regions:
        _check_region(region, batch=3)
    text = str(new["main"])
    assert text.count("call_dps_packed") == 2 and "batch_norm" not in text


def test_concat_and_layer_norm_region_matches_tvm():
    _, regions, outside = _partition(concat_layernorm_model())
    assert len(regions) == 1 and outside == {}
    assert regions[0].ops["relax.concat"] == 1 and regions[0].ops["relax.nn.layer_norm"] == 1
    _check_region(regions[0], batch=3)


def test_batch_norm_is_folded_before_partitioning():
    _, regions, outside = _partition(two_region_model(), min_subgraph_size=1)
    assert all("relax.nn.batch_norm" not in r.ops for r in regions)
    assert "relax.nn.batch_norm" not in outside


def test_regions_below_min_subgraph_size_stay_with_tvm():
    _, regions, outside = _partition(two_region_model(), min_subgraph_size=8)
    assert len(regions) == 1  # the 5-op head region went back to TVM
    assert outside["relax.nn.conv2d"] == 2 and outside["relax.round"] == 1
    _, regions, outside = _partition(two_region_model(), min_subgraph_size=100)
    assert regions == [] and outside["relax.nn.softmax"] == 1


def test_example_resnet_is_one_region_matching_tvm():
    _, regions, outside = _partition(onnx.load(EXAMPLE_MODEL), min_subgraph_size=3)
    assert len(regions) == 1 and outside == {}
    _check_region(regions[0], batch=2)


def test_light_resnet50_is_one_region_after_sum_rewrite_and_bn_folding():
    _, regions, outside = _partition(onnx.load(LIGHT_DIR / "light_resnet50.onnx"))
    assert len(regions) == 1 and outside == {}
    ops = regions[0].ops
    assert ops["relax.nn.conv2d"] == 53 and "relax.nn.batch_norm" not in ops
    onnx.checker.check_model(regions[0].onnx, full_check=True)


@pytest.mark.slow
def test_light_resnet50_region_matches_tvm_llvm():
    _, regions, _ = _partition(onnx.load(LIGHT_DIR / "light_resnet50.onnx"))
    _check_region(regions[0], batch=1)


def test_sum_of_two_rewrite_is_exact():
    from onnx import TensorProto, helper

    from paddlec.compiler.tensorrt.sum_to_add import rewrite_sum_of_two

    graph = helper.make_graph(
        [helper.make_node("Sum", ["a", "b"], ["s"]), helper.make_node("Sum", ["a", "c"], ["t"])],
        "sums",
        [helper.make_tensor_value_info("a", TensorProto.FLOAT, [2, 3]),
         helper.make_tensor_value_info("b", TensorProto.FLOAT, [2, 3]),
         helper.make_tensor_value_info("c", TensorProto.FLOAT, [1, 3])],  # broadcasting
        [helper.make_tensor_value_info("s", TensorProto.FLOAT, [2, 3]),
         helper.make_tensor_value_info("t", TensorProto.FLOAT, [2, 3])])
    mod = rewrite_sum_of_two(_lower(helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17)])))
    text = str(mod["main"])
    assert text.count("R.add(") == 1  # the broadcasting Sum is left alone
    assert text.count("R.stack(") == 1
