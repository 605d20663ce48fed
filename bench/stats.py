"""Paired timing statistics shared by the benchmarks (``paddlec bench``, ``bench/ab.py``,
``bench/passes_o0_vs_o2.py``): interleaved rounds, and the median ratio of paired samples
with a bootstrap interval."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

__all__ = ["interleaved_times", "paired_speedup"]


def paired_speedup(slow: np.ndarray, fast: np.ndarray, resamples: int = 4000,
                   seed: int = 0) -> tuple[float, float, float]:
    """(median of slow[i] / fast[i], 2.5 % and 97.5 % bootstrap percentiles of that median).

    ``slow[i]`` and ``fast[i]`` were measured in the same round, so their ratio cancels what
    drifted between rounds; resampling whole rounds keeps that pairing in the interval.
    """
    ratios = np.asarray(slow, dtype=np.float64) / np.asarray(fast, dtype=np.float64)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, ratios.size, size=(resamples, ratios.size))
    medians = np.median(ratios[picks], axis=1)
    low, high = np.percentile(medians, [2.5, 97.5])
    return float(np.median(ratios)), float(low), float(high)


def interleaved_times(runners: list[Callable[[], object]], rounds: int,
                      warmup: int) -> np.ndarray:
    """Seconds of ``rounds`` calls of each runner, shape ``(len(runners), rounds)``: one call
    of each per round, the order rotating every round (AB BA ..., ABC BCA CAB ...), after
    ``warmup`` calls of each."""
    for _ in range(warmup):
        for run in runners:
            run()
    count = len(runners)
    times = np.zeros((count, rounds))
    for index in range(rounds):
        for step in range(count):
            which = (index + step) % count
            start = time.perf_counter()
            runners[which]()
            times[which, index] = time.perf_counter() - start
    return times
