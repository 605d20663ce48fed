"""Per workload, tuned TVM kernel or oneDNN: measured at compile time when records exist.

The fast path hands every convolution and dense layer to oneDNN. With ``--records`` the
records may hold a MetaSchedule kernel for the same workload (tuned with ``paddlec tune
--no-fast-path``), and for some shapes it may win. For each offloadable call site whose
shapes are static, :class:`KernelChooser` builds two one-call-site modules from the same
bindings — the TVM version (legalized, fused, the record applied) and the library version
(the oneDNN call on NHWC data, as it runs between other kernels) — checks that their
outputs agree, times both interleaved, and keeps the faster. Workloads without a record, or
with symbolic shapes, stay with the library and cost nothing. Each decision (workload, both
median times, the pick, the outputs' difference) goes to the manifest's ``cpu.choices``.
"""

from __future__ import annotations

import ctypes
import logging
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import tvm
from tvm import relax, tirx

__all__ = ["KernelChooser"]

log = logging.getLogger("paddlec.compiler.cpu")

MODES = ("auto", "library", "tvm")


def _static_shape(expr) -> list[int] | None:
    shape = getattr(expr.ty, "shape", None)
    if shape is None or not hasattr(shape, "values"):
        return None
    dims = []
    for dim in shape.values:
        if not isinstance(dim, tirx.IntImm):
            return None
        dims.append(int(dim))
    return dims


def _substitute(expr, mapping: dict):
    if isinstance(expr, relax.Var) and expr in mapping:
        return mapping[expr]
    if isinstance(expr, relax.Tuple):
        return relax.Tuple([_substitute(field, mapping) for field in expr.fields])
    if isinstance(expr, tvm.ir.Call):
        return relax.Call(expr.op, [_substitute(arg, mapping) for arg in expr.args],
                          expr.attrs, expr.ty_args)
    return expr


def _function(bindings: list, output, inputs: list, source_mod) -> tuple[tvm.IRModule, list]:
    """A module whose ``main`` takes ``inputs`` (free variables of ``bindings``), computes
    ``bindings`` and returns ``output``; PrimFuncs the bindings call are copied along."""
    builder = relax.BlockBuilder()
    params = [relax.Var(f"in{i}", var.ty) for i, var in enumerate(inputs)]
    mapping = dict(zip(inputs, params))
    with builder.function("main", params):
        with builder.dataflow():
            for binding in bindings:
                mapping[binding.var] = builder.emit(_substitute(binding.value, mapping))
            result = builder.emit_output(mapping[output])
        builder.emit_func_output(result)
    mod = builder.get()
    for gvar, func in source_mod.functions.items():
        if isinstance(func, tirx.PrimFunc):
            mod[gvar] = func
    return relax.transform.DeadCodeElimination(["main"])(mod), [_static_shape(v) for v in inputs]


def _free_inputs(bindings: list) -> list:
    defined = {binding.var for binding in bindings}
    inputs = []
    for binding in bindings:
        for var in relax.analysis.free_vars(binding.value):
            if var not in defined and var not in inputs:
                inputs.append(var)
    return inputs


class KernelChooser:
    """The ``decide`` callback of :func:`offload_to_dnnl` when tuning records are given."""

    def __init__(self, source_mod, tvm_target, records: str | Path, kernels,
                 mode: str = "auto", repeats: int = 5) -> None:
        if mode not in MODES:
            raise ValueError(f"kernel choice mode must be one of {MODES}, got {mode!r}")
        from tvm.s_tir import meta_schedule as ms

        self.source_mod = source_mod
        self.target = tvm_target
        self.records = str(records)
        self.database = ms.database.JSONDatabase(work_dir=self.records)
        self.kernels = kernels
        self.mode = mode
        self.repeats = repeats
        self.choices: list[dict] = []
        self._tmp = tempfile.TemporaryDirectory(prefix="paddlec-choose-")
        self._count = 0

    # -- the two candidates ------------------------------------------------------------
    def _tvm_candidate(self, mod):
        """(executable, tuned?) for the TVM version with the records applied."""
        from .pipeline import _pipeline
        from .schedule import schedule_cpu_kernels

        tuned = self._has_record(mod)
        if not tuned:
            return None, False
        with self.target:
            executable = relax.build(mod, target=self.target, relax_pipeline=_pipeline(
                self.target, schedule_cpu_kernels(self.target, self.records)))
        return executable, True

    def _has_record(self, mod) -> bool:
        """Whether the records hold a schedule for the anchor (heaviest) kernel of ``mod``."""
        from tvm.relax.backend.cpu_generic import pipeline as cpu_generic

        with self.target:
            legal = tvm.transform.Sequential(cpu_generic.library_dispatch_passes(self.target)
                                             + cpu_generic.legalize_passes(self.target))(mod)
        for gvar, func in legal.functions.items():
            anchor = "conv2d" in gvar.name_hint or "matmul" in gvar.name_hint
            if not isinstance(func, tirx.PrimFunc) or not anchor:
                continue
            workload = tvm.IRModule({"main": func.with_attr("global_symbol", "main")})
            if self.database.has_workload(workload):
                return True
        return False

    def _library_candidate(self, mod):
        from .pipeline import _pipeline
        from .schedule import schedule_cpu_kernels

        with self.target:
            executable = relax.build(mod, target=self.target, relax_pipeline=_pipeline(
                self.target, schedule_cpu_kernels(self.target)))
        self._count += 1
        path = Path(self._tmp.name) / f"lib{self._count}.so"
        executable.export_library(str(path), addons=[str(self.kernels.object_file)],
                                  options=list(self.kernels.link_options))
        self._load_dnnl()
        return tvm.runtime.load_module(str(path))

    def _load_dnnl(self) -> None:
        from .native import DNNL_SONAME, _dnnl_paths

        _, lib_dir, _ = _dnnl_paths()
        # as the runtime does (runtime/model.py): OpenMP threads sleep at barriers; spinning
        # ones that lose their core on a loaded machine stall every call by a time slice
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        ctypes.CDLL(str(lib_dir / DNNL_SONAME), mode=ctypes.RTLD_GLOBAL)

    def _time(self, vm, args) -> float:
        """Seconds per call: median of 3 samples, each ≥ 20 ms of back-to-back calls."""
        func = vm["main"]
        samples = []
        for _ in range(3):
            start = time.perf_counter()
            count = 0
            while True:
                func(*args)
                count += 1
                elapsed = time.perf_counter() - start
                if elapsed > 0.02:
                    break
            samples.append(elapsed / count)
        return float(np.median(samples))

    # -- the decision ------------------------------------------------------------------
    def __call__(self, kind: str, original: list, output, library_call, layout: dict,
                 output_axes: list[int] | None = None) -> bool:
        """True: offload this call site (``original`` bindings computing ``output``) to the
        library call; False: keep it in TVM. ``layout`` maps each library input variable
        to (original variable, axes) and ``output_axes`` brings the library's output back
        to the original layout, so both candidates see and produce the same numbers."""
        if self.mode == "library":
            return True
        inputs = _free_inputs(original)
        tvm_mod, shapes = _function(original, output, inputs, self.source_mod)
        if any(shape is None for shape in shapes) or _static_shape(output) is None:
            return True
        try:
            tvm_exec, tuned = self._tvm_candidate(tvm_mod)
        except Exception as exc:  # noqa: BLE001 - a record that does not build: keep oneDNN
            log.warning("kernel choice: tuned TVM kernel for %s did not build: %s", kind, exc)
            return True
        if not tuned:
            return True
        lib_inputs = list(layout)
        lib_var = relax.Var("lib_out", library_call.ty)
        lib_mod, _ = _function([relax.VarBinding(lib_var, library_call)], lib_var,
                               lib_inputs, self.source_mod)
        library = self._library_candidate(lib_mod)
        rng = np.random.default_rng(0)
        values = {var: rng.standard_normal(shape).astype(np.float32)
                  for var, shape in zip(inputs, shapes)}
        dev = tvm.cpu()
        tvm_args = [tvm.runtime.tensor(values[var], dev) for var in inputs]
        lib_args = []
        for var in lib_inputs:
            source, axes = layout[var]
            lib_args.append(tvm.runtime.tensor(
                np.ascontiguousarray(values[source].transpose(axes)), dev))
        tvm_vm = relax.VirtualMachine(tvm_exec, dev)
        lib_vm = relax.VirtualMachine(library, dev)
        ours = tvm_vm["main"](*tvm_args).numpy()
        theirs = lib_vm["main"](*lib_args).numpy()
        if output_axes is not None:
            theirs = theirs.transpose(output_axes)
        diff = float(np.max(np.abs(ours - theirs)) / max(float(np.max(np.abs(theirs))), 1e-30))
        tvm_s, lib_s = [], []
        for _ in range(self.repeats):  # interleaved: load on a shared machine hits both
            tvm_s.append(self._time(tvm_vm, tvm_args))
            lib_s.append(self._time(lib_vm, lib_args))
        tvm_ms, lib_ms = float(np.median(tvm_s)) * 1e3, float(np.median(lib_s)) * 1e3
        if self.mode == "tvm":
            pick = "tvm"
        else:
            pick = "tvm" if tvm_ms < lib_ms and diff < 1e-4 else "library"
        self.choices.append({
            "kind": kind, "workload": {"inputs": shapes, "output": _static_shape(output)},
            "tvm_ms": round(tvm_ms, 4), "library_ms": round(lib_ms, 4), "picked": pick,
            "max_rel_diff": float(f"{diff:.3g}")})
        log.info("kernel choice %s %s: tvm %.3f ms, library %.3f ms -> %s", kind, shapes,
                 tvm_ms, lib_ms, pick)
        return pick == "library"
