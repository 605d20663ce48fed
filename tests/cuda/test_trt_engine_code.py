"""The TensorRT executor's code up to the TensorRT library: cache keys, profiles, and the
engine build/run/cache/int8-calibration sequence against a FAKE tensorrt module
(tests/cuda/_fake_tensorrt.py). Real TensorRT has not run this code (none installable)."""

from __future__ import annotations

import numpy as np
import pytest
from _helpers import ort_run, save_model
from _trt_models import two_region_model

from paddlec.errors import TensorRTUnavailableError
from paddlec.runtime import tensorrt as trt_runtime
from paddlec.runtime.manifest import TensorSpec

SPEC = trt_runtime.RegionSpec(0, "regions/region_0.onnx", "ab" * 32, "paddlec_trt_x", None,
                              (TensorSpec("x", "float32", ("N", 3, 16, 16)),),
                              (TensorSpec("out_0", "float32", ("N", 8, 16, 16)),))


def test_engine_cache_key_covers_region_version_gpu_precision_and_profile():
    base = ("a" * 64, "10.8.0", "NVIDIA H100", "fp16", {"x": ((1, 3), (4, 3), (8, 3))})
    key = trt_runtime.engine_cache_key(*base)
    assert key == trt_runtime.engine_cache_key(*base)
    for index, other in enumerate(["b" * 64, "10.9.0", "NVIDIA A100", "int8",
                                   {"x": ((1, 3), (2, 3), (8, 3))}]):
        changed = list(base)
        changed[index] = other
        assert trt_runtime.engine_cache_key(*changed) != key


def test_region_profile_from_model_dim_ranges():
    profile = trt_runtime.region_profile(SPEC, {"N": [1, 4, 8]})
    assert profile == {"x": ((1, 3, 16, 16), (4, 3, 16, 16), (8, 3, 16, 16))}
    static = trt_runtime.RegionSpec(0, "f", "s", "y", None,
                                    (TensorSpec("x", "float32", (1, 3)),), ())
    assert trt_runtime.region_profile(static, {}) == {}
    with pytest.raises(TensorRTUnavailableError, match="--input-shape-range"):
        trt_runtime.region_profile(SPEC, {})


@pytest.fixture()
def fake_trt(monkeypatch, tmp_path):
    import _fake_tensorrt

    _fake_tensorrt.builds.clear()
    monkeypatch.setenv("PADDLEC_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(trt_runtime, "_import_tensorrt", lambda: _fake_tensorrt)
    return _fake_tensorrt


@pytest.fixture(scope="module")
def artifact(tmp_path_factory):
    from paddlec.compiler import compile_model

    folder = tmp_path_factory.mktemp("fake_trt")
    model_file = save_model(folder, two_region_model(), "m.onnx")
    calib = folder / "calib.npz"
    np.savez(calib, x=np.random.default_rng(0).standard_normal((2, 3, 16, 16)).astype("f4"))
    out = folder / "artifact"
    compile_model(model_file, out, target="llvm -byoc=tensorrt", trt_fallback=True,
                  trt_precision="int8", calib_data=str(calib),
                  input_shape_ranges={"x": ([1, 3, 16, 16], [2, 3, 16, 16], [4, 3, 16, 16])})
    return out, model_file


def _load_region_0(folder):
    from paddlec.runtime.manifest import read_manifest

    manifest = read_manifest(folder).raw
    return manifest["tensorrt"], trt_runtime.region_specs(manifest)[0]


@pytest.mark.parametrize("precision, flags", [("fp32", []), ("fp16", ["FP16"])])
def test_fake_tensorrt_engine_is_built_run_and_cached(fake_trt, artifact, precision, flags):
    import tvm

    folder, _ = artifact
    section, spec = _load_region_0(folder)
    section = {**section, "precision": precision}
    device = tvm.cpu(0)
    plan = trt_runtime._engine_plan(fake_trt, tvm, device, folder, section, spec, None)
    assert len(fake_trt.builds) == 1 and fake_trt.builds[0]["flags"] == flags
    assert fake_trt.builds[0]["profiles"] == [{"x": [[1, 3, 16, 16], [2, 3, 16, 16],
                                                      [4, 3, 16, 16]]}]
    assert fake_trt.builds[0]["pools"] == {"WORKSPACE": 1024 << 20}
    again = trt_runtime._engine_plan(fake_trt, tvm, device, folder, section, spec, None)
    assert again == plan and len(fake_trt.builds) == 1  # second load: from the disk cache
    region = trt_runtime.TensorRTRegion(fake_trt, tvm, device, plan, spec)
    x = np.random.default_rng(3).standard_normal((3, 3, 16, 16)).astype(np.float32)
    out = tvm.runtime.empty((3, 8, 16, 16), "float32", device)
    region(tvm.runtime.tensor(x, device), out)
    import onnx
    import onnxruntime as ort

    session = ort.InferenceSession(onnx.load(folder / spec.file).SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(out.numpy(), session.run(None, {"x": x})[0], rtol=1e-6)


def test_fake_tensorrt_int8_calibrates_on_recorded_region_inputs(fake_trt, artifact):
    import paddlec.runtime as rt

    folder, model_file = artifact
    model = rt.load(folder, region_backend="tvm")  # device must be cuda for "tensorrt"
    import tvm

    section = model.manifest.raw["tensorrt"]
    specs = trt_runtime.region_specs(model.manifest.raw)
    runners: dict = {}
    for spec in specs:
        import tvm_ffi

        tvm_ffi.register_global_func(spec.symbol, lambda *a, _s=spec.symbol: runners[_s](*a),
                                     override=True)
    recorded = trt_runtime._calibration_inputs(model, tvm, specs, section, runners)
    assert [len(recorded[s.index]) for s in specs] == [1, 1]  # one sample, both regions
    assert recorded[1][0][specs[1].inputs[0].name].shape == (2, 8, 16, 16)
    plan = trt_runtime._engine_plan(fake_trt, tvm, tvm.cpu(0), folder, section, specs[1],
                                    recorded)
    assert fake_trt.builds[-1]["flags"] == ["FP16", "INT8"]
    assert fake_trt.builds[-1]["calibration_batches"] == 1
    assert plan
    # the table was written; a rebuild for another profile would read it instead
    tables = list((trt_runtime._cache_dir()).glob("*.calib"))
    assert len(tables) == 1 and tables[0].read_bytes() == b"fake-calibration-table"
    x = np.ones((2, 3, 16, 16), np.float32)
    np.testing.assert_allclose(model.run({"x": x})["probs"],
                               ort_run(model_file, {"x": x})["probs"], rtol=1e-4, atol=1e-5)


def test_build_engines_without_tensorrt_is_a_typed_error(monkeypatch, tmp_path):
    monkeypatch.setattr(trt_runtime, "_import_tensorrt", lambda: None)
    with pytest.raises(TensorRTUnavailableError, match="--build-engines needs TensorRT"):
        trt_runtime.build_engines_into(tmp_path, {"regions": []})
