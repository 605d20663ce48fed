"""Reading a params file keeps one copy of the weights: peak RSS grows by about the file
size, not twice it (the arrays are views of one memory map). Measured in fresh processes by
``measure_params_rss.py``; a 64 MB file in the default run, 500 MB under ``-m slow``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent / "measure_params_rss.py"


def _measure(tmp_path: Path, size_mb: int) -> dict:
    path = tmp_path / "big.pdiparams"
    subprocess.run([sys.executable, str(SCRIPT), "generate", str(size_mb), str(path)],
                   check=True)
    proc = subprocess.run([sys.executable, str(SCRIPT), "read", str(path)], check=True,
                          capture_output=True, text=True)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"\n[params-rss] {result}")
    return result


def test_read_holds_one_copy_64mb(tmp_path):
    result = _measure(tmp_path, 64)
    assert result["file_mb"] >= 63
    assert result["extra_mb"] < 1.25 * result["file_mb"], result  # two copies would be ~2.0


@pytest.mark.slow
def test_read_holds_one_copy_500mb(tmp_path):
    result = _measure(tmp_path, 504)
    assert result["file_mb"] >= 500
    assert result["extra_mb"] < 1.25 * result["file_mb"], result
