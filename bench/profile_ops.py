"""Where the time goes: paddlec's per-call profile next to onnxruntime's per-node profile.

    .venv/bin/python -m paddlec.bench.profile_ops bench/out/models/resnet18.onnx --batch 8

paddlec: the Relax VM's instrument hook times every call instruction of the compiled program
(oneDNN kernels, TVM kernels, VM builtins such as allocation); calls are grouped by the
function's name without its numeric suffix. onnxruntime: ``SessionOptions.enable_profiling``
writes per-node kernel times; nodes are grouped by operator type. Both run the same inputs
with the same thread count, alternating runs, and the totals are averaged over ``--runs``.
The hook costs a few microseconds per call, so read the per-group shares, not the sum.
``--per-call`` lists every library call instead (kernel, input and output shape, median ms)
next to every onnxruntime node in execution order: layer-by-layer comparisons.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import tempfile
import time
from pathlib import Path

import numpy as np

__all__ = ["main", "per_call_onnxruntime", "per_call_paddlec", "profile_onnxruntime",
           "profile_paddlec"]


def _group(symbol: str) -> str:
    return re.sub(r"\d+$", "", symbol)


def profile_paddlec(artifact: Path, feed: dict, runs: int, threads: int) -> dict[str, list]:
    """{group: [calls per run, ms per run]} from the VM's instrument hook."""
    from .. import runtime

    model = runtime.load(artifact, num_threads=threads, engine="tvm")  # VM instrumentation
    arrays = model.check_feed(feed)
    totals: dict[str, list] = collections.defaultdict(lambda: [0, 0.0])
    started: list[float] = []

    def instrument(func, symbol, before, ret, *args):  # noqa: ARG001 - the VM's signature
        if before:
            started.append(time.perf_counter())
        else:
            entry = totals[_group(str(symbol))]
            entry[0] += 1
            entry[1] += time.perf_counter() - started.pop()
        return 0

    for _ in range(2):
        model.run(feed)
    model._vm.set_instrument(instrument)  # noqa: SLF001 - profiling hook, not a public API
    start = time.perf_counter()
    for _ in range(runs):
        model.run_device(arrays)
    wall = (time.perf_counter() - start) / runs
    model._vm.set_instrument(None)  # noqa: SLF001
    result = {name: [calls // runs, seconds * 1e3 / runs] for name, (calls, seconds)
              in totals.items()}
    result["(wall)"] = [1, wall * 1e3]
    return result


def per_call_paddlec(artifact: Path, feed: dict, runs: int, threads: int) -> list[tuple]:
    """[(kernel, input shape, output shape, median ms)] for every library call, in order."""
    from .. import runtime

    model = runtime.load(artifact, num_threads=threads, engine="tvm")  # VM instrumentation
    arrays = model.check_feed(feed)
    started: list[float] = []
    calls: list[tuple] = []

    def instrument(func, symbol, before, ret, *args):  # noqa: ARG001 - the VM's signature
        if before:
            started.append(time.perf_counter())
        else:
            seconds = time.perf_counter() - started.pop()
            if str(symbol).startswith("paddlec_dnnl_"):
                calls.append((str(symbol)[len("paddlec_dnnl_"):], tuple(args[0].shape),
                              tuple(args[-1].shape), seconds))
        return 0

    for _ in range(2):
        model.run(feed)
    model._vm.set_instrument(instrument)  # noqa: SLF001 - profiling hook, not a public API
    per_run = []
    for _ in range(runs):
        calls.clear()
        model.run_device(arrays)
        per_run.append(list(calls))
    model._vm.set_instrument(None)  # noqa: SLF001
    return [(name, shape_in, shape_out, float(np.median([run[i][3] for run in per_run])) * 1e3)
            for i, (name, shape_in, shape_out, _) in enumerate(per_run[0])]


def _onnxruntime_events(onnx_path: Path, feed: dict, runs: int, threads: int
                        ) -> tuple[list[dict], float]:
    """onnxruntime's profiler events of 2 warm-up runs and ``runs`` timed runs, and the
    timed runs' mean wall time in seconds."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.enable_profiling = True
    with tempfile.TemporaryDirectory() as tmp:
        options.profile_file_prefix = os.path.join(tmp, "ort")
        session = ort.InferenceSession(str(onnx_path), options,
                                       providers=["CPUExecutionProvider"])
        for _ in range(2):
            session.run(None, feed)
        start = time.perf_counter()
        for _ in range(runs):
            session.run(None, feed)
        wall = (time.perf_counter() - start) / runs
        return json.loads(Path(session.end_profiling()).read_text()), wall


def per_call_onnxruntime(onnx_path: Path, feed: dict, runs: int, threads: int
                         ) -> list[tuple]:
    """[(node name, median ms)] for every node, in execution order."""
    events, _ = _onnxruntime_events(onnx_path, feed, runs, threads)
    times: dict[str, list[float]] = collections.defaultdict(list)
    for event in events:
        if event.get("cat") == "Node" and event["name"].endswith("_kernel_time"):
            times[event["name"][:-len("_kernel_time")]].append(event["dur"] / 1e3)
    return [(name, float(np.median(ms[2:] or ms))) for name, ms in times.items()]


def profile_onnxruntime(onnx_path: Path, feed: dict, runs: int, threads: int
                        ) -> dict[str, list]:
    """{op type: [nodes per run, ms per run]} from onnxruntime's profiler."""
    events, wall = _onnxruntime_events(onnx_path, feed, runs, threads)
    totals: dict[str, list] = collections.defaultdict(lambda: [0, 0.0])
    per_run = collections.Counter()
    for event in events:
        if event.get("cat") == "Session" and event.get("name") == "model_run":
            per_run["runs"] += 1
        if event.get("cat") != "Node" or not event["name"].endswith("_kernel_time"):
            continue
        entry = totals[event["args"]["op_name"]]
        entry[0] += 1
        entry[1] += event["dur"] / 1e3
    count = max(per_run["runs"], 1)
    result = {name: [calls // count, ms / count] for name, (calls, ms) in totals.items()}
    result["(wall)"] = [1, wall * 1e3]
    return result


def _table(title: str, profile: dict[str, list]) -> str:
    total = sum(ms for name, (_, ms) in profile.items() if name != "(wall)")
    lines = [f"{title}: wall {profile['(wall)'][1]:.2f} ms/run, profiled {total:.2f} ms/run",
             f"  {'group':44s} {'calls':>6s} {'ms/run':>9s} {'share':>6s}"]
    for name, (calls, ms) in sorted(profile.items(), key=lambda kv: -kv[1][1]):
        if name != "(wall)":
            lines.append(f"  {name[:44]:44s} {calls:6d} {ms:9.2f} {100 * ms / total:5.1f}%")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path, help="the .onnx model")
    parser.add_argument("--artifact", type=Path, default=None,
                        help="compiled artifact (default: compile MODEL into bench/out)")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--target", default="llvm -mcpu=native")
    parser.add_argument("--records", default=None)
    parser.add_argument("--per-call", action="store_true",
                        help="every library call / onnxruntime node instead of groups")
    args = parser.parse_args(argv)

    from .runner import _artifact_for, _feeds
    from ..runtime.manifest import read_manifest

    artifact = args.artifact or _artifact_for(args.model, args.target, args.records,
                                              Path("bench/out/artifacts"))
    feed = _feeds(read_manifest(artifact).inputs, args.batch)
    if args.per_call:
        calls = per_call_paddlec(artifact, feed, args.runs, args.threads)
        nodes = per_call_onnxruntime(args.model, feed, args.runs, args.threads)
        print(f"paddlec {sum(c[3] for c in calls):.3f} ms in {len(calls)} calls | "
              f"onnxruntime {sum(n[1] for n in nodes):.3f} ms in {len(nodes)} nodes")
        for i in range(max(len(calls), len(nodes))):
            name, shape_in, shape_out, ms = calls[i] if i < len(calls) else ("", "", "", 0.0)
            node, node_ms = nodes[i] if i < len(nodes) else ("", 0.0)
            print(f"{name[:18]:18s} {str(shape_in):20s} {str(shape_out):20s} {ms:7.3f} | "
                  f"{node[:36]:36s} {node_ms:7.3f}")
        return 0
    ours, theirs = {}, {}
    for _ in range(2):  # alternate, so that load from other processes hits both alike
        for name, (calls, ms) in profile_paddlec(artifact, feed, args.runs // 2 or 1,
                                                  args.threads).items():
            ours.setdefault(name, [calls, 0.0])[1] += ms / 2
        for name, (calls, ms) in profile_onnxruntime(args.model, feed, args.runs // 2 or 1,
                                                      args.threads).items():
            theirs.setdefault(name, [calls, 0.0])[1] += ms / 2
    print(_table(f"paddlec {artifact.name} batch {args.batch}", ours))
    print(_table(f"onnxruntime {args.model.name} batch {args.batch}", theirs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
