"""Config: how each switch maps onto the compile plan and the runtime (no compiling here)."""

from __future__ import annotations

import pytest

from paddlec.errors import PredictorUsageError
from paddlec.inference import SWITCHES, Config, PrecisionType, create_predictor
from paddlec.inference.config import CompilePlan, fast_cpu_plan


def test_defaults_follow_paddle3():
    config = Config("./model")
    assert config.model_dir() == "model" and config.mkldnn_enabled() and config.ir_optim()
    assert not config.use_gpu() and config.gpu_device_id() == 0
    assert config.cpu_math_library_num_threads() == 0  # TVM's default pool
    assert config.compile_plan() == fast_cpu_plan()
    assert fast_cpu_plan() == CompilePlan(target="native", opt_level=2, cpu_fast_path=True)
    assert config.device() == "cpu" and config.num_threads() is None


def test_switches_change_the_plan():
    config = Config("./model")
    config.disable_mkldnn()
    config.switch_ir_optim(False)
    config.delete_pass("dead_code_elimination")
    config.delete_pass("common_subexpression_elimination")
    config.delete_pass("dead_code_elimination")
    config.set_cpu_math_library_num_threads(3)
    plan = config.compile_plan()
    assert plan.target == "llvm" and plan.opt_level == 0 and plan.cpu_fast_path is False
    assert plan.disabled_passes == (
        "common_subexpression_elimination",
        "dead_code_elimination",
    )
    assert config.num_threads() == 3 and config.cpu_math_library_num_threads() == 3
    assert config.compile_switches_set() == [
        "disable_mkldnn()",
        "switch_ir_optim(False)",
        "delete_pass('dead_code_elimination')",
        "delete_pass('common_subexpression_elimination')",
    ]


def test_gpu_switch_maps_to_a_cuda_target_of_the_device():
    config = Config("./model")
    config.enable_use_gpu(256, 1)
    assert config.use_gpu() and config.gpu_device_id() == 1
    assert config.memory_pool_init_size_mb() == 256
    assert config.device() == "cuda:1"
    gpu_plan = config.compile_plan(cuda_arch="sm_90")
    assert gpu_plan.target == "cuda -arch=sm_90" and gpu_plan.cpu_fast_path is None
    with pytest.raises(PredictorUsageError, match="CUDA arch"):
        config.compile_plan()
    config.disable_gpu()
    assert config.device() == "cpu" and config.compile_plan().target == "native"


def test_model_forms(tmp_path):
    (tmp_path / "inference.json").write_text("{}")
    by_prefix = Config(str(tmp_path), "inference")
    assert by_prefix.prog_file() == str(tmp_path / "inference.json")
    assert by_prefix.params_file() == str(tmp_path / "inference.pdiparams")
    assert by_prefix.model_dir() == ""
    pair = Config(str(tmp_path / "a.pdmodel"), str(tmp_path / "a.pdiparams"))
    assert pair.prog_file().endswith("a.pdmodel") and not pair.is_artifact()


def test_program_and_params_must_sit_together(tmp_path):
    config = Config(str(tmp_path / "a.json"), str(tmp_path / "weights.bin"))
    with pytest.raises(PredictorUsageError, match="params file next to it"):
        create_predictor(config)


def test_summary_lists_settings_and_every_switch(tmp_path):
    config = Config(str(tmp_path))
    config.disable_mkldnn()
    text = config.summary()
    assert "llvm" in text and "-O2" in text
    for switch in SWITCHES:
        assert switch in text


def test_tensorrt_switch_maps_to_tensorrt_regions():
    config = Config("./model")
    config.enable_use_gpu(100, 0)
    config.enable_tensorrt_engine(
        workspace_size=1 << 28, min_subgraph_size=5, precision_mode=PrecisionType.Half
    )
    plan = config.compile_plan(cuda_arch="sm_80")
    assert plan.target == "tensorrt -arch=sm_80"
    assert plan.options == {
        "trt_precision": "fp16",
        "min_subgraph_size": 5,
        "trt_workspace_mb": 256,
        "trt_fallback": False,
    }
    with pytest.raises(PredictorUsageError, match="int8 needs calibration data"):
        config.enable_tensorrt_engine(precision_mode=PrecisionType.Int8)
    with pytest.warns(UserWarning, match="max_batch_size=8"):
        config.enable_tensorrt_engine(max_batch_size=8)
