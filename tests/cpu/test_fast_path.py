"""The oneDNN fast path: every kernel kind against onnxruntime, and the artifact contract."""

from __future__ import annotations

import json
import os

import numpy as np
import onnx
import pytest
from _helpers import ort_run, save_model
from onnx import TensorProto, helper, numpy_helper

import paddlec.runtime as rt
from paddlec.compiler import compile_model

RTOL = 1e-4  # the bound: max |paddlec - ort| / max |ort|


def _rel_err(value: np.ndarray, ref: np.ndarray) -> float:
    return float(np.max(np.abs(value - ref)) / max(float(np.max(np.abs(ref))), 1e-30))


class _G:
    def __init__(self) -> None:
        self.rng = np.random.default_rng(0)
        self.nodes, self.inits, self.n = [], [], 0

    def const(self, array) -> str:
        self.n += 1
        name = f"c{self.n}"
        self.inits.append(numpy_helper.from_array(np.asarray(array, np.float32), name))
        return name

    def w(self, *shape) -> str:
        return self.const(self.rng.standard_normal(shape) * (2.0 / np.prod(shape[1:])) ** 0.5)

    def op(self, op_type: str, *inputs: str, **attrs) -> str:
        self.n += 1
        out = f"t{self.n}"
        self.nodes.append(helper.make_node(op_type, list(inputs), [out], **attrs))
        return out

    def bn(self, x: str, c: int) -> str:
        r = self.rng
        return self.op("BatchNormalization", x, self.const(r.uniform(0.5, 1.5, c)),
                       self.const(r.normal(0, 0.1, c)), self.const(r.normal(0, 0.1, c)),
                       self.const(r.uniform(0.5, 1.5, c)), epsilon=1e-5)

    def model(self, inputs, outputs) -> onnx.ModelProto:
        graph = helper.make_graph(self.nodes, "g", inputs, outputs, self.inits)
        return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _conv_net() -> onnx.ModelProto:
    """Every conv form the fast path handles: bias, BN, ReLU, ReLU6 (Clip), residual add,
    strides, asymmetric pads, dilation, groups/depthwise, max/avg pools, Gemm head."""
    g = _G()
    x = g.op("Relu", g.bn(g.op("Conv", "x", g.w(16, 3, 3, 3), pads=[1, 1, 1, 1]), 16))
    x = g.op("MaxPool", x, kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    y = g.op("Conv", x, g.w(16, 16, 3, 3), g.const(g.rng.normal(0, 0.1, 16)), pads=[1, 1, 1, 1])
    x = g.op("Relu", g.op("Add", y, x))                                        # residual
    y = g.op("Conv", x, g.w(32, 16, 3, 3), strides=[2, 2], pads=[0, 0, 1, 1])  # asymmetric
    short = g.op("Conv", x, g.w(32, 16, 1, 1), strides=[2, 2], pads=[0, 0, 0, 0])
    x = g.op("Add", short, y)                                                  # no activation
    d = g.op("Conv", x, g.w(32, 1, 3, 3), group=32, pads=[2, 2, 2, 2], dilations=[2, 2])
    d = g.op("Clip", g.bn(d, 32), g.const(0.0), g.const(6.0))                 # depthwise+ReLU6
    d = g.op("Conv", d, g.w(32, 8, 1, 1), group=4)                             # grouped 1x1
    x = g.op("AveragePool", d, kernel_shape=[3, 3], strides=[1, 1], pads=[1, 1, 1, 1])
    x = g.op("AveragePool", x, kernel_shape=[2, 2], strides=[2, 2], pads=[1, 1, 1, 1],
             count_include_pad=1)
    x = g.op("Flatten", g.op("GlobalAveragePool", x), axis=1)
    out = g.op("Gemm", x, g.w(10, 32), g.const(np.zeros(10)), transB=1)
    inp = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 32, 32])
    g.nodes[-1].output[0] = "y"
    return g.model([inp], [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 10])])


def _attention_net() -> onnx.ModelProto:
    """Dense + bias (+ ReLU / GELU / residual), scaled batched Q·Kᵀ, P·V, softmax, layer
    norm: a small transformer layer."""
    g = _G()
    hid, heads, seq = 32, 4, 8
    shape = _int64(g, [0, seq, heads, hid // heads])

    def dense(t, cin, cout, relu=False):
        w = g.const(g.rng.standard_normal((cin, cout)) / np.sqrt(cin))
        y = g.op("Add", g.op("MatMul", t, w), g.const(g.rng.normal(0, 0.1, cout)))
        return g.op("Relu", y) if relu else y

    q = g.op("Transpose", g.op("Reshape", dense("x", hid, hid), shape), perm=[0, 2, 1, 3])
    k = g.op("Transpose", g.op("Reshape", dense("x", hid, hid), shape), perm=[0, 2, 3, 1])
    v = g.op("Transpose", g.op("Reshape", dense("x", hid, hid), shape), perm=[0, 2, 1, 3])
    p = g.op("Softmax", g.op("Mul", g.op("MatMul", q, k), g.const(0.125)), axis=-1)
    ctx = g.op("Transpose", g.op("MatMul", p, v), perm=[0, 2, 1, 3])
    ctx = g.op("Reshape", ctx, _int64(g, [0, seq, hid]))
    h = dense(g.op("Add", ctx, "x"), hid, 64)
    erf = g.op("Erf", g.op("Mul", h, g.const(2 ** -0.5)))                      # GELU, erf form
    h = g.op("Mul", g.op("Mul", h, g.const(0.5)), g.op("Add", erf, g.const(1.0)))
    r = dense("x", hid, hid, relu=True)
    g.op("LayerNormalization", g.op("Add", dense(h, 64, hid), r), g.const(np.ones(hid)),
         g.const(np.zeros(hid)), axis=-1)
    g.nodes[-1].output[0] = "y"
    inp = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", seq, hid])
    return g.model([inp], [helper.make_tensor_value_info("y", TensorProto.FLOAT,
                                                         ["N", seq, hid])])


def _int64(g: _G, values) -> str:
    g.n += 1
    name = f"i{g.n}"
    g.inits.append(numpy_helper.from_array(np.array(values, np.int64), name))
    return name


@pytest.fixture(scope="module")
def conv_artifact(tmp_path_factory):
    folder = tmp_path_factory.mktemp("conv")
    path = save_model(folder, _conv_net())
    manifest = compile_model(path, folder / "art", target="llvm")
    return path, folder / "art", manifest


@pytest.fixture(scope="module")
def attention_artifact(tmp_path_factory):
    folder = tmp_path_factory.mktemp("attn")
    path = save_model(folder, _attention_net())
    manifest = compile_model(path, folder / "art", target="llvm")
    return path, folder / "art", manifest


@pytest.mark.parametrize("batch", [1, 3])
def test_conv_fast_path_matches_onnxruntime(conv_artifact, batch):
    path, art, _ = conv_artifact
    x = np.random.default_rng(batch).standard_normal((batch, 3, 32, 32)).astype(np.float32)
    ours = rt.load(art).run({"x": x})["y"]
    assert _rel_err(ours, ort_run(path, {"x": x})["y"]) < RTOL


def test_conv_fast_path_offloads_every_conv_and_pool(conv_artifact):
    _, art, manifest = conv_artifact
    calls = manifest["cpu"]["library_calls"]
    assert calls == {"conv2d": 6, "dense": 1, "pool2d": 4, "reorder": 2}
    assert manifest["native_libraries"][0]["soname"] == "libdnnl.so.3"
    on_disk = json.loads((art / "manifest.json").read_text())
    assert on_disk["native_libraries"] == manifest["native_libraries"]


@pytest.mark.parametrize("batch", [1, 2])
def test_matmul_fast_path_matches_onnxruntime(attention_artifact, batch):
    path, art, manifest = attention_artifact
    assert manifest["cpu"]["library_calls"] == {"batch_matmul": 2, "dense": 6, "layer_norm": 1,
                                                "softmax": 1}  # no reorder: Kᵀ is a stride
    x = np.random.default_rng(batch).standard_normal((batch, 8, 32)).astype(np.float32)
    ours = rt.load(art).run({"x": x})["y"]
    assert _rel_err(ours, ort_run(path, {"x": x})["y"]) < RTOL


@pytest.mark.parametrize("lhs_perm, rhs_perm, out_perm, left", [
    ([0, 2, 1, 3], [0, 2, 3, 1], [0, 2, 1, 3], 0),  # attention's head split / Kᵀ / merge
    ([2, 0, 1, 3], [1, 0, 2, 3], [1, 2, 0, 3], 0),  # batch axes shuffled
    ([0, 1, 3, 2], None, [0, 1, 3, 2], 1),          # Aᵀ read in place; the output's columns
    ([0, 3, 1, 2], None, None, 1),                  # move: a transpose stays, as does one
])                                                  # that puts the inner axis in the batch
def test_permutes_around_a_batched_matmul(tmp_path, lhs_perm, rhs_perm, out_perm, left):
    """permute_dims of a batched matmul's operands and result become strides of the call
    when the innermost axis stays among the matrix axes; the results still match."""
    from tvm import relax
    from tvm.relax.frontend.onnx import from_onnx

    from paddlec.compiler.cpu.offload import offload_to_dnnl

    rows, inner, cols = (2, 3, 5, 7), 4, 6

    def source_shape(logical, perm):  # the shape whose permutation by perm is `logical`
        return logical if perm is None else [logical[perm.index(axis)] for axis in range(4)]

    a_shape = source_shape([*rows[:3], inner], lhs_perm)
    b_shape = source_shape([*rows[:2], inner, cols], rhs_perm)
    g = _G()
    lhs = g.op("Transpose", "a", perm=lhs_perm) if lhs_perm else "a"
    rhs = g.op("Transpose", "b", perm=rhs_perm) if rhs_perm else "b"
    y = g.op("MatMul", lhs, rhs)
    if out_perm:
        y = g.op("Transpose", y, perm=out_perm)
    g.nodes[-1].output[0] = "y"
    out_shape = [*rows[:3], cols]
    if out_perm:
        out_shape = [out_shape[axis] for axis in out_perm]
    model = g.model([helper.make_tensor_value_info("a", TensorProto.FLOAT, a_shape),
                     helper.make_tensor_value_info("b", TensorProto.FLOAT, b_shape)],
                    [helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)])
    rewritten, stats = offload_to_dnnl(from_onnx(model, keep_params_in_input=False))
    ops = [str(getattr(getattr(b.value, "op", None), "name", ""))
           for b in rewritten["main"].body.blocks[0].bindings]
    # a transpose that stays is a permute_dims or, at the graph's edge, a oneDNN reorder
    assert stats["batch_matmul"] == 1
    assert ops.count("relax.permute_dims") + stats.get("reorder", 0) == left
    path = save_model(tmp_path, model)
    compile_model(path, tmp_path / "art", target="llvm")
    rng = np.random.default_rng(0)
    feed = {"a": rng.standard_normal(a_shape).astype(np.float32),
            "b": rng.standard_normal(b_shape).astype(np.float32)}
    ours = rt.load(tmp_path / "art", num_threads=2).run(feed)["y"]
    assert _rel_err(ours, ort_run(path, feed)["y"]) < RTOL


def test_a_matmul_reading_another_matmuls_permuted_result(tmp_path):
    """The first matmul writes its permuted result in place; the second reads that result
    as it is (the transpose it came from is no longer in the graph)."""
    g = _G()
    y1 = g.op("Transpose", g.op("MatMul", "a", "b"), perm=[0, 2, 1, 3])
    g.op("MatMul", y1, "c")
    g.nodes[-1].output[0] = "y"
    shapes = {"a": [2, 3, 5, 4], "b": [2, 3, 4, 5], "c": [2, 5, 5, 6]}
    model = g.model([helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)
                     for name, shape in shapes.items()],
                    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 5, 3, 6])])
    path = save_model(tmp_path, model)
    manifest = compile_model(path, tmp_path / "art", target="llvm")
    assert manifest["cpu"]["library_calls"] == {"batch_matmul": 2}
    rng = np.random.default_rng(0)
    feed = {name: rng.standard_normal(shape).astype(np.float32)
            for name, shape in shapes.items()}
    ours = rt.load(tmp_path / "art").run(feed)["y"]
    assert _rel_err(ours, ort_run(path, feed)["y"]) < RTOL


def test_thread_count_does_not_change_results(conv_artifact):
    path, art, _ = conv_artifact
    x = np.random.default_rng(5).standard_normal((2, 3, 32, 32)).astype(np.float32)
    one = rt.load(art, num_threads=1).run({"x": x})["y"]
    two = rt.load(art, num_threads=2).run({"x": x})["y"]
    ref = ort_run(path, {"x": x})["y"]
    assert _rel_err(one, ref) < RTOL and _rel_err(two, ref) < RTOL
    with pytest.raises(ValueError):
        rt.load(art, num_threads=0)


def test_without_fast_path_no_native_library(tmp_path):
    g = _G()
    g.op("Relu", g.op("Conv", "x", g.w(4, 3, 3, 3), pads=[1, 1, 1, 1]))
    g.nodes[-1].output[0] = "y"
    inp = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])
    model = g.model([inp], [helper.make_tensor_value_info("y", TensorProto.FLOAT,
                                                          [1, 4, 8, 8])])
    path = save_model(tmp_path, model)
    manifest = compile_model(path, tmp_path / "art", target="llvm", fast_path=False)
    assert manifest["native_libraries"] == [] and manifest["cpu"]["library_calls"] == {}
    x = np.random.default_rng(0).standard_normal((1, 3, 8, 8)).astype(np.float32)
    ours = rt.load(tmp_path / "art").run({"x": x})["y"]
    assert _rel_err(ours, ort_run(path, {"x": x})["y"]) < RTOL


def test_missing_native_library_is_a_clear_error(conv_artifact, tmp_path):
    import shutil

    from paddlec.errors import ArtifactError

    _, art, _ = conv_artifact
    copy = tmp_path / "art"
    shutil.copytree(art, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["native_libraries"] = [{"soname": "libpaddlec_missing.so.9", "package": "nope"}]
    (copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ArtifactError, match="libpaddlec_missing"):
        rt.load(copy)


def test_offload_absorbs_gelu_scale_and_residual():
    """The rewrite itself (no build): GELU, the attention scale and the residual add disappear
    into the kernels' post-ops, and every NCHW↔NHWC transpose pair between kernels cancels."""
    from tvm import relax
    from tvm.relax.frontend.onnx import from_onnx

    from paddlec.compiler.cpu.offload import offload_to_dnnl

    def ops_of(mod) -> list[str]:
        names = []
        for binding in mod["main"].body.blocks[0].bindings:
            op = getattr(binding.value, "op", None)
            names.append(str(getattr(op, "name", "")))
        return names

    mod = relax.transform.FoldConstant()(from_onnx(_attention_net(), keep_params_in_input=False))
    rewritten, stats = offload_to_dnnl(mod)
    ops = ops_of(rewritten)
    assert "relax.erf" not in ops and "relax.multiply" not in ops and "relax.nn.relu" not in ops
    assert ops.count("relax.add") == 1  # ctx + x feeds a dense: it is no kernel's tail
    assert stats["dense"] == 6 and stats["batch_matmul"] == 2
    assert "relax.permute_dims" not in ops  # head splits and the merge are strides now

    from paddlec.compiler.cpu.fold_bn import fold_batch_norm

    conv = relax.transform.FoldConstant()(
        fold_batch_norm(from_onnx(_conv_net(), keep_params_in_input=False)))
    assert "relax.nn.batch_norm" not in ops_of(conv)
    rewritten, stats = offload_to_dnnl(conv)
    ops = ops_of(rewritten)
    assert stats["conv2d"] == 6 and "relax.nn.conv2d" not in ops and "relax.mean" not in ops
    # the global average pool reads NHWC too: one layout change into NHWC at the input and one
    # back after the pool remain, both as oneDNN reorders
    assert "relax.permute_dims" not in ops and stats["reorder"] == 2
    assert stats["pool2d"] == 4  # max, two averages, the global average


def test_running_keeps_the_calling_thread_on_all_its_cores(example_artifact):
    """TVM pins the thread that creates its pool to one core; oneDNN's OpenMP team started
    from that thread would then share that one core (2 threads ran as slow as 1). paddlec
    turns TVM's binding off: after a 2-thread run the caller keeps its CPU mask."""
    import subprocess
    import sys

    code = (
        "import os, numpy as np, paddlec.runtime as rt\n"
        "before = os.sched_getaffinity(0)\n"
        f"m = rt.load({str(example_artifact)!r}, num_threads=2)\n"
        "m.run({'image': np.zeros((2, 3, 64, 64), np.float32)})\n"
        "print(sorted(before) == sorted(os.sched_getaffinity(0)), len(before))\n")
    # as a service runs it: TVM sizes its pool itself (conftest sets TVM_NUM_THREADS)
    env = {k: v for k, v in os.environ.items()
           if k not in ("TVM_BIND_THREADS", "TVM_NUM_THREADS")}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    same, cores = proc.stdout.split()
    assert same == "True", f"the calling thread was pinned (had {cores} cores)"


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs 2 cores to tell 1 thread from 2")
def test_a_lower_thread_count_set_after_running_is_honoured(example_artifact):
    """A oneDNN primitive splits its work for the thread count it was created with and runs
    that many threads afterwards; the kernel cache is keyed by the count, so a model run with 2
    threads and then set to 1 uses one (it kept 2 before: CPU time twice the wall time)."""
    import subprocess
    import sys

    code = (
        "import time, numpy as np, paddlec.runtime as rt\n"
        f"m = rt.load({str(example_artifact)!r}, num_threads=2)\n"
        "feed = {'image': np.random.rand(4, 3, 64, 64).astype(np.float32)}\n"
        "m.run(feed)\n"
        "m.set_num_threads(1)\n"
        "m.run(feed)\n"
        "cpu, wall = time.process_time(), time.perf_counter()\n"
        "while time.perf_counter() - wall < 0.5:\n"
        "    m.run(feed)\n"
        "print((time.process_time() - cpu) / (time.perf_counter() - wall))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert float(proc.stdout) < 1.3, f"CPU time / wall time {float(proc.stdout):.2f} at 1 thread"
