"""Plots (matplotlib, from the optional `plot` extra): cross-entropy and circuit scaling."""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

from circuitx.jsonfile import replacing
from compilers.errors import CompileError


def pyplot():
    """matplotlib's pyplot on the Agg backend, or a one-line error saying what to install."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise CompileError("plotting needs matplotlib: pip install -e '.[plot]'") from None
    return plt


def suffixes() -> tuple[str, ...]:
    """The file suffixes matplotlib writes here (``.png``, ``.pdf``, ``.svg``, ...): ``.pgf``
    only where its TeX program (``rcParams["pgf.texsystem"]``, xelatex) is installed."""
    plt = pyplot()
    from matplotlib.backend_bases import FigureCanvasBase

    kinds = sorted(FigureCanvasBase.get_supported_filetypes())
    if shutil.which(str(plt.rcParams.get("pgf.texsystem", "xelatex"))) is None:
        kinds = [k for k in kinds if k != "pgf"]
    return tuple(f".{k}" for k in kinds)


def _write(fig, path: str | Path) -> Path:
    """`fig` written to `path` through a temporary name (a failed write leaves no file;
    a writer's failure is a `CompileError` naming the file)."""
    out = Path(path)
    try:
        with replacing(out, what="the plot", error=CompileError) as temporary:
            fig.savefig(temporary, dpi=120, format=out.suffix.lstrip(".") or None)
    except CompileError:
        raise
    except (RuntimeError, ValueError) as failure:  # e.g. a format without its program
        raise CompileError(f"cannot write the plot {str(out)!r}: {failure}") from None
    return out


def plot_cross_entropy(curves: Mapping[str, Sequence], path: str | Path, *,
                       title: str = "cross-entropy against length",
                       guaranteed: Mapping[str, int | None] | None = None) -> Path:
    """Mean cross-entropy (bits per word) against n, one line per curve, log-log.

    Lengths with a wrong word are marked with a red x; where `guaranteed` gives a
    curve's guaranteed length (the construction's error analysis), a dotted
    vertical line of the curve's colour marks it. Label the curves with the
    options that tell them apart (the legend is all a reader has).
    """
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for label, points in curves.items():
        xs = [p.length for p in points]
        ys = [max(p.mean_bits, 1e-300) for p in points]
        (line,) = ax.plot(xs, ys, marker="o", label=label)
        bad = [(p.length, max(p.mean_bits, 1e-300)) for p in points if p.correct != p.words]
        if bad:
            ax.scatter(*zip(*bad, strict=True), color="red", zorder=3, s=50, marker="x")
        limit = (guaranteed or {}).get(label)
        if limit is not None and xs and min(xs) <= limit:
            ax.axvline(limit, color=line.get_color(), linestyle=":", alpha=0.8,
                       label=f"guaranteed up to n = {limit}")
    if any(p.correct != p.words for points in curves.values() for p in points):
        ax.scatter([], [], color="red", marker="x", label="a wrong word at this n")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("input length n")
    ax.set_ylabel("cross-entropy (bits per word)")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    return _save(fig, plt, path)


def plot_scaling(points: Sequence, path: str | Path, *, title: str, exponent: float | None,
                 variable: str = "n", xlabel: str = "input length n") -> Path:
    """Depth against n (left) and size against n on log-log axes with the fit (right).

    The titles state what the points show: the depth range measured (constant
    only if it is), the fitted exponent of the size. `variable` and `xlabel`
    name the x axis (e.g. ``t``, "decoding step t").
    """
    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.8))
    ns = [p.n for p in points]
    depths = sorted({p.depth for p in points})
    left.plot(ns, [p.depth for p in points], marker="o")
    left.set_xscale("log", base=2)
    left.set_ylim(0, max(depths) + 2)
    left.yaxis.get_major_locator().set_params(integer=True)
    left.set_xlabel(xlabel)
    left.set_ylabel("depth (gates)")
    left.set_title(f"depth {depths[0]} at every {variable} measured" if len(depths) == 1
                   else f"depth from {depths[0]} to {depths[-1]}")
    right.plot(ns, [max(p.size, 1) for p in points], marker="o", label="size")
    if exponent is not None:
        anchor = points[-1]
        right.plot(ns, [max(anchor.size, 1) * (n / anchor.n) ** exponent for n in ns],
                   linestyle="--", label=f"fit: {variable}^{exponent:.2f}")
    right.set_xscale("log", base=2)
    right.set_yscale("log")
    right.set_xlabel(xlabel)
    right.set_ylabel("size (gates)")
    right.set_title(f"size ~ {variable}^{exponent:.2f} (least squares, log-log)"
                    if exponent is not None else "size")
    right.legend(fontsize=8)
    for ax in (left, right):
        ax.grid(True, which="both", alpha=0.3)
    fig.suptitle(title)
    return _save(fig, plt, path)


def _save(fig, plt, path: str | Path) -> Path:
    """Write the figure (creating its folder), close it."""
    fig.tight_layout()
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        return _write(fig, path)
    except OSError as failure:
        raise CompileError(f"cannot create the folder of the plot {str(path)!r}: "
                           f"{failure.strerror or type(failure).__name__}") from None
    finally:
        plt.close(fig)
