"""Acceptance 5: bad use of the predictor API raises typed errors with clear messages, and a
switch that cannot be honoured raises or warns (never silently ignored)."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest
from paddlec.errors import (
    CompileError,
    DeviceUnavailableError,
    InputMismatchError,
    ModelLoadError,
    PaddlecError,
    PredictorUsageError,
)
from paddlec.inference import Config, PrecisionType, create_predictor
from paddlec.inference import cache as cache_module
from paddlec.runtime._tvm import tvm_runtime


@pytest.fixture
def predictor(example_artifact):
    return create_predictor(Config(str(example_artifact)))


def _has_cuda() -> bool:
    tvm = tvm_runtime()
    try:
        from paddlec.runtime.model import _load_cuda_runtime

        _load_cuda_runtime(tvm)
    except DeviceUnavailableError:
        return False
    return tvm.cuda(0).exist


def test_unknown_input_and_output_names(predictor):
    with pytest.raises(InputMismatchError, match=r"unknown input name 'img'.*\['image'\]"):
        predictor.get_input_handle("img")
    with pytest.raises(InputMismatchError, match=r"unknown output name 'prob'.*\['probs'\]"):
        predictor.get_output_handle("prob")


def test_copy_to_cpu_before_run(predictor):
    with pytest.raises(PredictorUsageError, match="before run"):
        predictor.get_output_handle("probs").copy_to_cpu()


def test_run_before_the_inputs_are_set(predictor):
    with pytest.raises(PredictorUsageError, match="'image' was not set"):
        predictor.run()


def test_wrong_dtype_in_copy_from_cpu(predictor):
    with pytest.raises(InputMismatchError, match="expected dtype float32, got float64"):
        predictor.get_input_handle("image").copy_from_cpu(np.zeros((1, 3, 64, 64)))


@pytest.mark.parametrize("shape", [(1, 3, 64), (1, 3, 32, 64), (1, 1, 64, 64)])
def test_wrong_shape_in_copy_from_cpu_and_reshape(predictor, shape):
    handle = predictor.get_input_handle("image")
    with pytest.raises(InputMismatchError, match="expected shape Nx3x64x64"):
        handle.copy_from_cpu(np.zeros(shape, np.float32))
    with pytest.raises(InputMismatchError, match="expected shape Nx3x64x64"):
        handle.reshape(shape)


def test_not_an_array_and_writes_to_outputs(predictor):
    with pytest.raises(InputMismatchError, match="expected a numpy array, got list"):
        predictor.get_input_handle("image").copy_from_cpu([[1.0]])
    with pytest.raises(PredictorUsageError, match="output"):
        predictor.get_output_handle("probs").copy_from_cpu(np.zeros((1, 10), np.float32))
    with pytest.raises(PredictorUsageError, match="outputs take the shape"):
        predictor.get_output_handle("probs").reshape([1, 10])


def test_run_list_with_the_wrong_count(predictor):
    x = np.zeros((1, 3, 64, 64), np.float32)
    with pytest.raises(InputMismatchError, match="expected 1 input"):
        predictor.run([x, x])


def test_shared_output_buffer_of_the_wrong_shape(predictor):
    predictor.get_output_handle("probs").share_external_data(np.zeros((3, 10), np.float32))
    predictor.get_input_handle("image").copy_from_cpu(np.zeros((1, 3, 64, 64), np.float32))
    with pytest.raises(PredictorUsageError, match=r"shared buffer has shape \(3, 10\)"):
        predictor.run()


@pytest.mark.skipif("_has_cuda()", reason="this machine has a CUDA GPU")
def test_gpu_switch_without_a_gpu_fails_at_create_before_compiling(mlp_dir, tmp_path):
    config = Config(str(mlp_dir))
    config.set_optim_cache_dir(tmp_path / "cache")
    config.enable_use_gpu(100, 0)
    assert config.use_gpu() and config.gpu_device_id() == 0
    with pytest.raises(
        DeviceUnavailableError, match=r"enable_use_gpu.*disable_gpu\(\)"
    ) as info:
        create_predictor(config)
    assert info.value.exit_code == 2
    assert not (tmp_path / "cache").exists()  # nothing was compiled
    config.disable_gpu()
    assert not config.use_gpu()


@pytest.mark.skipif("_has_cuda()", reason="this machine has a CUDA GPU")
def test_tensorrt_is_refused_not_ignored(mlp_dir, tmp_path):
    config = Config(str(mlp_dir))
    config.set_optim_cache_dir(tmp_path / "cache")
    config.enable_tensorrt_engine(precision_mode=PrecisionType.Half, use_calib_mode=True)
    with pytest.raises(DeviceUnavailableError, match="TensorRT"):
        create_predictor(config)
    config.enable_use_gpu(100, 0)
    with pytest.raises(DeviceUnavailableError):
        create_predictor(config)


def test_artifact_compiled_for_cpu_cannot_run_on_gpu(example_artifact):
    config = Config(str(example_artifact))
    config.enable_use_gpu(100, 0)
    with pytest.raises(DeviceUnavailableError):
        create_predictor(config)


def test_bad_switch_values():
    config = Config()
    for bad in (0, -2, 1.5):
        with pytest.raises(PredictorUsageError, match="integer >= 1"):
            config.set_cpu_math_library_num_threads(bad)
    with pytest.raises(PredictorUsageError, match="bad device id"):
        config.enable_use_gpu(100, -1)
    with pytest.raises(PredictorUsageError, match="no model"):
        create_predictor(config)
    with pytest.raises(PredictorUsageError, match="expects a Config"):
        create_predictor("./model")


def test_switches_without_an_equivalent_warn():
    config = Config()
    with pytest.warns(UserWarning, match="no feed/fetch ops"):
        config.switch_use_feed_fetch_ops(True)
    with pytest.warns(UserWarning, match="cannot be turned off"):
        config.enable_memory_optim(False)


def test_compile_switches_on_a_compiled_artifact_warn(example_artifact):
    config = Config(str(example_artifact))
    config.switch_ir_optim(False)
    config.delete_pass("topological_sort")
    with pytest.warns(UserWarning, match=r"switch_ir_optim\(False\).*already compiled"):
        create_predictor(config)


def test_more_threads_than_cpus_warn(example_artifact):
    config = Config(str(example_artifact))
    config.set_cpu_math_library_num_threads(len(os.sched_getaffinity(0)) + 1)
    with pytest.warns(UserWarning, match="more threads than CPUs"):
        create_predictor(config)


def test_more_threads_than_the_tvm_pool_has_warn(tmp_path, example_model, monkeypatch):
    """A library without the fast path's kernels runs its parallel loops on TVM's pool, whose
    size is fixed when it starts (conftest: TVM_NUM_THREADS=2)."""
    from paddlec.compiler import compile_model

    compile_model(example_model, tmp_path / "art", target="llvm", fast_path=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(128)))  # a big host
    config = Config(str(tmp_path / "art"))
    config.set_cpu_math_library_num_threads(64)
    with pytest.warns(UserWarning, match="TVM_NUM_THREADS=64"):
        create_predictor(config)


def test_missing_model_folder(tmp_path):
    with pytest.raises(ModelLoadError, match="no such model"):
        create_predictor(Config(str(tmp_path / "nope")))


def test_corrupt_model_gives_the_compilers_typed_error(tmp_path):
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "model.onnx").write_bytes(b"\x08\x07garbage")
    config = Config(str(tmp_path / "model"))
    config.set_optim_cache_dir(tmp_path / "cache")
    with pytest.raises(ModelLoadError, match="model.onnx"):
        create_predictor(config)
    assert not [
        p for p in (tmp_path / "cache").iterdir() if p.is_dir() and p.name != "file-hashes"
    ]


def test_unknown_pass_name_is_an_error(mlp_dir, tmp_path):
    config = Config(str(mlp_dir))
    config.set_optim_cache_dir(tmp_path / "cache")
    config.delete_pass("conv_bn_fuse_pass_that_does_not_exist")
    with pytest.raises(PaddlecError, match="unknown pass name"):
        create_predictor(config)


def test_a_crashing_compiler_fails_the_call_not_the_process(mlp_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(
        cache_module,
        "worker_command",
        lambda request: [sys.executable, "-c", "import os; os.abort()"],
    )
    config = Config(str(mlp_dir))
    config.set_optim_cache_dir(tmp_path / "cache")
    with pytest.raises(CompileError, match="died with signal 6"):
        create_predictor(config)
    assert not [
        p for p in (tmp_path / "cache").iterdir() if p.is_dir() and p.name != "file-hashes"
    ]


def test_a_hanging_compiler_is_killed_after_the_timeout(mlp_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(
        cache_module,
        "worker_command",
        lambda request: [sys.executable, "-c", "import time; time.sleep(60)"],
    )
    monkeypatch.setenv("PADDLEC_COMPILE_TIMEOUT", "0.5")
    config = Config(str(mlp_dir))
    config.set_optim_cache_dir(tmp_path / "cache")
    with pytest.raises(CompileError, match="PADDLEC_COMPILE_TIMEOUT=0.5"):
        create_predictor(config)
