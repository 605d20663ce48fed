"""Build Paddle models with real Paddle, save them, and run them with Paddle Inference.

Every entry point runs Paddle in a *subprocess*: the legacy ``.pdmodel`` format needs
``FLAGS_enable_pir_api=0`` before Paddle is imported, and the processes that compile with
paddlec must never have imported Paddle. Used by the Paddle frontend tests, the benchmarks
and ``scripts/make_paddle_model.py``.

    info = save_paddle_model("resnet18", out_dir, fmt="pdmodel", image_size=64)
    ref = paddle_inference_run(info["model_file"], info["params_file"], feed)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

__all__ = ["VISION_MODELS", "TEXT_MODELS", "save_paddle_model", "paddle_inference_run",
           "paddle_load_params", "default_input_size"]

VISION_MODELS = ("resnet18", "resnet50", "mobilenet_v1", "mobilenet_v2", "mobilenet_v3_small",
                 "vgg11", "squeezenet1_1", "shufflenet_v2_x1_0", "densenet121", "googlenet",
                 "inception_v3")
TEXT_MODELS = ("transformer_encoder",)
TEXT_VOCAB, TEXT_SEQ = 100, 16


def default_input_size(name: str) -> int:
    """The image side a model is normally run at (InceptionV3 wants 299)."""
    return 299 if name == "inception_v3" else 224


def _run_child(args: list[str], fmt: str) -> str:
    env = dict(os.environ)
    env["FLAGS_enable_pir_api"] = "0" if fmt == "pdmodel" else "1"
    env.setdefault("GLOG_minloglevel", "2")
    env.setdefault("OMP_NUM_THREADS", "2")
    proc = subprocess.run([sys.executable, __file__, *args], env=env, capture_output=True,
                          text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"paddle subprocess {args[0]} failed:\n{proc.stderr[-4000:]}")
    return proc.stdout.strip().splitlines()[-1]


def save_paddle_model(name: str, out_dir: str | Path, fmt: str = "pir", batch: int | None = None,
                      image_size: int | None = None, seed: int = 0) -> dict:
    """Build ``name`` (a ``paddle.vision.models`` name or ``transformer_encoder``) with random
    weights and non-trivial batch-norm statistics, and save it with
    ``paddle.static.save_inference_model`` as ``out_dir/inference.{json|pdmodel}`` +
    ``inference.pdiparams``. ``batch=None`` keeps the batch dimension dynamic.

    Returns ``{"model_file", "params_file", "inputs": [{"name","dtype","shape"}]}``.
    """
    if fmt not in ("pir", "pdmodel"):
        raise ValueError(f"fmt must be 'pir' or 'pdmodel', not {fmt!r}")
    size = image_size or default_input_size(name)
    line = _run_child(["save", name, str(out_dir), fmt, str(batch or -1), str(size), str(seed)],
                      fmt)
    return json.loads(line)


def paddle_inference_run(model_file: str | Path, params_file: str | Path,
                         feed: dict[str, np.ndarray], workdir: str | Path) -> dict[str, np.ndarray]:
    """Outputs of ``paddle.inference`` (Config/create_predictor, CPU) on ``feed``, by name."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    np.savez(workdir / "feed.npz", **feed)
    fmt = "pdmodel" if str(model_file).endswith(".pdmodel") else "pir"
    _run_child(["infer", str(model_file), str(params_file), str(workdir / "feed.npz"),
                str(workdir / "ref.npz")], fmt)
    with np.load(workdir / "ref.npz") as data:
        return {key: data[key] for key in data.files}


def paddle_load_params(model_dir: str | Path, prefix: str, fmt: str,
                       out_file: str | Path) -> dict[str, np.ndarray]:
    """Every persistable tensor as Paddle itself loads it (``paddle.static.load_inference_model``
    into a scope), saved to ``out_file`` (.npz) and returned by name."""
    _run_child(["params", str(model_dir), prefix, str(out_file)], fmt)
    with np.load(out_file) as data:
        return {key: data[key] for key in data.files}


def paddle_program_ops(model_file: str | Path) -> list[dict]:
    """The ops of a legacy ``.pdmodel`` as Paddle's own ``framework_pb2`` parses them:
    ``[{"type", "inputs": {slot: [names]}, "outputs": {...}, "attrs": {name: value}}]``."""
    return json.loads(_run_child(["program", str(model_file)], "pdmodel"))


# ---------------------------------------------------------------- child-process side

def _randomize_batch_norms(paddle, net, scope, rng) -> None:
    """Random BN scale/shift and running statistics, so folding errors cannot hide."""
    place = paddle.CPUPlace()
    for layer in net.sublayers():
        if not isinstance(layer, paddle.nn.layer.norm._BatchNormBase):
            continue
        channels = layer._mean.shape[0]
        values = {
            layer.weight.name: rng.uniform(0.5, 1.5, channels),
            layer.bias.name: rng.normal(0.0, 0.2, channels),
            layer._mean.name: rng.normal(0.0, 0.2, channels),
            layer._variance.name: rng.uniform(0.5, 2.0, channels),
        }
        for var_name, value in values.items():
            scope.find_var(var_name).get_tensor().set(value.astype("float32"), place)


class _TextModel:
    """Embedding + positions + 2-layer TransformerEncoder + mean pooling + classifier."""

    def __init__(self, paddle):
        nn = paddle.nn
        self.paddle = paddle
        self.embed = nn.Embedding(TEXT_VOCAB, 32)
        self.position = nn.Embedding(64, 32)
        layer = nn.TransformerEncoderLayer(d_model=32, nhead=4, dim_feedforward=64,
                                           dropout=0.1, activation="gelu")
        self.encoder = nn.TransformerEncoder(layer, num_layers=2, norm=nn.LayerNorm(32))
        self.head = nn.Linear(32, 5)
        self.layers = [self.embed, self.position, self.encoder, self.head]

    def sublayers(self):
        return [sub for layer in self.layers for sub in [layer, *layer.sublayers()]]

    def __call__(self, ids):
        paddle = self.paddle
        seq_len = paddle.shape(ids)[1]
        positions = paddle.arange(0, seq_len, dtype="int64")
        hidden = self.embed(ids) + self.position(positions).unsqueeze(0)
        keep = paddle.cast(ids != 0, "float32")                      # padding mask
        mask = paddle.scale(keep, scale=1e4, bias=-1e4).unsqueeze([1, 2])
        hidden = self.encoder(hidden, src_mask=mask)
        pooled = paddle.mean(hidden, axis=1)
        return paddle.nn.functional.softmax(self.head(pooled), axis=-1)


def _patch_legacy_matmul(paddle) -> None:
    """Paddle 3.3's ``paddle.matmul`` is a C op that accepts only PIR values; in the legacy
    static mode build the ``matmul_v2`` op (and ``gelu``, same story) that older Paddle releases emitted."""
    from paddle.base.layer_helper import LayerHelper

    def matmul(x, y, transpose_x=False, transpose_y=False, name=None):
        helper = LayerHelper("matmul_v2", name=name)
        out = helper.create_variable_for_type_inference(dtype=x.dtype)
        helper.append_op(type="matmul_v2", inputs={"X": x, "Y": y}, outputs={"Out": out},
                         attrs={"trans_x": transpose_x, "trans_y": transpose_y})
        return out

    def gelu(x, approximate=False, name=None):
        helper = LayerHelper("gelu", name=name)
        out = helper.create_variable_for_type_inference(dtype=x.dtype)
        helper.append_op(type="gelu", inputs={"X": x}, outputs={"Out": out},
                         attrs={"approximate": approximate})
        return out

    paddle.matmul = sys.modules["paddle.tensor"].matmul = matmul
    paddle.nn.functional.gelu = paddle.nn.functional.activation.gelu = gelu


def _child_save(name: str, out_dir: str, fmt: str, batch: int, size: int, seed: int) -> None:
    import paddle

    if fmt == "pdmodel":
        _patch_legacy_matmul(paddle)
    paddle.enable_static()
    paddle.seed(seed)
    rng = np.random.default_rng(seed)
    main, startup = paddle.static.Program(), paddle.static.Program()
    batch_dim = None if batch < 0 else batch
    with paddle.static.program_guard(main, startup):
        if name in TEXT_MODELS:
            x = paddle.static.data("ids", [batch_dim, TEXT_SEQ], "int64")
            net = _TextModel(paddle)
            for layer in net.layers:
                layer.eval()
        else:
            x = paddle.static.data("image", [batch_dim, 3, size, size], "float32")
            net = getattr(paddle.vision.models, name)(pretrained=False)
            net.eval()
        y = net(x)
    outputs = list(y) if isinstance(y, (list, tuple)) else [y]  # GoogLeNet: 3 heads
    exe = paddle.static.Executor(paddle.CPUPlace())
    exe.run(startup)
    _randomize_batch_norms(paddle, net, paddle.static.global_scope(), rng)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paddle.static.save_inference_model(str(out / "inference"), [x], outputs, exe, program=main)
    suffix = ".pdmodel" if fmt == "pdmodel" else ".json"
    spec = {"name": x.name, "dtype": "int64" if name in TEXT_MODELS else "float32",
            "shape": [-1 if d is None else int(d) for d in x.shape]}
    print(json.dumps({"model_file": str(out / f"inference{suffix}"),
                      "params_file": str(out / "inference.pdiparams"), "inputs": [spec]}))


def _child_infer(model_file: str, params_file: str, feed_file: str, out_file: str) -> None:
    import paddle.inference as pi

    config = pi.Config(model_file, params_file)
    config.disable_gpu()
    config.set_cpu_math_library_num_threads(2)
    predictor = pi.create_predictor(config)
    with np.load(feed_file) as feed:
        for name in predictor.get_input_names():
            predictor.get_input_handle(name).copy_from_cpu(np.ascontiguousarray(feed[name]))
    predictor.run()
    outputs = {name: predictor.get_output_handle(name).copy_to_cpu()
               for name in predictor.get_output_names()}
    np.savez(out_file, **outputs)
    print(json.dumps(sorted(outputs)))


def _child_params(model_dir: str, prefix: str, out_file: str) -> None:
    import paddle

    paddle.enable_static()
    exe = paddle.static.Executor(paddle.CPUPlace())
    scope = paddle.static.Scope()
    with paddle.static.scope_guard(scope):
        paddle.static.load_inference_model(str(Path(model_dir) / prefix), exe)
        arrays = {}
        for name in scope.local_var_names():
            try:
                tensor = scope.find_var(name).get_tensor()
            except Exception:  # feed/fetch holders are not dense tensors
                continue
            if tensor._is_initialized():
                arrays[name] = np.array(tensor)
    np.savez(out_file, **arrays)
    print(json.dumps(len(arrays)))


def _child_program(model_file: str) -> None:
    from google.protobuf.json_format import MessageToDict
    from paddle.base.proto import framework_pb2

    program = framework_pb2.ProgramDesc()
    program.ParseFromString(Path(model_file).read_bytes())
    ops = []
    for op in program.blocks[0].ops:
        attrs = {}
        for attr in op.attrs:
            fields = {f.name: v for f, v in attr.ListFields() if f.name not in ("name", "type")}
            attrs[attr.name] = MessageToDict(attr, preserving_proto_field_name=True) \
                if attr.HasField("scalar") else (list(fields.values())[0] if fields else None)
            if isinstance(attrs[attr.name], (list, tuple)) or hasattr(attrs[attr.name], "__len__") \
                    and not isinstance(attrs[attr.name], (str, dict)):
                attrs[attr.name] = list(attrs[attr.name])
        ops.append({"type": op.type,
                    "inputs": {v.parameter: list(v.arguments) for v in op.inputs},
                    "outputs": {v.parameter: list(v.arguments) for v in op.outputs},
                    "attrs": attrs})
    print(json.dumps(ops))


if __name__ == "__main__":
    command, *rest = sys.argv[1:]
    if command == "save":
        _child_save(rest[0], rest[1], rest[2], int(rest[3]), int(rest[4]), int(rest[5]))
    elif command == "infer":
        _child_infer(*rest)
    elif command == "params":
        _child_params(*rest)
    elif command == "program":
        _child_program(*rest)
    else:
        raise SystemExit(f"unknown command {command}")
