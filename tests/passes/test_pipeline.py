"""The pipeline: levels, --disable-pass, per-pass verification, determinism."""

import os
import subprocess
import sys

import numpy as np
import onnx_ir as ir
import pytest
from _helpers import EXAMPLE_MODEL, LIGHT_DIR

from paddlec.compiler.frontends import load_model
from paddlec.errors import PassVerificationError
from paddlec.passes import PASSES, PassSpec, VerifyConfig, run_pipeline, select_passes


def test_levels_are_nested_and_o0_runs_nothing():
    assert select_passes(0) == []
    names = [[spec.name for spec in select_passes(level)] for level in (1, 2, 3)]
    assert set(names[0]) < set(names[1]) <= set(names[2])
    assert "fuse_conv_bn" in names[1] and "fuse_conv_bn" not in names[0]
    assert len({spec.name for spec in PASSES}) == len(PASSES)


def test_disable_pass_and_unknown_name():
    assert "fuse_conv_bn" not in [s.name for s in select_passes(2, ["fuse_conv_bn"])]
    with pytest.raises(ValueError, match="no_such_pass"):
        select_passes(2, ["no_such_pass"])


def test_every_own_pass_states_its_rewrite():
    own = [spec for spec in PASSES if spec.factory.__module__.startswith("paddlec.passes")]
    assert len(own) >= 12
    for spec in own:
        assert spec.summary, spec.name
        if isinstance(spec.factory, type):
            assert "→" in spec.factory.__doc__, spec.name
            assert sys.modules[spec.factory.__module__].__doc__, spec.name


class _ScaleFirstConvWeight(ir.passes.InPlacePass):
    """A deliberately wrong "optimization": multiplies the first conv's weight by 1.01."""

    def call(self, model):
        conv = next(node for node in model.graph if node.op_type == "Conv")
        weight = conv.inputs[1]
        weight.const_value = ir.tensor(weight.const_value.numpy() * 1.01, name=weight.name)
        return ir.passes.PassResult(model, modified=True)


def _with_broken_pass(after: str) -> list[PassSpec]:
    registry = list(PASSES)
    index = [spec.name for spec in registry].index(after) + 1
    broken = PassSpec("broken_scale", 1, _ScaleFirstConvWeight, "wrong on purpose")
    registry.insert(index, broken)
    return registry


def test_verification_names_the_broken_pass():
    model = load_model(EXAMPLE_MODEL).model
    with pytest.raises(PassVerificationError) as info:
        run_pipeline(model, 2, verify=VerifyConfig(),
                     registry=_with_broken_pass("fuse_conv_bn"))
    message = str(info.value)
    assert "pass 'broken_scale' changed output 'probs'" in message
    assert "max abs error" in message and "onnxruntime" in message


def test_verification_with_reference_evaluator_and_given_feeds():
    model = load_model(EXAMPLE_MODEL).model
    feeds = {"image": np.random.default_rng(1).standard_normal((2, 3, 64, 64), np.float32)}
    config = VerifyConfig(backend="reference", feeds=feeds)
    with pytest.raises(PassVerificationError, match="broken_scale.*reference, given inputs"):
        run_pipeline(model, 2, verify=config, registry=_with_broken_pass("constant_folding"))


def test_verification_passes_clean_pipeline_and_records_errors():
    model = load_model(EXAMPLE_MODEL).model
    stats = run_pipeline(model, 2, verify=VerifyConfig())
    assert all(stat.max_error is not None and stat.max_error < 1e-4 for stat in stats)
    assert "max_error" in stats[0].to_json()


def test_verification_reports_a_pass_that_breaks_the_graph():
    class DropFirstNode(ir.passes.InPlacePass):
        def call(self, model):
            node = next(iter(model.graph))
            model.graph.remove(node)  # leaves its readers dangling
            return ir.passes.PassResult(model, modified=True)

    registry = [PassSpec("drop_node", 1, DropFirstNode, "wrong on purpose")]
    with pytest.raises(PassVerificationError, match="after pass 'drop_node'"):
        run_pipeline(load_model(EXAMPLE_MODEL).model, 1, verify=VerifyConfig(),
                     registry=registry)


_OPTIMIZE = ("import sys; from paddlec.compiler import optimize_model; "
             "optimize_model(sys.argv[1], sys.argv[2])")


@pytest.mark.parametrize("source", [EXAMPLE_MODEL, LIGHT_DIR / "light_squeezenet.onnx"],
                         ids=["resnet_tiny", "squeezenet"])
def test_optimized_onnx_is_byte_identical_across_runs(source, tmp_path):
    outputs = []
    for run, seed in enumerate(("1", "2")):  # different hash seeds: no set/dict-order leaks
        out = tmp_path / f"run{run}.onnx"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, "-c", _OPTIMIZE, str(source), str(out)], env=env,
                       check=True)
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    assert len(outputs[0]) > 1000
