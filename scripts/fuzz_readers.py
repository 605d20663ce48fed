#!/usr/bin/env python3
"""Fuzz every reader of untrusted input; a bad file must get a typed error, never anything else.

    .venv/bin/python scripts/fuzz_readers.py --cases 10000 --out build/fuzz
    .venv/bin/python scripts/fuzz_readers.py --cases 300 --targets onnx,manifest --seed 3
    .venv/bin/python scripts/fuzz_readers.py --engine atheris --targets pir -- -runs=20000

Targets (each a seed input written at start, one file of it mutated per case, then read the
way a user's command reads it):

    onnx            paddlec inspect model.onnx
    onnx_external   paddlec inspect model.onnx whose weights are in model.onnx.data
    pdmodel         paddlec inspect dir/ (inference.pdmodel + inference.pdiparams)
    pdiparams       the same, the combined weights file mutated
    pir             paddlec inspect dir/ (inference.json + inference.pdiparams)
    legacy_vars     paddlec inspect dir/ (__model__ + one file per variable)
    manifest        paddlec inspect artifact/, then paddlec.runtime.load + run (C runtime,
                    then TVM's Python runtime)
    const_input     compile --const-input NAME=FILE.npy's reader
    calib_data      compile --calib-data FILE.npz's reader

Mutations: byte-level (flips, random bytes, interesting values, inserts, deletes,
duplicates, truncation, splices with another seed), structure-aware for JSON (values
replaced by other types, huge/negative numbers, removed keys, invalid text) and for ONNX
protobuf (random scalar fields of a parsed ModelProto, dims, dtypes, external data
locations). Every case runs in its own process forked from a parent that has imported
everything once, under a memory limit and a time limit; its outcome is one of

    ok | typed (a PaddlecError) | untyped (any other exception) | crash (a signal) | hang

and every untyped / crash / hang case is saved with its input under ``OUT/findings/``. The
exit status is 1 when there is any. ``--engine atheris`` runs one target coverage-guided
(libFuzzer via atheris) in-process instead: there an untyped error is a finding that stops
the run, as libFuzzer does.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import io
import json
import os
import random
import resource
import select
import shutil
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUTCOMES = ("ok", "typed", "untyped", "crash", "hang")
MEMORY_LIMIT = 4 << 30  # per case: a claimed 1e12-element tensor must fail, not swap


# ------------------------------------------------------------------------ seeds and readers

class Target:
    """A seed folder, the file of it to mutate, and how a user's command reads it."""

    def __init__(self, name: str, mutated: str | tuple[str, ...], structure: str = "bytes"):
        self.name, self.structure = name, structure
        self.mutated = (mutated,) if isinstance(mutated, str) else mutated

    def build_seed(self, folder: Path, shared: Path) -> None:
        raise NotImplementedError

    def read(self, folder: Path) -> None:
        raise NotImplementedError


def _inspect(path: Path) -> None:
    """``paddlec inspect PATH``: raises the PaddlecError the command reports, or the
    internal error it would print (a RuntimeError naming it)."""
    import click

    from paddlec.cli import cli

    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        try:  # without standalone mode, click returns the exit code of ctx.exit(code)
            code = cli.main(["--verbose", "inspect", str(path)], prog_name="paddlec",
                            standalone_mode=False)
        except click.exceptions.Exit as exc:
            code = exc.exit_code
    if code == 1 and "internal error" in err.getvalue():  # where: the traceback's last frames
        text = err.getvalue()
        frames = [line.strip() for line in text.splitlines() if line.strip().startswith("File ")]
        where = " <- ".join(f.split("/")[-1].replace('", line ', ":").split(",")[0]
                            for f in reversed(frames[-3:]))
        message = next(line for line in text.splitlines() if line.startswith("internal error"))
        raise InternalError(f"{message} [{where}]")
    if code not in (0, None):
        raise TypedExit(err.getvalue().strip())


class InternalError(Exception):
    """The CLI printed 'internal error': an untyped exception escaped a reader."""


class TypedExit(Exception):
    """The CLI reported a typed error (exit 2) for the input."""


class OnnxTarget(Target):
    def build_seed(self, folder, shared):
        shutil.copy(REPO / "examples" / "resnet_tiny.onnx", folder / "model.onnx")

    def read(self, folder):
        _inspect(folder / "model.onnx")


class OnnxExternalTarget(OnnxTarget):
    def build_seed(self, folder, shared):
        import onnx

        model = onnx.load(str(REPO / "examples" / "resnet_tiny.onnx"))
        onnx.save(model, str(folder / "model.onnx"), save_as_external_data=True,
                  all_tensors_to_one_file=True, location="model.onnx.data", size_threshold=0)


class PaddleTarget(Target):
    def __init__(self, name, fixture, mutated, structure="bytes"):
        super().__init__(name, mutated, structure)
        self.fixture = fixture

    def build_seed(self, folder, shared):
        shutil.copytree(REPO / "tests" / "paddle" / "fixtures" / self.fixture, folder,
                        dirs_exist_ok=True)

    def read(self, folder):
        _inspect(folder)


class ManifestTarget(Target):
    def build_seed(self, folder, shared):
        shutil.copytree(shared / "artifact", folder, dirs_exist_ok=True)

    def read(self, folder):
        import numpy as np

        import paddlec.runtime as rt
        from paddlec.runtime.random_input import random_array

        _inspect(folder)
        for engine in ("native", "tvm"):  # the C runtime's manifest reader, then Python's
            model = rt.load(folder, engine=engine)
            rng = np.random.default_rng(0)
            feed = {spec.name: random_array(rng, [d if isinstance(d, int) else 1
                                                  for d in spec.shape], spec.dtype)
                    for spec in model.inputs}
            model.run(feed)


class ConstInputTarget(Target):
    def build_seed(self, folder, shared):
        import numpy as np

        np.save(folder / "shape.npy", np.array([1, 3, -1], np.int64))

    def read(self, folder):
        from paddlec.compiler.const_inputs import load_const_inputs

        load_const_inputs([f"shape={folder / 'shape.npy'}"])


class CalibDataTarget(Target):
    def build_seed(self, folder, shared):
        import numpy as np

        rng = np.random.default_rng(0)
        np.savez(folder / "calib.npz", image=rng.standard_normal((1, 3, 8, 8), np.float32))

    def read(self, folder):
        from paddlec.compiler.tensorrt.calibration import load_calibration_data

        load_calibration_data(folder / "calib.npz", ["image"])


TARGETS = {t.name: t for t in (
    OnnxTarget("onnx", "model.onnx", "onnx"),
    OnnxExternalTarget("onnx_external", ("model.onnx", "model.onnx.data"), "onnx"),
    PaddleTarget("pdmodel", "tiny_pdmodel", "inference.pdmodel"),
    PaddleTarget("pdiparams", "tiny_pdmodel", "inference.pdiparams"),
    PaddleTarget("pir", "tiny_pir", "inference.json", "json"),
    PaddleTarget("legacy_vars", "tiny_legacy_vars", ("__model__", "conv2d_0.w_0",
                                                      "batch_norm2d_0.w_1")),
    ManifestTarget("manifest", "manifest.json", "json"),
    ConstInputTarget("const_input", "shape.npy"),
    CalibDataTarget("calib_data", "calib.npz"),
)}


# ------------------------------------------------------------------------ mutations

INTERESTING = [0, 1, 0x7F, 0x80, 0xFF, 0x00, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 2 ** 63 - 1,
               -1, -(2 ** 31), 2 ** 40]


def mutate_bytes(data: bytes, rng: random.Random, others: list[bytes]) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.choice((1, 1, 2, 4, 8))):
        if not buf:
            buf = bytearray(rng.randbytes(rng.randint(1, 64)))
        op = rng.randrange(9)
        at = rng.randrange(len(buf))
        if op == 0:  # flip one bit
            buf[at] ^= 1 << rng.randrange(8)
        elif op == 1:  # random bytes
            n = min(len(buf) - at, rng.randint(1, 8))
            buf[at:at + n] = rng.randbytes(n)
        elif op == 2:  # an interesting value, as 1/2/4/8 little-endian bytes
            width = rng.choice((1, 2, 4, 8))
            value = rng.choice(INTERESTING) % (1 << (8 * width))
            buf[at:at + width] = value.to_bytes(width, "little")
        elif op == 3:  # insert
            buf[at:at] = rng.randbytes(rng.randint(1, 16))
        elif op == 4:  # delete
            del buf[at:at + rng.randint(1, 64)]
        elif op == 5:  # duplicate a range
            n = rng.randint(1, 64)
            buf[at:at] = buf[at:at + n]
        elif op == 6:  # truncate
            del buf[rng.randrange(len(buf) + 1):]
        elif op == 7 and others:  # splice with another seed
            other = rng.choice(others)
            if other:
                start = rng.randrange(len(other))
                buf[at:] = other[start:start + rng.randint(1, 256)] + buf[at:]
        else:  # invalid UTF-8 / a varint continuation run
            buf[at:at] = bytes([0xFF, 0xFE, 0x80, 0xC3])[:rng.randint(1, 4)]
    return bytes(buf)


def _weird_json_value(rng: random.Random):
    return rng.choice([None, True, -1, 0, 2 ** 63, -(2 ** 40), 1e308, "", "x" * 1000, "../x",
                       [], {}, [None], {"": None}, "\u0000", [1, -1, 2 ** 70], "float128"])


def mutate_json(data: bytes, rng: random.Random) -> bytes:
    try:
        doc = json.loads(data)
    except ValueError:
        return mutate_bytes(data, rng, [])
    nodes = []  # (container, key) of every value

    def walk(node):
        items = node.items() if isinstance(node, dict) else enumerate(node) \
            if isinstance(node, list) else ()
        for key, value in items:
            nodes.append((node, key))
            walk(value)

    walk(doc)
    for _ in range(rng.choice((1, 1, 2, 3))):
        if not nodes:
            break
        container, key = rng.choice(nodes)
        if isinstance(container, list) and key >= len(container) or \
                isinstance(container, dict) and key not in container:
            continue  # removed by an earlier step of this mutation
        op = rng.randrange(4)
        if op == 0 and isinstance(container, dict):
            container.pop(key, None)
        elif op == 1 and isinstance(container[key], (int, float)) and \
                not isinstance(container[key], bool):
            container[key] = rng.choice([-1, 0, 2 ** 31, 2 ** 63, -(2 ** 63), 3.5, 1e20])
        elif op == 2 and isinstance(container[key], list) and container[key]:
            container[key].append(container[key][0]) if rng.random() < 0.5 else \
                container[key].pop()
        else:
            container[key] = _weird_json_value(rng)
    text = json.dumps(doc)
    return text.encode() if rng.random() < 0.9 else mutate_bytes(text.encode(), rng, [])


def mutate_onnx(data: bytes, rng: random.Random) -> bytes:
    """Random scalar fields of a parsed ModelProto (valid protobuf, bad content)."""
    import onnx

    model = onnx.ModelProto()
    try:
        model.ParseFromString(data)
    except Exception:  # noqa: BLE001 - an earlier byte mutation: stay byte-level
        return mutate_bytes(data, rng, [])
    fields = []

    def walk(message):
        for descriptor, value in message.ListFields():
            if descriptor.type == descriptor.TYPE_MESSAGE:
                items = value if descriptor.is_repeated else [value]
                for item in items:
                    walk(item)
            elif descriptor.name not in ("raw_data",):
                fields.append((message, descriptor))

    walk(model)
    for _ in range(rng.choice((1, 1, 2))):
        message, descriptor = rng.choice(fields)
        repeated = descriptor.is_repeated
        if descriptor.type == descriptor.TYPE_STRING:
            value = rng.choice(["", "x", "../../etc/passwd", "/dev/zero", "a" * 300, "model.onnx",
                                "\u00e9", "Conv", "ai.onnx.ml", "-1", "9" * 30])
        elif descriptor.type in (descriptor.TYPE_FLOAT, descriptor.TYPE_DOUBLE):
            value = rng.choice([0.0, -1.0, float("nan"), float("inf"), 1e30])
        else:
            value = rng.choice([0, 1, -1, 2, 3, 16, 25, 1000, 2 ** 31 - 1, -(2 ** 31),
                                2 ** 40, -(2 ** 40)])
        try:
            if repeated:
                container = getattr(message, descriptor.name)
                if container and rng.random() < 0.5:
                    container[rng.randrange(len(container))] = value
                else:
                    container.append(value)
            else:
                setattr(message, descriptor.name, value)
        except (TypeError, ValueError):  # out of the field's range: skip this one
            continue
    return model.SerializeToString()


def mutate(target: Target, name: str, data: bytes, rng: random.Random,
           others: list[bytes]) -> bytes:
    structured = target.structure if name.endswith((".json", ".onnx")) else "bytes"
    if structured == "json" and rng.random() < 0.6:
        return mutate_json(data, rng)
    if structured == "onnx" and rng.random() < 0.5:
        return mutate_onnx(data, rng)
    return mutate_bytes(data, rng, others)


# ------------------------------------------------------------------------ one case

def classify(target: Target, folder: Path) -> tuple[str, str]:
    """Read ``folder`` with ``target``; (outcome, detail). Runs in the forked child."""
    from paddlec.errors import PaddlecError

    try:
        target.read(folder)
    except (PaddlecError, TypedExit):
        return "typed", ""
    except InternalError as exc:
        return "untyped", str(exc)
    except Exception as exc:  # noqa: BLE001 - the finding this fuzzer exists for
        frames = traceback.extract_tb(exc.__traceback__)[-3:]
        where = " <- ".join(f"{Path(f.filename).name}:{f.lineno}" for f in reversed(frames))
        return "untyped", f"{type(exc).__name__}: {str(exc)[:300]} [{where}]"
    return "ok", ""


def run_forked(target: Target, folder: Path, timeout: float) -> tuple[str, str]:
    """``classify`` in a forked child under the memory and time limits."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report and leave without running the parent's cleanups
        os.close(read_end)
        code = 0
        try:
            resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
            outcome, detail = classify(target, folder)
            os.write(write_end, json.dumps([outcome, detail]).encode())
        except BaseException:  # noqa: BLE001
            code = 70
        finally:
            os._exit(code)
    os.close(write_end)
    deadline = time.monotonic() + timeout
    chunks = []
    while True:
        ready, _, _ = select.select([read_end], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            os.close(read_end)
            return "hang", f"over {timeout:g} s"
        chunk = os.read(read_end, 1 << 16)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(read_end)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return "crash", f"signal {os.WTERMSIG(status)}"
    if not chunks:
        return "crash", f"exit {os.WEXITSTATUS(status)} without a report"
    outcome, detail = json.loads(b"".join(chunks))
    return outcome, detail


# ------------------------------------------------------------------------ the campaign

def prepare(work: Path, names: list[str]) -> tuple[Path, dict[str, Path]]:
    """Seed folders per target (and the artifact the manifest target needs)."""
    shared = work / "shared"
    shared.mkdir(parents=True, exist_ok=True)
    if "manifest" in names and not (shared / "artifact" / "manifest.json").is_file():
        import subprocess

        subprocess.run([sys.executable, "-m", "paddlec.cli", "compile",
                        str(REPO / "examples" / "resnet_tiny.onnx"), "--target", "llvm",
                        "-o", str(shared / "artifact")], check=True, capture_output=True)
    seeds = {}
    for name in names:
        folder = work / "seeds" / name
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        TARGETS[name].build_seed(folder, shared)
        seeds[name] = folder
    return shared, seeds


def warm_imports() -> None:
    """Everything a reader may import, imported once before the children fork."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    import numpy  # noqa: F401
    import onnx  # noqa: F401

    import paddlec.cli  # noqa: F401
    import paddlec.compiler.frontends  # noqa: F401
    import paddlec.compiler.inspect  # noqa: F401
    import paddlec.compiler.tensorrt.calibration  # noqa: F401
    import paddlec.runtime  # noqa: F401
    from paddlec.runtime._tvm import tvm_runtime

    tvm_runtime()


def campaign(names: list[str], cases: int, seed: int, out: Path, timeout: float,
             progress: bool) -> dict:
    work = out / "work"
    _, seeds = prepare(work, names)
    warm_imports()
    rng = random.Random(seed)
    counts = {name: collections.Counter() for name in names}
    findings = []
    seed_bytes = {name: {f: (seeds[name] / f).read_bytes() for f in TARGETS[name].mutated}
                  for name in names}
    others = [b for files in seed_bytes.values() for b in files.values()]
    started = time.monotonic()
    for index in range(cases):
        name = names[index % len(names)]
        target = TARGETS[name]
        case_dir = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=work))
        shutil.copytree(seeds[name], case_dir, dirs_exist_ok=True)
        file_name = rng.choice(target.mutated)
        data = mutate(target, file_name, seed_bytes[name][file_name], rng, others)
        (case_dir / file_name).write_bytes(data)
        outcome, detail = run_forked(target, case_dir, timeout)
        counts[name][outcome] += 1
        if outcome in ("untyped", "crash", "hang"):
            kept = out / "findings" / f"{name}-{index:05d}"
            shutil.rmtree(kept, ignore_errors=True)
            shutil.copytree(case_dir, kept)
            (kept / "FINDING.txt").write_text(f"{outcome}: {detail}\nmutated: {file_name}\n")
            findings.append({"target": name, "case": index, "outcome": outcome,
                             "detail": detail, "file": file_name, "saved": str(kept)})
            if progress:
                print(f"[{index}] {name}: {outcome}: {detail[:200]}", flush=True)
        shutil.rmtree(case_dir, ignore_errors=True)
        if progress and (index + 1) % 500 == 0:
            print(f"{index + 1}/{cases} cases, {len(findings)} findings, "
                  f"{time.monotonic() - started:.0f} s", flush=True)
    summary = {
        "cases": cases, "seed": seed, "seconds": round(time.monotonic() - started, 1),
        "per_target": {n: {o: counts[n].get(o, 0) for o in OUTCOMES} for n in names},
        "totals": {o: sum(c.get(o, 0) for c in counts.values()) for o in OUTCOMES},
        "findings": findings,
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    shutil.rmtree(work, ignore_errors=True)
    return summary


def atheris_main(name: str, libfuzzer_args: list[str], out: Path) -> None:
    """Coverage-guided fuzzing of one target, in-process (atheris = libFuzzer for Python)."""
    import atheris

    work = out / "atheris"
    _, seeds = prepare(work, [name])
    target = TARGETS[name]
    file_name = target.mutated[0]
    case_dir = work / "case"
    shutil.copytree(seeds[name], case_dir, dirs_exist_ok=True)
    with atheris.instrument_imports():
        warm_imports()

    def one_input(data: bytes) -> None:
        (case_dir / file_name).write_bytes(data)
        outcome, detail = classify(target, case_dir)
        if outcome == "untyped":
            raise RuntimeError(detail)

    corpus = work / "corpus"
    corpus.mkdir(exist_ok=True)
    (corpus / "seed").write_bytes((seeds[name] / file_name).read_bytes())
    atheris.Setup([sys.argv[0], *libfuzzer_args, str(corpus)], one_input)
    atheris.Fuzz()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--targets", default=",".join(TARGETS),
                        help=f"comma-separated, of: {', '.join(TARGETS)}")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds per case")
    parser.add_argument("--out", type=Path, default=Path("build/fuzz"))
    parser.add_argument("--engine", choices=("mutate", "atheris"), default="mutate")
    parser.add_argument("--quiet", action="store_true")
    args, rest = parser.parse_known_args(argv)
    names = [n.strip() for n in args.targets.split(",") if n.strip()]
    unknown = [n for n in names if n not in TARGETS]
    if unknown:
        parser.error(f"unknown target(s) {unknown}")
    if args.engine == "atheris":
        atheris_main(names[0], [a for a in rest if a != "--"], args.out)
        return 0
    summary = campaign(names, args.cases, args.seed, args.out, args.timeout, not args.quiet)
    print(json.dumps({k: summary[k] for k in ("cases", "seconds", "totals")}, indent=1))
    for name, counts in summary["per_target"].items():
        print(f"  {name:14s} " + "  ".join(f"{o} {counts[o]}" for o in OUTCOMES))
    return 1 if summary["findings"] else 0


if __name__ == "__main__":
    sys.exit(main())
