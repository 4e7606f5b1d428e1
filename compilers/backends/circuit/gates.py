"""`Gates`: the few gadgets every lowering is made of, over exact forms.

All of them rest on one fact (the "function of a weighted sum" gadget of
`circuitx.gadgets.weighted`, after Hajnal et al. 1993 and Siu, Roychowdhury &
Kailath 1995): for a form whose numerator is ``c + g S`` with
``S = sum_k w_k b_k`` an integer weighted sum of bits in ``[lo, hi]``, *any*
function f of the form is

.. math:: f(S) = f(lo) + \\sum_{s \\in (lo, hi]} (f(s) - f(s-1)) [S \\ge s],

a linear form over the *step gates* ``[S >= s]`` of the breakpoints of f: one
threshold layer, and a linear form again (so the next layer can read it).
Where what is known of S's wires (nested step gates, below) leaves it fewer
values than its range, the sum runs over those values only
(`Gates._attainable`): f changes only where S can.

`Gates` remembers every step gate it made as ``(base, s)``, with ``base`` the
normalised weighted sum S. A form all of whose wires are step gates of one
base is a *thermometer* form: a function of that S alone, constant between
its thresholds. A function of a thermometer form is evaluated piece by piece
and re-expressed over the *same* step gates, with no new gate and no new
layer. This is what keeps PARITY's circuit at the hand-built size: the count
``K`` of ones is one base, and every later ReLU, layer norm and comparison is
a function of K.

Other gadgets: a bit times a form (one AND gate per wire of the form), the
product of two forms (one AND gate per pair of wires), and comparisons
(one threshold gate on the difference of two forms).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from fractions import Fraction

from circuitx.builder import CircuitBuilder
from circuitx.circuit import FALSE, TRUE
from compilers.backends.circuit.fixed import Form, UnsupportedError, combine

MAX_RANGE = 1 << 18
"""A function of a non-thermometer form is tabulated over at most this many values of S."""


class Gates:
    """A `CircuitBuilder` with the step-gate registry described in the module docstring."""

    def __init__(self, builder: CircuitBuilder | None = None):
        self.builder = builder or CircuitBuilder()
        self.steps: dict[int, dict[int, int]] = {}  # wire -> {base id: s}
        self.base_ids: dict[tuple, int] = {}  # (wires, weights) -> base id
        self.bases: list[tuple[tuple, tuple, int, int]] = []  # id -> wires, weights, lo, hi
        self.made: dict[tuple[int, int], int] = {}  # (base id, s) -> wire

    # -- bases and step gates ------------------------------------------------

    def base_of(self, terms: dict[int, int]) -> tuple[int, int]:
        """``(base id, g)`` with ``sum terms = g * S_base``."""
        g = math.gcd(*terms.values())
        wires = tuple(sorted(terms))
        weights = tuple(terms[x] // g for x in wires)
        key = (wires, weights)
        found = self.base_ids.get(key)
        if found is None:
            lo = sum(w for w in weights if w < 0)
            hi = sum(w for w in weights if w > 0)
            found = self.base_ids[key] = len(self.bases)
            self.bases.append((wires, weights, lo, hi))
        return found, g

    def base_step(self, base: int, s: int, label: str | None = None) -> int:
        """The wire ``[S_base >= s]``, constant-folded outside the base's range."""
        wire = self.made.get((base, s))
        if wire is not None:
            return wire
        wires, weights, lo, hi = self.bases[base]
        if s <= lo:
            return TRUE
        if s > hi:
            return FALSE
        wire = self.made[(base, s)] = self.builder.gate(wires, weights, s, label)
        if wire > TRUE:
            self.steps.setdefault(wire, {}).setdefault(base, s)
        return wire

    def _thermometer(self, form: Form) -> int | None:
        """A base every wire of `form` is a step gate of, or None."""
        common = None
        for wire in form.terms:
            bases = self.steps.get(wire)
            if not bases:
                return None
            common = set(bases) if common is None else common & bases.keys()
            if not common:
                return None
        return min(common) if common else None

    def chain(self, wires: list[int]) -> None:
        """Declare `wires` (in order) nested: each one's value implies every earlier one's
        (``[y >= v_1] >= [y >= v_2] >= ...`` for increasing thresholds of one value y).

        They become the step gates ``s = 1, 2, ...`` of a fresh base of their own, so a
        form over them is a thermometer form (`_thermometer`): its functions are re-expressed
        over the same wires and its bounds are tight. The base has no weighted sum behind it
        and `base_step` is never asked for it (only step gates of a form's own sum are).
        """
        wires = [w for w in wires if w > TRUE]
        if not wires:
            return
        base = len(self.bases)
        self.bases.append(((), (), 0, len(wires)))
        for s, wire in enumerate(wires, start=1):
            self.steps.setdefault(wire, {}).setdefault(base, s)

    def bounds(self, form: Form) -> tuple[Fraction, Fraction]:
        """The exact interval of a form: tight for a thermometer form (one piece per
        threshold), else with the wires taken as independent bits."""
        base = self._thermometer(form)
        if base is None or form.is_constant:
            return form.bounds()
        num = low = high = form.const
        for _, w in sorted((self.steps[wire][base], w) for wire, w in form.terms.items()):
            num += w
            low, high = min(low, num), max(high, num)
        return Fraction(low, form.den), Fraction(high, form.den)

    # -- functions of one form ------------------------------------------------

    def apply(self, form: Form, fn: Callable[[int], int], out_den: int,
              label: str | None = None) -> Form:
        """The exact form ``fn(num) / out_den`` where ``num`` is `form`'s numerator.

        `fn` maps an integer numerator (the value is ``num / form.den``) to an
        integer numerator over `out_den`.
        """
        if form.is_constant:
            return Form({}, fn(form.const), out_den).reduced()
        base = self._thermometer(form)
        if base is not None:
            return self._apply_thermometer(form, base, fn, out_den)
        base, g = self.base_of(form.terms)
        wires, weights, lo, hi = self.bases[base]
        values = self._attainable(wires, weights, min(hi - lo, MAX_RANGE))
        if values is None and hi - lo > MAX_RANGE:
            raise UnsupportedError(f"{label or 'a value'}: a non-linear function of a sum that "
                                   f"takes {hi - lo + 1} values (more than {MAX_RANGE}); the "
                                   "circuit backend tabulates functions of small ranges only")
        values = values or range(lo, hi + 1)
        start = previous = fn(form.const + g * values[0])
        terms: dict[int, int] = {}
        const = start
        for s in values[1:]:
            value = fn(form.const + g * s)
            if value != previous:
                wire = self.base_step(base, s, label)
                delta = value - previous
                if wire == TRUE:
                    const += delta
                elif wire != FALSE:
                    terms[wire] = terms.get(wire, 0) + delta
                previous = value
        return Form(terms, const, out_den).reduced()

    def _attainable(self, wires: tuple, weights: tuple, limit: int) -> list[int] | None:
        """The values ``S = sum_k w_k b_k`` can take given what is known of its wires, in
        increasing order, or None where there may be more than `limit` (or no fewer than the
        whole range would give).

        Step gates of one base (or one chain) are nested: those that hold are the ones of
        the smallest thresholds, so such a group contributes one of its prefix sums; any
        other wire contributes 0 or its weight. The sumset of these choices holds every
        value S takes (a superset where a wire could have been grouped with another base),
        so a function of S needs a step gate ``[S >= v]`` only at those values v: at a
        stated precision a sum of rounded means (denominator ``2^F``) takes a few values
        spread over a range of about ``2^F``.
        """
        groups: dict[int, list[tuple[int, int]]] = {}
        free = []
        for wire, w in zip(wires, weights, strict=True):
            bases = self.steps.get(wire)
            if bases:
                base = min(bases)
                groups.setdefault(base, []).append((bases[base], w))
            else:
                free.append(w)
        if all(len(members) < 2 for members in groups.values()):
            return None  # independent bits: their subset sums are (nearly) the whole range
        sums = {0}
        choices = [[0, *itertools.accumulate(w for _, w in sorted(members))]
                   for members in groups.values()] + [[0, w] for w in free]
        for options in choices:
            sums = {a + o for a in sums for o in options}
            if len(sums) > limit:
                return None
        return sorted(sums)

    def _apply_thermometer(self, form: Form, base: int, fn, out_den: int) -> Form:
        pieces = sorted((self.steps[wire][base], wire, w) for wire, w in form.terms.items())
        num = form.const
        previous = const = fn(num)
        terms = {}
        for _, wire, w in pieces:
            num += w
            value = fn(num)
            if value != previous:
                terms[wire] = value - previous
                previous = value
        return Form(terms, const, out_den).reduced()

    def step(self, form: Form, t: int, label: str | None = None) -> int:
        """The wire ``[numerator of form >= t]``."""
        if form.is_constant:
            return TRUE if form.const >= t else FALSE
        if self._thermometer(form) is not None:
            return self.bit(self.apply(form, lambda v: int(v >= t), 1, label), label)
        base, g = self.base_of(form.terms)
        return self.base_step(base, -((form.const - t) // g), label)  # ceil((t - c) / g)

    def bit(self, form: Form, label: str | None = None) -> int:
        """A wire holding a form whose value is 0 or 1: ``[numerator >= den]``, one gate."""
        if form.is_constant:
            return TRUE if form.const >= form.den else FALSE
        if len(form.terms) == 1 and form.const == 0:
            (wire, w), = form.terms.items()
            if w == form.den:
                return wire
        return self.builder.gate(list(form.terms), list(form.terms.values()),
                                 form.den - form.const, label)

    # -- products ---------------------------------------------------------------

    def bit_times(self, bit: int, form: Form, label: str | None = None) -> Form:
        """``bit * form``: one AND gate per wire of the form."""
        if bit == TRUE:
            return form
        if bit == FALSE or (form.is_constant and not form.const):
            return Form({}, 0, 1)
        terms: dict[int, int] = {bit: form.const} if form.const else {}
        const = 0
        for wire, w in form.terms.items():
            both = self.builder.and_(bit, wire, label=label)
            if both == TRUE:
                const += w
            elif both != FALSE:
                terms[both] = terms.get(both, 0) + w
        return Form(terms, const, form.den).reduced()

    def multiply(self, a: Form, b: Form, label: str | None = None) -> Form:
        """``a * b`` exactly: one AND gate per pair of wires (a bilinear expansion)."""
        if a.is_constant:
            return combine([(a.value, b)])
        if b.is_constant:
            return combine([(b.value, a)])
        parts = [(Fraction(b.const, b.den), a), (Fraction(a.const, a.den), b)]
        terms: dict[int, int] = {}
        for x, wx in a.terms.items():
            for y, wy in b.terms.items():
                both = self.builder.and_(x, y, label=label)
                if both > TRUE:
                    terms[both] = terms.get(both, 0) + wx * wy
        product = Form(terms, -a.const * b.const, a.den * b.den)
        return combine([*parts, (1, product)])
