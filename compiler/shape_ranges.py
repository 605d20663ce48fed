"""``--input-shape-range NAME:MIN:OPT:MAX``: the sizes each symbolic input dim may take.

The ranges name dims by the model's own variables (``{"x_dim3": [16, 320, 1600]}``). The
build uses them two ways: TensorRT regions get their optimization profiles from them, and
every target records ``[min, max]`` in the manifest (``dim_ranges``) so that the runtimes
refuse a feed outside them with ``InputMismatchError``, and gives Relax the maxima as
``tir_var_upper_bound`` so that its memory planner can allocate fixed-size buffers once.
"""

from __future__ import annotations

from ..errors import InputMismatchError

__all__ = ["bound_symbolic_dims", "dim_ranges"]


def dim_ranges(mod, ranges: dict[str, tuple]) -> dict[str, list[int]]:
    """``{"image": ([1,3,224,224], [4,...], [8,...])}`` → ``{"N": [1, 4, 8]}`` checked against
    the model's inputs (static dims must agree, min <= opt <= max)."""
    import tvm

    params = {param.name: param for param in mod["main"].params}
    found: dict[str, list[int]] = {}
    for name, triple in ranges.items():
        if name not in params:
            raise InputMismatchError(f"--input-shape-range {name}: no such input "
                                     f"(inputs: {', '.join(params)})")
        dims = list(params[name].ty.shape.values)
        low, opt, high = (list(map(int, item)) for item in triple)
        if not len(low) == len(opt) == len(high) == len(dims):
            raise InputMismatchError(f"--input-shape-range {name}: rank differs from the "
                                     f"input's rank {len(dims)}")
        for axis, dim in enumerate(dims):
            values = [low[axis], opt[axis], high[axis]]
            if not 1 <= values[0] <= values[1] <= values[2]:
                raise InputMismatchError(f"--input-shape-range {name}: axis {axis} needs "
                                         f"1 <= min <= opt <= max, got {values}")
            if isinstance(dim, tvm.tirx.IntImm):
                if set(values) != {int(dim.value)}:
                    raise InputMismatchError(f"--input-shape-range {name}: axis {axis} is "
                                             f"static ({int(dim.value)}), got {values}")
                continue
            key = str(dim)
            if key in found and found[key] != values:
                raise InputMismatchError(f"--input-shape-range: dimension {key} gets "
                                         f"{found[key]} and {values}")
            found[key] = values
    return found


def bound_symbolic_dims(mod, ranges: dict[str, list[int]]):
    """``mod`` whose Relax functions carry ``tir_var_upper_bound`` = each range's max."""
    from tvm import relax

    if not ranges:
        return mod
    bounds = {name: int(values[-1]) for name, values in ranges.items()}
    for global_var, function in list(mod.functions.items()):
        if isinstance(function, relax.Function) and "global_symbol" in (function.attrs or {}):
            mod[global_var] = function.with_attr("tir_var_upper_bound", bounds)
    return mod
