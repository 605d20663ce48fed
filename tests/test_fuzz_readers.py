"""A short run of the reader fuzzer (``scripts/fuzz_readers.py``; the long run and its
result are in docs/robustness.md): every mutated ONNX / Paddle / manifest / .npy / .npz input
gets a typed error or reads fine, never another exception, a crash or a hang."""

from __future__ import annotations

import importlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def fuzz():
    sys.path.insert(0, str(REPO / "scripts"))
    try:
        return importlib.import_module("fuzz_readers")
    finally:
        sys.path.pop(0)


def test_a_short_campaign_over_every_reader_finds_nothing(fuzz, tmp_path):
    """In a fresh process: its cases are forked from it, which must hold no threads."""
    cases = 36 * len(fuzz.TARGETS)
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "fuzz_readers.py"),
                           "--cases", str(cases), "--seed", "0", "--out", str(tmp_path),
                           "--quiet"], capture_output=True, text=True, timeout=600)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["findings"] == [], summary["findings"][:5]
    assert proc.returncode == 0, proc.stderr[-2000:]
    for name, counts in summary["per_target"].items():
        # the mutations reach the readers' checks: most cases are refused, with a type
        assert counts["typed"] > 0, (name, counts)
        assert sum(counts.values()) == cases // len(fuzz.TARGETS)


class _Raises:
    def __init__(self, action):
        self.action = action

    def read(self, folder):
        self.action()


def test_the_harness_tells_untyped_errors_crashes_and_hangs_apart(fuzz, tmp_path):
    from paddlec.errors import ModelLoadError

    def typed():
        raise ModelLoadError("bad file")

    def untyped():
        raise KeyError("Out")

    outcomes = {name: fuzz.run_forked(_Raises(action), tmp_path, timeout=2)[0]
                for name, action in [("typed", typed), ("untyped", untyped),
                                     ("ok", lambda: None),
                                     ("crash", lambda: os.kill(os.getpid(), signal.SIGKILL)),
                                     ("hang", lambda: time.sleep(30))]}
    assert outcomes == {"typed": "typed", "untyped": "untyped", "ok": "ok", "crash": "crash",
                        "hang": "hang"}
