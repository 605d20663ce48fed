"""Legacy Paddle programs: a ``ProgramDesc`` protobuf (``*.pdmodel`` / ``__model__``).

Only block 0 is read (inference programs of the models we support have no sub-blocks; an
op that refers to a block is reported as unsupported by the mappers). ``feed`` / ``fetch``
ops become the graph's inputs and outputs, ordered by their ``col`` attribute.
"""

from __future__ import annotations

from pathlib import Path

from ....errors import ModelLoadError
from .params import DTYPES
from .program import PROTOBUF, PaddleOp, PaddleProgram, PaddleVar
from .wire import ATTR_TYPES, PROGRAM_DESC, VAR_TYPE_DENSE_TENSOR, WireError, decode

__all__ = ["read_pdmodel"]

_NOT_DATA = {9, 10, 28}  # FEED_MINIBATCH, FETCH_LIST, FEED_LIST: feed/fetch holders


def _attr_value(attr: dict) -> object:
    kind = ATTR_TYPES.get(attr.get("type", -1))
    if kind is None:
        return None
    repeated = kind in ("ints", "floats", "strings", "bools", "blocks_idx", "longs",
                        "float64s", "vars_name", "scalars")
    value = attr.get(kind, [] if repeated else None)
    if kind == "scalar" and value is not None:
        value = value.get("r", value.get("i", value.get("b")))
    return value


def _var(desc: dict) -> PaddleVar:
    var_type = desc.get("type", {})
    tensor = var_type.get("dense_tensor", {}).get("tensor")
    dtype = shape = None
    if var_type.get("type") == VAR_TYPE_DENSE_TENSOR and tensor is not None:
        dtype = DTYPES.get(tensor.get("data_type", -1))
        shape = [int(d) for d in tensor.get("dims", [])]
    return PaddleVar(desc.get("name", ""), dtype, shape, bool(desc.get("persistable", False)))


def read_pdmodel(path: Path) -> PaddleProgram:
    """Parse a ProgramDesc file; malformed bytes raise :class:`ModelLoadError` with the offset."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelLoadError(f"{path}: cannot read: {exc}") from None
    try:
        program = decode(data, PROGRAM_DESC)
    except WireError as exc:
        raise ModelLoadError(f"{path}: not a Paddle ProgramDesc protobuf: {exc}") from None
    try:
        return _read_program(path, program)
    except (AttributeError, TypeError, KeyError, IndexError, ValueError, ArithmeticError) as exc:
        # valid protobuf whose content is not a program's (a feed op without "Out"...)
        raise ModelLoadError(f"{path}: malformed Paddle ProgramDesc: {type(exc).__name__}: "
                             f"{exc}") from exc


def _read_program(path: Path, program: dict) -> PaddleProgram:
    blocks = program.get("blocks", [])
    if not blocks or not blocks[0].get("ops"):
        raise ModelLoadError(f"{path}: not a Paddle ProgramDesc (no block with ops); "
                             "is it the right file?")
    block = blocks[0]
    variables: dict[str, PaddleVar] = {}
    holders: set[str] = set()
    for desc in block.get("vars", []):
        var = _var(desc)
        variables[var.name] = var
        if desc.get("type", {}).get("type") in _NOT_DATA:
            holders.add(var.name)
    feeds: dict[int, str] = {}
    fetches: dict[int, tuple[str, str]] = {}
    ops: list[PaddleOp] = []
    for index, desc in enumerate(block["ops"]):
        op_type = desc.get("type")
        if not op_type:
            raise ModelLoadError(f"{path}: op #{index} has no type; the file is corrupt")
        inputs = {v.get("parameter", ""): v.get("arguments", []) for v in desc.get("inputs", [])}
        outputs = {v.get("parameter", ""): v.get("arguments", [])
                   for v in desc.get("outputs", [])}
        attrs = {a.get("name", ""): _attr_value(a) for a in desc.get("attrs", [])}
        if op_type == "feed":
            feeds[int(attrs.get("col") or 0)] = outputs["Out"][0]
        elif op_type == "fetch":
            name = inputs["X"][0]
            fetches[int(attrs.get("col") or 0)] = (name, name)
        else:
            ops.append(PaddleOp(op_type, inputs, outputs, attrs, index))
    if not feeds or not fetches:
        raise ModelLoadError(f"{path}: the program has no feed or no fetch op; save it with "
                             "paddle.static.save_inference_model")
    params = sorted(name for name, var in variables.items()
                    if var.persistable and name not in holders)
    return PaddleProgram(PROTOBUF, path, ops, variables, [feeds[k] for k in sorted(feeds)],
                         [fetches[k] for k in sorted(fetches)], params)
