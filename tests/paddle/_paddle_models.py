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
OP_ZOO = "op_zoo"  # one program with many small ops (their mappers are not in the models)
RESIZE_ZOO = "resize_zoo"  # interp ops and conv2d_transpose on an Nx4xHxW input (H, W dynamic)
DTYPE_ZOO = "dtype_zoo"  # parameters of every dtype the params reader maps, and a 0-d one
_ZOO_DTYPES = {"p_fp16": ("float16", [3, 2]), "p_int8": ("int8", [5]), "p_int64": ("int64", [2, 2]),
               "p_bool": ("bool", [4]), "p_scalar": ("float32", []), "p_fp64": ("float64", [3]),
               "p_int32": ("int32", [2]), "p_uint8": ("uint8", [3]), "p_int16": ("int16", [2]),
               "p_bf16": ("bfloat16", [2])}
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
                         feed: dict[str, np.ndarray], workdir: str | Path,
                         onednn: bool = True) -> dict[str, np.ndarray]:
    """Outputs of ``paddle.inference`` (Config/create_predictor, CPU) on ``feed``, by name.

    ``onednn=False`` uses Paddle's plain CPU kernels (oneDNN's layer_norm, for one, accepts
    only the last axis)."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    np.savez(workdir / "feed.npz", **feed)
    fmt = "pdmodel" if str(model_file).endswith(".pdmodel") else "pir"
    _run_child(["infer", str(model_file), str(params_file), str(workdir / "feed.npz"),
                str(workdir / "ref.npz"), "1" if onednn else "0"], fmt)
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


def _sum_all(paddle, value, fmt: str):
    """sum(float32(value)); the legacy mode appends the ops itself (paddle.sum is PIR-only
    there, and paddle.cast refuses int8 inputs)."""
    if fmt == "pir":
        return paddle.sum(paddle.cast(value, "float32"))
    from paddle.base.layer_helper import LayerHelper

    helper = LayerHelper("reduce_sum")
    as_float = helper.create_variable_for_type_inference("float32")
    helper.append_op(type="cast", inputs={"X": value}, outputs={"Out": as_float},
                     attrs={"in_dtype": value.dtype, "out_dtype": paddle.float32})
    value = as_float
    out = helper.create_variable_for_type_inference("float32")
    helper.append_op(type="reduce_sum", inputs={"X": value}, outputs={"Out": out},
                     attrs={"dim": [0], "keep_dim": False, "reduce_all": True})
    return out


def _zoo_pir(paddle, x, ids) -> list:
    """Ops outside the model list, through Paddle's Python API (PIR mode)."""
    F = paddle.nn.functional
    a = paddle.abs(x) + 1.0
    weight = paddle.static.create_parameter([4], "float32", name="zoo_bias",
                                            default_initializer=paddle.nn.initializer.Uniform())
    return [x + paddle.unsqueeze(weight, [0, 2]),
        F.sigmoid(x), paddle.tanh(x), paddle.exp(x), paddle.log(a), paddle.sqrt(a),
        paddle.rsqrt(a), paddle.erf(x), paddle.floor(x), paddle.ceil(x), paddle.sin(x),
        paddle.cos(x), paddle.reciprocal(a), paddle.sign(x), F.softplus(x), paddle.round(x),
        F.leaky_relu(x, 0.1), F.silu(x), F.swish(x), F.hardswish(x), F.hardsigmoid(x),
        F.relu6(x * 4), F.gelu(x, approximate=True), x - a, x / a, paddle.maximum(x, x * 0.5),
        paddle.minimum(x, x * 0.5), paddle.pow(a, a),
        paddle.cast(paddle.logical_and(x > 0, paddle.logical_or(x <= 0.5, x >= 1.0)), "float32")
        + paddle.cast(paddle.logical_not(x < -0.5), "float32")
        + paddle.cast(paddle.equal(paddle.floor(x), x * 0), "float32"),
        paddle.sum(x, axis=[1]), paddle.max(x, axis=-1, keepdim=True), paddle.min(x, axis=2),
        paddle.prod(a, axis=1), paddle.mean(x, axis=[1, 2]),
        paddle.concat(paddle.split(x, [1, -1, 2], axis=2)[::-1], axis=2),
        paddle.concat(paddle.chunk(x, 2, axis=1)[::-1], axis=1),
        paddle.squeeze(paddle.unsqueeze(x, [1, 3]), [1]), paddle.transpose(x, [2, 0, 1]),
        paddle.matmul(x, x, transpose_x=True),
        F.layer_norm(x, [4, 6], weight=paddle.ones([24]) * 0.5, bias=paddle.zeros([24]) + 0.1),
        paddle.scale(x, 2.0, 1.0, bias_after_scale=False),
        F.embedding(ids, paddle.reshape(paddle.arange(0, 30, dtype="float32"), [10, 3]),
                    padding_idx=0),
        paddle.slice(x, [1, 2], [1, 0], [3, 4]), paddle.reshape(x, [0, -1]),
        F.softmax(x, axis=1), paddle.flatten(paddle.unsqueeze(x, 3), 1, 2),
    ]


def _zoo_resize(paddle, x) -> list:
    """What detectors' necks do at every image size: interpolation by a scale, to a fixed
    size and to another map's run-time size (SizeTensor), each coordinate rule, and
    transposed convolutions (grouped, output_padding)."""
    interpolate = paddle.nn.functional.interpolate
    half = paddle.nn.functional.avg_pool2d(x, 2, 2)
    outs = [
        interpolate(x, scale_factor=2, mode="nearest"),
        interpolate(x, scale_factor=2, mode="bilinear", align_corners=False),
        interpolate(x, scale_factor=2, mode="bilinear", align_corners=False, align_mode=1),
        interpolate(x, scale_factor=3, mode="bilinear", align_corners=True),
        interpolate(x, scale_factor=2, mode="bicubic", align_corners=False),
        interpolate(x, size=[7, 5], mode="bilinear", align_corners=False),
        interpolate(x, size=[9, 6], mode="nearest"),
        # an FPN's top-down path: the coarse map upsampled to the lateral map's size
        x + interpolate(half, size=paddle.shape(x)[2:], mode="nearest"),
        x + interpolate(half, size=paddle.shape(x)[2:], mode="bilinear", align_corners=False),
    ]
    for layer in (paddle.nn.Conv2DTranspose(4, 6, 4, stride=2, padding=1),
                  paddle.nn.Conv2DTranspose(4, 4, 3, stride=2, padding=1, output_padding=1,
                                            groups=2),
                  paddle.nn.Conv2DTranspose(4, 2, 2, stride=2, bias_attr=False)):
        outs.append(paddle.nn.functional.relu(layer(x)))
    return outs


def _zoo_legacy(paddle, x, ids) -> list:
    """The same kind of ops as legacy OpDescs (Paddle 3.3's Python API builds only PIR ops
    for most of them, so the ops are appended directly with their legacy slots/attrs)."""
    from paddle.base.layer_helper import LayerHelper

    def op(kind, inputs, attrs=None, dtype="float32", outs=("Out",), count=1):
        helper = LayerHelper(kind)
        made = {slot: [helper.create_variable_for_type_inference(dtype) for _ in range(count)]
                for slot in outs}
        helper.append_op(type=kind, inputs=inputs, outputs=made, attrs=attrs or {})
        first = made[outs[0]]
        return first if count > 1 else first[0]

    def to_float(value):
        return op("cast", {"X": value}, {"in_dtype": 0, "out_dtype": 5})

    a = op("scale", {"X": op("abs", {"X": x})}, {"scale": 1.0, "bias": 1.0})
    uniform = paddle.nn.initializer.Uniform(-1.0, 1.0)
    bias = paddle.static.create_parameter([4], "float32", name="zoo_bias",
                                          default_initializer=uniform)
    outs = [op(kind, {"X": x}) for kind in ("sigmoid", "tanh", "exp", "erf", "floor", "ceil",
                                            "sin", "cos", "sign", "round", "silu", "abs")]
    outs += [op(kind, {"X": a}) for kind in ("log", "sqrt", "rsqrt", "reciprocal")]
    outs += [op("softplus", {"X": x}, {"beta": 1.0, "threshold": 20.0}),
             op("leaky_relu", {"X": x}, {"alpha": 0.1}), op("swish", {"X": x}, {"beta": 1.0}),
             op("hard_swish", {"X": x}, {"threshold": 6.0, "scale": 6.0, "offset": 3.0}),
             op("hard_sigmoid", {"X": x}, {"slope": 0.2, "offset": 0.5}),
             op("relu6", {"X": x}, {"threshold": 0.5}), op("gelu", {"X": x}, {"approximate": True})]
    for kind in ("elementwise_sub", "elementwise_div", "elementwise_max", "elementwise_min",
                 "elementwise_pow"):
        outs.append(op(kind, {"X": a, "Y": a if kind == "elementwise_pow" else x}, {"axis": -1}))
    outs.append(op("elementwise_add", {"X": x, "Y": bias}, {"axis": 1}))  # Paddle's axis rule
    for kind in ("greater_than", "less_equal", "greater_equal", "less_than", "equal"):
        outs.append(to_float(op(kind, {"X": x, "Y": a}, {"axis": -1}, dtype="bool")))
    positive = op("greater_than", {"X": x, "Y": op("scale", {"X": x}, {"scale": 0.0})},
                  {"axis": -1}, dtype="bool")
    outs.append(to_float(op("logical_and", {"X": positive, "Y": op(
        "logical_not", {"X": positive}, dtype="bool")}, dtype="bool")))
    outs.append(to_float(op("logical_or", {"X": positive, "Y": positive}, dtype="bool")))
    outs += [op("reduce_sum", {"X": x}, {"dim": [1], "keep_dim": False, "reduce_all": False}),
             op("reduce_max", {"X": x}, {"dim": [-1], "keep_dim": True, "reduce_all": False}),
             op("reduce_min", {"X": x}, {"dim": [2], "keep_dim": False, "reduce_all": False}),
             op("reduce_prod", {"X": a}, {"dim": [1], "keep_dim": False, "reduce_all": False}),
             op("reduce_mean", {"X": x}, {"dim": [0], "keep_dim": False, "reduce_all": True})]
    parts = op("split", {"X": x}, {"axis": 2, "num": 0, "sections": [1, -1, 2]}, count=3)
    outs.append(op("concat", {"X": parts[::-1]}, {"axis": 2}))
    halves = op("split", {"X": x}, {"axis": 1, "num": 2, "sections": []}, count=2)
    outs.append(op("concat", {"X": halves[::-1]}, {"axis": 1}))
    expanded = op("unsqueeze2", {"X": x}, {"axes": [1, 3]}, outs=("Out", "XShape"))
    outs.append(op("squeeze2", {"X": expanded}, {"axes": [1]}, outs=("Out", "XShape")))
    outs.append(op("transpose2", {"X": x}, {"axis": [2, 0, 1]}, outs=("Out", "XShape")))
    outs.append(op("matmul_v2", {"X": x, "Y": x}, {"trans_x": True, "trans_y": False}))
    outs.append(op("matmul", {"X": x, "Y": x}, {"transpose_X": False, "transpose_Y": True,
                                                "alpha": 0.5}))
    outs.append(op("layer_norm", {"X": x}, {"begin_norm_axis": 1, "epsilon": 1e-5},
                   outs=("Y", "Mean", "Variance")))
    outs.append(op("scale", {"X": x}, {"scale": 2.0, "bias": 1.0, "bias_after_scale": False}))
    table = paddle.static.create_parameter([10, 3], "float32", name="zoo_table",
                                           default_initializer=uniform)
    outs.append(op("lookup_table_v2", {"Ids": ids, "W": table}, {"padding_idx": 0}))
    outs.append(op("slice", {"Input": x}, {"axes": [1, 2], "starts": [1, 0], "ends": [2, 4],
                                           "decrease_axis": [1], "infer_flags": [1, 1]}))
    outs.append(op("reshape2", {"X": x}, {"shape": [0, -1]}, outs=("Out", "XShape")))
    outs.append(op("softmax", {"X": x}, {"axis": 1}))
    outs.append(op("flatten_contiguous_range", {"X": expanded},
                   {"start_axis": 1, "stop_axis": 2}, outs=("Out", "XShape")))
    return outs


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
        if name == DTYPE_ZOO:
            x = paddle.static.data("x", [batch_dim, 1], "float32")
            y = x
            for param, (dtype, dims) in _ZOO_DTYPES.items():
                fill = paddle.nn.initializer.Constant(1.5 if "float" in dtype else 0)
                weight = paddle.static.create_parameter(dims, dtype, name=param,
                                                        default_initializer=fill)
                y = y + _sum_all(paddle, weight, fmt)  # keeps the parameter in the program
            net = None
        elif name == RESIZE_ZOO:
            x = paddle.static.data("x", [batch_dim, 4, None, None], "float32")
            y = _zoo_resize(paddle, x)
            net = None
        elif name == OP_ZOO:
            x = paddle.static.data("x", [batch_dim, 4, 6], "float32")
            ids = paddle.static.data("ids", [batch_dim, 5], "int64")
            y = (_zoo_pir if fmt == "pir" else _zoo_legacy)(paddle, x, ids)
            net = None
        elif name in TEXT_MODELS:
            x = paddle.static.data("ids", [batch_dim, TEXT_SEQ], "int64")
            net = _TextModel(paddle)
            for layer in net.layers:
                layer.eval()
        else:
            x = paddle.static.data("image", [batch_dim, 3, size, size], "float32")
            net = getattr(paddle.vision.models, name)(pretrained=False)
            net.eval()
        if net is not None:
            y = net(x)
    outputs = list(y) if isinstance(y, (list, tuple)) else [y]  # GoogLeNet: 3 heads
    exe = paddle.static.Executor(paddle.CPUPlace())
    exe.run(startup)
    if net is not None:
        _randomize_batch_norms(paddle, net, paddle.static.global_scope(), rng)
    if name == DTYPE_ZOO:  # random contents, including negative and extreme values
        scope, place = paddle.static.global_scope(), paddle.CPUPlace()
        for param, (dtype, dims) in _ZOO_DTYPES.items():
            if dtype == "bfloat16":
                continue  # numpy has no bfloat16 to set from; the constant 1.5 stays
            info = np.iinfo(dtype) if dtype not in ("float16", "float32", "float64", "bool") \
                else None
            value = (rng.integers(info.min, info.max, dims, endpoint=True) if info is not None
                     else rng.integers(0, 2, dims) if dtype == "bool"
                     else rng.standard_normal(dims) * 100)
            scope.find_var(param).get_tensor().set(np.asarray(value).astype(dtype), place)
    feeds = [x, ids] if name == OP_ZOO else [x]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paddle.static.save_inference_model(str(out / "inference"), feeds, outputs, exe, program=main)
    suffix = ".pdmodel" if fmt == "pdmodel" else ".json"
    specs = [{"name": var.name, "dtype": "int64" if var.dtype == paddle.int64 else "float32",
              "shape": [-1 if d is None else int(d) for d in var.shape]} for var in feeds]
    print(json.dumps({"model_file": str(out / f"inference{suffix}"),
                      "params_file": str(out / "inference.pdiparams"), "inputs": specs}))


def _child_infer(model_file: str, params_file: str, feed_file: str, out_file: str,
                 onednn: str = "1") -> None:
    import paddle.inference as pi

    config = pi.Config(model_file, params_file)
    config.disable_gpu()
    if onednn == "0":
        config.disable_mkldnn()
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
