"""A/B two compiled artifacts of the same model: is B faster than A?

    .venv/bin/python -m paddlec.bench.ab OLD_ARTIFACT NEW_ARTIFACT --batch 1 --threads 2

Both are loaded side by side in one process and run on the same random feed, one run of each
per round with the order alternating (``stats.interleaved_times``), so that load
from other processes and frequency drift hit both alike. By default this happens twice, in
two child processes with half the rounds each, A loaded first in one and B in the other, and
the rounds are pooled: what depends on the process (load order, where the weights landed)
then falls on both sides. Prints each median and the paired speedup A/B with its 95 %
bootstrap interval (``stats.paired_speedup``; > 1: B is faster), and each
process's speedup. Resolution: two builds of the same source (ResNet-50, batch 1) measured
1.004–1.014 in single processes, so read a speedup under ~1.015 as no difference whatever its
interval says. Use it to measure a compiler or kernel change: compile the model before and
after, or an artifact compiled with dynamic dims against one compiled static for a shape
(the feed then takes the static one's shape).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from .stats import interleaved_times, paired_speedup

__all__ = ["main"]


def _times_one_order(first: Path, second: Path, batch: int, threads: int, rounds: int,
                     warmup: int) -> np.ndarray:
    """Seconds per run, shape (2, rounds): row 0 for ``first`` (loaded first), row 1 for
    ``second``."""
    from .. import runtime
    from .runner import _feeds

    models = [runtime.load(path, num_threads=threads) for path in (first, second)]
    # a static artifact fixes the feed's shape for both (dynamic vs static at one shape)
    static = [m for m in models if all(isinstance(d, int) for s in m.inputs for d in s.shape)]
    feed = _feeds((static or models)[0].inputs, batch)
    return interleaved_times([lambda m=m: m.run(feed) for m in models], rounds, warmup)


def _child_times(args, first: Path, second: Path, rounds: int) -> np.ndarray:
    command = [sys.executable, "-m", "paddlec.bench.ab", str(first), str(second),
               "--batch", str(args.batch), "--threads", str(args.threads), "--rounds",
               str(rounds), "--warmup", str(args.warmup), "--one-order-json"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return np.asarray(json.loads(out.strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", type=Path)
    parser.add_argument("b", type=Path)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--one-order", action="store_true",
                        help="one process, A loaded first (half the time, less robust)")
    parser.add_argument("--one-order-json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.one_order_json:
        times = _times_one_order(args.a, args.b, args.batch, args.threads, args.rounds,
                                 args.warmup)
        print(json.dumps(times.tolist()))
        return 0
    if args.one_order:
        times = _times_one_order(args.a, args.b, args.batch, args.threads, args.rounds,
                                 args.warmup)
        orders = ""
    else:
        half = max(args.rounds // 2, 1)
        a_first = _child_times(args, args.a, args.b, half)
        b_first = _child_times(args, args.b, args.a, half)[::-1]  # rows back to A, B
        times = np.concatenate([a_first, b_first], axis=1)
        orders = (f"; A loaded first {paired_speedup(a_first[0], a_first[1])[0]:.3f}, "
                  f"B loaded first {paired_speedup(b_first[0], b_first[1])[0]:.3f}")
    speedup, low, high = paired_speedup(times[0], times[1])
    a_ms, b_ms = (1e3 * float(np.median(row)) for row in times)
    print(f"A {args.a.name}: {a_ms:.3f} ms  B {args.b.name}: {b_ms:.3f} ms  "
          f"A/B {speedup:.3f} (95 % CI {low:.3f}-{high:.3f}), batch {args.batch}, "
          f"{args.threads} threads, {times.shape[1]} rounds{orders}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
