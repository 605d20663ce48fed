"""Which CPU backend for convolutions? The measurement behind the oneDNN fast path.

For a few ResNet convolution shapes (one conv + bias + ReLU as a one-node ONNX model, batch
1, same thread count for all), times in one process, interleaved:

- ``onednn``: paddlec's fast path (the oneDNN kernel linked into model.so),
- ``tvm``: paddlec with ``--no-fast-path`` (TVM's kernels with paddlec's default parallel
  schedules; MetaSchedule is the other TVM option, see DESIGN.md: 45-120 GFLOP/s after
  ~25 minutes of tuning for ResNet-18),
- ``numpy-blas``: im2col + numpy's BLAS matmul (what the first experiment in DESIGN.md used),
- ``onnxruntime``: the reference.

    .venv/bin/python -m paddlec.bench.compare_backends [--threads 2] [--runs 20]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

__all__ = ["main"]

SHAPES = [  # (channels in, channels out, spatial size, kernel, stride)
    (64, 64, 56, 3, 1), (128, 128, 28, 3, 1), (256, 256, 14, 3, 1), (512, 512, 7, 3, 1),
    (256, 1024, 14, 1, 1),
]


def _conv_model(cin: int, cout: int, size: int, k: int, stride: int) -> onnx.ModelProto:
    rng = np.random.default_rng(0)
    w = numpy_helper.from_array((rng.standard_normal((cout, cin, k, k)) * 0.05)
                                .astype(np.float32), "w")
    b = numpy_helper.from_array(rng.standard_normal(cout).astype(np.float32), "b")
    conv = helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[k // 2] * 4,
                            strides=[stride] * 2)
    relu = helper.make_node("Relu", ["c"], ["y"])
    out = (size + 2 * (k // 2) - k) // stride + 1
    graph = helper.make_graph(
        [conv, relu], "conv", [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                             [1, cin, size, size])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, cout, out, out])], [w, b])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _im2col_runner(model: onnx.ModelProto, k: int, stride: int):
    w = numpy_helper.to_array(model.graph.initializer[0])
    b = numpy_helper.to_array(model.graph.initializer[1])
    cout = w.shape[0]
    wmat = np.ascontiguousarray(w.reshape(cout, -1))
    pad = k // 2

    def run(x: np.ndarray) -> np.ndarray:
        xp = np.pad(x[0], ((0, 0), (pad, pad), (pad, pad)))
        windows = np.lib.stride_tricks.sliding_window_view(xp, (k, k), axis=(1, 2))
        windows = windows[:, ::stride, ::stride]
        cols = windows.transpose(0, 3, 4, 1, 2).reshape(-1, windows.shape[1] * windows.shape[2])
        return np.maximum(wmat @ cols + b[:, None], 0)

    return run


def main(argv: list[str] | None = None) -> int:
    import onnxruntime as ort

    import paddlec.runtime as rt
    from paddlec.compiler import compile_model

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="paddlec-backends-"))
    print(f"{'shape':28s} {'GFLOP':>6s} " + " ".join(f"{e:>12s}" for e in
          ("onednn", "tvm", "numpy-blas", "onnxruntime")) + "   (ms, median)")
    for cin, cout, size, k, stride in SHAPES:
        model = _conv_model(cin, cout, size, k, stride)
        path = work / f"conv_{cin}_{cout}_{size}_{k}.onnx"
        onnx.save(model, path)
        engines = {}
        for name, fast in (("onednn", True), ("tvm", False)):
            compile_model(path, work / f"{path.stem}-{name}", target="llvm -mcpu=native",
                          fast_path=fast)
            engines[name] = rt.load(work / f"{path.stem}-{name}", num_threads=args.threads).run
        engines["numpy-blas"] = _im2col_runner(model, k, stride)
        options = ort.SessionOptions()
        options.intra_op_num_threads = args.threads
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        engines["onnxruntime"] = lambda x, s=session: s.run(None, {"x": x})
        x = np.random.default_rng(1).standard_normal((1, cin, size, size)).astype(np.float32)
        times: dict[str, list[float]] = {name: [] for name in engines}
        for name, fn in engines.items():
            fn({"x": x} if name in ("onednn", "tvm") else x)
        for _ in range(args.runs):
            for name, fn in engines.items():
                start = time.perf_counter()
                fn({"x": x} if name in ("onednn", "tvm") else x)
                times[name].append(time.perf_counter() - start)
        out = (size + 2 * (k // 2) - k) // stride + 1
        gflop = 2 * cin * cout * k * k * out * out / 1e9
        shape = f"{cin}->{cout} {size}x{size} k{k} s{stride}"
        print(f"{shape:28s} {gflop:6.2f} " + " ".join(
            f"{np.median(times[name]) * 1e3:12.3f}" for name in engines), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
