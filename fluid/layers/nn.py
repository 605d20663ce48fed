"""Neural-network layers with parameters or training behaviour: fc, conv2d, batch_norm,
pool2d, dropout (Paddle 1.x signatures and defaults)."""

from __future__ import annotations

import numpy as np

from .. import initializer as init
from ..framework import TRAIN_DOMAIN, Variable
from ..layer_helper import LayerHelper, dims
from ..param_attr import to_param_attr

__all__ = ["fc", "conv2d", "batch_norm", "pool2d", "dropout"]


def _pair(value, what: str) -> list[int]:
    if isinstance(value, int):
        return [value, value]
    value = [int(v) for v in value]
    if len(value) != 2:
        raise ValueError(f"{what} must be an int or a pair, got {value}")
    return value


def _add_bias(helper: LayerHelper, out: Variable, bias_attr, size: int) -> Variable:
    attr = to_param_attr(bias_attr)
    if attr is None:
        return out
    bias = helper.create_parameter(attr, [size], out.dtype, "b", init.Constant(0.0))
    return helper.append("Add", [out, bias], {}, [dims(out)], [out.dtype])[0]


def fc(
    input, size, num_flatten_dims=1, param_attr=None, bias_attr=None, act=None, name=None
) -> Variable:
    """``act(flatten(input) @ W + b)``: dims after ``num_flatten_dims`` are flattened into
    one, the leading dims are kept. A list of inputs gets one weight each, summed."""
    helper = LayerHelper("fc", name)
    inputs = input if isinstance(input, (list, tuple)) else [input]
    attrs = param_attr if isinstance(param_attr, (list, tuple)) else [param_attr] * len(inputs)
    total = None
    for x, attr in zip(inputs, attrs):
        x_dims = dims(x)
        k = num_flatten_dims
        tail = x_dims[k:]
        if not all(isinstance(d, int) for d in tail):
            raise ValueError(f"fc: dims {k}: of {x.name!r} must be known, got {x.shape}")
        width = int(np.prod(tail))
        weight = helper.create_parameter(
            to_param_attr(attr), [width, size], x.dtype, "w", init.Xavier()
        )
        if len(x_dims) != k + 1:
            shape = helper.const(np.array([0] * k + [width], np.int64))
            x = helper.append("Reshape", [x, shape], {}, [x_dims[:k] + [width]], [x.dtype])[0]
        (out,) = helper.append("MatMul", [x, weight], {}, [x_dims[:k] + [size]], [x.dtype])
        if total is not None:
            (out,) = helper.append("Add", [total, out], {}, [dims(out)], [x.dtype])
        total = out
    return helper.append_act(_add_bias(helper, total, bias_attr, size), act)


def _conv_pads(padding, kernel, stride, dilation, in_hw) -> list[int]:
    """ONNX ``pads`` [top, left, bottom, right] from Paddle's padding forms."""
    if isinstance(padding, str):
        mode = padding.upper()
        if mode == "VALID":
            return [0, 0, 0, 0]
        if mode != "SAME":
            raise ValueError(
                f"padding must be 'SAME', 'VALID', an int or a list, got {padding!r}"
            )
        if not all(isinstance(d, int) for d in in_hw):
            raise ValueError("padding='SAME' needs static spatial dims")
        pads = []
        for size, k, s, d in zip(in_hw, kernel, stride, dilation):
            out = -(-size // s)
            pads.append(max((out - 1) * s + (k - 1) * d + 1 - size, 0))
        return [pads[0] // 2, pads[1] // 2, pads[0] - pads[0] // 2, pads[1] - pads[1] // 2]
    if isinstance(padding, int):
        return [padding] * 4
    padding = [int(p) for p in padding]
    if len(padding) == 2:
        return [padding[0], padding[1], padding[0], padding[1]]
    if len(padding) == 4:  # Paddle: [top, bottom, left, right]
        return [padding[0], padding[2], padding[1], padding[3]]
    raise ValueError(f"padding must have 2 or 4 values, got {padding}")


def _out_size(size, k, s, d, pad_sum, ceil=False):
    if not isinstance(size, int):
        return None
    span = size + pad_sum - (d * (k - 1) + 1)
    return (-(-span // s) if ceil else span // s) + 1


def conv2d(
    input,
    num_filters,
    filter_size,
    stride=1,
    padding=0,
    dilation=1,
    groups=None,
    param_attr=None,
    bias_attr=None,
    use_cudnn=True,
    act=None,
    name=None,
    data_format="NCHW",
) -> Variable:
    """2-D convolution, NCHW; filters ``[num_filters, C / groups, kh, kw]``."""
    if data_format != "NCHW":
        raise ValueError("conv2d: only data_format='NCHW' is supported")
    helper = LayerHelper("conv2d", name)
    groups = groups or 1
    n, channels, height, width = dims(input)
    if not isinstance(channels, int) or channels % groups:
        raise ValueError(f"conv2d: channels {channels} must be known and divisible by groups")
    kernel, stride, dilation = (
        _pair(filter_size, "filter_size"),
        _pair(stride, "stride"),
        _pair(dilation, "dilation"),
    )
    pads = _conv_pads(padding, kernel, stride, dilation, [height, width])
    std = (2.0 / (kernel[0] * kernel[1] * channels)) ** 0.5
    weight = helper.create_parameter(
        to_param_attr(param_attr),
        [num_filters, channels // groups] + kernel,
        input.dtype,
        "w",
        init.Normal(0.0, std),
    )
    inputs = [input, weight]
    attr = to_param_attr(bias_attr)
    if attr is not None:
        inputs.append(
            helper.create_parameter(attr, [num_filters], input.dtype, "b", init.Constant(0.0))
        )
    out_hw = [
        _out_size(size, k, s, d, pads[i] + pads[i + 2])
        for i, (size, k, s, d) in enumerate(zip([height, width], kernel, stride, dilation))
    ]
    attrs = {
        "kernel_shape": kernel,
        "strides": stride,
        "dilations": dilation,
        "pads": pads,
        "group": groups,
    }
    (out,) = helper.append("Conv", inputs, attrs, [[n, num_filters] + out_hw], [input.dtype])
    return helper.append_act(out, act)


def batch_norm(
    input,
    act=None,
    is_test=False,
    momentum=0.9,
    epsilon=1e-05,
    param_attr=None,
    bias_attr=None,
    data_layout="NCHW",
    in_place=False,
    name=None,
    moving_mean_name=None,
    moving_variance_name=None,
    do_model_average_for_mean_and_var=False,
    use_global_stats=False,
) -> Variable:
    """Batch normalization over dim 1. In training mode the batch statistics normalize and
    the running statistics are updated (``running = running * momentum + batch * (1 -
    momentum)``) through ``paddlec.train::Assign``; in test mode the running ones are used."""
    if data_layout != "NCHW":
        raise ValueError("batch_norm: only data_layout='NCHW' is supported")
    helper = LayerHelper("batch_norm", name)
    x_dims = dims(input)
    channels = x_dims[1]
    scale = helper.create_parameter(
        to_param_attr(param_attr), [channels], input.dtype, "w", init.Constant(1.0)
    )
    bias = helper.create_parameter(
        to_param_attr(bias_attr), [channels], input.dtype, "b", init.Constant(0.0)
    )
    mean = helper.create_state(moving_mean_name, [channels], input.dtype, "w", 0.0)
    variance = helper.create_state(moving_variance_name, [channels], input.dtype, "w", 1.0)
    training = not (is_test or use_global_stats)
    attrs = {
        "epsilon": float(epsilon),
        "momentum": float(momentum),
        "training_mode": int(training),
    }
    shapes = [x_dims, [channels], [channels]] if training else [x_dims]
    outs = helper.append(
        "BatchNormalization",
        [input, scale, bias, mean, variance],
        attrs,
        shapes,
        [input.dtype] * len(shapes),
    )
    if training:
        for state, new in ((mean, outs[1]), (variance, outs[2])):
            new.stop_gradient = True
            helper.main.append_node(
                "Assign", [new], {"target": state.name}, domain=TRAIN_DOMAIN
            )
    return helper.append_act(outs[0], act)


def pool2d(
    input,
    pool_size=-1,
    pool_type="max",
    pool_stride=1,
    pool_padding=0,
    global_pooling=False,
    use_cudnn=True,
    ceil_mode=False,
    name=None,
    exclusive=True,
    data_format="NCHW",
) -> Variable:
    """Max or average pooling, NCHW; ``exclusive`` averages over real (unpadded) elements."""
    if pool_type not in ("max", "avg"):
        raise ValueError(f"pool2d: pool_type must be 'max' or 'avg', got {pool_type!r}")
    helper = LayerHelper("pool2d", name)
    n, c, height, width = dims(input)
    if global_pooling:
        op = "GlobalMaxPool" if pool_type == "max" else "GlobalAveragePool"
        return helper.append(op, [input], {}, [[n, c, 1, 1]], [input.dtype])[0]
    kernel, stride = _pair(pool_size, "pool_size"), _pair(pool_stride, "pool_stride")
    pads = _conv_pads(pool_padding, kernel, stride, [1, 1], [height, width])
    attrs = {
        "kernel_shape": kernel,
        "strides": stride,
        "pads": pads,
        "ceil_mode": int(ceil_mode),
    }
    if pool_type == "avg":
        attrs["count_include_pad"] = int(not exclusive)
    out_hw = [
        _out_size(size, k, s, 1, pads[i] + pads[i + 2], ceil_mode)
        for i, (size, k, s) in enumerate(zip([height, width], kernel, stride))
    ]
    op = "MaxPool" if pool_type == "max" else "AveragePool"
    return helper.append(op, [input], attrs, [[n, c] + out_hw], [input.dtype])[0]


def dropout(
    x,
    dropout_prob,
    is_test=False,
    seed=None,
    name=None,
    dropout_implementation="downgrade_in_infer",
) -> Variable:
    """Paddle's two dropouts on top of ONNX ``Dropout`` (which scales by 1/(1-p) in training):
    ``upscale_in_train`` is exactly ONNX; ``downgrade_in_infer`` (the 1.x default) is
    ``Dropout(x) * (1 - p)``: ``x * mask`` in training and ``x * (1 - p)`` in inference.
    A ``seed`` fixes the mask (the same mask every run)."""
    if dropout_implementation not in ("downgrade_in_infer", "upscale_in_train"):
        raise ValueError(f"unknown dropout_implementation {dropout_implementation!r}")
    helper = LayerHelper("dropout", name)
    x_dims = dims(x)
    out = x
    if not is_test:
        ratio = helper.const(np.array(dropout_prob, dtype=x.dtype))
        training = helper.const(np.array(True))
        attrs = {"seed": int(seed)} if seed is not None else {}
        out, mask = helper.append(
            "Dropout", [x, ratio, training], attrs, [x_dims, x_dims], [x.dtype, "bool"]
        )
        mask.stop_gradient = True
    if dropout_implementation == "downgrade_in_infer":
        keep = helper.const(np.array(1.0 - dropout_prob, dtype=x.dtype))
        (out,) = helper.append("Mul", [out, keep], {}, [x_dims], [x.dtype])
    elif out is x:
        (out,) = helper.append("Identity", [x], {}, [x_dims], [x.dtype])
    return out
