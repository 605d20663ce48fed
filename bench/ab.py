"""A/B two compiled artifacts of the same model in one process: is B faster than A?

    .venv/bin/python -m paddlec.bench.ab OLD_ARTIFACT NEW_ARTIFACT --batch 1 --threads 2

Both are loaded side by side and run on the same random feed, one run of each per round with
the order alternating (``passes_o0_vs_o2.interleaved_times``), so that load from other
processes and frequency drift hit both alike. Prints each median and the paired speedup A/B
with its 95 % bootstrap interval (``passes_o0_vs_o2.paired_speedup``; > 1: B is faster).
Use it to measure a compiler or kernel change: compile the model before and after.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from .passes_o0_vs_o2 import interleaved_times, paired_speedup

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", type=Path)
    parser.add_argument("b", type=Path)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args(argv)

    from .. import runtime
    from .runner import _feeds

    models = [runtime.load(path, num_threads=args.threads) for path in (args.a, args.b)]
    feed = _feeds(models[0].inputs, args.batch)
    times = interleaved_times([lambda m=m: m.run(feed) for m in models], args.rounds,
                              args.warmup)
    speedup, low, high = paired_speedup(times[0], times[1])
    a_ms, b_ms = (1e3 * float(np.median(row)) for row in times)
    print(f"A {args.a.name}: {a_ms:.3f} ms  B {args.b.name}: {b_ms:.3f} ms  "
          f"A/B {speedup:.3f} (95 % CI {low:.3f}-{high:.3f}), batch {args.batch}, "
          f"{args.threads} threads, {args.rounds} rounds")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
