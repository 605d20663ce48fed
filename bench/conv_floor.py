"""How fast the fast path's convolutions run alone: the floor of a CNN artifact with its kernels.

    .venv/bin/python -m paddlec.bench.conv_floor bench/out/artifacts/resnet50-cli --batch 1

Runs the artifact once with ``ONEDNN_VERBOSE=1`` (in a child process) to list its oneDNN
convolution primitives (shapes, residual add, activation), builds ``bench/native/conv_floor.cc``
against the installed oneDNN, and times those convolutions back to back with persistent
memory, in NHWC (what the fast path runs) and in oneDNN's blocked nChw16c layout. Compare with
``paddlec bench`` of the same artifact: the difference is the glue (VM, layout changes,
pooling, dense, Python), and NHWC vs blocked says what a layout change could buy. Each
layer has its own buffers (the model reuses a few), so on large models at batch 8 the
"floor" can exceed the model's own time: read it as an estimate, not a bound.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

__all__ = ["conv_layers", "main"]

SOURCE = Path(__file__).with_name("native") / "conv_floor.cc"
_RUN_ONCE = """
import sys, numpy as np, paddlec.runtime as rt
m = rt.load(sys.argv[1], num_threads=int(sys.argv[3]))
feed = {i.name: np.random.rand(int(sys.argv[2]), *i.shape[1:]).astype(i.dtype) for i in m.inputs}
m.run(feed)
"""


def conv_layers(artifact: Path, batch: int, threads: int) -> list[str]:
    """'<problem descriptor> <residual 0|1> <act>' per convolution of one run, in order."""
    env = dict(os.environ, ONEDNN_VERBOSE="1")
    proc = subprocess.run([sys.executable, "-c", _RUN_ONCE, str(artifact), str(batch),
                           str(threads)], capture_output=True, text=True, env=env, check=True)
    layers = []
    for line in proc.stdout.splitlines():
        fields = line.split(",")
        if len(fields) < 11 or fields[1] != "exec" or fields[3] != "convolution":
            continue
        post_ops, problem = fields[7], fields[9]
        act = 1 if "eltwise_relu" in post_ops else 2 if "eltwise_clip" in post_ops else 0
        layers.append(f"{problem} {int('binary_add' in post_ops)} {act}")
    return layers


def _build(out: Path) -> Path:
    import importlib.metadata

    dist = importlib.metadata.distribution("onednn-cpu-gomp")
    lib = next(Path(dist.locate_file(f)).resolve() for f in dist.files or []
               if f.name == "libdnnl.so.3")
    include = lib.parent.parent / "include"
    subprocess.run(["g++", "-O2", "-std=c++17", "-fopenmp", f"-I{include}", str(SOURCE), "-o",
                    str(out), f"-L{lib.parent}", "-l:libdnnl.so.3", f"-Wl,-rpath,{lib.parent}"],
                   check=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("artifact", type=Path)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--reps", type=int, default=50)
    args = parser.parse_args(argv)
    layers = conv_layers(args.artifact, args.batch, args.threads)
    if not layers:
        print(f"{args.artifact}: no oneDNN convolution ran", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        binary = _build(Path(tmp) / "conv_floor")
        spec = Path(tmp) / "layers.txt"
        spec.write_text("\n".join(layers) + "\n")
        env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
        for layout in ("nhwc", "blocked", "nhwc", "blocked"):
            out = subprocess.run([str(binary), str(spec), layout, str(args.batch),
                                  str(args.reps)], capture_output=True, text=True, env=env,
                                 check=True).stdout
            summary = re.search(r"convs (\d+) median_ms ([\d.]+) p10_ms ([\d.]+)", out)
            # Layers whose input and output layouts differ (a channel count that is not a
            # multiple of 16 next to one that is) get oneDNN's reference kernel: not a floor.
            reference = len(re.findall(r"^layer \S+ ref", out, flags=re.M))
            note = f" ({reference} on oneDNN's reference kernel)" if reference else ""
            print(f"{args.artifact.name} batch {args.batch} {layout:8s}: "
                  f"{summary[1]} convolutions, median {summary[2]} ms, p10 {summary[3]} ms"
                  f"{note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
