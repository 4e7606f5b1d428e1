"""PARITY: Chiang & Cholak's two-layer transformer, exact at every length.

Chiang & Cholak (2022), "Overcoming a Theoretical Limitation of Self-Attention"
(ACL), Sec. 4.1, Theorem 1: a transformer encoder recognises PARITY (an odd
number of 1s) at every length n; Sec. 5: with layer normalisation (epsilon 0)
and the ``[x, -x]`` doubling, its cross-entropy no longer tends to 1 bit as n
grows but stays wherever the output scale puts it.

The input is ``w_0 ... w_{n-1} $`` (the CLS symbol ``$`` at position n, as in
the paper's published code). Let ``k`` be the number of 1s. Directions and
weights, all exact:

* embedding: ``tok0``, ``tok1``, ``cls`` one-hot; positions ``pos = i/(n+1)``
  and ``alt = cos(i pi) = (-1)^i``.
* layer 1, attention (one head, every score 0, so uniform over the n+1
  positions): ``ones = k/(n+1)`` and ``frac = 1/(n+1)`` at every position.
* layer 1, MLP, the ReLU bump at position k: with ``d = ones - pos = (k-i)/(n+1)``,
  ``bump = relu(d - frac) - 2 relu(d) + relu(d + frac)``, which is ``1/(n+1)``
  at ``i = k`` and exactly 0 at every other position.
* layer 2, attention from the CLS position (query ``cls``): head ``odd`` has key
  ``-alt`` and favours odd positions, head ``even`` has key ``alt`` and favours
  even ones; both read ``bump``; ``parity += odd - even``. Only position k
  carries a bump, so ``parity`` is positive iff k is odd:
  with ``attention='average-hard'`` exactly ``±1/((n+1) m)`` (m = number of
  positions of k's parity); with the paper's ``attention='softmax'`` (scale 1)
  ``±(e/Z - e^{-1}/Z')/(n+1)``, about ``±1.5/(n+1)^2``.
* read-out at CLS: ``logit = output_scale * parity``.
* ``layernorm=True`` (Sec. 5): layer 2 also writes ``parity_neg = -parity``;
  a layer norm over the pair ``(parity, parity_neg)`` with epsilon ``eps``
  sends it to ``±|v|/sqrt(v^2 + eps)``: exactly ``±1`` at ``eps = 0``, so the
  logit is ``±output_scale`` and the cross-entropy
  ``log2(1 + e^{-output_scale})`` bits at every n. With torch's default
  ``eps = 1e-5`` the tiny ``v`` drowns in epsilon (the paper's 0.93 bits at
  n = 100).

Deviations, named:

1. Layer 1 uses average-hard attention with all scores 0, which *is* uniform
   attention (the paper's softmax with zero query and key), stated without
   exp.
2. The empty word: with one position both layer-2 heads read the same cell,
   ``parity`` is 0 and, at ``eps = 0``, the layer norm is undefined. The
   positional encoding therefore adds ``-1/(2 (n+1)^3)`` to ``parity`` (and the
   opposite to ``parity_neg``), which is below the margin ``|v|`` for n >= 1 and
   makes the empty word a clear reject.
3. The layer norm acts on the doubled pair only. The paper layer-normalises the
   whole doubled stream after every sub-layer and uses a final MLP to zero every
   coordinate but the answer; the pair is what that leaves, up to the factor
   ``sqrt(d/2)`` that the output scale absorbs.
4. Softmax scores are ``±1`` (the paper's torch code divides by ``sqrt(5)``,
   the head dimension); ``attention='average-hard'`` is our saturated variant,
   exact in rationals and the one the circuit backend lowers.

Float precision. ``bump`` vanishes at i != k only by cancellation on the
positions i < k - 1 (there ``relu`` is linear), each leaving an error of a few
units of roundoff u; the layer-2 average keeps that below about ``20 u``
(first-order analysis, including the error of ``ones``), against a margin of at
least ``1.2 / ((n+1)(n+2))``. We claim correctness while
``32 u (n+1)(n+2) <= 1``: n <= 722 in float32, about 1.7e7 in float64,
6 in float16, 1 in bfloat16. Runs beyond that are reported untrusted;
`circuitx precision parity` measures how far past the claim they really go.

Float range. The analysis above is about relative errors, so it also needs
every value the sign rests on to be a normal number of the dtype (between
its smallest normal number and its largest): the output scale and epsilon as
weights, the margin ``m = 1/((n+1)(n+2))``, and the logit
``output_scale * m`` (with layer norm: ``output_scale * m / sqrt(m^2 + eps)``,
and ``m^2`` or ``eps`` normal so that the variance is). A tiny output scale
in float16 (the logit underflows to 0, a reject) or an epsilon past float16's
65504 (it rounds to infinity) fails these, and `guaranteed_length` shortens
the claim, down to None (no length: every float run is untrusted).
"""

from __future__ import annotations

import math
from fractions import Fraction

import sympy

from compilers.constructions.base import Family, Option, exact_number
from compilers.constructions.recognizer import Recognizer
from compilers.dtypes import LARGEST, SMALLEST_NORMAL, UNIT_ROUNDOFF
from compilers.errors import CompileError
from compilers.ir import (
    MLP,
    Attention,
    AverageHard,
    Head,
    I,
    LayerNorm,
    N,
    PositionalEncoding,
    Readout,
    Softmax,
    TokenEmbedding,
    Transformer,
    matrix,
)

ATTENTION = ("softmax", "average-hard")
SAFETY = 32  # the error constant of the analysis above, with a factor ~1.6 to spare


def guaranteed_length(dtype: str, *, output_scale=5, epsilon=0,
                      layernorm: bool = False) -> int | None:
    """The largest n the float analysis covers in `dtype` for these options (None: no n).

    n satisfies ``SAFETY * u * (n+1) * (n+2) <= 1`` (u the dtype's unit roundoff) and
    keeps every value the decision rests on in the dtype's normal range (see "Float
    range" in the module docstring).
    """
    bound = 1 / (SAFETY * UNIT_ROUNDOFF[dtype])
    n = max(0, math.isqrt(int(bound)) - 2)
    while (n + 2) * (n + 3) <= bound:
        n += 1
    scale, eps = float(Fraction(output_scale)), float(Fraction(epsilon))
    tiny, big = SMALLEST_NORMAL[dtype], LARGEST[dtype]
    if not tiny <= scale <= big / 2 or (eps and not tiny <= eps <= big / 4):
        return None

    def in_range(n: int) -> bool:
        margin = 1 / ((n + 1) * (n + 2))
        logit = scale * (margin if not layernorm else margin / math.sqrt(margin**2 + eps))
        variance = margin**2 >= tiny or (eps >= tiny)
        return margin >= tiny and logit >= tiny and (variance or not layernorm)

    return largest(in_range, n)


def largest(holds, high: int) -> int | None:
    """The largest n in 0..high with ``holds(n)``, for a `holds` true up to some n and false
    beyond it (None if ``holds(0)`` is false)."""
    if not holds(0):
        return None
    low = 0
    while low < high:
        middle = (low + high + 1) // 2
        if holds(middle):
            low = middle
        else:
            high = middle - 1
    return low


def scale_for_cross_entropy(bits: float) -> Fraction:
    """The smallest output scale (a short rational) with ``log2(1 + e^-scale) <= bits``."""
    if not 0 < bits < 1:
        raise CompileError(f"target cross-entropy must be between 0 and 1 bit, got {bits}")
    exact = -math.log(2**bits - 1)
    return Fraction(math.ceil(exact * 1000), 1000)


def build(*, layernorm: bool = False, output_scale=5, epsilon=0,
          attention: str = "softmax") -> Recognizer:
    """The PARITY recognizer (see the module docstring for every weight)."""
    if attention not in ATTENTION:
        raise CompileError(f"unknown attention {attention!r}; allowed: {', '.join(ATTENTION)}")
    scale = exact_number(output_scale, name="output scale")
    eps = exact_number(epsilon, name="epsilon", positive=False)
    if eps and not layernorm:
        raise CompileError("epsilon applies to the layer-norm variant; add layernorm=True")
    pair = ("parity", "parity_neg") if layernorm else ("parity",)
    stream = ("tok0", "tok1", "cls", "pos", "alt", "ones", "frac", "bump", *pair)
    embedding = TokenEmbedding(label="embed", tokens=("0", "1", "$"), table=matrix(
        {("tok0", "0"): 1, ("tok1", "1"): 1, ("cls", "$"): 1},
        rows=("tok0", "tok1", "cls"), cols=("0", "1", "$")))
    nudge = -sympy.Rational(1, 2) / (N + 1) ** 3
    features = {"pos": I / (N + 1), "alt": sympy.cos(sympy.pi * I), "parity": nudge}
    if layernorm:
        features["parity_neg"] = -nudge
    count = Head(label="count", query=matrix({}, rows=("u",), cols=()),
                 key=matrix({}, rows=("u",), cols=()),
                 value=matrix({("ones", "tok1"): 1, ("frac", "cls"): 1}),
                 kind=AverageHard(gap=1))
    bump = MLP(label="bump", hidden=("below", "at", "above"),
               w_in=matrix({("below", "ones"): 1, ("below", "pos"): -1, ("below", "frac"): -1,
                            ("at", "ones"): 1, ("at", "pos"): -1,
                            ("above", "ones"): 1, ("above", "pos"): -1, ("above", "frac"): 1}),
               w_out=matrix({("bump", "below"): 1, ("bump", "at"): -2, ("bump", "above"): 1}))
    kind = Softmax() if attention == "softmax" else AverageHard(gap=2)

    def head(label: str, sign: int) -> Head:  # sign +1: favours even positions
        written = {("parity", "bump"): -sign}
        if layernorm:
            written[("parity_neg", "bump")] = sign
        return Head(label=label, query=matrix({("q", "cls"): 1}),
                    key=matrix({("q", "alt"): sign}), value=matrix(written), kind=kind)

    blocks = [Attention(label="l1", heads=(count,)), bump,
              Attention(label="l2", heads=(head("odd", -1), head("even", 1)))]
    if layernorm:
        blocks.append(LayerNorm(label="norm", dims=pair, epsilon=eps))
    transformer = Transformer(
        label="parity", stream=stream, inputs=embedding,
        positions=PositionalEncoding(label="positions", features=features),
        blocks=tuple(blocks),
        readout=Readout(label="out", matrix=matrix({("logit", "parity"): scale}),
                        position="last"))
    return Recognizer(
        name="parity", transformer=transformer, language="parity", eos=("$",),
        accept="logit",
        options={"layernorm": layernorm, "output_scale": str(scale), "epsilon": str(eps),
                 "attention": attention},
        limits={dtype: guaranteed_length(dtype, output_scale=scale, epsilon=eps,
                                         layernorm=layernorm) for dtype in UNIT_ROUNDOFF},
        note="Chiang & Cholak 2022, Sec. 4.1 (and Sec. 5 with layer norm)")


LAYERNORM = Option(name="layernorm", kind="flag", default=False,
                   help="Chiang & Cholak Sec. 5: layer norm over the doubled answer.")
OUTPUT_SCALE = Option(name="output_scale", kind="number", default="5",
                      help="Multiplies the logit (exact rational, e.g. 5 or 12.5); with "
                           "--layernorm the cross-entropy is log2(1 + e^-scale) bits.")
EPSILON = Option(name="epsilon", kind="number", default="0", positive=False,
                 help="Layer-norm epsilon (with --layernorm); torch's default is 1e-5.")

FAMILY = Family(
    name="parity", title="Chiang & Cholak's PARITY transformer",
    paper="Chiang & Cholak 2022, Sec. 4.1 (Sec. 5: layer norm)", mode="recognise",
    options=(LAYERNORM, OUTPUT_SCALE, EPSILON,
             Option(name="attention", kind="choice", choices=ATTENTION, default="softmax",
                    help="Second layer: the paper's softmax, or saturated average-hard "
                         "attention (exact in rationals).")),
    build=build, circuit="recogniser", inputs="words over 01")
