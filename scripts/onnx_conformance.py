#!/usr/bin/env python3
"""Run the ONNX backend node suite through paddlec's real compile + runtime path.

    nice -n 15 .venv/bin/python scripts/onnx_conformance.py --workers 2 --out build/conformance

Cases are regenerated from ``onnx.backend.test.case.node`` (the definitions the installed
``onnx`` wheel ships) into a cache folder with ``onnx.backend.test.cmd_tools.generate_data``.
Every case is compiled with ``paddlec.compiler.compile_model`` (import → passes →
lowering → build for llvm) in a worker process with a per-case timeout, and run with
``paddlec.runtime.load(...).run(...)`` in that worker's runtime-only child (TVM's runtime
library, no compiler code, as a service runs it), then classified:

    pass | import error | build error | runtime error | wrong result | timeout | crash

Outputs are compared with rtol 1e-3 / atol 1e-5 for floats (NaN where NaN is expected),
exactly for integers, bools and strings; dtype and shape must match.

Shape-like operands. The suite feeds operands such as Reshape's ``shape``, Resize's
``sizes``/``scales``, Reduce's ``axes``, TopK's ``k`` or Split's ``split`` as graph inputs;
in real models they are constants. The runner binds exactly those inputs (the table
``CONST_OPERANDS`` below, by op and input position) as constants with the case's value
(``compile_model(..., const_inputs=...)``): such a case is compiled *specialized* to that
value, and the per-case record lists the bound inputs. ``--no-const-inputs`` turns this off.

``--expected-failures FILE`` compares with a list of ``case  # reason`` lines and exits 1 on
a new failure or an unexpected pass.
"""

from __future__ import annotations

import argparse
import collections
import json
import multiprocessing as mp
import os
import re
import sys
import tempfile
import time
import traceback
import types
from multiprocessing.connection import wait
from pathlib import Path

CLASSES = ("pass", "import error", "build error", "runtime error", "wrong result", "timeout",
           "crash")

_REDUCE = ("ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1",
           "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare")
# op -> input positions that are constants in real models: shapes, axes, sizes, counts, and
# quantization parameters (initializers in every exported int8 model).
CONST_OPERANDS: dict[str, tuple[int, ...]] = {
    **{op: (1,) for op in _REDUCE},
    "Reshape": (1,), "Expand": (1,), "Tile": (1,), "ConstantOfShape": (0,),
    "Resize": (1, 2, 3), "Upsample": (1,), "Slice": (1, 2, 3, 4), "Pad": (1, 2, 3),
    "Split": (1,), "Squeeze": (1,), "Unsqueeze": (1,), "TopK": (1,), "CumSum": (1,),
    "CumProd": (1,), "OneHot": (1, 2), "Range": (0, 1, 2), "Trilu": (1,),
    "NonMaxSuppression": (2, 3, 4), "Dropout": (1, 2), "MaxUnpool": (2,),
    "CenterCropPad": (1,), "Col2Im": (1, 2), "AffineGrid": (1,), "DFT": (1, 2),
    "STFT": (1, 3), "BlackmanWindow": (0,), "HannWindow": (0,), "HammingWindow": (0,),
    "MelWeightMatrix": (0, 1, 2, 3, 4), "SplitToSequence": (1,), "Compress": (1,),
    "QuantizeLinear": (1, 2), "DequantizeLinear": (1, 2),
    "QLinearMatMul": (1, 2, 4, 5, 6, 7), "QLinearConv": (1, 2, 4, 5, 6, 7),
    "MatMulInteger": (2, 3), "ConvInteger": (2, 3),
    # Loop's trip count and initial condition fix the number of iterations, i.e. the length
    # of its scan outputs (a shape); paddlec unrolls loops whose count is static
    "Loop": (0, 1),
}


# ml_dtypes element types (numpy_helper's arrays of them): compared bit for bit
LOW_PRECISION_DTYPES = frozenset({
    "float8_e4m3fn", "float8_e4m3fnuz", "float8_e5m2", "float8_e5m2fnuz", "float8_e8m0fnu",
    "float4_e2m1fn", "int4", "uint4", "int2", "uint2",
})

# ---------------------------------------------------------------------------- the cases

def generate_cases(cache: Path) -> Path:
    """Write every node case (model.onnx + test_data_set_*/{input,output}_N.pb) under cache."""
    import onnx.backend.test.case.node as node_cases
    from onnx.backend.test import cmd_tools

    # generate_data writes the cases that ``model_test.collect_testcases`` returns; point it
    # at the node cases (recent onnx wheels no longer ship the generated data/node folder).
    cmd_tools.model_test = types.SimpleNamespace(
        collect_testcases=node_cases.collect_testcases)
    cmd_tools.generate_data(argparse.Namespace(output=str(cache)))
    (cache / "node" / ".complete").write_text(_onnx_version())
    return cache / "node"


def _onnx_version() -> str:
    import onnx

    return onnx.__version__


def case_dirs(cache: Path, regenerate: bool) -> list[Path]:
    marker = cache / "node" / ".complete"
    if regenerate or not marker.is_file() or marker.read_text() != _onnx_version():
        generate_cases(cache)
    return sorted(p for p in (cache / "node").iterdir() if (p / "model.onnx").is_file())


# ---------------------------------------------------------------------------- one case

def _read_value(path: Path, type_proto):
    import onnx
    from onnx import numpy_helper

    if type_proto.HasField("tensor_type"):
        tensor = onnx.TensorProto()
        tensor.ParseFromString(path.read_bytes())
        return numpy_helper.to_array(tensor)
    raise NotImplementedError("non-tensor value (sequence / optional / map)")


def _const_bindings(model, feeds: dict) -> dict:
    inputs = {value.name for value in model.graph.input}
    bound = {}
    for node in model.graph.node:
        for position in CONST_OPERANDS.get(node.op_type, ()):
            if position < len(node.input) and node.input[position] in inputs:
                name = node.input[position]
                if name in feeds:
                    bound[name] = feeds[name]
    return bound


def _compare(expected, actual) -> str | None:
    """None when equal under the suite's tolerances, else why not."""
    import numpy as np

    if expected.shape != actual.shape:
        return f"shape {actual.shape} != expected {expected.shape}"
    if expected.dtype != actual.dtype:
        return f"dtype {actual.dtype} != expected {expected.dtype}"
    if expected.dtype.name in LOW_PRECISION_DTYPES:
        return _compare_bits(expected, actual)
    if expected.dtype.kind in "fc" or expected.dtype.kind == "V" or \
            expected.dtype.name not in np.sctypeDict:
        want = expected.astype(np.float64) if expected.dtype.kind != "c" else expected
        got = actual.astype(np.float64) if actual.dtype.kind != "c" else actual
        if np.allclose(got, want, rtol=1e-3, atol=1e-5, equal_nan=True):
            return None
        diff = np.abs(got - want)
        diff = np.where(np.isnan(diff), np.inf, diff)
        return f"max abs diff {np.max(diff) if diff.size else 0:.3g}"
    if expected.dtype.kind == "O" or expected.dtype.kind in "US":
        return None if (expected == actual).all() else "strings differ"
    if np.array_equal(expected, actual):
        return None
    return f"{int(np.sum(expected != actual))} of {expected.size} values differ"


def _compare_bits(expected, actual) -> str | None:
    """float8 / float4 / 4-bit / 2-bit values: the same bit patterns, where the expected
    value is a NaN any NaN (tolerances would let neighbouring values of a coarse type, or
    -0 and +0, pass)."""
    import numpy as np

    want, got = expected.view(np.uint8), actual.view(np.uint8)
    nan = np.isnan(expected.astype(np.float32))
    bad = (want != got) & ~nan | (nan & ~np.isnan(actual.astype(np.float32)))
    if not bad.any():
        return None
    return f"{int(bad.sum())} of {expected.size} bit patterns differ"


def _stage_of(exc: BaseException) -> str:
    from paddlec.errors import CompileError, ModelLoadError, UnsupportedModelError

    if isinstance(exc, (UnsupportedModelError, ModelLoadError)):
        return "import error"
    if isinstance(exc, CompileError):
        return "build error"
    frames = [frame.name for frame in traceback.extract_tb(exc.__traceback__)]
    return "build error" if "build_library" in frames else "import error"


def run_case(case_dir: str, bind_constants: bool, runner: "_RuntimeOnly | None" = None
             ) -> dict:
    """Compile one case and run it (in ``runner``'s runtime-only process, else here);
    returns its record (never raises)."""
    import onnx

    from paddlec.compiler import compile_model

    case = Path(case_dir)
    record = {"case": case.name, "op": "", "tensor_only": True, "bound": []}
    model = onnx.load(str(case / "model.onnx"))
    record["op"] = model.graph.node[0].op_type if model.graph.node else ""
    values = list(model.graph.input) + list(model.graph.output)
    record["tensor_only"] = all(v.type.HasField("tensor_type") for v in values)
    try:
        data_sets = sorted(case.glob("test_data_set_*"))
        feeds_per_set, expected_per_set = [], []
        for data in data_sets:
            feeds_per_set.append({v.name: _read_value(data / f"input_{i}.pb", v.type)
                                  for i, v in enumerate(model.graph.input)})
            expected_per_set.append([_read_value(data / f"output_{i}.pb", v.type)
                                     for i, v in enumerate(model.graph.output)])
    except NotImplementedError as exc:
        return {**record, "status": "import error", "detail": f"runner: {exc}"}
    bound = _const_bindings(model, feeds_per_set[0]) if bind_constants else {}
    record["bound"] = sorted(bound)
    with tempfile.TemporaryDirectory(prefix="paddlec-conf-") as tmp:
        try:
            compile_model(case / "model.onnx", Path(tmp) / "art", target="llvm",
                          const_inputs=bound)
        except Exception as exc:  # noqa: BLE001  classify every failure
            return {**record, "status": _stage_of(exc), "detail": _one_line(exc)}
        feeds = [{k: v for k, v in f.items() if k not in bound} for f in feeds_per_set]
        outcome = (runner or _RuntimeOnly.in_process()).run(str(Path(tmp) / "art"), feeds)
    if outcome[0] != "ok":
        return {**record, "status": outcome[0], "detail": outcome[1]}
    names, results = outcome[1], outcome[2]
    for result, expected in zip(results, expected_per_set):
        for name, want, have in zip(names, expected, result):
            why = _compare(want, have)
            if why:
                return {**record, "status": "wrong result", "detail": f"{name}: {why}"}
    return {**record, "status": "pass", "detail": ""}


def load_and_run(artifact: str, feeds: list[dict]) -> tuple:
    """("ok", output names, [outputs per feed]) or ("runtime error", detail)."""
    from paddlec.runtime import load

    try:
        compiled = load(artifact)
        results = []
        for feed in feeds:
            result = compiled.run(feed)
            results.append([result[name] for name in compiled.output_names])
        return "ok", compiled.output_names, results
    except Exception as exc:  # noqa: BLE001
        return "runtime error", _one_line(exc)


def _runtime_worker(conn) -> None:
    """Loads and runs artifacts with TVM's runtime library only, as a service does."""
    import warnings

    warnings.simplefilter("ignore")
    os.environ["TVM_USE_RUNTIME_LIB"] = "1"
    import paddlec.runtime  # noqa: F401

    compiler_side = [m for m in sys.modules if m.split(".")[0] in ("onnx", "onnx_ir")
                     or m.startswith("paddlec.compiler")]
    assert not compiler_side, compiler_side
    while True:
        try:
            request = conn.recv()
        except EOFError:  # the compiling worker is gone
            return
        conn.send(load_and_run(*request))


class _RuntimeOnly:
    """A runtime-only child process of a compiling worker (restarted after a crash)."""

    def __init__(self, spawn: bool = True) -> None:
        self.proc = None
        if spawn:
            self._spawn()

    @classmethod
    def in_process(cls) -> "_RuntimeOnly":
        return cls(spawn=False)

    def _spawn(self) -> None:
        ctx = mp.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_runtime_worker, args=(child,), daemon=True)
        self.proc.start()

    def run(self, artifact: str, feeds: list[dict]) -> tuple:
        if self.proc is None:
            return load_and_run(artifact, feeds)
        try:
            self.conn.send((artifact, feeds))
            return self.conn.recv()
        except (EOFError, OSError):
            code = self.proc.exitcode if self.proc.join(5) is None else None
            self._spawn()
            return "crash", f"runtime-only process died (exit {code})"


def _one_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    text = lines[-1] if lines else ""
    return f"{type(exc).__name__}: {text}"[:300]


# ---------------------------------------------------------------------------- the pool

def _worker(conn, bind_constants: bool) -> None:
    import warnings

    warnings.simplefilter("ignore")
    os.environ.setdefault("TVM_NUM_THREADS", "1")
    runner = _RuntimeOnly()
    while True:
        case_dir = conn.recv()
        if case_dir is None:
            return
        conn.send(run_case(case_dir, bind_constants, runner))


class _Slot:
    def __init__(self, bind_constants: bool) -> None:
        self.bind_constants = bind_constants
        self.case: Path | None = None
        self.started = 0.0
        self._spawn()

    def _spawn(self) -> None:
        ctx = mp.get_context("spawn")
        self.conn, child = ctx.Pipe()
        # not a daemon: it starts a runtime-only child of its own
        self.proc = ctx.Process(target=_worker, args=(child, self.bind_constants))
        self.proc.start()

    def submit(self, case: Path) -> None:
        self.case, self.started = case, time.monotonic()
        self.conn.send(str(case))

    def restart(self) -> None:
        self.proc.kill()
        self.proc.join()
        self._spawn()
        self.case = None


def run_cases(cases: list[Path], workers: int, timeout: float, bind_constants: bool,
              progress: bool = True) -> list[dict]:
    """Run every case in ``workers`` processes; a case past ``timeout`` s is killed."""
    slots = [_Slot(bind_constants) for _ in range(max(1, min(workers, len(cases))))]
    try:
        return _drive(slots, list(cases), timeout, progress)
    finally:
        for slot in slots:  # also on Ctrl-C: no orphaned workers
            if slot.proc.is_alive():
                slot.proc.kill()
                slot.proc.join()


def _drive(slots: list[_Slot], pending: list[Path], timeout: float,
           progress: bool) -> list[dict]:
    total = len(pending)
    records: list[dict] = []
    for slot in slots:
        if pending:
            slot.submit(pending.pop(0))
    while any(slot.case is not None for slot in slots):
        busy = [slot for slot in slots if slot.case is not None]
        ready = wait([slot.conn for slot in busy] + [slot.proc.sentinel for slot in busy], 1.0)
        for slot in busy:
            record, case = None, slot.case
            if slot.conn in ready:
                try:
                    record = slot.conn.recv()
                except EOFError:
                    record = None
            if record is None and (slot.proc.sentinel in ready or not slot.proc.is_alive()):
                record = {"case": case.name, "op": _op_of(case), "status": "crash",
                          "detail": f"worker died (exit {slot.proc.exitcode})"}
                slot.restart()
            elif record is None and time.monotonic() - slot.started > timeout:
                record = {"case": case.name, "op": _op_of(case), "status": "timeout",
                          "detail": f"over {timeout:.0f}s"}
                slot.restart()
            if record is None:
                continue
            record.setdefault("tensor_only", _tensor_only(case))
            record.setdefault("bound", [])
            record["seconds"] = round(time.monotonic() - slot.started, 2)
            records.append(record)
            if progress:
                print(f"[{len(records)}/{total}] {record['status']:13s} {record['case']}"
                      f"  {record['detail'][:120]}", flush=True)
            slot.case = None
            if pending:
                slot.submit(pending.pop(0))
    for slot in slots:
        slot.conn.send(None)
        slot.proc.join(5)
    return sorted(records, key=lambda r: r["case"])


# reasons for whole groups of failures (first matching pattern on "status: detail" wins)
_REASONS = [
    (r"TensorCopyFromBytes|dtype.bits % 8",
     "sub-byte data reached TVM: its runtime cannot exchange packed sub-byte tensors"),
    (r"runner: non-tensor",
     "sequence / optional / map values: artifacts exchange tensors only"),
    (r"training-mode dropout", "training-mode Dropout is random by definition"),
    (r"calls (relax\.run\.\w+) \(([^:)]*)",
     "refused at compile time: {1} needs {0}, which only TVM's compiler provides (a deployed "
     "runtime could not load the artifact)"),
    (r"unsupported operators: (\S+)", "no converter in paddlec or TVM 0.27 for {0}"),
    (r"wrong result: .*max abs diff (0\.00[0-9]+)",
     "half-precision rounding: the reference evaluates step by step in fp16/bf16, paddlec's "
     "result differs by about one ulp (max abs diff {0}) under rtol 1e-3 / atol 1e-5"),
]


def failure_reason(record: dict) -> str:
    text = f"{record['status']}: {record['detail']}"
    for pattern, reason in _REASONS:
        match = re.search(pattern, text)
        if match:
            return f"{record['status']}: " + reason.format(*match.groups())
    return text.replace("#", "No.")[:240]


def write_expected_failures(records: list[dict], path: Path) -> None:
    """One ``case  # class: reason`` line per failing case, sorted by name."""
    lines = ["# ONNX node-suite cases that paddlec does not pass yet, with the reason.",
             "# Regenerate: scripts/onnx_conformance.py --write-expected-failures <this file>",
             "# (tests/conformance fails on a new failure AND on a listed case that passes)."]
    lines += [f"{r['case']}  # {failure_reason(r)}" for r in records if r["status"] != "pass"]
    path.write_text("\n".join(lines) + "\n")


def _op_of(case: Path) -> str:
    import onnx

    model = onnx.load(str(case / "model.onnx"))
    return model.graph.node[0].op_type if model.graph.node else ""


def _tensor_only(case: Path) -> bool:
    import onnx

    model = onnx.load(str(case / "model.onnx"))
    values = list(model.graph.input) + list(model.graph.output)
    return all(v.type.HasField("tensor_type") for v in values)


# ---------------------------------------------------------------------------- reports

def read_expected_failures(path: Path) -> dict[str, str]:
    """``case_name  # reason`` per line; blank lines and ``#`` comment lines ignored."""
    entries = {}
    for line in path.read_text().splitlines():
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        name, _, reason = text.partition("#")
        entries[name.strip()] = reason.strip()
    return entries


def attribute_expanded(records: list[dict], cache: Path) -> None:
    """An ``X_expanded`` case is a graph of several ops; file it under X's op."""
    for record in records:
        if "_expanded" not in record["case"]:
            continue
        base = cache / "node" / record["case"].split("_expanded")[0]
        if (base / "model.onnx").is_file():
            record["op"] = _op_of(base)


def summarize(records: list[dict]) -> dict:
    counts = collections.Counter(r["status"] for r in records)
    tensor = [r for r in records if r.get("tensor_only", True)]
    tensor_pass = sum(r["status"] == "pass" for r in tensor)
    per_op: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for record in records:
        per_op[record["op"]][record["status"]] += 1
    return {
        "total": len(records),
        "counts": {name: counts.get(name, 0) for name in CLASSES},
        "pass_rate": round(counts.get("pass", 0) / max(1, len(records)), 4),
        "tensor_only_total": len(tensor),
        "tensor_only_pass": tensor_pass,
        "tensor_only_pass_rate": round(tensor_pass / max(1, len(tensor)), 4),
        "expanded_total": sum("_expanded" in r["case"] for r in records),
        "expanded_pass": sum("_expanded" in r["case"] and r["status"] == "pass"
                             for r in records),
        "cases_with_bound_inputs": sum(bool(r.get("bound")) for r in records),
        "per_op": {op: dict(c) for op, c in sorted(per_op.items())},
    }


def write_reports(records: list[dict], out: Path) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    summary = summarize(records)
    (out / "results.json").write_text(json.dumps({"summary": summary, "cases": records},
                                                 indent=1))
    lines = ["# ONNX node suite through paddlec", "",
             f"{summary['total']} cases; pass {summary['counts']['pass']} "
             f"({100 * summary['pass_rate']:.1f} %); tensor-only {summary['tensor_only_pass']}"
             f"/{summary['tensor_only_total']} "
             f"({100 * summary['tensor_only_pass_rate']:.1f} %);"
             f" _expanded {summary['expanded_pass']}/{summary['expanded_total']}; "
             f"{summary['cases_with_bound_inputs']} cases compiled with bound constant inputs",
             "", "| " + " | ".join(CLASSES) + " |", "|" + "---|" * len(CLASSES),
             "| " + " | ".join(str(summary["counts"][c]) for c in CLASSES) + " |", "",
             "## Per op", "", "| op | cases | " + " | ".join(CLASSES) + " |",
             "|---|---|" + "---|" * len(CLASSES)]
    for op, counts in summary["per_op"].items():
        total = sum(counts.values())
        lines.append(f"| {op} | {total} | " + " | ".join(str(counts.get(c, 0) or "")
                                                         for c in CLASSES) + " |")
    lines += ["", "## Failures", "", "| case | class | detail |", "|---|---|---|"]
    for record in records:
        if record["status"] != "pass":
            detail = record["detail"].replace("|", "\\|")[:200]
            lines.append(f"| {record['case']} | {record['status']} | {detail} |")
    (out / "summary.md").write_text("\n".join(lines) + "\n")
    return summary


def check_expected(records: list[dict], expected: dict[str, str]) -> tuple[list, list]:
    """(new failures, unexpected passes) against the expected-failures list."""
    new = [r for r in records if r["status"] != "pass" and r["case"] not in expected]
    fixed = [r for r in records if r["status"] == "pass" and r["case"] in expected]
    return new, fixed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path,
                        default=Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
                        / "paddlec" / "onnx-node-cases")
    parser.add_argument("--regenerate", action="store_true", help="rewrite the case folder")
    parser.add_argument("-k", "--filter", default="", help="regex on case names")
    parser.add_argument("--cases", type=Path, help="file with one case name per line")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per case")
    parser.add_argument("--no-const-inputs", action="store_true",
                        help="do not bind shape-like operand inputs as constants")
    parser.add_argument("--out", type=Path, default=Path("build/conformance"))
    parser.add_argument("--expected-failures", type=Path,
                        help="exit 1 on a failure not listed there or a listed case passing")
    parser.add_argument("--write-expected-failures", type=Path,
                        help="write the failing cases with their reasons to this file")
    parser.add_argument("--from-results", type=Path,
                        help="do not run: reuse the records of an earlier results.json")
    parser.add_argument("--update", type=Path,
                        help="run the selected cases and replace their records in this "
                             "results.json (after a converter change that touches only them)")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)

    cases = case_dirs(args.cache, args.regenerate)
    if args.filter:
        cases = [c for c in cases if re.search(args.filter, c.name)]
    if args.cases:
        wanted = {line.split("#")[0].strip() for line in args.cases.read_text().splitlines()}
        cases = [c for c in cases if c.name in wanted]
    start = time.monotonic()
    if args.from_results:
        records = json.loads(args.from_results.read_text())["cases"]
    else:
        records = run_cases(cases, args.workers, args.timeout, not args.no_const_inputs,
                            progress=not args.quiet)
    if args.update:
        fresh = {record["case"]: record for record in records}
        older = json.loads(args.update.read_text())["cases"]
        records = sorted([fresh.pop(r["case"], r) for r in older] + list(fresh.values()),
                         key=lambda r: r["case"])
    attribute_expanded(records, args.cache)
    summary = write_reports(records, args.out)
    print(json.dumps({k: v for k, v in summary.items() if k != "per_op"}, indent=1))
    print(f"{len(records)} cases in {time.monotonic() - start:.0f}s; report in {args.out}")
    if args.write_expected_failures:
        write_expected_failures(records, args.write_expected_failures)
    if args.expected_failures:
        new, fixed = check_expected(records, read_expected_failures(args.expected_failures))
        for record in new:
            print(f"NEW FAILURE {record['case']}: {record['status']}: {record['detail']}")
        for record in fixed:
            print(f"UNEXPECTED PASS {record['case']} (remove it from the list)")
        return 1 if new or fixed else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
