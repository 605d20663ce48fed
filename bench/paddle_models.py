"""Paddle Inference as a benchmark peer (oneDNN on, same thread count).

Paddle Inference runs Paddle models, not ONNX, so for the suite models the same network is
built with Paddle's own layers (``paddle.vision.models`` ResNet-18/50 and MobileNetV2, and a
``paddle.nn.TransformerEncoder`` with BERT-base sizes), given random weights, and saved with
``paddle.jit.save`` into a cache folder. The weights differ from the ONNX model's, so only
latency is compared, never outputs. Any other Paddle model folder can be passed explicitly.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..errors import PaddlecError

__all__ = ["SUITE_BUILDERS", "PaddleWorker", "paddle_predictor", "save_suite_model"]

CACHE = Path("bench/out/paddle")


class PaddleUnavailableError(PaddlecError):
    exit_code = 2


def _paddle():
    try:
        import paddle
        import paddle.inference  # noqa: F401
    except ImportError:
        raise PaddleUnavailableError(
            "--vs paddle needs Paddle installed (pip install 'paddlepaddle==3.3.*')"
        ) from None
    return paddle


def _vision(name: str):
    def build():
        import paddle.vision.models as models

        return getattr(models, name)(pretrained=False), [None, 3, 224, 224]

    return build


def _bert():
    import paddle

    class Encoder(paddle.nn.Layer):
        def __init__(self) -> None:
            super().__init__()
            layer = paddle.nn.TransformerEncoderLayer(768, 12, 3072, dropout=0.0,
                                                      activation="gelu")
            self.encoder = paddle.nn.TransformerEncoder(layer, 12)

        def forward(self, x):
            return self.encoder(x)

    return Encoder(), [None, 128, 768]


SUITE_BUILDERS: dict[str, Callable] = {
    "resnet18": _vision("resnet18"),
    "resnet50": _vision("resnet50"),
    "mobilenet_v2": _vision("mobilenet_v2"),
    "bert_base": _bert,
}


def save_suite_model(name: str, folder: Path = CACHE) -> Path:
    """Save the Paddle twin of suite model ``name`` (random weights); returns the prefix."""
    paddle = _paddle()
    prefix = folder / name / "model"
    if any(prefix.parent.glob("model.pdiparams")):
        return prefix
    if name not in SUITE_BUILDERS:
        raise PaddleUnavailableError(
            f"no Paddle twin for {name!r}; pass a Paddle model folder with --paddle-model"
        )
    paddle.seed(0)
    layer, shape = SUITE_BUILDERS[name]()
    layer.eval()
    spec = [paddle.static.InputSpec(shape=shape, dtype="float32", name="x")]
    paddle.jit.save(layer, str(prefix), input_spec=spec)
    return prefix


def _model_files(folder: Path) -> tuple[Path, Path]:
    params = sorted(folder.glob("*.pdiparams"))
    graphs = sorted(folder.glob("*.json")) + sorted(folder.glob("*.pdmodel"))
    if not params or not graphs:
        raise PaddleUnavailableError(f"{folder}: no .json/.pdmodel + .pdiparams Paddle model")
    return graphs[0], params[0]


def paddle_predictor(folder: Path | None, name: str, threads: int) -> Callable:
    """A callable ``feed -> outputs`` over Paddle Inference with oneDNN and ``threads``."""
    paddle = _paddle()
    if folder is None:
        folder = save_suite_model(name).parent
    graph, params = _model_files(folder)
    config = paddle.inference.Config(str(graph), str(params))
    config.disable_gpu()
    config.enable_mkldnn()
    config.set_cpu_math_library_num_threads(threads)
    config.disable_glog_info()
    predictor = paddle.inference.create_predictor(config)
    names = predictor.get_input_names()

    def run(feed: dict) -> list[np.ndarray]:
        for handle_name, value in zip(names, feed.values()):
            predictor.get_input_handle(handle_name).copy_from_cpu(value)
        predictor.run()
        return [predictor.get_output_handle(out).copy_to_cpu()
                for out in predictor.get_output_names()]

    return run


class PaddleWorker:
    """Paddle Inference in a child process, driven run by run from the benchmark process.

    Paddle bundles its own ``libdnnl.so.3`` — same soname as the oneDNN that ``model.so``
    links, different version and ABI — so the two cannot share a process. The child owns
    Paddle; the parent still interleaves its runs with the other engines' and times each
    run around the request, so Paddle's numbers include a pipe round trip (~0.1 ms).
    """

    def __init__(self, folder: Path | None, name: str, threads: int) -> None:
        import subprocess
        import sys

        cmd = [sys.executable, "-m", "paddlec.bench.paddle_models", str(folder or ""), name,
               str(threads)]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, bufsize=1)
        status = self.proc.stdout.readline().strip()
        if status != "ready":
            raise PaddleUnavailableError(f"Paddle Inference worker failed: {status or 'died'}")
        self.feed_file: str | None = None

    def __call__(self, feed: dict) -> None:
        import tempfile

        if self.feed_file is None or not np.array_equal(self._last, next(iter(feed.values()))):
            handle, self.feed_file = tempfile.mkstemp(suffix=".npz")
            import os

            os.close(handle)
            np.savez(self.feed_file, *feed.values())
            self._last = next(iter(feed.values()))
            self._send(f"feed {self.feed_file}")
        self._send("run")

    def _send(self, line: str) -> None:
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        reply = self.proc.stdout.readline().strip()
        if reply != "ok":
            raise PaddleUnavailableError(f"Paddle Inference worker: {reply or 'died'}")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(timeout=30)


def _worker(folder: str, name: str, threads: int) -> None:
    import contextlib
    import io
    import sys

    try:
        with contextlib.redirect_stdout(io.StringIO()):
            run = paddle_predictor(Path(folder) if folder else None, name, threads)
    except Exception as exc:  # noqa: BLE001 - reported to the parent on the pipe
        print(f"{type(exc).__name__}: {exc}".replace("\n", " "), flush=True)
        return
    print("ready", flush=True)
    feed: dict = {}
    for line in sys.stdin:
        command, _, arg = line.strip().partition(" ")
        try:
            if command == "feed":
                with np.load(arg) as data:
                    feed = {key: data[key] for key in data.files}
            elif command == "run":
                run(feed)
            print("ok", flush=True)
        except Exception as exc:  # noqa: BLE001
            print(f"{type(exc).__name__}: {exc}".replace("\n", " "), flush=True)


if __name__ == "__main__":
    import sys

    _worker(sys.argv[1], sys.argv[2], int(sys.argv[3]))
