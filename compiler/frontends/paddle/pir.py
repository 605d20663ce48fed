"""PIR programs: the JSON that Paddle 3 writes by default (``*.json``, ``"magic": "pir"``).

Layout (Paddle 3.3, program version 4): ``program.regions[0].blocks[0].ops`` is a list of
``{"#": name, "A": attributes, "I": operands, "O": results}``. Names carry a dialect id
(``0.`` builtin, ``1.`` pd_op); ``"p"`` is a parameter (``A[3]`` its name, ``O`` one result);
operands are ``{"%": value_id}`` with 0 meaning "none"; a result's ``TT`` is its type, e.g.
``{"#": "0.t_dtensor", "D": [{"#": "0.t_f32"}, dims, layout, lod, offset]}``. Lists of values
travel through ``0.combine`` (many → vector) and ``0.split`` (vector → many), which we resolve
here so that the mappers see plain lists. Values that used to be attributes (pool sizes,
reshape shapes, scale factors) are operands produced by ``1.full`` / ``1.full_int_array``.
"""

from __future__ import annotations

import json
from pathlib import Path

import ml_dtypes
import numpy as np

from ....errors import ModelLoadError
from .program import PIR, PaddleOp, PaddleProgram, PaddleVar

__all__ = ["read_pir", "PIR_DTYPES"]

PIR_DTYPES = {
    "bool": np.dtype(np.bool_), "i8": np.dtype(np.int8), "ui8": np.dtype(np.uint8),
    "i16": np.dtype(np.int16), "i32": np.dtype(np.int32), "i64": np.dtype(np.int64),
    "f16": np.dtype(np.float16), "bf16": np.dtype(ml_dtypes.bfloat16),
    "f32": np.dtype(np.float32), "f64": np.dtype(np.float64),
}
_DIALECTS = {"0": "builtin", "1": ""}


def _attr(node: object) -> object:
    if not isinstance(node, dict) or "#" not in node:
        return node
    if node["#"] == "0.a_array":
        return [_attr(item) for item in node.get("D", [])]
    return node.get("D")


def _value_type(node: dict | None) -> tuple[np.dtype | None, list[int] | None]:
    tt = (node or {}).get("TT")
    if not isinstance(tt, dict) or tt.get("#") != "0.t_dtensor":
        return None, None
    data = tt.get("D", [])
    dtype_tag = data[0].get("#", "") if data and isinstance(data[0], dict) else ""
    dtype = PIR_DTYPES.get(dtype_tag.split("t_", 1)[-1])
    shape = [int(d) for d in data[1]] if len(data) > 1 and isinstance(data[1], list) else None
    return dtype, shape


def _op_type(raw: str) -> str:
    dialect, _, name = raw.partition(".")
    prefix = _DIALECTS.get(dialect, f"dialect{dialect}")
    if name.endswith("_") and not name.endswith("__"):
        name = name[:-1]  # in-place variants compute the same values
    return f"{prefix}.{name}" if prefix else name


def _load_json(path: Path) -> dict:
    try:
        with open(path, "rb") as handle:
            document = json.load(handle)
    except OSError as exc:
        raise ModelLoadError(f"{path}: cannot read: {exc}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        where = f" (byte offset {exc.pos})" if isinstance(exc, json.JSONDecodeError) else ""
        raise ModelLoadError(f"{path}: not valid JSON{where}: {exc}") from None
    base = document.get("base_code") if isinstance(document, dict) else None
    magic = base.get("magic") if isinstance(base, dict) else None
    if magic != "pir":
        raise ModelLoadError(f"{path}: JSON but not a Paddle PIR program (no "
                             '"base_code": {"magic": "pir"}); is it the right file?')
    try:
        return document["program"]["regions"][0]["blocks"][0]
    except (KeyError, IndexError, TypeError):
        raise ModelLoadError(f"{path}: PIR program without regions[0].blocks[0]") from None


def read_pir(path: Path) -> PaddleProgram:
    """Parse a PIR JSON program into a :class:`PaddleProgram`; a document whose structure is
    not a PIR program's (a list where an op should be, a string for a value id...) is the
    file's fault, so it is a :class:`ModelLoadError` naming what broke."""
    block = _load_json(path)
    try:
        return _read_block(path, block)
    except (AttributeError, TypeError, KeyError, IndexError, ValueError, ArithmeticError) as exc:
        raise ModelLoadError(f"{path}: malformed PIR program: {type(exc).__name__}: "
                             f"{exc}") from exc


def _read_block(path: Path, block: dict) -> PaddleProgram:
    raw_ops = block.get("ops")
    if not isinstance(raw_ops, list) or not raw_ops:
        raise ModelLoadError(f"{path}: PIR program has no ops")
    names: dict[int, str] = {}
    variables: dict[str, PaddleVar] = {}
    vectors: dict[int, list[str]] = {}      # combine results → the values they pack
    unpacked: dict[int, list[int]] = {}     # vector value → ids that 0.split gives it
    for raw in raw_ops:
        if raw.get("#") == "0.split":
            source = raw.get("I", [{}])[0].get("%")
            unpacked[source] = [out.get("%") for out in raw.get("O", [])]

    def name_of(value_id: int) -> str:
        return names.setdefault(value_id, f"pir_{value_id}")

    def declare(result: dict, name: str | None = None, persistable: bool = False) -> str:
        value_id = result.get("%")
        if name is not None:
            names[value_id] = name
        dtype, shape = _value_type(result)
        var_name = name_of(value_id)
        variables[var_name] = PaddleVar(var_name, dtype, shape, persistable)
        return var_name

    ops: list[PaddleOp] = []
    feeds: list[str] = []
    fetches: dict[int, tuple[str, str]] = {}
    params: list[str] = []
    for index, raw in enumerate(raw_ops):
        kind = raw.get("#", "")
        if kind == "p":
            attrs = raw.get("A", [])
            if len(attrs) < 4 or not isinstance(attrs[3], str):
                raise ModelLoadError(f"{path}: op #{index}: parameter without a name")
            params.append(declare(raw.get("O", {}), attrs[3], persistable=True))
            continue
        attrs = {a.get("N"): _attr(a.get("AT")) for a in raw.get("A", []) if isinstance(a, dict)}
        operands = [item.get("%", 0) for item in raw.get("I", [])]
        results = raw.get("O", [])
        if kind == "0.combine":
            vectors[results[0].get("%")] = [name_of(i) for i in operands if i]
            continue
        if kind == "0.split":
            for result in results:
                declare(result)
            continue
        if kind == "1.data":
            feeds.append(declare(results[0], str(attrs.get("name"))))
            continue
        if kind == "1.fetch":
            fetches[int(attrs.get("col") or 0)] = (name_of(operands[0]), str(attrs.get("name")))
            continue
        inputs = {str(i): (vectors.get(v) or [name_of(v)]) if v else []
                  for i, v in enumerate(operands)}
        outputs: dict[str, list[str]] = {}
        for position, result in enumerate(results):
            value_id = result.get("%")
            if value_id in unpacked:
                outputs[str(position)] = [name_of(i) for i in unpacked[value_id]]
            else:
                outputs[str(position)] = [declare(result)] if value_id else []
        if raw.get("regions"):
            attrs["__regions__"] = len(raw["regions"])
        ops.append(PaddleOp(_op_type(kind), inputs, outputs, attrs, index))
    if not feeds or not fetches:
        raise ModelLoadError(f"{path}: the program has no data or no fetch op; save it with "
                             "paddle.static.save_inference_model")
    return PaddleProgram(PIR, path, ops, variables, feeds,
                         [fetches[k] for k in sorted(fetches)], sorted(params))
