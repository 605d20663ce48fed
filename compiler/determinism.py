"""Make builds reproducible: sort the stores of VM shape functions.

With a symbolic dimension, TVM's ``VMShapeLower`` emits host ``shape_func``s whose stores
(``H[k] = expr``) come out in hash-map order, so two builds of the same model produce
different ``model.so`` bytes. Within one such function every store writes a fresh slot and
reads only slots written before the function runs, so the stores are independent and
sorting them by slot index changes nothing but the byte order. We check that independence
and leave any function that does not have it untouched.
"""

from __future__ import annotations

import tvm
from tvm import tirx

__all__ = ["SortShapeFuncStores"]


def _store_index(store: tirx.BufferStore) -> int | None:
    if len(store.indices) != 1 or not isinstance(store.indices[0], tirx.IntImm):
        return None
    return int(store.indices[0].value)


def _sorted_body(func: tirx.PrimFunc) -> tirx.Stmt | None:
    body = func.body
    if not isinstance(body, tirx.SeqStmt):
        return None
    stores = list(body.seq)
    if not all(isinstance(s, tirx.BufferStore) for s in stores):
        return None
    indices = [_store_index(s) for s in stores]
    if None in indices or len({s.buffer.name for s in stores}) != 1:
        return None
    name = stores[0].buffer.name
    for store in stores:  # no store may read a slot written in this function
        text = str(store.value)
        if any(f"{name}[T.int64({k})]" in text for k in indices):
            return None
    order = sorted(range(len(stores)), key=lambda i: indices[i])
    return tirx.SeqStmt([stores[i] for i in order])


@tvm.transform.module_pass(opt_level=0, name="SortShapeFuncStores")
def SortShapeFuncStores(mod: tvm.IRModule, _ctx) -> tvm.IRModule:  # noqa: N802 (TVM pass style)
    updates = {}
    for gvar, func in mod.functions_items():
        if not isinstance(func, tirx.PrimFunc) or not func.attrs:
            continue
        if not func.attrs.get("tirx.is_host_func", False):
            continue
        body = _sorted_body(func)
        if body is not None:
            updates[gvar] = func.with_body(body)
    for gvar, func in updates.items():
        mod[gvar] = func
    return mod
