"""Softmax heads for a compiled RASP program, their inverse temperature derived, not guessed.

`compilers.programs.rasp_compile` builds every head average-hard (Yang et al.,
"The Transformer Cookbook", arXiv 2510.00368: average-hard attention, Def.
5.1): a selected key scores M, every other key at most ``M - g`` (the gap g is
the head's `AverageHard.gap`: 1/2 for an Aggregate, whose BOS scores
``M - 1/2`` as the default; 1 for a SelectorWidth, whose BOS is selected).
`soften` swaps each such head for ``Softmax(beta)``, the same scores scaled by
one inverse temperature beta, and `derive_beta` finds the beta for which the
compiled model still decodes exactly the RASP evaluator's answer at every
length n <= N.

The inequality (`compilers.programs.rasp_precision`, whose forward error
analysis carries it): at a head whose score error is e (float rounding and the
leakage of the heads before it), with at most N keys off the maxima,

    ``A <= N exp(-beta (g - 2e))``,  ``||a - p||_1 <= 2A + exp(2 beta e) - 1``,

so an output of value bound ``max|v|`` moves by at most
``max|v| (2A + exp(2 beta e) - 1)`` plus rounding; downstream, each MLP table
(knots and steps exact on the value set, `compilers.programs.rasp_tables`) is
Lipschitz with the sum of its absolute weights, which the same analysis
multiplies through. The answer decodes right when every categorical
read-out entry is within 1/2 of its 0/1 and every number within half the
smallest gap of its inferred value set. beta is the smallest (on a grid of
8-bit dyadic rationals, so that it is exact in every dtype) that passes for
the least precise dtype in which some beta passes (bfloat16, float16,
float32, float64, in turn; "exact", the exact backend's 256-bit
exponentials, at least), so that one model is trusted in as many dtypes as
possible; it grows like ``log(N) / g`` plus the log of the downstream
Lipschitz factors. Where no beta up to `BETA_MAX` passes even in exact
arithmetic, `derive_beta` returns None and the compiler refuses, naming N.

Tracr (Lindner et al. 2023, arXiv 2301.05062) compiles every head as a
softmax head sharpened by a fixed ``softmax_coldness`` of 100 (the default of
its ``craft/chamber/categorical_attn.py`` and ``selector_width.py``), right or
wrong whatever the length. The Cookbook (arXiv 2510.00368) states its blocks
with average-hard attention, which softmax reaches only as its scale grows;
Yang, Strobl, Chiang and Angluin ("Simulating hard attention using soft
attention") show that a temperature depending on the score gap and the
length suffices for heads without near-ties. The bound above makes that
concrete for each compiled head, at a given N and dtype. (Section numbers of
the two papers are not cited: not checked against their text here.)
"""

from __future__ import annotations

import dataclasses
import math
from fractions import Fraction

from compilers.ir import Attention, AverageHard, Softmax, check
from compilers.programs.booleans import ProgramCompileError
from compilers.programs.rasp_precision import guaranteed

BETA_MAX = Fraction(2**20)
"""The largest inverse temperature tried (beyond it a float score overflows or rounds away)."""
DTYPES = ("bfloat16", "float16", "float32", "float64", "exact")
"""Dtypes in the order beta is derived for, least precise first."""


def gaps_of(transformer) -> dict:
    """Each average-hard head's declared gap, by label (a head without one is refused)."""
    gaps = {}
    for block in transformer.blocks:
        if isinstance(block, Attention):
            for head in block.heads:
                kind = head.kind
                if isinstance(kind, AverageHard) and kind.gap is not None:
                    gaps[head.label] = Fraction(str(kind.gap))
                elif not isinstance(kind, Softmax):
                    raise ProgramCompileError(f"RASP softmax: head {head.label} has no score "
                                              "gap; a softmax scale cannot be derived for it")
    return gaps


def soften(compiled, beta: Fraction):
    """`compiled` (a `CompiledRasp`) with every average-hard head ``Softmax(beta)``."""
    gaps = gaps_of(compiled.transformer)
    blocks = []
    for block in compiled.transformer.blocks:
        if isinstance(block, Attention):
            block = dataclasses.replace(block, heads=tuple(
                dataclasses.replace(h, kind=Softmax(scale=beta)) for h in block.heads))
        blocks.append(block)
    transformer = dataclasses.replace(compiled.transformer, blocks=tuple(blocks))
    check(transformer)
    return dataclasses.replace(compiled, transformer=transformer, attention="softmax",
                               beta=Fraction(beta), gaps={**compiled.gaps, **gaps})


def passes(compiled, dtype: str, beta: Fraction | None = None, gaps: dict | None = None) -> bool:
    """Whether `compiled` (its softmax heads at `beta` if given) decodes right at every
    n <= N in `dtype` (a float dtype or ``"exact"``), by `rasp_precision.guaranteed`."""
    return guaranteed(compiled.transformer, dtype, compiled.bounds, compiled.max_seq_len,
                      numerical=compiled.numerical, values=compiled.values,
                      ranges=compiled.ranges, gaps=gaps or compiled.gaps,
                      beta_override=None if beta is None else float(beta))


def dyadic_up(x: float) -> Fraction:
    """The least ``m 2^e >= x`` with ``m < 256`` (exact in every dtype's significand)."""
    e = math.floor(math.log2(x)) - 7
    scale = Fraction(2) ** e
    return math.ceil(Fraction(x) / scale) * scale


def derive_beta(compiled, dtype: str) -> Fraction | None:
    """The least beta on the 8-bit dyadic grid (within a factor 2^(1/64) by bisection)
    for which every softmax head of `compiled` (heads average-hard in its IR, read as
    softmax) decodes right in `dtype`; None if none up to `BETA_MAX` does."""
    gaps = compiled.gaps or gaps_of(compiled.transformer)
    if not gaps:
        return Fraction(1)
    low, beta = None, Fraction(1)
    while not passes(compiled, dtype, beta, gaps):
        low, beta = beta, beta * 2
        if beta > BETA_MAX:
            return None
    if low is None:
        return beta
    for _ in range(6):
        middle = dyadic_up(math.sqrt(float(low) * float(beta)))
        if not low < middle < beta:
            break
        if passes(compiled, dtype, middle, gaps):
            beta = middle
        else:
            low = middle
    return beta


def softmax_beta(compiled) -> tuple[Fraction, str]:
    """``(beta, dtype)``: beta derived for the least precise dtype of `DTYPES` that admits
    one (so every more precise dtype passes too: each error term grows with u).

    Raises:
        ProgramCompileError: no beta up to `BETA_MAX` passes even in exact arithmetic.
    """
    gaps = gaps_of(compiled.transformer)
    found = None
    for dtype in reversed(DTYPES):  # most precise first: stop at the first that fails
        beta = derive_beta(dataclasses.replace(compiled, gaps=gaps), dtype)
        if beta is None:
            break
        found = (beta, dtype)
    if found is None:
        raise ProgramCompileError(
            f"RASP compiler: no softmax inverse temperature up to {BETA_MAX} makes the "
            f"program decode right at max_seq_len {compiled.max_seq_len}, even in exact "
            "arithmetic; compile it with attention average-hard or for a shorter length")
    return found


__all__ = ["BETA_MAX", "DTYPES", "derive_beta", "dyadic_up", "gaps_of", "passes", "soften",
           "softmax_beta"]
