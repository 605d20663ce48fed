"""The benchmarks' statistics (``bench/stats.py``): paired speedup and its bootstrap interval.

Synthetic timings with a known ratio and a drift that moves both levels alike (what load from
other processes does): the paired interval must contain the true ratio, exclude 1.0 when the
ratio is clearly not 1, and contain 1.0 when both sides are the same distribution.
"""

import numpy as np

from paddlec.bench.stats import interleaved_times, paired_speedup


def _drifting(rounds: int, ratio: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    drift = 1.0 + 2.0 * np.abs(np.sin(np.linspace(0, 6, rounds)))  # load comes and goes: 1x-3x
    fast = 0.010 * drift * rng.lognormal(0.0, 0.03, rounds)
    slow = ratio * 0.010 * drift * rng.lognormal(0.0, 0.03, rounds)
    return slow, fast


def test_interval_contains_true_ratio_and_excludes_one():
    slow, fast = _drifting(40, 1.05, seed=3)
    ratio, low, high = paired_speedup(slow, fast)
    assert low <= 1.05 <= high
    assert low > 1.0
    assert abs(ratio - 1.05) < 0.03


def test_interval_contains_one_for_equal_distributions():
    slow, fast = _drifting(40, 1.0, seed=4)
    _, low, high = paired_speedup(slow, fast)
    assert low <= 1.0 <= high


def test_interval_is_deterministic_for_a_seed():
    slow, fast = _drifting(30, 1.1, seed=5)
    assert paired_speedup(slow, fast, seed=7) == paired_speedup(slow, fast, seed=7)


def test_interleaved_times_rotates_the_order_and_counts():
    calls = []
    times = interleaved_times([lambda: calls.append("a"), lambda: calls.append("b")],
                              rounds=4, warmup=1)
    assert "".join(calls) == "ab" + "ab" + "ba" + "ab" + "ba"
    assert times.shape == (2, 4) and (times >= 0).all()
    calls.clear()
    interleaved_times([lambda: calls.append("a"), lambda: calls.append("b"),
                       lambda: calls.append("c")], rounds=3, warmup=0)
    assert "".join(calls) == "abc" + "bca" + "cab"
