"""Winograd F(4,3) against oneDNN's direct convolution on ResNet's 3x3 stride-1 layers.

    .venv/bin/python -m paddlec.bench.winograd_layers --batch 1,8 --threads 2

Writes one single-layer ONNX model per layer (conv 3x3 pad 1 + bias + ReLU, NCHW in and out:
56x56x64, 28x28x128, 14x14x256, 7x7x512), compiles each with and without ``--no-winograd``
and runs the two side by side with ``bench/ab.py`` (A = direct, B = Winograd; A/B > 1: Winograd
is faster). Each model's time includes its NCHW <-> NHWC reorders at the edges.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

__all__ = ["LAYERS", "layer_model", "main"]

LAYERS = ((56, 64), (28, 128), (14, 256), (7, 512))  # (height = width, channels in = out)


def layer_model(size: int, channels: int):
    """Conv 3x3 (pad 1) + bias + ReLU with He-scaled random weights, batch dimension N."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    weight = rng.standard_normal((channels, channels, 3, 3)) * (2 / (9 * channels)) ** 0.5
    inits = [numpy_helper.from_array(weight.astype(np.float32), "w"),
             numpy_helper.from_array((rng.standard_normal(channels) * 0.1).astype(np.float32), "b")]
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c"], ["y"])]
    dims = ["N", channels, size, size]
    graph = helper.make_graph(nodes, f"conv{size}", [
        helper.make_tensor_value_info("x", TensorProto.FLOAT, dims)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, dims)], inits)
    return helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", 17)])


def main(argv: list[str] | None = None) -> int:
    import onnx

    from ..compiler import compile_model
    from . import ab

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", default="1,8")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=100)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        for size, channels in LAYERS:
            folder = Path(tmp) / f"conv{size}"
            folder.mkdir()
            onnx.save(layer_model(size, channels), folder / "model.onnx")
            compile_model(folder / "model.onnx", folder / "direct", target="llvm",
                          winograd=False)
            compile_model(folder / "model.onnx", folder / "winograd", target="llvm")
            for batch in args.batch.split(","):
                print(f"{size}x{size}x{channels}, batch {batch}:", flush=True)
                ab.main([str(folder / "direct"), str(folder / "winograd"), "--batch", batch,
                         "--threads", str(args.threads), "--rounds", str(args.rounds)])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
