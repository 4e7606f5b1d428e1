"""Exact feed-forward tables on finite sets, zero at the BOS: the MLPs of the RASP compiler.

A RASP S-op takes finitely many values (`compilers.programs.rasp_values`), so
every function the compiler puts in an MLP is a function on a finite set of
numbers ``x_0 < x_1 < ... < x_{K-1}``, or of 0/1 one-hot directions. Each is
written exactly on its set from the Cookbook's ReLU pieces (Yang et al. 2026,
Sec. 4.1 piecewise-linear functions, Sec. 4.8 Boolean functions):

* knots (Sec. 4.1): ``f(x) = f(x_0) + sum_k (m_{k+1} - m_k) relu(x - x_k)``,
  ``m_k`` the slope between ``x_{k-1}`` and ``x_k`` (``m_0 = 0``), exact for every
  ``x >= x_0``; one unit per change of slope;
* steps: ``t_k(x) = relu((x - x_{k-1})/d) - relu((x - x_k)/d)``, ``d = x_k -
  x_{k-1}``, is exactly ``[x >= x_k]`` on the set; ``f(x) = f(x_0) + sum_k
  (f(x_k) - f(x_{k-1})) t_k``, two units per change of value (a threshold is
  two units where knots need two per jump as well, a staircase far fewer).
  A categorical function keeps the steps themselves (`thermometer`): a
  one-hot ``[f(x) = c]`` is a linear form of them, and an interval of values,
  ``[x_a <= x < x_b]``, is ``t_a - t_b``: two entries of a key, whatever its
  length (what makes an ordered ``Select`` cheap);
* conjunctions (Sec. 4.8): ``relu(b_1 + ... + b_k - (k - 1))`` is the AND of
  0/1 values b, the lookup table of a categorical function of several
  categorical S-ops (one unit per tuple of input values).

The BOS. The RASP compiler keeps every S-op's directions 0 at the BOS
(position 0), so that the BOS key adds nothing but the default to an
attention. No unit here has a bias: every constant is carried by the
direction ``word`` (1 at every word position, 0 at the BOS), so ``x_k`` is
``x_k word`` in a pre-activation and ``f(x_0)`` is ``f(x_0) relu(word)``. At
the BOS, with its input 0, every knot and conjunction unit is ``relu(0) = 0``;
a step is ``relu(x/d) - relu(x/d) = 0`` whatever its input x there (which
the selector width's table uses: its input is 1 at the BOS).
"""

from __future__ import annotations

from fractions import Fraction

from compilers.library.model import Units


def word_unit(units: Units, word: str) -> str:
    """The unit ``relu(word)`` (= word: 1 at word positions, 0 at the BOS), made once per MLP."""
    made = units.__dict__.setdefault("_rasp_word", {})
    if word not in made:
        made[word] = units.unit({word: 1})
    return made[word]


def _shift(z: dict, x: Fraction, word: str, scale: Fraction = Fraction(1)) -> dict:
    """The pre-activation ``(z - x word) * scale``."""
    out = {d: w * scale for d, w in z.items()}
    out[word] = out.get(word, Fraction(0)) - x * scale
    return {d: w for d, w in out.items() if w}


def _step(units: Units, z: dict, low: Fraction, high: Fraction, word: str) -> list:
    """Terms of ``[z >= high]`` on a set with nothing strictly between low and high."""
    d = high - low
    return [(units.unit(_shift(z, low, word, 1 / d)), 1),
            (units.unit(_shift(z, high, word, 1 / d)), -1)]


def numeric(units: Units, z: dict, points: list, out: str, word: str) -> None:
    """Add ``f(z)`` to `out`, f given on its set by ``points = [(x, f(x)), ...]`` (x
    increasing), by knots or steps, whichever needs fewer units (module docstring)."""
    xs = [Fraction(x) for x, _ in points]
    ys = [Fraction(y) for _, y in points]
    slopes = [Fraction(0)] + [(ys[k + 1] - ys[k]) / (xs[k + 1] - xs[k])
                              for k in range(len(xs) - 1)]
    knots = [k for k in range(len(xs) - 1) if slopes[k + 1] != slopes[k]]
    jumps = [k for k in range(1, len(xs)) if ys[k] != ys[k - 1]]
    terms = [(word_unit(units, word), ys[0])] if ys[0] else []
    if len(knots) <= 2 * len(jumps):
        for k in knots:
            terms.append((units.unit(_shift(z, xs[k], word)), slopes[k + 1] - slopes[k]))
    else:
        for k in jumps:
            terms += [(u, c * (ys[k] - ys[k - 1])) for u, c in _step(units, z, xs[k - 1],
                                                                   xs[k], word)]
    if terms:
        units.emit(out, terms)


def thermometer(units: Units, z: dict, xs: list, changes: dict, word: str) -> None:
    """Add the step ``[z >= x_k]`` (exact on the set ``xs``, increasing) to ``changes[k]``
    for each index k >= 1 it names (two units each): the thermometer code of z, from which
    any function of z on its set is linear (``[f(z) = c]`` is ``[f(x_0) = c] word + sum_k
    ([f(x_k) = c] - [f(x_{k-1}) = c]) [z >= x_k]``)."""
    xs = [Fraction(x) for x in xs]
    for k, direction in changes.items():
        units.emit(direction, _step(units, z, xs[k - 1], xs[k], word))


def conjunction(units: Units, forms: list, word: str) -> str:
    """The unit ``relu(b_1 + ... + b_k - (k - 1) word)``: the AND of 0/1 forms b (0 at the
    BOS, where every b is 0)."""
    total: dict = {}
    for f in forms:
        for d, w in f.items():
            total[d] = total.get(d, Fraction(0)) + w
    total[word] = total.get(word, Fraction(0)) - (len(forms) - 1)
    return units.unit({d: w for d, w in total.items() if w})
