"""paddlec's C runtime (native/, libpaddlec_runtime.so): a C program built with `cc` against
include/paddlec.h runs an artifact with no Python in the process, with the results of
onnxruntime and of TVM's Python runtime; it refuses malformed manifests, tampered files and
foreign signatures as the Python runtime does, before model.so is mapped."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import paddlec.runtime as rt
from paddlec.errors import ArtifactError, SignatureError
from paddlec.runtime.native import native_library_path

from _helpers import EXAMPLE_MODEL, ort_run

REPO = Path(__file__).resolve().parents[1]
NATIVE = REPO / "native"


@pytest.fixture(scope="module")
def run_model(tmp_path_factory) -> Path:
    """native/examples/main.c built with cc against the header and the built library."""
    library = native_library_path()
    assert library is not None and library.is_file(), "make native did not run"
    out = tmp_path_factory.mktemp("c") / "run_model"
    subprocess.run(["cc", "-Wall", "-Werror", str(NATIVE / "examples" / "main.c"),
                    f"-I{NATIVE / 'include'}", f"-L{library.parent}", "-lpaddlec_runtime",
                    f"-Wl,-rpath,{library.parent}", "-o", str(out)], check=True)
    return out


def _run_c(run_model: Path, *args) -> subprocess.CompletedProcess:
    return subprocess.run([str(run_model), *map(str, args)], capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin"})  # no Python, no venv on PATH


def test_a_c_program_runs_the_artifact_like_onnxruntime(run_model, example_artifact, tmp_path):
    x = np.random.default_rng(0).standard_normal((3, 3, 64, 64)).astype(np.float32)
    x.tofile(tmp_path / "image.bin")
    proc = _run_c(run_model, example_artifact, "--dim", "N=3", "--input",
                  f"image={tmp_path / 'image.bin'}", "--out", tmp_path)
    assert proc.returncode == 0, proc.stderr
    got = np.fromfile(tmp_path / "probs.bin", np.float32).reshape(3, 10)
    want = ort_run(EXAMPLE_MODEL, {"image": x})["probs"]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    tvm_engine = rt.load(example_artifact, engine="tvm").run({"image": x})["probs"]
    np.testing.assert_array_equal(got, tvm_engine)


def test_python_runs_through_the_c_runtime_by_default(example_artifact):
    model = rt.load(example_artifact)
    assert model.engine == "native"
    x = np.random.default_rng(1).standard_normal((2, 3, 64, 64)).astype(np.float32)
    np.testing.assert_array_equal(model.run({"image": x})["probs"],
                                  rt.load(example_artifact, engine="tvm").run({"image": x})["probs"])
    twin = model.clone()
    np.testing.assert_array_equal(twin.run([x])["probs"], model.run([x])["probs"])


def _maps_model_so(folder: Path) -> bool:
    return str(folder.resolve() / "model.so") in Path("/proc/self/maps").read_text()


MANIFEST_MUTATIONS = {
    "no inputs": lambda m: m.pop("inputs"),
    "library outside files": lambda m: m.update(library="other.so"),
    "library path traversal": lambda m: m.update(library="../model.so"),
    "file outside the folder": lambda m: m["files"].update({"../x": "0" * 64}),
    "native library as a path": lambda m: m["native_libraries"].append(
        {"soname": "/tmp/evil.so", "package": None}),
    "shape with a negative size": lambda m: m["inputs"][0].update(shape=[-1, 3, 64, 64]),
    "unknown dtype": lambda m: m["outputs"][0].update(dtype="float128"),
    "duplicate input names": lambda m: m["inputs"].append(dict(m["inputs"][0])),
    "batch_one past the inputs": lambda m: m.update(
        batch_one={"function": "main", "inputs": [5]}),
    "device neither cpu nor cuda": lambda m: m["target"].update(device="tpu"),
    "format version 2": lambda m: m.update(format_version=2),
    "inputs not a list": lambda m: m.update(inputs={"image": 1}),
}


@pytest.mark.parametrize("mutation", sorted(MANIFEST_MUTATIONS))
def test_both_engines_refuse_the_same_malformed_manifests(example_artifact, tmp_path, mutation):
    folder = tmp_path / "art"
    shutil.copytree(example_artifact, folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    MANIFEST_MUTATIONS[mutation](manifest)
    (folder / "manifest.json").write_text(json.dumps(manifest))
    for engine in ("tvm", "native"):
        with pytest.raises(ArtifactError):
            rt.load(folder, engine=engine)
    assert not _maps_model_so(folder)


def test_tampered_or_foreign_artifacts_are_refused_before_model_so_is_mapped(
        example_artifact, tmp_path, run_model):
    from paddlec.compiler.signing import generate_key, sign_artifact

    (_, public, name), (_, other, _) = generate_key(tmp_path / "k"), generate_key(tmp_path / "o")
    folder = tmp_path / "signed"
    shutil.copytree(example_artifact, folder)
    sign_artifact(folder, tmp_path / "k")
    assert rt.load(folder, trusted_keys=[public], engine="native").manifest.signer == name
    ok = _run_c(run_model, folder, "--trusted-key", public)
    assert ok.returncode == 0 and f"signature: verified, key {name}" in ok.stdout, ok.stderr
    refused = _run_c(run_model, folder, "--trusted-key", other)
    assert refused.returncode == 2 and "not among the trusted keys" in refused.stderr
    tampered = tmp_path / "tampered"
    rng = np.random.default_rng(0)
    for name_, offsets in (("manifest.json", 40), ("model.so", 20)):
        original = (folder / name_).read_bytes()
        for offset in rng.integers(0, len(original), offsets):
            shutil.rmtree(tampered, ignore_errors=True)
            shutil.copytree(folder, tampered)
            data = bytearray(original)
            data[int(offset)] ^= 0x04
            (tampered / name_).write_bytes(bytes(data))
            with pytest.raises((SignatureError, ArtifactError)):
                rt.load(tampered, trusted_keys=[public], engine="native")
            assert not _maps_model_so(tampered)
    shutil.rmtree(tampered)
    shutil.copytree(folder, tampered)
    (tampered / "manifest.sig").unlink()
    refused = _run_c(run_model, tampered, "--trusted-key", public)
    assert refused.returncode == 2 and "not signed" in refused.stderr


def test_c_errors_are_typed_and_name_the_input(run_model, example_artifact, tmp_path):
    missing = _run_c(run_model, tmp_path / "nowhere")
    assert missing.returncode == 2 and "not an artifact folder" in missing.stderr
    (tmp_path / "short.bin").write_bytes(b"\0" * 12)
    short = _run_c(run_model, example_artifact, "--input", f"image={tmp_path / 'short.bin'}")
    assert short.returncode == 2 and "'image'" in short.stderr and "bytes" in short.stderr
    model = rt.load(example_artifact, engine="native")
    from paddlec.errors import InputMismatchError

    with pytest.raises(InputMismatchError, match="'image'"):
        model.run({"image": np.zeros((1, 3, 32, 32), np.float32)})


def test_float64_to_float16_rounds_like_numpy_in_both_engines(tmp_path):
    """TVM's kernels call __truncdfhf2 for this cast; model.so carries its own (the one TVM's
    runtime library exports returns in the wrong register: every value came out 0)."""
    import onnx
    from onnx import TensorProto, helper

    from paddlec.compiler import compile_model

    graph = helper.make_graph(
        [helper.make_node("Cast", ["x"], ["y"], to=TensorProto.FLOAT16)], "cast",
        [helper.make_tensor_value_info("x", TensorProto.DOUBLE, ["n"])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT16, ["n"])])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 19)]),
              tmp_path / "cast.onnx")
    compile_model(tmp_path / "cast.onnx", tmp_path / "art", target="llvm")
    halves = np.arange(1 << 16, dtype=np.uint16).view(np.float16).astype(np.float64)
    finite = halves[np.isfinite(halves)]
    grid = np.unique(finite)
    ties = (grid[1:] + grid[:-1]) / 2
    rng = np.random.default_rng(0)
    x = np.concatenate([halves, ties, np.nextafter(ties, np.inf), np.nextafter(ties, -np.inf),
                        rng.standard_normal(20000) * 100, rng.standard_normal(2000) * 1e-6,
                        [65519.99, 65520.0, 1e300, -1e300, 1e-300, np.inf, -np.inf, np.nan]])
    want = x.astype(np.float16)
    np.save(tmp_path / "x.npy", x)
    # in a process without the compiler, as a service runs it (where the bug showed)
    script = ("import sys, numpy as np, paddlec.runtime as rt\n"
              "x = np.load(sys.argv[2])\n"
              "np.savez(sys.argv[3], **{e: rt.load(sys.argv[1], engine=e).run({'x': x})['y']"
              " for e in ('native', 'tvm')})\n")
    subprocess.run([sys.executable, "-c", script, str(tmp_path / "art"), str(tmp_path / "x.npy"),
                    str(tmp_path / "y.npz")], check=True)
    results = np.load(tmp_path / "y.npz")
    for engine in ("native", "tvm"):
        got = results[engine]
        nan = np.isnan(want)
        assert np.array_equal(np.isnan(got), nan), engine
        bad = got.view(np.uint16)[~nan] != want.view(np.uint16)[~nan]
        assert not bad.any(), (engine, x[~nan][bad][:5], got[~nan][bad][:5])
