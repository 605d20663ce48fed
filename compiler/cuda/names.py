"""Make Relax parameter names valid C identifiers before CUDA code generation.

TVM 0.27's CUDA codegen writes a kernel's buffer parameters as ``<relax param name>_ptr``
without sanitizing them, so an ONNX input named ``gpu_0/data_0`` (ONNX light ResNet-50)
becomes ``float* gpu_0/data_0_ptr`` and nvcc rejects the file. LLVM does not care, which is
why only CUDA builds need this. Renaming is safe: the runtime passes inputs by position and
the manifest keeps the model's own names.
"""

from __future__ import annotations

import re

__all__ = ["sanitize_param_names"]


def _c_name(name: str, taken: set[str]) -> str:
    clean = re.sub(r"\W", "_", name) or "arg"
    if clean[0].isdigit():
        clean = f"v_{clean}"
    candidate, suffix = clean, 1
    while candidate in taken:
        candidate, suffix = f"{clean}_{suffix}", suffix + 1
    taken.add(candidate)
    return candidate


def sanitize_param_names(mod):
    """Return ``mod`` with every Relax function's parameters renamed to C identifiers."""
    from tvm import relax

    updates = {}
    for gvar, func in mod.functions.items():
        if not isinstance(func, relax.Function):
            continue
        taken = {p.name for p in func.params if re.fullmatch(r"[A-Za-z_]\w*", p.name)}
        renames = {p: relax.Var(_c_name(p.name, taken), p.ty)
                   for p in func.params if not re.fullmatch(r"[A-Za-z_]\w*", p.name)}
        if not renames:
            continue
        bound = func.bind_params(renames)
        params = [renames.get(p, p) for p in func.params]
        updates[gvar] = relax.Function(params, bound.body, func.ret_ty, func.is_pure, func.attrs)
    if not updates:
        return mod
    mod = mod.clone() if hasattr(mod, "clone") else mod
    for gvar, func in updates.items():
        mod[gvar] = func
    return mod
