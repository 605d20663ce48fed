"""What every layer needs: parameters (main + startup program), named outputs, activations."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import onnx_ir as ir

from .framework import (
    Parameter,
    Program,
    Variable,
    default_main_program,
    default_startup_program,
    to_ir_dtype,
    unique_name,
)
from .param_attr import ParamAttr

__all__ = ["LayerHelper", "Dim"]

Dim = int | ir.SymbolicDim | str | None


class LayerHelper:
    """One layer call: ``fc_0`` names its parameters ``fc_0.w_0``, outputs ``fc_0.tmp_0``."""

    def __init__(self, layer_type: str, name: str | None = None) -> None:
        self.layer_type = layer_type
        self.name = name or unique_name.generate(layer_type)
        self.main: Program = default_main_program()
        self.startup: Program = default_startup_program()

    def create_parameter(
        self, attr: ParamAttr, shape: Sequence[int], dtype, suffix: str, default_initializer
    ) -> Parameter:
        """A trainable parameter; an existing one with the same name is shared."""
        from .initializer import Xavier

        name = attr.name or unique_name.generate(f"{self.name}.{suffix}")
        shape = [int(d) for d in shape]
        block = self.main.global_block()
        if block.has_var(name):
            param = block.var(name)
            if list(param.shape) != shape:
                raise ValueError(
                    f"parameter {name!r} is shared with shape {list(param.shape)}, "
                    f"but this layer needs {shape}"
                )
            return param
        param = self.main.add_persistable(
            name,
            shape,
            dtype,
            cls=Parameter,
            trainable=attr.trainable,
            learning_rate=attr.learning_rate,
            regularizer=attr.regularizer,
        )
        initializer = attr.initializer or default_initializer or Xavier()
        initializer.init(self.startup, name, shape, dtype)
        return param

    def create_state(
        self, name: str | None, shape: Sequence[int], dtype, suffix: str, value: float
    ) -> Variable:
        """A non-trainable persistable (BN running statistics) starting at ``value``."""
        from .initializer import Constant

        name = name or unique_name.generate(f"{self.name}.{suffix}")
        var = self.main.add_persistable(name, [int(d) for d in shape], dtype)
        Constant(value).init(self.startup, name, shape, dtype)
        return var

    def const(self, array, dtype=None) -> ir.Value:
        return self.main.add_constant(np.asarray(array, dtype=dtype))

    def append(
        self,
        op_type: str,
        inputs: Sequence,
        attributes: dict | None,
        out_shapes: Sequence[Sequence[Dim] | None],
        out_dtypes: Sequence,
        domain: str = "",
        stop_gradient: bool = False,
    ) -> list[Variable]:
        """Append one node; returns its outputs as new variables with the given shapes."""
        names = [unique_name.generate(f"{self.name}.tmp") for _ in out_shapes]
        node = self.main.append_node(op_type, inputs, attributes, outputs=names, domain=domain)
        result = []
        for value, shape, dtype in zip(node.outputs, out_shapes, out_dtypes):
            value.type = ir.TensorType(to_ir_dtype(dtype))
            if shape is not None:
                value.shape = ir.Shape([_dim(d) for d in shape])
            result.append(self.main.add_variable(value, stop_gradient=stop_gradient))
        return result

    def append_act(self, var: Variable, act: str | None) -> Variable:
        if act is None:
            return var
        from . import layers

        if act not in ("relu", "sigmoid", "tanh", "softmax"):
            raise ValueError(f"unsupported act {act!r}; use relu, sigmoid, tanh or softmax")
        return getattr(layers, act)(var)


def _dim(dim: Dim):
    if dim is None or (isinstance(dim, int) and dim < 0):
        return ir.SymbolicDim(None)
    return dim


def dims(var: Variable) -> list[Dim]:
    """The variable's shape with symbolic dims kept (so a batch dim ``N`` propagates)."""
    shape = var.value.shape
    if shape is None:
        raise ValueError(f"variable {var.name!r} has no known rank")
    return [d if isinstance(d, int) else (d if d.value is not None else None) for d in shape]
