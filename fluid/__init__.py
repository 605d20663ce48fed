"""``paddlec.fluid``: a PaddlePaddle-1.x-style static graph API whose programs are paddlec IR.

    from paddlec import fluid
    image = fluid.data(name="image", shape=[None, 28, 28], dtype="float32")
    predict = fluid.layers.fc(input=image, size=10, act="softmax")
    ...
    fluid.io.save_inference_model("model", ["image"], [predict], executor)

Programs are ``onnx_ir`` graphs (ONNX ops for the forward part, ``paddlec.train`` ops for
gradients and updates); the Executor runs them with numpy kernels (see ``executor``).
"""

from __future__ import annotations

from . import core, initializer, io, layers, optimizer
from .backward import append_backward, gradients
from .data_feeder import DataFeeder
from .executor import CPUPlace, CUDAPlace, Executor, Scope, global_scope, scope_guard
from .framework import (
    Program,
    Variable,
    default_main_program,
    default_startup_program,
    program_guard,
    unique_name,
)
from .param_attr import ParamAttr

__all__ = [
    "core",
    "data",
    "CPUPlace",
    "CUDAPlace",
    "Executor",
    "Program",
    "Variable",
    "Scope",
    "default_main_program",
    "default_startup_program",
    "program_guard",
    "global_scope",
    "scope_guard",
    "DataFeeder",
    "ParamAttr",
    "append_backward",
    "gradients",
    "layers",
    "optimizer",
    "initializer",
    "io",
    "unique_name",
]


def data(name: str, shape, dtype="float32", lod_level: int = 0) -> Variable:
    """A feed of the default main program; ``None`` / -1 dims are symbolic (dim 0 is ``N``)."""
    return default_main_program().add_data(name, list(shape), dtype)
