"""RNN, GRU and LSTM (opsets 7/14/22), unrolled over a static sequence length.

``Y, Y_h[, Y_c] = Op(X, W, R, B?, sequence_lens?, initial_h?[, initial_c?, P?])``.
The input projection of every time step is one matmul; each step then adds ``H·Rᵀ`` and
applies the gates exactly as the ONNX spec writes them, with every attribute: ``direction``
(forward / reverse / bidirectional), ``activations`` with ``activation_alpha``/``beta``
(consumed in order by the functions that take them), ``clip`` (applied to every activation
input), GRU's ``linear_before_reset``, LSTM's peepholes ``P`` and ``input_forget``, and
``layout`` 0/1. ``sequence_lens`` is honoured per batch entry as onnxruntime does: steps past
an entry's length leave its state unchanged and write zeros to ``Y``, and the reverse
direction starts at the entry's own last valid step. Refused: a sequence length that is not
static (the unroll needs it).
"""

from __future__ import annotations

import numpy as np
from tvm import relax

from ._common import attr_str, dtype_of, static_shape
from .registry import ConverterError, converter

__all__ = ["rnn", "gru", "lstm"]

_op = relax.op

# activation → (default alpha, default beta); None where the function takes no parameter
_ACTIVATIONS = {
    "relu": (None, None), "tanh": (None, None), "sigmoid": (None, None),
    "softsign": (None, None), "softplus": (None, None),
    "affine": (1.0, 0.0), "leakyrelu": (0.01, None), "thresholdedrelu": (1.0, None),
    "scaledtanh": (1.0, 1.0), "hardsigmoid": (0.2, 0.5), "elu": (1.0, None),
}


def _const(value: float, dtype: str):
    return relax.const(np.array(value, dtype))


def _activation(name: str, alpha, beta, dtype: str):
    """The ONNX activation ``name`` as a function on Relax expressions."""
    c = lambda v: _const(v, dtype)  # noqa: E731
    table = {
        "relu": lambda x: _op.nn.relu(x),
        "tanh": lambda x: _op.tanh(x),
        "sigmoid": lambda x: _op.sigmoid(x),
        "softsign": lambda x: _op.divide(x, _op.add(c(1.0), _op.abs(x))),
        "softplus": lambda x: _op.log(_op.add(c(1.0), _op.exp(x))),
        "affine": lambda x: _op.add(_op.multiply(c(alpha), x), c(beta)),
        "leakyrelu": lambda x: _op.where(_op.greater_equal(x, c(0.0)), x,
                                         _op.multiply(c(alpha), x)),
        "thresholdedrelu": lambda x: _op.where(_op.greater(x, c(alpha)), x, c(0.0)),
        "scaledtanh": lambda x: _op.multiply(c(alpha), _op.tanh(_op.multiply(c(beta), x))),
        "hardsigmoid": lambda x: _op.maximum(c(0.0), _op.minimum(
            c(1.0), _op.add(_op.multiply(c(alpha), x), c(beta)))),
        "elu": lambda x: _op.where(_op.greater_equal(x, c(0.0)), x, _op.multiply(
            c(alpha), _op.subtract(_op.exp(x), c(1.0)))),
    }
    return table[name]


def _activations(attrs: dict, defaults: list[str], num_dirs: int, dtype: str, clip):
    """Per direction, the list of activation functions (with ``clip`` on their input)."""
    names = [n.decode() if isinstance(n, bytes) else n
             for n in attrs.get("activations", [])] or defaults * num_dirs
    if len(names) != len(defaults) * num_dirs:
        raise ConverterError(f"activations needs {len(defaults) * num_dirs} names, got "
                             f"{len(names)}")
    alphas = list(attrs.get("activation_alpha", []))
    betas = list(attrs.get("activation_beta", []))
    functions = []
    for name in names:
        key = name.lower()
        if key not in _ACTIVATIONS:
            raise ConverterError(f"activation {name!r} is not an ONNX RNN activation")
        alpha, beta = _ACTIVATIONS[key]
        if alpha is not None and alphas:
            alpha = float(alphas.pop(0))
        if beta is not None and betas:
            beta = float(betas.pop(0))
        fn = _activation(key, alpha, beta, dtype)
        if clip is not None:
            fn = (lambda f: lambda x: f(_op.clip(x, -clip, clip)))(fn)
        functions.append(fn)
    size = len(defaults)
    return [functions[d * size:(d + 1) * size] for d in range(num_dirs)]


def _slice(x, axis: int, begin: int, end: int):
    return _op.strided_slice(x, axes=[axis], begin=[begin], end=[end])


def _pick(x, axis: int, index: int):
    """``x`` at ``index`` along ``axis``, the axis removed."""
    return _op.squeeze(_slice(x, axis, index, index + 1), axis=[axis])


class _Sequence:
    """What every cell shares: inputs in seq-major layout, per-direction weights, masks."""

    def __init__(self, bb, inputs, attrs, gates: int, num_states: int):
        inputs = list(inputs) + [None] * 8
        x, self.w, self.r, self.b = inputs[0], inputs[1], inputs[2], inputs[3]
        lens, initial = inputs[4], inputs[5:5 + num_states]
        self.peephole = inputs[7] if num_states == 2 else None
        self.bb, self.gates = bb, gates
        self.layout = int(attrs.get("layout", 0))
        self.direction = attr_str(attrs, "direction", "forward")
        if self.direction not in ("forward", "reverse", "bidirectional"):
            raise ConverterError(f"direction {self.direction!r} is not forward, reverse or "
                                 "bidirectional")
        self.num_dirs = 2 if self.direction == "bidirectional" else 1
        if self.layout == 1:
            x = _op.permute_dims(x, [1, 0, 2])
            initial = [_op.permute_dims(s, [1, 0, 2]) if s is not None else None
                       for s in initial]
        self.x = bb.normalize(x)
        shape = static_shape(self.x)
        if shape is None:
            raise ConverterError("X needs a static shape (the sequence is unrolled)")
        self.steps, self.batch, _ = shape
        self.hidden = int(attrs["hidden_size"]) if "hidden_size" in attrs else \
            static_shape(self.r)[-1]
        self.dtype = dtype_of(self.x)
        self.initial = [self._zeros() if s is None else bb.normalize(s) for s in initial]
        self.lens = None if lens is None else bb.normalize(_op.astype(lens, "int64"))
        clip = attrs.get("clip")
        self.clip = float(clip) if clip is not None else None

    def _zeros(self):
        shape = (self.num_dirs, self.batch, self.hidden)
        return relax.const(np.zeros(shape, self.dtype))

    def projections(self, d: int):
        """``X·Wᵀ + Wb`` for every step [T, B, G·H]; this direction's ``Rᵀ``, ``Rb``."""
        size = self.gates * self.hidden
        w = _op.permute_dims(_pick(self.w, 0, d), [1, 0])
        r = self.bb.normalize(_op.permute_dims(_pick(self.r, 0, d), [1, 0]))
        x = self._reversed(self.x) if d == 1 or self.direction == "reverse" else self.x
        xw = _op.matmul(x, w)
        rb = None
        if self.b is not None:
            bias = _pick(self.b, 0, d)
            xw = _op.add(xw, _slice(bias, 0, 0, size))
            rb = self.bb.normalize(_slice(bias, 0, size, 2 * size))
        return self.bb.normalize(xw), r, rb

    def _reversed(self, x):
        """``x`` reversed along time; per batch entry within its length when lengths are
        given (an involution, so it also puts the reverse direction's Y back in order)."""
        if self.lens is None:
            return _op.flip(x, axis=0)
        t = relax.const(np.arange(self.steps).reshape(self.steps, 1), "int64")
        lens = _op.reshape(self.lens, [1, self.batch])
        index = _op.where(_op.less(t, lens),
                          _op.subtract(_op.subtract(lens, relax.const(1, "int64")), t),
                          _op.add(t, _op.zeros([1, self.batch], "int64")))
        index = _op.broadcast_to(_op.expand_dims(index, 2), static_shape(self.bb.normalize(x)))
        return _op.gather_elements(x, index, axis=0)

    def valid(self, t: int):
        """[B, 1] bool: step ``t`` is within each entry's length (None: all are)."""
        if self.lens is None:
            return None
        mask = _op.less(relax.const(t, "int64"), self.lens)
        return self.bb.normalize(_op.reshape(mask, [self.batch, 1]))

    def run(self, step, functions):
        """Unroll ``step(gate_inputs, states, rt, rb, fns, d) -> (h, states)`` per direction;
        returns Y [T, D, B, H] and the final states [D, B, H] each."""
        outputs, finals = [], [[] for _ in self.initial]
        for d in range(self.num_dirs):
            xw, r, rb = self.projections(d)
            states = [self.bb.normalize(_pick(s, 0, d)) for s in self.initial]
            ys = []
            for t in range(self.steps):
                new = step(_pick(xw, 0, t), states, r, rb, functions[d], d)
                valid = self.valid(t)
                if valid is not None:
                    new = [_op.where(valid, n, s) for n, s in zip(new, states)]
                states = [self.bb.normalize(s) for s in new]
                y = states[0] if valid is None else _op.where(
                    valid, states[0], _const(0.0, self.dtype))
                ys.append(y)
            y = self.bb.normalize(_op.stack(ys, axis=0))
            if d == 1 or self.direction == "reverse":
                y = self._reversed(y)
            outputs.append(y)
            for i, s in enumerate(states):
                finals[i].append(s)
        y = _op.stack(outputs, axis=1)
        finals = [_op.stack(f, axis=0) for f in finals]
        if self.layout == 1:
            y = _op.permute_dims(y, [2, 0, 1, 3])
            finals = [_op.permute_dims(f, [1, 0, 2]) for f in finals]
        return [y, *finals]

    def gate(self, x, index: int):
        return _slice(x, 1, index * self.hidden, (index + 1) * self.hidden)


def _result(values, ctx):
    values = values[:max(ctx.num_outputs, 1)]
    return values[0] if len(values) == 1 else relax.Tuple(values)


@converter("", "RNN", 7)
def rnn(bb, inputs, attrs, ctx):
    """``Ht = f(Xt·Wᵀ + Ht-1·Rᵀ + Wb + Rb)``."""
    seq = _Sequence(bb, inputs, attrs, gates=1, num_states=1)
    functions = _activations(attrs, ["tanh"], seq.num_dirs, seq.dtype, seq.clip)

    def step(xw, states, r, rb, fns, d):
        pre = _op.add(xw, _op.matmul(states[0], r))
        pre = pre if rb is None else _op.add(pre, rb)
        return [fns[0](pre)]

    return _result(seq.run(step, functions), ctx)


@converter("", "GRU", 7)
def gru(bb, inputs, attrs, ctx):
    """Gates z, r, h; ``Ht = (1 - zt)·ht + zt·Ht-1``, ``linear_before_reset`` as the spec."""
    seq = _Sequence(bb, inputs, attrs, gates=3, num_states=1)
    functions = _activations(attrs, ["sigmoid", "tanh"], seq.num_dirs, seq.dtype, seq.clip)
    before_reset = int(attrs.get("linear_before_reset", 0))
    hidden = seq.hidden

    def step(xw, states, r, rb, fns, d):
        f, g = fns
        h_prev = states[0]
        hr = _op.matmul(h_prev, _slice(r, 1, 0, 2 * hidden))
        if rb is not None:
            hr = _op.add(hr, _slice(rb, 0, 0, 2 * hidden))
        z = f(_op.add(seq.gate(xw, 0), _slice(hr, 1, 0, hidden)))
        reset = f(_op.add(seq.gate(xw, 1), _slice(hr, 1, hidden, 2 * hidden)))
        r_h = _slice(r, 1, 2 * hidden, 3 * hidden)
        rb_h = None if rb is None else _slice(rb, 0, 2 * hidden, 3 * hidden)
        if before_reset:
            recurrent = _op.matmul(h_prev, r_h)
            recurrent = recurrent if rb_h is None else _op.add(recurrent, rb_h)
            recurrent = _op.multiply(reset, recurrent)
        else:
            recurrent = _op.matmul(_op.multiply(reset, h_prev), r_h)
            recurrent = recurrent if rb_h is None else _op.add(recurrent, rb_h)
        h_new = g(_op.add(seq.gate(xw, 2), recurrent))
        one = _const(1.0, seq.dtype)
        return [_op.add(_op.multiply(_op.subtract(one, z), h_new), _op.multiply(z, h_prev))]

    return _result(seq.run(step, functions), ctx)


@converter("", "LSTM", 7)
def lstm(bb, inputs, attrs, ctx):
    """Gates i, o, f, c with optional peepholes ``P`` = [Pi, Po, Pf] and ``input_forget``."""
    seq = _Sequence(bb, inputs, attrs, gates=4, num_states=2)
    functions = _activations(attrs, ["sigmoid", "tanh", "tanh"], seq.num_dirs, seq.dtype,
                             seq.clip)
    coupled = int(attrs.get("input_forget", 0))
    hidden = seq.hidden

    def peep(d: int, index: int):
        if seq.peephole is None:
            return None
        return _slice(_pick(seq.peephole, 0, d), 0, index * hidden, (index + 1) * hidden)

    def step(xw, states, r, rb, fns, d):
        f, g, h = fns
        h_prev, c_prev = states
        pre = _op.add(xw, _op.matmul(h_prev, r))
        pre = pre if rb is None else _op.add(pre, rb)
        p_i, p_o, p_f = peep(d, 0), peep(d, 1), peep(d, 2)
        i_in, f_in = seq.gate(pre, 0), seq.gate(pre, 2)
        if p_i is not None:
            i_in = _op.add(i_in, _op.multiply(p_i, c_prev))
            f_in = _op.add(f_in, _op.multiply(p_f, c_prev))
        i = f(i_in)
        forget = _op.subtract(_const(1.0, seq.dtype), i) if coupled else f(f_in)
        c = _op.add(_op.multiply(forget, c_prev), _op.multiply(i, g(seq.gate(pre, 3))))
        c = bb.normalize(c)
        o_in = seq.gate(pre, 1)
        if p_o is not None:
            o_in = _op.add(o_in, _op.multiply(p_o, c))
        return [_op.multiply(f(o_in), h(c)), c]

    return _result(seq.run(step, functions), ctx)
