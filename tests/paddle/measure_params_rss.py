"""Peak RSS of reading a Paddle params file, against the file's size (acceptance: never two
copies of the weights). Each measurement runs in a fresh process.

    python tests/paddle/measure_params_rss.py generate 500 /tmp/big.pdiparams
    python tests/paddle/measure_params_rss.py read /tmp/big.pdiparams
    python tests/paddle/measure_params_rss.py model /path/to/vgg11_model_dir

``read`` maps the file, wraps every tensor in an ``onnx_ir.Tensor`` (what the frontend hands
to the IR) and touches every byte (a checksum), so all pages are resident at the end.
``model`` runs the whole frontend (``load_model``) and touches every initializer.
Prints one JSON line: file_mb, baseline_mb, peak_mb, extra_mb (= peak - baseline), ratio.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np


def _status_mb(key: str) -> float:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024.0
    raise RuntimeError(f"/proc/self/status has no {key}")


def _peak_mb() -> float:
    """VmHWM: this process's own peak RSS. (``ru_maxrss`` survives fork+exec on Linux, so a
    child of a big pytest process would report the parent's peak.)"""
    return _status_mb("VmHWM")


def _current_mb() -> float:
    return _status_mb("VmRSS")


def generate(size_mb: int, path: Path) -> None:
    """``size_mb`` of float32 tensors in 8 MiB records, written one at a time."""
    from paddlec.compiler.frontends.paddle.params import write_record

    chunk = np.arange(2 * 2**20, dtype=np.float32)  # 8 MiB
    with open(path, "wb") as handle:
        for index in range(max(1, size_mb // 8)):
            write_record(handle, (chunk + index).reshape(1024, 2048))


def _touch(arrays) -> float:
    total = 0.0
    for array in arrays:
        flat = array.reshape(-1)
        for start in range(0, flat.size, 1 << 22):  # small slices: no big temporaries
            total += float(flat[start:start + (1 << 22)].view(np.uint8).sum(dtype=np.uint64))
    return total


def read(path: Path) -> dict:
    import onnx_ir as ir

    from paddlec.compiler.frontends.paddle.params import read_records

    baseline = _current_mb()
    records = read_records(path)
    tensors = [ir.Tensor(record.array) for record in records]
    _touch(tensor.numpy() for tensor in tensors)
    return _report(path.stat().st_size, baseline)


def model(folder: Path) -> dict:
    from paddlec.compiler.frontends import load_model

    baseline = _current_mb()
    source = load_model(folder)
    _touch(value.const_value.numpy() for value in source.model.graph.initializers.values())
    size = sum(f.stat().st_size for f in source.files[1:])
    return _report(size, baseline)


def _report(size: int, baseline: float) -> dict:
    peak = _peak_mb()
    file_mb = size / 2**20
    return {"file_mb": round(file_mb, 1), "baseline_mb": round(baseline, 1),
            "peak_mb": round(peak, 1), "extra_mb": round(peak - baseline, 1),
            "ratio": round((peak - baseline) / file_mb, 3)}


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "generate":
        generate(int(sys.argv[2]), Path(sys.argv[3]))
    elif command == "read":
        print(json.dumps(read(Path(sys.argv[2]))))
    elif command == "model":
        print(json.dumps(model(Path(sys.argv[2]))))
    else:
        raise SystemExit(f"unknown command {command}")
