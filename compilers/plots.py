"""Plots (matplotlib, from the optional `plot` extra)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from compilers.errors import CompileError


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise CompileError("plotting needs matplotlib: pip install -e '.[plot]'") from None
    return plt


def plot_cross_entropy(curves: Mapping[str, Sequence], path: str | Path, *,
                       title: str = "cross-entropy against length") -> Path:
    """Mean cross-entropy (bits per word) against n, one line per curve, log-log."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for label, points in curves.items():
        xs = [p.length for p in points]
        ys = [max(p.mean_bits, 1e-300) for p in points]
        ax.plot(xs, ys, marker="o", label=label)
        bad = [(p.length, max(p.mean_bits, 1e-300)) for p in points if p.correct != p.words]
        if bad:
            ax.scatter(*zip(*bad, strict=True), color="red", zorder=3, s=50, marker="x")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("input length n")
    ax.set_ylabel("cross-entropy (bits per word)")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out
