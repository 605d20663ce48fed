"""``--target tensorrt``: partition, write ``regions/*.onnx``, build the rest for CUDA.

The manifest's ``tensorrt`` section is the runtime's contract: per region its ONNX file,
sha256, the symbol its call site uses, inputs/outputs (symbolic dims by name), the ops it
holds, and (``--trt-fallback``) the Relax function compiled in ``model.so`` that computes
the same thing; plus precision, workspace, the dynamic-shape profile (per symbolic dim:
min/opt/max, from ``--input-shape-range``) and the calibration inputs for int8.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from ...errors import CompileError, InputMismatchError
from ..shape_ranges import dim_ranges
from ..target import ResolvedTarget
from .calibration import load_calibration_data
from .partition import partition_for_regions

__all__ = ["PRECISIONS", "build_tensorrt_library"]

log = logging.getLogger("paddlec.compiler.tensorrt")
PRECISIONS = ("fp32", "fp16", "int8")


def build_tensorrt_library(mod, target: ResolvedTarget, out_file: Path, options) -> dict:
    """Partition ``mod``; write the regions next to ``out_file``; build the rest with the
    target's own back end (cuda, or llvm for the CPU dispatch path); return the manifest's
    ``tensorrt`` section plus what the back end reports."""
    from ..build import build_library

    precision = getattr(options, "trt_precision", "fp32")
    if precision not in PRECISIONS:
        raise CompileError(f"unknown TensorRT precision {precision!r} "
                           f"(use {', '.join(PRECISIONS)})")
    min_size = int(getattr(options, "min_subgraph_size", 3))
    fallback = bool(getattr(options, "trt_fallback", False))
    ranges = dim_ranges(mod, dict(getattr(options, "input_shape_ranges", {}) or {}))
    new_mod, regions, outside = partition_for_regions(mod, min_size, fallback)
    folder = out_file.parent
    (folder / "regions").mkdir(exist_ok=True)
    described = []
    for region in regions:
        (folder / region.file).write_bytes(region.onnx.SerializeToString(deterministic=True))
        described.append({
            "index": region.index, "file": region.file, "sha256": region.sha256,
            "symbol": region.symbol, "fallback": region.fallback, "ops": region.ops,
            "inputs": [spec.to_json() for spec in region.inputs],
            "outputs": [spec.to_json() for spec in region.outputs],
        })
    section = {
        "precision": precision, "min_subgraph_size": min_size, "fallback": fallback,
        "workspace_mb": int(getattr(options, "trt_workspace_mb", 1024)),
        "dim_ranges": ranges, "regions": described, "outside_ops": outside,
    }
    calib = getattr(options, "calib_data", None)
    if precision == "int8":
        if calib is None:
            raise InputMismatchError("int8 needs representative inputs: pass --calib-data "
                                     "DIR_OR_NPZ (the entropy calibrator runs on them)")
        samples = load_calibration_data(calib, [p.name for p in mod["main"].params])
        np.savez(folder / "calibration.npz", **samples)
        section["calibration"] = {"file": "calibration.npz",
                                  "samples": len({k.split('/')[0] for k in samples})}
    log.info("tensorrt: %d region(s) (%s), outside: %s", len(regions),
             ", ".join(str(r.size) for r in regions), outside or "nothing")
    base = ResolvedTarget(given=target.given, config=target.config, host=target.host,
                          extras={k: v for k, v in target.extras.items() if k != "byoc"})
    info = build_library(new_mod, base, out_file)
    if getattr(options, "build_engines", False):
        section["prebuilt_engines"] = _prebuild(folder, section)
    return {"tensorrt": section, **info}


def _prebuild(folder: Path, section: dict) -> list[str]:
    """``--build-engines`` on a GPU host with TensorRT: engines go into ``engines/``."""
    from ...runtime import tensorrt as trt_runtime

    return trt_runtime.build_engines_into(folder, section)
