"""Faults while writing artifacts: a compile killed at any moment leaves no partial artifact
(the previous one stays whole) and the next compile works; a full or read-only file system
is a typed error (exit 2) with nothing left behind; a predictor process killed while it
compiles does not stop the others waiting for the same cache entry."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

import paddlec.runtime as rt
from paddlec.errors import ArtifactError

from _helpers import EXAMPLE_MODEL


def _compile_cmd(output: Path) -> list[str]:
    return [sys.executable, "-m", "paddlec.cli", "compile", str(EXAMPLE_MODEL), "-o",
            str(output)]


def _leftovers(output: Path) -> list[str]:
    return sorted(p.name for p in output.parent.iterdir() if p.name.startswith(f".{output.name}."))


def _kill_at_random_points(tmp_path: Path, kills: int, seed: int) -> None:
    existing = tmp_path / "existing"
    started = time.monotonic()
    subprocess.run(_compile_cmd(existing), check=True, capture_output=True)
    duration = time.monotonic() - started
    rng = np.random.default_rng(seed)
    killed_during = []
    for index in range(kills):
        output = existing if index % 2 == 0 else tmp_path / f"fresh{index}"
        proc = subprocess.Popen(_compile_cmd(output), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        point = float(rng.uniform(0.05, duration * 1.05))
        time.sleep(point)
        os.killpg(proc.pid, signal.SIGKILL)  # the compiler and the linker it runs
        proc.wait()
        killed_during.append(proc.returncode == -signal.SIGKILL)
        if output == existing:  # the old artifact (or the new one), always whole
            rt.read_manifest(output)
        elif output.exists():  # nothing, or a complete artifact
            rt.read_manifest(output)
    assert sum(killed_during) >= kills // 2, "most kills must land while compiling"
    for output in [existing, tmp_path / "fresh1"]:
        subprocess.run(_compile_cmd(output), check=True, capture_output=True)
        assert _leftovers(output) == []  # the dead compiles' staging folders are gone
        out = rt.load(output).run({"image": np.ones((1, 3, 64, 64), np.float32)})
        assert out["probs"].shape == (1, 10)


def test_compiles_killed_at_random_points(tmp_path):
    _kill_at_random_points(tmp_path, kills=4, seed=0)


@pytest.mark.slow
def test_compiles_killed_at_twenty_random_points(tmp_path):
    _kill_at_random_points(tmp_path, kills=20, seed=1)


def _in_small_mount(tmp_path: Path, mount_options: str, command: str) -> subprocess.CompletedProcess:
    """Run ``command`` (sh, with $MNT) in a private mount namespace where $MNT is a tmpfs
    mounted with ``mount_options``; lists what is left in $MNT afterwards."""
    mount_point = tmp_path / "mnt"
    mount_point.mkdir()
    script = textwrap.dedent(f"""
        set -u
        mount -t tmpfs -o {mount_options} tmpfs "$MNT" || exit 99
        {command}
        rc=$?
        echo "LEFT: $(ls -A "$MNT" | tr '\\n' ' ')"
        exit $rc
    """)
    return subprocess.run(["unshare", "--map-root-user", "--mount", "sh", "-c", script],
                          capture_output=True, text=True,
                          env={**os.environ, "MNT": str(mount_point)})


def test_a_full_disk_is_a_typed_error_and_leaves_nothing(tmp_path):
    cmd = " ".join(f"'{part}'" for part in _compile_cmd(Path("$MNT/art")))
    proc = _in_small_mount(tmp_path, "size=256k", cmd.replace("'$MNT/art'", '"$MNT/art"'))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "no space left" in proc.stderr.lower() or "No space left" in proc.stderr
    assert "LEFT: \n" in proc.stdout or proc.stdout.strip().endswith("LEFT:")


def test_a_read_only_output_is_a_typed_error(tmp_path):
    cmd = " ".join(f"'{part}'" for part in _compile_cmd(Path("$MNT/art")))
    proc = _in_small_mount(tmp_path, "ro", cmd.replace("'$MNT/art'", '"$MNT/art"'))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "read-only" in proc.stderr, proc.stderr


def test_artifact_writer_turns_disk_errors_into_artifact_errors(tmp_path, monkeypatch):
    from paddlec.compiler.artifact import artifact_writer

    with pytest.raises(ArtifactError, match="No space left"):
        with artifact_writer(tmp_path / "art") as staging:
            (staging / "model.so").write_bytes(b"x")
            raise RuntimeError("ld: final link failed: No space left on device")
    assert not (tmp_path / "art").exists() and _leftovers(tmp_path / "art") == []


RACER = textwrap.dedent("""
    import json, sys
    import numpy as np
    from paddlec.inference import Config, create_predictor
    config = Config(sys.argv[1])
    config.set_optim_cache_dir(sys.argv[2])
    predictor = create_predictor(config)
    (y,) = predictor.run([np.ones((1, 3, 64, 64), np.float32)])
    print(json.dumps({"compiled": predictor.compiled, "y": y.tolist()}))
""")


def test_killing_the_compiling_predictor_process_leaves_the_others_working(tmp_path):
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    shutil.copy(EXAMPLE_MODEL, model_dir / "model.onnx")
    cache = tmp_path / "cache"
    racers = [subprocess.Popen([sys.executable, "-c", RACER, str(model_dir), str(cache)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
              for _ in range(3)]
    deadline = time.monotonic() + 120
    staging = []
    while not staging:
        assert time.monotonic() < deadline, "no compile started"
        time.sleep(0.05)
        staging = [p for p in (cache.iterdir() if cache.exists() else []) if ".tmp-" in p.name]
    # the staging folder is named after the compile worker; its parent holds the key's lock
    worker = int(staging[0].name.split(".tmp-")[1].split("-")[0])
    status = Path(f"/proc/{worker}/status").read_text()
    holder = int(next(line.split()[1] for line in status.splitlines()
                      if line.startswith("PPid:")))
    victim = next(proc for proc in racers if proc.pid == holder)
    victim.kill()
    victim.wait()
    time.sleep(0.5)
    assert not Path(f"/proc/{worker}").exists() or \
        "zombie" in Path(f"/proc/{worker}/status").read_text()  # it died with its caller
    racers.remove(victim)
    reports = []
    for proc in racers:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        reports.append(json.loads(out.strip().splitlines()[-1]))
    assert reports[0]["y"] == reports[1]["y"]
    entries = [p for p in cache.iterdir() if p.is_dir() and p.name != "file-hashes"
               and not p.name.startswith(".")]
    assert len(entries) == 1
    rt.read_manifest(entries[0])
    assert [p.name for p in cache.iterdir() if ".tmp-" in p.name] == []
