"""Signed artifacts: with trusted keys, a load accepts only an artifact whose manifest is
signed by one of them and whose files match it; every refusal comes before model.so is
loaded. Unsigned loading (checksums only) stays the default."""

from __future__ import annotations

import shutil
import subprocess
import sys

import numpy as np
import pytest

import paddlec.runtime as rt
from paddlec.compiler.signing import generate_key, sign_artifact
from paddlec.errors import ArtifactError, SignatureError

from _helpers import EXAMPLE_MODEL


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    folder = tmp_path_factory.mktemp("keys")
    return generate_key(folder / "release"), generate_key(folder / "other")


@pytest.fixture()
def signed(example_artifact, keys, tmp_path):
    folder = tmp_path / "signed"
    shutil.copytree(example_artifact, folder)
    sign_artifact(folder, keys[0][0])
    return folder


@pytest.fixture()
def no_dlopen(monkeypatch):
    """Any attempt to load native code fails the test loudly."""
    import tvm

    def refuse(*args, **kwargs):
        raise AssertionError("model.so was loaded before the artifact was refused")

    monkeypatch.setattr(tvm.runtime, "load_module", refuse)


def _image():
    return {"image": np.random.default_rng(0).standard_normal((2, 3, 64, 64), np.float32)}


def test_a_signed_artifact_loads_with_its_key_and_without_keys(signed, example_artifact, keys):
    private, public, name = keys[0]
    model = rt.load(signed, trusted_keys=[public])
    assert model.manifest.signer == name
    want = rt.load(example_artifact).run(_image())["probs"]
    np.testing.assert_array_equal(model.run(_image())["probs"], want)
    assert rt.load(signed).manifest.signer is None  # no keys: checksums only, as before
    assert rt.load(signed, trusted_keys=[public.read_text()]).manifest.signer == name


def test_unsigned_or_foreign_artifacts_are_refused(signed, example_artifact, keys, no_dlopen):
    other_public = keys[1][1]
    with pytest.raises(SignatureError, match="not among the trusted keys"):
        rt.load(signed, trusted_keys=[other_public])
    with pytest.raises(SignatureError, match="not signed"):
        rt.load(example_artifact, trusted_keys=[keys[0][1]])
    with pytest.raises(SignatureError, match="not a PEM public key"):
        rt.load(signed, trusted_keys=[keys[0][0].parent / "missing.pub"])


def test_every_byte_of_the_manifest_and_signature_is_covered(signed, keys, no_dlopen):
    public = keys[0][1]
    for name in ("manifest.json", "manifest.sig"):
        path = signed / name
        original = path.read_bytes()
        for index in range(len(original)):
            tampered = bytearray(original)
            tampered[index] ^= 0x01
            path.write_bytes(bytes(tampered))
            with pytest.raises(ArtifactError):  # SignatureError, or unreadable .sig JSON
                rt.load(signed, trusted_keys=[public])
        path.write_bytes(original)


def test_a_changed_library_byte_is_refused_before_it_is_loaded(signed, keys, no_dlopen):
    path = signed / "model.so"
    original = path.read_bytes()
    rng = np.random.default_rng(0)
    for index in [0, len(original) - 1, *rng.integers(0, len(original), 18)]:
        tampered = bytearray(original)
        tampered[int(index)] ^= 0x80
        path.write_bytes(bytes(tampered))
        with pytest.raises(ArtifactError, match="checksum mismatch"):
            rt.load(signed, trusted_keys=[keys[0][1]])
    path.write_bytes(original)


def test_cli_keygen_compile_sign_and_run_with_a_trusted_key(tmp_path):
    def paddlec(*args):
        return subprocess.run([sys.executable, "-m", "paddlec.cli", *map(str, args)],
                              capture_output=True, text=True)

    assert paddlec("keygen", tmp_path / "key").returncode == 0
    assert (tmp_path / "key").stat().st_mode & 0o077 == 0
    built = paddlec("compile", EXAMPLE_MODEL, "-o", tmp_path / "art", "--sign", tmp_path / "key")
    assert built.returncode == 0, built.stderr
    ran = paddlec("run", tmp_path / "art", "--random", "--trusted-key", tmp_path / "key.pub")
    assert ran.returncode == 0 and "signature: verified" in ran.stdout, ran.stderr
    assert paddlec("keygen", tmp_path / "other").returncode == 0
    refused = paddlec("run", tmp_path / "art", "--random",
                      "--trusted-key", tmp_path / "other.pub")
    assert refused.returncode == 2 and "not among the trusted keys" in refused.stderr
    bad_key = paddlec("compile", EXAMPLE_MODEL, "-o", tmp_path / "art2", "--sign",
                      tmp_path / "key.pub")
    assert bad_key.returncode == 2 and "private key" in bad_key.stderr
    assert not (tmp_path / "art2").exists()


def test_the_predictor_api_takes_trusted_keys(signed, example_artifact, keys):
    from paddlec.inference import Config, create_predictor

    config = Config(str(signed))
    config.set_trusted_keys([keys[0][1]])
    assert create_predictor(config).get_input_names() == ["image"]
    config = Config(str(example_artifact))
    config.set_trusted_keys([keys[0][1]])
    with pytest.raises(SignatureError):
        create_predictor(config)
