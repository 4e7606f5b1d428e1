"""Constructions from papers, one module each, and the registry of recognizers.

`RECOGNIZERS` maps a name to an `Entry`: how to build the construction
(``build(**options) -> Recognizer``), its command-line options (click
decorators whose parameter names are `build`'s keywords) and a title. The
command line (`compile`, `check`, `precision`, `circuit`, `scaling`) and the
tests iterate over it, so a new recognizer is one entry here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import click

from compilers.constructions import first, parity


@dataclass(frozen=True)
class Entry:
    """A registered recognizer: its builder, its CLI options, a one-line title."""

    build: Callable
    options: tuple
    title: str


_LAYERNORM = click.option("--layernorm/--no-layernorm", default=False, show_default=True,
                          help="Chiang & Cholak Sec. 5: layer norm over the doubled answer.")
_SCALE = click.option("--output-scale", default="5", show_default=True,
                      help="Multiplies the logit (exact rational, e.g. 5 or 12.5); with "
                           "--layernorm the cross-entropy is log2(1 + e^-scale) bits.")
_EPSILON = click.option("--epsilon", default="0", show_default=True,
                        help="Layer-norm epsilon (with --layernorm); torch's default is 1e-5.")

RECOGNIZERS: dict[str, Entry] = {
    "parity": Entry(
        build=parity.build,
        options=(_LAYERNORM, _SCALE, _EPSILON,
                 click.option("--attention", type=click.Choice(parity.ATTENTION),
                              default="softmax", show_default=True,
                              help="Second layer: the paper's softmax, or saturated "
                                   "average-hard attention (exact in rationals).")),
        title="Chiang & Cholak's PARITY transformer"),
    "first": Entry(
        build=first.build,
        options=(_LAYERNORM, _SCALE, _EPSILON,
                 click.option("--log-scaling/--no-log-scaling", default=False,
                              show_default=True,
                              help="Chiang & Cholak Sec. 6: scale scores by log(n+1)."),
                 click.option("--sharpness", default="10", show_default=True,
                              help="The query weight (score at position 1).")),
        title="Chiang & Cholak's FIRST transformer"),
}
