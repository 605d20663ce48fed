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

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .framework import Variable

# Names resolve on first use (PEP 562), so that ``paddlec.fluid.core`` (the legacy predictor
# names a serving process imports) does not pull in the graph-building API and its onnx /
# onnx_ir / passes imports.
_SUBMODULES = ("core", "initializer", "io", "layers", "optimizer")
_NAMES = {
    "append_backward": "backward",
    "gradients": "backward",
    "DataFeeder": "data_feeder",
    "CPUPlace": "executor",
    "CUDAPlace": "executor",
    "Executor": "executor",
    "Scope": "executor",
    "global_scope": "executor",
    "scope_guard": "executor",
    "Program": "framework",
    "Variable": "framework",
    "default_main_program": "framework",
    "default_startup_program": "framework",
    "program_guard": "framework",
    "unique_name": "framework",
    "ParamAttr": "param_attr",
}


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    if name in _NAMES:
        value = getattr(importlib.import_module(f".{_NAMES[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


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
    from .framework import default_main_program

    return default_main_program().add_data(name, list(shape), dtype)
