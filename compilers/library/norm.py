"""Layer normalisation: the Cookbook's Chapter 6, built on the IR's one `LayerNorm`.

Yang et al. 2026, "The Transformer Cookbook", Sec. 6. The IR has one
normalisation, `compilers.ir.LayerNorm`: in place over the directions it
lists, ``x_d <- g_d (x_d - mu) / sqrt(var + eps) + b_d`` (mean and biased
variance over those directions only; Def. 6.1). Everything else is a
composition with an MLP, so no backend needs another rule:

* **post-norm** (`post_norm`, `layer_norm`): the norm in place, after a sublayer;
* **pre-norm** (`pre_norm`): an MLP copies the directions, the norm acts on the
  copies, the sublayer reads the copies and the residual stream keeps the
  originals;
* **RMS norm** over D (`rms_norm`): a layer norm over D and its mirror ``-D``:
  the pair has mean 0 and variance ``mean_D x^2``, so D becomes
  ``x / sqrt(mean_D x^2 + eps)``;
* **normalising to ±1** (`sign`; Sec. 6.3, 6.4): a layer norm over the pair
  ``(x, -x)`` is ``±|x| / sqrt(x^2 + eps)``;
* **the layer-norm hash** (`layer_norm_hash`, `position_hash`; Sec. 3.3, 5.3.3;
  Merrill & Sabharwal 2024, Sec. 3.1): ``LN(x, 1, -x, -1)``.

The role of epsilon, as in Chiang & Cholak's PARITY
(`compilers.constructions.parity`, Sec. 5 of their paper): over a pair
``(v, -v)`` the norm gives ``v / sqrt(v^2 + eps)``, exactly ``±1`` at
``eps = 0`` whatever ``|v|`` (and undefined at ``v = 0``: every backend raises
`EvaluationError` there), but only ``|v| / sqrt(eps)`` when ``|v|`` is far
below ``sqrt(eps)`` (PARITY's margin ``1/((n+1)(n+2))`` drowns in torch's
default ``1e-5``: 0.93 bits of cross-entropy at n = 100). `magnitude` gives
the guaranteed size of the output for a margin and an epsilon, and
`largest_epsilon` the epsilon a margin tolerates; clipping the
input to ``±margin`` first (``clip=``; Sec. 6.4) makes the output the same
constant ``margin / sqrt(margin^2 + eps)`` for every ``|x| >= margin``.

Exactness: the exact backend takes square roots exactly when the variance is
a square of a rational (a pair ``(v, -v)`` always is: ``sqrt(v^2) = |v|``), and
otherwise at 256 bits, carrying the binary rational it rounds to
(`compilers.backends.exact`); a float backend rounds as torch does.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from fractions import Fraction

from compilers.errors import CompileError
from compilers.ir import I, LayerNorm
from compilers.library import positions
from compilers.library.model import Form, LibraryError, Model, number, split


def _epsilon(epsilon, where: str) -> Fraction:
    eps = number(epsilon, where=f"{where} epsilon")
    if eps < 0:
        raise LibraryError(f"{where}: epsilon {eps} must be >= 0")
    return eps


def _read(model: Model, value: Form, where: str) -> tuple[dict, Fraction]:
    try:
        terms, constant = split(value, where=where)
    except CompileError as error:
        raise LibraryError(str(error)) from None
    model.require(*terms, where=where)
    if not terms:
        raise LibraryError(f"{where}: the form {value!r} reads no direction")
    return terms, constant


def layer_norm(model: Model, dims: Sequence[str], *, epsilon=0, gain: Mapping | None = None,
               bias: Mapping | None = None) -> tuple[str, ...]:
    """The IR's layer norm in place over `dims` (Def. 6.1): mean and biased variance over
    `dims` only. Refused: fewer than 2 dims, a negative epsilon. Size: 1 layer norm."""
    where = "norm.layer_norm"
    dims = tuple(dims)
    model.require(*dims, where=where)
    if len(dims) < 2:
        raise LibraryError(f"{where}: {len(dims)} direction(s); a layer norm needs at least 2")
    try:
        block = LayerNorm(label=model.block_label("norm"), dims=dims,
                          epsilon=_epsilon(epsilon, where), gain=dict(gain or {}),
                          bias=dict(bias or {}))
    except CompileError as error:
        raise LibraryError(f"{where}: {error}") from None
    model.add(block)
    return dims


def post_norm(model: Model, dims: Sequence[str], *, epsilon=0, gain: Mapping | None = None,
              bias: Mapping | None = None) -> tuple[str, ...]:
    """Post-norm placement: `layer_norm` in place over `dims`, after the sublayer that
    wrote them (the original transformer's placement). Size: 1 layer norm."""
    return layer_norm(model, dims, epsilon=epsilon, gain=gain, bias=bias)


def pre_norm(model: Model, dims: Sequence[str], *, epsilon=0, gain: Mapping | None = None,
             bias: Mapping | None = None) -> tuple[str, ...]:
    """Pre-norm placement: normalised copies of `dims` for the next sublayer to read, the
    residual stream keeping the originals (``x + f(LN(x))``). An MLP copies each
    direction (``relu(x) - relu(-x)``, exact) into a fresh ``<d>_normed``, then a
    layer norm acts on the copies; returns the copies (gains and biases by the original
    names). Deviation, named: the IR has no pre-norm placement; this composition is
    the Cookbook's *selective* pre-norm ``x + f(LN(W x))`` with a diagonal W (Sec. 6,
    after Merrill & Sabharwal 2024), at the cost of one MLP and the copies' width.
    Size: 2 units per direction, 1 layer norm, ``len(dims)`` more width."""
    where = "norm.pre_norm"
    dims = tuple(dims)
    model.require(*dims, where=where)
    copies = tuple(model.fresh(f"{d}_normed") for d in dims)
    with model.mlp("pre_norm") as units:
        for d, copy in zip(dims, copies, strict=True):
            units.emit(copy, units.identity(d))
    rename = dict(zip(dims, copies, strict=True))
    return layer_norm(model, copies, epsilon=epsilon,
                      gain={rename.get(d, d): g for d, g in (gain or {}).items()},
                      bias={rename.get(d, d): b for d, b in (bias or {}).items()})


def rms_norm(model: Model, dims: Sequence[str], *, epsilon=0,
             gain: Mapping | None = None) -> tuple[str, ...]:
    """RMS norm in place over `dims`: ``x_d <- g_d x_d / sqrt(mean_D x^2 + eps)``.

    A layer norm over D and its mirror: an MLP writes ``-x_d`` into a fresh
    ``<d>_mirror`` (2 exact units each), then one layer norm over both halves, whose
    mean is 0 and whose biased variance is ``(2 sum_D x^2) / (2 |D|) = mean_D x^2``.
    The mirrors hold ``-g_d x_d / sqrt(...)`` afterwards. Deviation, named: the
    Cookbook (its RMS-norm section, after Zhang & Sennrich 2019) writes
    ``x / (RMS(x) + eps)``; this is ``x / sqrt(RMS(x)^2 + eps)``, torch's
    `nn.RMSNorm`; the two agree at ``eps = 0``, where a position with every x_d = 0
    is undefined (`EvaluationError`). Size: 2 units per direction, 1 layer norm,
    ``len(dims)`` more width. Refused: no direction, a negative epsilon."""
    where = "norm.rms_norm"
    dims = tuple(dims)
    model.require(*dims, where=where)
    if not dims:
        raise LibraryError(f"{where}: no direction given")
    mirrors = tuple(model.fresh(f"{d}_mirror") for d in dims)
    with model.mlp("mirror") as units:
        for d, mirror in zip(dims, mirrors, strict=True):
            units.emit(mirror, units.identity(d), -1)
    gain = dict(gain or {})
    gains = gain | {m: gain.get(d, 1) for d, m in zip(dims, mirrors, strict=True)}
    layer_norm(model, dims + mirrors, epsilon=epsilon, gain=gains)
    return dims


def sign(model: Model, x: Form, *, epsilon=0, clip=None,
         out: str | None = None) -> tuple[str, str]:
    """``±1``, the sign of x, by a layer norm over ``(x, -x)`` (Sec. 6.3, 6.4).

    An MLP writes x and ``-x`` into ``out`` and ``<out>_neg`` (2 units), a layer norm
    over that pair (epsilon `epsilon`) makes them ``x / sqrt(x^2 + eps)`` and its
    negative: exactly ``±1`` at ``eps = 0`` for every ``x != 0`` (the square root of
    ``x^2`` is exact), undefined at ``x = 0`` (every backend raises `EvaluationError`).
    With ``clip=delta`` the MLP clips x to ``[-delta, delta]`` first
    (``relu(x + delta) - relu(x - delta) - delta``, the same 2 units), so that every
    ``|x| >= delta`` gives exactly ``±delta / sqrt(delta^2 + eps)`` (Sec. 6.4's
    amplification: a signal of size delta becomes one of size about 1). Returns the
    pair. Size: 2 units, 1 layer norm."""
    where = "norm.sign"
    terms, constant = _read(model, x, where)
    eps = _epsilon(epsilon, where)
    delta = None if clip is None else number(clip, where=f"{where} clip")
    if delta is not None and delta <= 0:
        raise LibraryError(f"{where}: clip {delta} must be > 0")
    target = model.output(out, "sign")
    mirror = model.fresh(f"{target}_neg")
    with model.mlp("sign") as units:
        if delta is None:
            pieces, offset = units.identity(terms), constant
        else:
            pieces = [(units.unit(terms, constant + delta), 1),
                      (units.unit(terms, constant - delta), -1)]
            offset = -delta
        units.emit(target, pieces)
        units.emit(mirror, pieces, -1)
        units.constant(target, offset)
        units.constant(mirror, -offset)
    layer_norm(model, (target, mirror), epsilon=eps)
    return target, mirror


def magnitude(margin, epsilon, *, bits: int = 64) -> Fraction:
    """The guaranteed ``|sign(x)|`` for ``|x| >= margin`` (`sign` without clip, or with
    ``clip=margin``): ``margin / sqrt(margin^2 + eps)``, which grows with ``|x|``;
    exactly 1 at ``eps = 0``, else rounded down to a multiple of ``2^-bits`` (an exact
    lower bound: ``isqrt(floor(4^bits r)) / 2^bits`` for ``r = margin^2 / (margin^2 +
    eps)``). PARITY's margin ``1/((n+1)(n+2))`` at n = 100 and torch's ``eps = 1e-5``
    gives about 0.03, not 1 (Chiang & Cholak 2022, Sec. 5). Refused: a margin that
    is not positive, a negative epsilon."""
    margin, eps = number(margin, where="norm.magnitude margin"), _epsilon(epsilon,
                                                                         "norm.magnitude")
    if margin <= 0:
        raise LibraryError(f"norm.magnitude: margin {margin} must be > 0")
    if not eps:
        return Fraction(1)
    ratio = margin * margin / (margin * margin + eps)
    return Fraction(math.isqrt(math.floor(ratio * 4 ** bits)), 2 ** bits)


def largest_epsilon(margin, target) -> Fraction:
    """The largest epsilon with ``|sign(x)| >= target`` for every ``|x| >= margin``:
    ``margin / sqrt(margin^2 + eps) >= target`` iff ``eps <= margin^2 (1/target^2 - 1)``
    (exact). The role of epsilon in one line: a norm over ``(v, -v)`` amplifies a
    signal of size ``margin`` to ``target`` only if epsilon is this small. Refused: a
    margin that is not positive, a target outside (0, 1]."""
    margin = number(margin, where="norm.largest_epsilon margin")
    target = number(target, where="norm.largest_epsilon target")
    if margin <= 0 or not 0 < target <= 1:
        raise LibraryError(f"norm.largest_epsilon: margin {margin} must be > 0 and target "
                           f"{target} in (0, 1]")
    return margin * margin * (1 / (target * target) - 1)


def layer_norm_hash(model: Model, x: Form, *, y: Form = None, epsilon=0,
                    out: str | None = None) -> tuple[str, str, str, str]:
    """The layer-norm hash of x (Sec. 3.3, 5.3.3; Merrill & Sabharwal 2024, Def. 3):
    ``h(x, y) = LN(x, y, -x, -y) = (x, y, -x, -y) / sqrt((x^2 + y^2)/2 + eps)``,
    with ``y = 1`` by default (the Cookbook's ``phi(x) = phi(x, 1)``).

    An MLP writes x, y, -x, -y into four fresh directions ``<out>_0 .. _3`` (2 units
    per direction of each form, and output biases for their constants), a layer norm
    over them normalises (their mean is 0, their variance ``(x^2 + y^2)/2``). At
    ``eps = 0``, ``h(x, y) = 2 u(x/y)`` with ``u(r) = (r, 1, -r, -1)/sqrt(2 r^2 + 2)``
    a unit vector: a layer norm over 4 directions has norm 2, and the Cookbook's
    formula, ``u`` itself, is half of it. The hash is the same for ``(x, y)`` and
    ``(x/c, y/c)`` for any ``c > 0``: from ``C/i`` and ``1/i`` (counts by uniform
    attention) it is the hash of C. ``<u(q), u(k)> = 1`` iff ``q = k``
    (`attention.lookup_hash`). Epsilon keeps the direction and shrinks the hash by
    ``c = sqrt((x^2 + y^2)/(x^2 + y^2 + 2 eps))``: on the query side of a lookup that
    only scales the scores (the argmax stays, the gap shrinks by c); on the key side
    it does not, since ``(q k + 1) / sqrt(k^2 + 1 + 2 eps)`` is largest at
    ``k = q (1 + 2 eps)``, so keys are hashed with ``eps = 0``. Irrational in general:
    see the module docstring. Undefined where ``x = y = 0`` at ``eps = 0``
    (`EvaluationError`). Size: 2 units per direction read, 1 layer norm, 4 more width.
    Refused: an x that reads no direction."""
    where = "norm.layer_norm_hash"
    terms, constant = _read(model, x, where)
    if y is None:
        y_terms, y_constant = {}, Fraction(1)
    else:
        try:
            y_terms, y_constant = split(y, where=where)
        except CompileError as error:
            raise LibraryError(str(error)) from None
        model.require(*y_terms, where=where)
    base = out or "hash"
    dims = tuple(model.fresh(f"{base}_{k}") for k in range(4))
    with model.mlp("hash") as units:
        for (first, second), (form_terms, form_constant) in (
                ((dims[0], dims[2]), (terms, constant)),
                ((dims[1], dims[3]), (y_terms, y_constant))):
            if form_terms:
                pieces = units.identity(form_terms)
                units.emit(first, pieces)
                units.emit(second, pieces, -1)
            units.constant(first, form_constant)
            units.constant(second, -form_constant)
    layer_norm(model, dims, epsilon=epsilon)
    return dims


def position_hash(model: Model) -> tuple[str, str, str, str]:
    """The layer-norm hash of the position i, ``LN(i, 1, -i, -1)``, from positional
    features (no MLP), normalised once however often asked. Size: 1 layer norm (the
    first time), 4 positional features."""
    dims = tuple(positions.feature(model, f"pos_hash_{k}", value)
                 for k, value in enumerate((I, 1, -I, -1)))
    if not any(isinstance(b, LayerNorm) and b.dims == dims for b in model.blocks):
        layer_norm(model, dims)
    return dims
