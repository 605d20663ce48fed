"""A small Transformer encoder as ONNX, built with ``onnx.helper`` (no framework needed).

``x[N, S, D] → 2 × (LayerNorm → multi-head self-attention → residual → LayerNorm →
FFN(GELU) → residual) → y[N, S, D]``, opset 17, symbolic batch ``N``, seeded weights.
Used by ``scripts/gpu_check.py`` and the CUDA tests.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

__all__ = ["make_transformer_encoder"]


def make_transformer_encoder(seq: int = 32, dim: int = 64, heads: int = 4, layers: int = 2,
                             ffn: int = 128, seed: int = 0) -> onnx.ModelProto:
    rng = np.random.default_rng(seed)
    nodes, inits = [], []
    head_dim = dim // heads

    def weight(name, shape, scale=None):
        scale = scale if scale is not None else 1.0 / np.sqrt(shape[0])
        inits.append(numpy_helper.from_array(
            (rng.standard_normal(shape) * scale).astype(np.float32), name))
        return name

    def const(name, values, dtype=np.int64):
        inits.append(numpy_helper.from_array(np.asarray(values, dtype=dtype), name))
        return name

    def node(op, inputs, name, **attrs):
        nodes.append(helper.make_node(op, inputs, [name], name=f"{name}_node", **attrs))
        return name

    split_shape = const("split_shape", [0, seq, heads, head_dim])
    merge_shape = const("merge_shape", [0, seq, dim])
    scale = const("attn_scale", np.float32(1.0 / np.sqrt(head_dim)), np.float32)
    half = const("half", np.float32(0.5), np.float32)
    one = const("one", np.float32(1.0), np.float32)
    rsqrt2 = const("rsqrt2", np.float32(1.0 / np.sqrt(2.0)), np.float32)
    x = "x"
    for i in range(layers):
        p = f"l{i}"
        ln1 = node("LayerNormalization", [x, weight(f"{p}.ln1.g", [dim], 0.1),
                                          weight(f"{p}.ln1.b", [dim], 0.1)], f"{p}.ln1",
                   axis=-1, epsilon=1e-5)
        heads_of = {}
        for proj in ("q", "k", "v"):
            mm = node("MatMul", [ln1, weight(f"{p}.w{proj}", [dim, dim])], f"{p}.{proj}")
            biased = node("Add", [mm, weight(f"{p}.b{proj}", [dim], 0.02)], f"{p}.{proj}b")
            split = node("Reshape", [biased, split_shape], f"{p}.{proj}s")
            perm = [0, 2, 3, 1] if proj == "k" else [0, 2, 1, 3]
            heads_of[proj] = node("Transpose", [split], f"{p}.{proj}t", perm=perm)
        scores = node("MatMul", [heads_of["q"], heads_of["k"]], f"{p}.scores")
        scaled = node("Mul", [scores, scale], f"{p}.scaled")
        probs = node("Softmax", [scaled], f"{p}.probs", axis=-1)
        ctx = node("MatMul", [probs, heads_of["v"]], f"{p}.ctx")
        ctx_t = node("Transpose", [ctx], f"{p}.ctxt", perm=[0, 2, 1, 3])
        merged = node("Reshape", [ctx_t, merge_shape], f"{p}.merged")
        out = node("MatMul", [merged, weight(f"{p}.wo", [dim, dim])], f"{p}.o")
        out_b = node("Add", [out, weight(f"{p}.bo", [dim], 0.02)], f"{p}.ob")
        res1 = node("Add", [x, out_b], f"{p}.res1")
        ln2 = node("LayerNormalization", [res1, weight(f"{p}.ln2.g", [dim], 0.1),
                                          weight(f"{p}.ln2.b", [dim], 0.1)], f"{p}.ln2",
                   axis=-1, epsilon=1e-5)
        h = node("Add", [node("MatMul", [ln2, weight(f"{p}.w1", [dim, ffn])], f"{p}.ff1"),
                         weight(f"{p}.b1", [ffn], 0.02)], f"{p}.ff1b")
        # GELU(h) = 0.5 * h * (1 + erf(h / sqrt(2)))
        erf = node("Erf", [node("Mul", [h, rsqrt2], f"{p}.gs")], f"{p}.erf")
        gelu = node("Mul", [node("Mul", [h, half], f"{p}.gh"),
                            node("Add", [erf, one], f"{p}.ge")], f"{p}.gelu")
        ff2 = node("Add", [node("MatMul", [gelu, weight(f"{p}.w2", [ffn, dim])], f"{p}.ff2"),
                           weight(f"{p}.b2", [dim], 0.02)], f"{p}.ff2b")
        x = node("Add", [res1, ff2], f"{p}.out")
    nodes.append(helper.make_node("Identity", [x], ["y"], name="output"))
    graph = helper.make_graph(
        nodes, "transformer_encoder",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", seq, dim])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", seq, dim])],
        initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="paddlec-gpu-check")
    onnx.checker.check_model(model, full_check=True)
    return model


if __name__ == "__main__":
    import sys

    onnx.save(make_transformer_encoder(), sys.argv[1] if len(sys.argv) > 1 else "encoder.onnx")
