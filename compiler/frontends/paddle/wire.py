"""A small protobuf wire-format reader and Paddle's ``framework.proto`` schema, written here.

Paddle's legacy ``ProgramDesc`` (``*.pdmodel``, ``__model__``) and the ``TensorDesc`` inside
every ``.pdiparams`` record are protobuf messages. We read them without Paddle and without a
generated ``_pb2`` module: the schema below lists only the fields paddlec uses (field number,
wire kind, repeated or not). Unknown fields are skipped, as protobuf itself does. A decode
error carries the byte offset where the bytes stopped making sense.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

__all__ = ["WireError", "Field", "decode", "PROGRAM_DESC", "TENSOR_DESC", "ATTR_TYPES",
           "VAR_TYPE_DENSE_TENSOR"]


class WireError(ValueError):
    """The bytes are not a valid encoding of the expected message; ``offset`` says where."""

    def __init__(self, message: str, offset: int):
        super().__init__(f"{message} at byte offset {offset}")
        self.offset = offset


@dataclass(frozen=True)
class Field:
    """One message field; ``kind`` is int (varint, also enums), bool, float, double, str, msg."""

    name: str
    kind: str
    repeated: bool = False
    message: dict | None = None  # the sub-schema when kind == "msg"


def _schema(*fields: tuple[int, Field]) -> dict[int, Field]:
    return dict(fields)


# framework.proto (Paddle 3.x), reduced to what an inference program uses.
TENSOR_DESC = _schema((1, Field("data_type", "int")), (2, Field("dims", "int", repeated=True)))
_DENSE_TENSOR_DESC = _schema((1, Field("tensor", "msg", message=TENSOR_DESC)),
                             (2, Field("lod_level", "int")))
_VAR_TYPE = _schema((1, Field("type", "int")),
                    (3, Field("dense_tensor", "msg", message=_DENSE_TENSOR_DESC)))
_VAR_DESC = _schema((1, Field("name", "str")), (2, Field("type", "msg", message=_VAR_TYPE)),
                    (3, Field("persistable", "bool")), (4, Field("need_check_feed", "bool")),
                    (5, Field("is_parameter", "bool")))
_SCALAR = _schema((1, Field("type", "int")), (2, Field("b", "bool")), (3, Field("i", "int")),
                  (4, Field("r", "double")))
_OP_ATTR = _schema(
    (1, Field("name", "str")), (2, Field("type", "int")), (3, Field("i", "int")),
    (4, Field("f", "float")), (5, Field("s", "str")), (6, Field("ints", "int", repeated=True)),
    (7, Field("floats", "float", repeated=True)), (8, Field("strings", "str", repeated=True)),
    (10, Field("b", "bool")), (11, Field("bools", "bool", repeated=True)),
    (12, Field("block_idx", "int")), (13, Field("l", "int")),
    (14, Field("blocks_idx", "int", repeated=True)), (15, Field("longs", "int", repeated=True)),
    (16, Field("float64s", "double", repeated=True)), (17, Field("var_name", "str")),
    (18, Field("vars_name", "str", repeated=True)), (19, Field("float64", "double")),
    (20, Field("scalar", "msg", message=_SCALAR)),
    (21, Field("scalars", "msg", repeated=True, message=_SCALAR)),
)
_OP_VAR = _schema((1, Field("parameter", "str")), (2, Field("arguments", "str", repeated=True)))
_OP_DESC = _schema((3, Field("type", "str")), (1, Field("inputs", "msg", True, _OP_VAR)),
                   (2, Field("outputs", "msg", True, _OP_VAR)),
                   (4, Field("attrs", "msg", True, _OP_ATTR)))
_BLOCK_DESC = _schema((1, Field("idx", "int")), (2, Field("parent_idx", "int")),
                      (3, Field("vars", "msg", True, _VAR_DESC)),
                      (4, Field("ops", "msg", True, _OP_DESC)))
_VERSION = _schema((1, Field("version", "int")))
PROGRAM_DESC = _schema((1, Field("blocks", "msg", True, _BLOCK_DESC)),
                       (4, Field("version", "msg", message=_VERSION)))

# OpDesc.Attr.type → the field holding the value
ATTR_TYPES = {0: "i", 1: "f", 2: "s", 3: "ints", 4: "floats", 5: "strings", 6: "b", 7: "bools",
              8: "block_idx", 9: "l", 10: "blocks_idx", 11: "longs", 12: "float64s",
              13: "var_name", 14: "vars_name", 15: "float64", 16: "scalar", 17: "scalars"}
VAR_TYPE_DENSE_TENSOR = 7


_WIRE_TYPES = {"int": (0,), "bool": (0,), "float": (5,), "double": (1,), "str": (2,),
               "msg": (2,)}


def _varint(buf: memoryview, pos: int, end: int) -> tuple[int, int]:
    result = shift = 0
    start = pos
    while True:
        if pos >= end:
            raise WireError("truncated varint", start)
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise WireError("varint longer than 10 bytes", start)


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _scalar(field: Field, raw: int) -> object:
    if field.kind == "bool":
        return bool(raw)
    return _signed(raw)


def decode(data: bytes | memoryview, schema: dict[int, Field], start: int = 0,
           end: int | None = None) -> dict:
    """Decode one message into a dict (repeated fields → lists; absent fields → missing keys).

    Raises :class:`WireError` (with the absolute byte offset) on malformed input.
    """
    buf = memoryview(data)
    pos, end = start, len(buf) if end is None else end
    out: dict = {}
    while pos < end:
        tag_pos = pos
        tag, pos = _varint(buf, pos, end)
        number, wire_type = tag >> 3, tag & 7
        if number == 0:
            raise WireError("field number 0", tag_pos)
        field = schema.get(number)
        if field is not None and wire_type not in _WIRE_TYPES[field.kind] and not (
                wire_type == 2 and field.repeated):
            raise WireError(f"field {number} ({field.name}) has wire type {wire_type}, "
                            f"expected {_WIRE_TYPES[field.kind][0]}", tag_pos)
        if wire_type == 0:
            raw, pos = _varint(buf, pos, end)
            values = [_scalar(field, raw)] if field else []
        elif wire_type == 1 or wire_type == 5:
            size = 8 if wire_type == 1 else 4
            if pos + size > end:
                raise WireError("truncated fixed-width field", pos)
            chunk = bytes(buf[pos:pos + size])
            pos += size
            values = [struct.unpack("<d" if size == 8 else "<f", chunk)[0]] if field else []
        elif wire_type == 2:
            length, pos = _varint(buf, pos, end)
            if pos + length > end:
                raise WireError(f"length {length} runs past the end of the message", pos)
            values = _length_delimited(buf, field, pos, pos + length) if field else []
            pos += length
        else:
            raise WireError(f"unsupported wire type {wire_type} (field {number})", tag_pos)
        if field is None:
            continue
        if field.repeated:
            out.setdefault(field.name, []).extend(values)
        elif values:
            out[field.name] = values[-1]
    return out


def _length_delimited(buf: memoryview, field: Field, pos: int, end: int) -> list:
    if field.kind == "msg":
        return [decode(buf, field.message, pos, end)]
    if field.kind == "str":
        try:
            return [bytes(buf[pos:end]).decode("utf-8")]
        except UnicodeDecodeError:
            raise WireError("string field is not UTF-8", pos) from None
    values = []  # a packed repeated scalar
    if field.kind in ("float", "double"):
        size, fmt = (4, "<f") if field.kind == "float" else (8, "<d")
        if (end - pos) % size:
            raise WireError("packed floats of odd length", pos)
        return [v[0] for v in struct.iter_unpack(fmt, bytes(buf[pos:end]))]
    while pos < end:
        raw, pos = _varint(buf, pos, end)
        values.append(_scalar(field, raw))
    return values
