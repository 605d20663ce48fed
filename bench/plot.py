"""``paddlec bench --plot FILE.png``: the bench table as a bar chart (matplotlib, optional).

One group of bars per (model, batch, threads), one bar per engine (median latency, with the
p90 as an error whisker), and paddlec's ratio to each peer written above the peer's bar.
matplotlib is imported only here, only when a plot is asked for: it is not a dependency of
paddlec, and without it the bench fails with :class:`PlotUnavailableError` before timing
anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..errors import PaddlecError

__all__ = ["PlotUnavailableError", "require_matplotlib", "save_plot"]


class PlotUnavailableError(PaddlecError):
    """``--plot`` needs matplotlib, which paddlec does not install."""

    exit_code = 2


def require_matplotlib():
    """The ``matplotlib.pyplot`` module on the non-interactive Agg backend, or a clear error."""
    try:
        import matplotlib
    except ImportError:
        raise PlotUnavailableError(
            "--plot needs matplotlib, which is not installed (pip install matplotlib); "
            "the table and --json work without it") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_plot(rows: Sequence, path: str | Path, title: str | None = None) -> Path:
    """Write ``rows`` (:class:`BenchRow`) as a PNG (or any format matplotlib infers from
    the suffix) to ``path``; returns the path."""
    plt = require_matplotlib()
    groups: list[tuple] = []
    engines: list[str] = []
    for row in rows:
        key = (row.model, row.batch, row.threads)
        if key not in groups:
            groups.append(key)
        if row.engine not in engines:
            engines.append(row.engine)
    by_key = {(r.model, r.batch, r.threads, r.engine): r for r in rows}
    width = 0.8 / max(len(engines), 1)
    fig, ax = plt.subplots(figsize=(max(6.0, 1.6 * len(groups) + 2), 4.5))
    for e_index, engine in enumerate(engines):
        xs, medians, whiskers, labels = [], [], [], []
        for g_index, (model, batch, threads) in enumerate(groups):
            row = by_key.get((model, batch, threads, engine))
            if row is None:
                continue
            xs.append(g_index + (e_index - (len(engines) - 1) / 2) * width)
            medians.append(row.median_ms)
            whiskers.append(max(row.p90_ms - row.median_ms, 0.0))
            labels.append("" if row.ratio is None else f"{row.ratio:.2f}x")
        bars = ax.bar(xs, medians, width, yerr=[[0] * len(whiskers), whiskers], capsize=2,
                      label=engine)
        for bar, label in zip(bars, labels):
            if label:
                ax.annotate(label, (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                            ha="center", va="bottom", fontsize=7, xytext=(0, 2),
                            textcoords="offset points")
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels([f"{m}\nbatch {b}, {t} thr" for m, b, t in groups], fontsize=8)
    ax.set_ylabel("median latency, ms (whisker: p90)")
    ax.set_title(title or "paddlec bench (label: paddlec median / peer median)")
    ax.legend()
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out
