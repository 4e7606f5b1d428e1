"""RASP (as Tracr defines it) to an exact average-hard transformer, by value sets.

Lindner et al., "Tracr" (NeurIPS 2023, arXiv 2301.05062, Sec. 3) compile a
RASP program (`languages.rasp`) by inferring each S-op's finite value set
and giving each operation a block: a categorical S-op is a one-hot vector
over its values, a numerical one a single direction. This compiler does the
same on the Cookbook's blocks (Yang et al. 2026), with every constant
derived from the value sets, so that the exact backend computes the RASP
evaluator's values at every length up to the maximum, and float backends
within a derived error (`compilers.programs.rasp_precision`).

The input is ``BOS x_0 ... x_{n-1}`` (the BOS at stream position 0, word
position p at stream position p + 1). Directions: ``bos`` (1 at the BOS),
``word`` (1 at every word position), ``one`` (1 everywhere), and per S-op
its one-hot directions or its number. Invariant: every S-op is 0 at the
BOS (`compilers.programs.rasp_tables`).

Each operation, its weights and where it sits (stage 0: the embedding;
layer l: its attention at stage 2l - 1, its MLP at 2l; an operation sits in
the first sublayer of its kind after every S-op it reads is ready):

* ``tokens``: one-hot token features (numerical: the token's value);
  ``indices``: positional features ``[i = p + 1]`` (numerical: ``i - word``);
  ``length``: ``[n = L]`` at word positions (numerical: n there); ``Full(c)``:
  ``word`` (numerical: ``c word``). No layer.
* ``Map(f, s)`` of a categorical s: a linear form, no layer: the one-hot of
  value c is the sum of s's one-hots of ``f^-1(c)``, a number is
  ``sum_v f(v) [s = v]``. Of a numerical s with values ``x_0 < ... <
  x_{K-1}``: an affine f on that set is a form; otherwise one MLP: knots or
  steps on the set (`rasp_tables.numeric`, `rasp_tables.thermometer`), exact
  on it, no ``large_number`` (Tracr's discretising MLP puts a ramp of slope
  ``large_number`` at each midpoint and is wrong where two values lie closer
  than its width).
* ``SequenceMap(f, s, t)``: a numerical f that is affine on the pairs of
  values is a form (``LinearSequenceMap`` always); a categorical affine one
  is the thermometer of that form (steps at its values, one MLP);
  otherwise one MLP with a conjunction unit ``relu([s = u] + [t = v] - word)``
  per pair (u, v) (numerical inputs are first made one-hot by steps).
* ``Select(keys, queries, predicate)`` (both one-hot; numerical ones are
  made one-hot first): the score ``s_ij = predicate(keys_j, queries_i)`` is
  the bilinear form ``sum_b [q_i = b] sum_{a: predicate(a, b)} [k_j = a]``, one
  head dimension per set of query values with the same keys; where the keys
  are a thermometer (values in order) and that set is a run of consecutive
  values, its key form is the difference of two thermometer steps (an
  ordered comparison costs O(values), not O(values^2); for ``<``, ``<=``,
  ``>``, ``>=`` of numbers each query value's run of keys is found by
  bisection, not by a predicate per pair). ``SelectorNot``
  negates the predicate; a conjunction of m selectors adds their scores
  (selected iff the score is m); any other ``SelectorAnd``/``SelectorOr`` of
  selectors over different S-ops is one Select over the tuples of its key
  and query S-ops (one-hot tuples by conjunction units).
* numbers of categorical S-ops: where a categorical S-op of numbers is read as
  one number (a numerical ``Map``, an affine ``SequenceMap``), its value is
  ``sum_v v [s = v]`` over its one-hots, except where a short form is known:
  ``i - word`` for the indices, the count w of a ``SelectorWidth`` (its own
  knots or steps on ``1/(w + 1)``, in the MLP that makes its one-hots, built
  only when read), and an affine ``Map`` of either. (``make_sort_freq``'s
  keys ``-hist + i/N`` take N^2 values; each of their 2(N^2 - 1) steps reads
  3 entries, not 2N + 1.)
* ``Aggregate(S, s, default)``: one average-hard head (Cookbook Def. 5.1)
  scoring a selected key m, another key at most m - 1, and the BOS
  ``m - 1/2`` (its query reads ``one``): the keys selected are exactly the
  maxima, and where none is the BOS is the only one. The head averages s's
  directions (0 at the BOS): a numerical aggregate is the exact mean, a
  categorical one the one-hot of the value its selected keys agree on.
  A default d other than 0 / None: the head also averages ``bos`` into
  ``nobody`` (1 iff nothing is selected), and the next MLP adds
  ``d relu(nobody + word - 1)``. Gap 1/2.
* ``SelectorWidth(S)``: one average-hard head scoring selected keys and the
  BOS m, the rest at most m - 1, averaging ``bos``: ``1/(w + 1)`` for w
  selected keys (Tracr's BOS trick, exactly); the next MLP maps ``1/(w + 1)``
  to w by steps on ``{1/(w + 1) : w = 0 .. N}``. Exact at every length up
  to N (Tracr's version decodes with ``large_number`` and miscounts; its
  issue #7).
* causal programs: every head is future-masked (``j <= i``; the BOS is
  always visible), which is the RASP evaluator's causal semantics (every
  selector masked to ``key <= query``).

Deviations from Tracr, named:

1. Numerical MLPs are exact on the inferred value set, built from its
   breakpoints, not Tracr's ``large_number`` approximation; categorical
   ``Map``s and affine numerical ones are linear forms (no MLP).
2. Value sets of numerical aggregates are all means (Tracr: ``{x/w}``, and it
   refuses non-binary values), kept by width where two aggregates share a
   selector (`rasp_values`).
3. ``SelectorAnd``, ``SelectorOr``, ``SelectorNot`` over any S-ops are
   compiled (Tracr refuses those it cannot merge into one Select; its issue
   #4); a categorical ``Aggregate`` with default None gives the zero vector
   (None) where nothing is selected (its issue #25), and with another default
   that default; ``causal=True`` is correct (its issue #19).
4. A numerical ``Aggregate`` with default None gives 0 where nothing is
   selected (the RASP evaluator gives None); a categorical ``Aggregate``
   whose selected values differ gives a mixture of one-hots, which decodes to
   no value (the evaluator gives their mean, or raises for non-numbers);
   Tracr has the same restriction.
5. ``ConstantSOp`` and ``ConstantSelector`` (Tracr's testing constructs)
   are refused, as Tracr's compiler does.
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
from dataclasses import dataclass, field
from fractions import Fraction

import sympy

from compilers.ir import AverageHard, I, N, Transformer
from compilers.library import Model, attention, positions
from compilers.library import tokens as bos_tokens
from compilers.programs import rasp_selectors, rasp_softmax, rasp_tables
from compilers.programs.booleans import ProgramCompileError
from compilers.programs.rasp_values import (
    ValueSets,
    affine_1d,
    affine_2d,
    call,
    flat,
    number,
    numeric,
)
from languages import rasp

MAX_PAIRS = 1 << 15
"""The most conjunction units one categorical SequenceMap or tuple may take."""
MAX_PREDICATES = 1 << 25
"""The most (key value, query value) pairs whose predicate one Select evaluates."""
MAX_ENTRIES = 1 << 21
"""The most weights the tables and scores of one program may take (a compile past it would
take minutes and a model of gigabytes; refused, naming the S-op that passes it)."""
HALF = Fraction(1, 2)


@dataclass
class Rep:
    """Where an S-op sits in the stream: one-hot `forms` by value (categorical) or one
    `form` (numerical), ready after stage `ready`."""

    numerical: bool
    ready: int
    form: dict = field(default_factory=dict)
    forms: dict = field(default_factory=dict)
    order: list | None = None  # values by increasing number, where thermo is known
    thermo: list | None = None  # thermo[c]: the form of [value >= order[c]]
    nullable: bool = False  # None (the zero vector) at some position
    number: object = None  # categorical with numbers: a compact form of its value, or a
    # function that makes one (called once, before the layers are built)


@dataclass(frozen=True)
class CompiledRasp:
    """A compiled program: the transformer, read out at every position, and how to read it.

    Attributes:
        transformer: the IR (read-out at every position; position 0 is the BOS).
        numerical: whether the output S-op is numerical (one output ``value``) or
            categorical (one output per value, ``out_k`` for ``values[k]``).
        outputs: the read-out's output names, in order.
        values: the output's values (categorical: one per output; numerical: the sorted
            value set, or None where it is too large to build).
        bos: the BOS token; tokens: the token of each vocabulary value.
        max_seq_len: the largest input length compiled for.
        causal: whether every head is future-masked.
        bounds: each positional feature's largest absolute value at lengths up to N.
        ranges: the largest absolute value of each direction the compiler writes, on
            every input (one-hot and thermometer entries 1, a number its value set's).
        attention: ``"average-hard"`` or ``"softmax"`` (every head ``Softmax(beta)``,
            `compilers.programs.rasp_softmax`).
        beta: the softmax heads' inverse temperature (None for average-hard).
        gaps: each softmax head's score gap, by label (what the precision analysis reads).
        beta_dtype: the least precise dtype beta was derived for (None: given, or
            average-hard).
    """

    transformer: Transformer
    numerical: bool
    outputs: tuple
    values: tuple | None
    bos: str
    tokens: dict
    max_seq_len: int
    causal: bool
    bounds: dict
    ranges: dict
    attention: str = "average-hard"
    beta: Fraction | None = None
    gaps: dict = field(default_factory=dict)
    beta_dtype: str | None = None


ATTENTION = ("average-hard", "softmax")
"""The kinds of head the compiler builds (`compile_rasp`'s ``attention``)."""


def _attn_stage(ready: int) -> int:
    return ready + 1 if ready % 2 == 0 else ready + 2


def _mlp_stage(ready: int) -> int:
    return ready + 1 if ready % 2 == 1 else ready + 2


def _add(*forms, scales=None) -> dict:
    out: dict = {}
    for k, f in enumerate(forms):
        s = Fraction(1) if scales is None else Fraction(scales[k])
        for d, w in f.items():
            out[d] = out.get(d, Fraction(0)) + w * s
    return {d: w for d, w in out.items() if w}


def _sorted(values) -> list:
    try:
        return sorted(values)
    except TypeError:
        return sorted(values, key=repr)


class _Compiler:
    def __init__(self, program, vocab, max_seq_len: int, causal: bool, bos: str, label: str):
        self.program = program
        self.n = max_seq_len
        self.causal = causal
        self.sets = ValueSets(vocab, max_seq_len)
        self.vocab = _sorted(set(vocab))
        self.token = {v: str(v) for v in self.vocab}
        if len(set(self.token.values())) != len(self.vocab) or bos in self.token.values():
            raise ProgramCompileError(f"RASP compiler: the vocabulary {self.vocab!r} must have "
                                      f"distinct names as text, none of them the BOS {bos!r}")
        self.bos_token = bos
        model = self.model = Model(label, tokens=(bos, *self.token.values()))
        self.one = model.one()
        self.bos = bos_tokens.bos(model, bos)
        self.word = model.token_feature("word", dict.fromkeys(self.token.values(), 1))
        self.ops: dict[int, list] = {}
        self.reps: dict[int, Rep] = {}
        self.mask = "causal" if causal else "none"
        self.entries = 0
        self.ranges: dict[str, Fraction] = {}
        self.numbers_of: dict[int, int] = {}

    # -- helpers --------------------------------------------------------------------------

    def base(self, sop) -> str:
        """A direction-name stem for `sop`: its name and its number in this compile (not
        its process-wide unique id, so that the same program builds the same IR)."""
        number = self.numbers_of.setdefault(id(sop), len(self.numbers_of))
        return "".join(c if c.isalnum() else "_" for c in f"{sop.name}_{number}")

    def spend(self, entries: int, sop) -> None:
        """Count `entries` weights against `MAX_ENTRIES`, refusing past it."""
        self.entries += entries
        if self.entries > MAX_ENTRIES:
            raise ProgramCompileError(
                f"RASP compiler: {getattr(sop, 'label', sop)} needs {entries} weights, which "
                f"brings the program to {self.entries}, past the limit of {MAX_ENTRIES} "
                f"(MAX_ENTRIES) at max_seq_len {self.n} (its value sets are too large for "
                "exact tables); compile it for a shorter maximum length")

    def op(self, stage: int, action) -> None:
        self.ops.setdefault(stage, []).append(action)

    def directions(self, sop, count: int, bound=1) -> list[str]:
        """`count` fresh directions for `sop`, each at most `bound` in absolute value on
        every input (None: not known), which the float error analysis reads."""
        names = [self.model.fresh(f"{self.base(sop)}_{k}") for k in range(count)]
        if bound is not None:
            self.ranges |= dict.fromkeys(names, Fraction(bound))
        return names

    def values(self, sop) -> list:
        values = self.sets.flat(sop)
        if values is None:
            raise ProgramCompileError(f"RASP compiler: S-op {sop.label} takes more than "
                                      "MAX_VALUES values at this maximum length; its table "
                                      "cannot be built")
        return _sorted(values)

    def numbers(self, sop) -> list:
        return sorted({number(v) for v in self.values(sop)})

    def rep(self, sop) -> Rep:
        if id(sop) not in self.reps:
            if not isinstance(sop, rasp.SOp):
                raise ProgramCompileError(f"RASP compiler: {sop!r} is not an S-op")
            self.reps[id(sop)] = self._rep(sop)
        return self.reps[id(sop)]

    def numeric_form(self, sop) -> tuple[dict, int]:
        """The S-op as one number: its form, or ``sum_v v [s = v]`` of a categorical one."""
        r = self.rep(sop)
        if r.numerical:
            return r.form, r.ready
        compact = self.compact(r)
        if compact is not None:
            return compact, r.ready
        return _add(*r.forms.values(), scales=[number(v) for v in r.forms]), r.ready

    def compact(self, r: Rep) -> dict | None:
        """A categorical S-op's value as a short form where one is known: ``i - word`` for
        the indices, a table's own number direction (made on demand in the same MLP), or an
        affine map of either; None elsewhere."""
        if callable(r.number):
            r.number = r.number()
        return r.number

    def one_hot(self, sop) -> Rep:
        """The S-op as one-hot forms: itself, or a numerical one through steps (one MLP)."""
        r = self.rep(sop)
        if not r.numerical:
            return r
        key = ("one_hot", id(sop))
        if key not in self.reps:
            points = sorted(((number(v), v) for v in self.values(sop)), key=lambda p: p[0])
            self.reps[key] = self._steps(sop, r.form, r.ready, points)
        return self.reps[key]

    # -- S-ops ------------------------------------------------------------------------------

    def _rep(self, sop) -> Rep:
        numerical = rasp.is_numerical(sop)
        if isinstance(sop, rasp.TokensType):
            if numerical:
                return Rep(True, 0, form={self.model.token_feature(
                    "tokens_value", {self.token[v]: number(v) for v in self.vocab}): Fraction(1)})
            return Rep(False, 0, forms={v: {self.model.token_feature(
                f"tokens_{k}", {self.token[v]: 1}): Fraction(1)}
                for k, v in enumerate(self.vocab)})
        if isinstance(sop, rasp.IndicesType):
            if numerical:
                return Rep(True, 0, form={positions.index(self.model): Fraction(1),
                                          self.word: Fraction(-1)})
            return Rep(False, 0, forms={p: {positions.feature(
                self.model, f"indices_{p}", sympy.Piecewise((1, sympy.Eq(I, p + 1)),
                                                            (0, True))): Fraction(1)}
                for p in range(self.n)},
                number=lambda: {positions.index(self.model): Fraction(1),
                                self.word: Fraction(-1)})
        if isinstance(sop, rasp.LengthType):
            if numerical:
                return Rep(True, 0, form={positions.feature(
                    self.model, "length", sympy.Piecewise((0, sympy.Eq(I, 0)), (N, True))):
                    Fraction(1)})
            return Rep(False, 0, forms={m: {positions.feature(
                self.model, f"length_{m}", sympy.Piecewise(
                    (1, sympy.And(sympy.Eq(N, m), I >= 1)), (0, True))): Fraction(1)}
                for m in range(1, self.n + 1)})
        if isinstance(sop, rasp.Full):
            if numerical:
                return Rep(True, 0, form={self.word: number(sop.fill)})
            return Rep(False, 0, forms={sop.fill: {self.word: Fraction(1)}})
        if isinstance(sop, rasp.Map):
            return self._map(sop, numerical)
        if isinstance(sop, rasp.SequenceMap):
            return self._sequence_map(sop, numerical)
        if isinstance(sop, rasp.Aggregate):
            return self._aggregate(sop, numerical)
        if isinstance(sop, rasp.SelectorWidth):
            return self._selector_width(sop, numerical)
        raise ProgramCompileError(f"RASP compiler: {type(sop).__name__} {sop.label} is not "
                                  "compiled (ConstantSOp is a testing construct; allowed: "
                                  "tokens, indices, length, Map, SequenceMap, "
                                  "LinearSequenceMap, Full, Aggregate, SelectorWidth)")

    def _map(self, sop, numerical: bool) -> Rep:
        inner = self.rep(sop.inner)
        f = sop.f
        if not inner.numerical:
            table = {v: call(f, v) for v in inner.forms}
            nullable = inner.nullable or None in table.values()
            line = None
            if not nullable and numeric(table) and numeric(table.values()) and (
                    inner.number is not None):
                line = affine_1d(sorted((number(v), number(y)) for v, y in table.items()))
            if line is not None:
                a, b = line
                scaled = lambda: _add(self.compact(inner), {self.word: Fraction(1)},  # noqa: E731
                                      scales=[a, b])
                if numerical:
                    return Rep(True, inner.ready, form=scaled())
                out = self._regroup(inner, table)
                return Rep(False, inner.ready, forms=out, number=scaled)
            if numerical:
                return Rep(True, inner.ready, nullable=nullable, form=_add(
                    *[inner.forms[v] for v in table if table[v] is not None],
                    scales=[number(y) for y in table.values() if y is not None]))
            return Rep(False, inner.ready, forms=self._regroup(inner, table), nullable=nullable)
        xs = self.numbers(sop.inner)
        points = [(x, call(f, x)) for x in xs]
        return self._table(sop, inner.form, inner.ready, points, numerical)

    def _regroup(self, inner: Rep, table: dict) -> dict:
        """The one-hot forms of ``f(s)``: each value's form the sum of its preimage's."""
        out: dict = {}
        for v, y in table.items():
            if y is not None:
                out[y] = _add(out.get(y, {}), inner.forms[v])
        return out

    def _table(self, sop, z: dict, ready: int, points: list, numerical: bool,
               affine_ok: bool = True) -> Rep:
        """f on a numerical input z given by ``points`` (x increasing): a form where f is
        affine on the set and numerical, else one MLP."""
        if numerical:
            if any(y is None for _, y in points):
                raise ProgramCompileError(f"RASP compiler: numerical S-op {sop.label} has no "
                                          "value (None) for some input value")
            ys = [(x, number(y)) for x, y in points]
            line = affine_1d(ys)
            if line is not None and affine_ok:
                a, b = line
                return Rep(True, ready, form=_add(z, {self.word: Fraction(1)}, scales=[a, b]))
            (out,) = self.directions(sop, 1, max(abs(y) for _, y in ys))
            stage = _mlp_stage(ready)
            self.op(stage, lambda units: rasp_tables.numeric(units, z, ys, out, self.word))
            return Rep(True, stage, form={out: Fraction(1)})
        return self._steps(sop, z, ready, points)

    def _steps(self, sop, z: dict, ready: int, points: list) -> Rep:
        """A categorical S-op ``f(z)`` from ``points = [(x, f(x))]`` (x increasing): the
        thermometer of z at every change of f (one MLP), each one-hot a form of it."""
        xs = [x for x, _ in points]
        labels = [y for _, y in points]
        changes = [k for k in range(1, len(points)) if labels[k] != labels[k - 1]]
        self.spend(2 * len(changes) * (len(z) + 2), sop)
        names = dict(zip(changes, self.directions(sop, len(changes)), strict=True))
        stage = _mlp_stage(ready) if changes else ready
        if changes:
            self.op(stage, lambda units: rasp_tables.thermometer(units, z, xs, names, self.word))
        step = {0: {self.word: Fraction(1)}} | {k: {d: Fraction(1)} for k, d in names.items()}
        forms: dict = {}
        for k in [0, *changes]:
            if labels[k] is not None:
                forms[labels[k]] = _add(forms.get(labels[k], {}), step[k])
            if k and labels[k - 1] is not None:
                forms[labels[k - 1]] = _add(forms[labels[k - 1]], step[k], scales=[1, -1])
        forms = {v: f for v, f in forms.items() if f}
        distinct = len(set(labels)) == len(labels) and None not in labels
        thermo = [step[k] for k in range(len(points))] if distinct else None
        return Rep(False, stage, forms=forms, order=labels if distinct else None, thermo=thermo,
                   nullable=None in labels)

    def _sequence_map(self, sop, numerical: bool) -> Rep:
        f = sop.f
        a_values, b_values = self.sets.flat(sop.fst), self.sets.flat(sop.snd)
        if a_values is None or b_values is None:
            bad = sop.fst if a_values is None else sop.snd
            raise ProgramCompileError(f"RASP compiler: S-op {bad.label} takes more than "
                                      "MAX_VALUES values; SequenceMap {sop.label} cannot be "
                                      "built")
        line = None
        if self.rep(sop.fst).nullable or self.rep(sop.snd).nullable:
            return self._pairs(sop, numerical)  # a None input gives None: no unit fires
        if isinstance(sop, rasp.LinearSequenceMap):
            line = (number(sop.fst_fac), number(sop.snd_fac), Fraction(0))
        elif numeric(a_values) and numeric(b_values):
            line = affine_2d(f, _sorted(a_values), _sorted(b_values))
        if line is not None:
            (fa, ra), (fb, rb) = self.numeric_form(sop.fst), self.numeric_form(sop.snd)
            z = _add(fa, fb, {self.word: Fraction(1)}, scales=line)
            ready = max(ra, rb)
            if numerical:
                return Rep(True, ready, form=z)
            own = self.sets.flat(sop)
            if own is not None and len(own) <= len(a_values) * len(b_values) + 1:
                points = sorted(((number(v), v) for v in own), key=lambda p: p[0])
                return self._steps(sop, z, ready, points)
        return self._pairs(sop, numerical)

    def _pairs(self, sop, numerical: bool) -> Rep:
        a, b = self.one_hot(sop.fst), self.one_hot(sop.snd)
        if len(a.forms) * len(b.forms) > MAX_PAIRS:
            raise ProgramCompileError(f"RASP compiler: SequenceMap {sop.label} needs "
                                      f"{len(a.forms) * len(b.forms)} units (a lookup table "
                                      f"over pairs of values); at most {MAX_PAIRS}")
        width = max((len(f) for f in (*a.forms.values(), *b.forms.values())), default=1)
        self.spend(len(a.forms) * len(b.forms) * (2 * width + 2), sop)
        table = {(u, v): call(sop.f, u, v) for u in a.forms for v in b.forms}
        stage = _mlp_stage(max(a.ready, b.ready))
        if numerical:
            (out,) = self.directions(sop, 1, max((abs(number(y)) for y in table.values()
                                                  if y is not None), default=0))

            def build(units):
                for (u, v), y in table.items():
                    if y is not None and number(y):
                        unit = rasp_tables.conjunction(units, [a.forms[u], b.forms[v]],
                                                       self.word)
                        units.emit(out, [(unit, number(y))])
            self.op(stage, build)
            return Rep(True, stage, form={out: Fraction(1)}, nullable=a.nullable or b.nullable)
        labels = _sorted({y for y in table.values() if y is not None})
        outs = dict(zip(labels, self.directions(sop, len(labels)), strict=True))

        def build_categorical(units):
            for (u, v), y in table.items():
                if y is not None:
                    unit = rasp_tables.conjunction(units, [a.forms[u], b.forms[v]], self.word)
                    units.emit(outs[y], [(unit, 1)])
        self.op(stage, build_categorical)
        return Rep(False, stage, forms={v: {d: Fraction(1)} for v, d in outs.items()},
                   nullable=a.nullable or b.nullable or None in table.values())

    # -- selectors ----------------------------------------------------------------------------

    def score(self, selector) -> tuple[list, int, int]:
        """The head's score pairs ``[(query form, key form)]``, the score m of a selected
        key (others score at most m - 1) and the stage after which it can be read."""
        leaves = rasp_selectors.conjunction(selector)
        if leaves is not None:
            pairs, ready = [], 0
            for select, negated in leaves:
                p, r = self._select(select.keys, select.queries, select.predicate, negated)
                pairs += p
                ready = max(ready, r)
            return pairs, len(leaves), ready
        keys = rasp_selectors.sops(selector, "keys")
        queries = rasp_selectors.sops(selector, "queries")
        key, kr = self.tuple_of(keys)
        query, qr = self.tuple_of(queries)
        index_k = {id(s): k for k, s in enumerate(keys)}
        index_q = {id(s): k for k, s in enumerate(queries)}

        def predicate(kt, qt):  # a single S-op's values are not tuples
            return rasp_selectors.holds(selector, kt if len(keys) > 1 else (kt,),
                          qt if len(queries) > 1 else (qt,), index_k, index_q)
        pairs = self._select_reps(key, query, predicate, False)
        return pairs, 1, max(kr, qr)

    def tuple_of(self, sops: list) -> tuple[Rep, int]:
        """One-hot forms over the tuples of values of `sops` (itself for one S-op)."""
        reps = [self.one_hot(s) for s in sops]
        if len(reps) == 1:
            return reps[0], reps[0].ready
        key = ("tuple", *(id(s) for s in sops))
        if key not in self.reps:
            combos = [()]
            for r in reps:
                combos = [(*c, v) for c in combos for v in r.forms]
                if len(combos) > MAX_PAIRS:
                    raise ProgramCompileError(
                        f"RASP compiler: a selector over {', '.join(s.label for s in sops)} "
                        f"needs more than {MAX_PAIRS} tuples of their values")
            self.spend(len(combos) * (len(reps) * 2 + 2), sops[0])
            names = [self.model.fresh(f"tuple_{k}") for k in range(len(combos))]
            self.ranges |= dict.fromkeys(names, Fraction(1))
            stage = _mlp_stage(max(r.ready for r in reps))

            def build(units):
                for combo, d in zip(combos, names, strict=True):
                    unit = rasp_tables.conjunction(
                        units, [r.forms[v] for r, v in zip(reps, combo, strict=True)],
                        self.word)
                    units.emit(d, [(unit, 1)])
            self.op(stage, build)
            self.reps[key] = Rep(False, stage, forms={c: {d: Fraction(1)}
                                                      for c, d in zip(combos, names, strict=True)})
        r = self.reps[key]
        return r, r.ready

    def _select(self, keys, queries, predicate, negated: bool) -> tuple[list, int]:
        k, q = self.one_hot(keys), self.one_hot(queries)
        return self._select_reps(k, q, predicate, negated), max(k.ready, q.ready)

    def _select_reps(self, k: Rep, q: Rep, predicate, negated: bool) -> list:
        ordered = self._ordered(k, q, predicate, negated)
        if ordered is not None:
            return ordered
        if len(k.forms) * len(q.forms) > MAX_PREDICATES:
            raise ProgramCompileError(f"RASP compiler: a Select over {len(k.forms)} key and "
                                      f"{len(q.forms)} query values at max_seq_len {self.n}; "
                                      f"at most {MAX_PREDICATES} pairs")
        groups: dict = {}
        for b, qform in q.forms.items():
            chosen = tuple(a for a in k.forms
                           if rasp_selectors.selects(predicate, a, b) != negated)
            if chosen:
                groups[chosen] = _add(groups.get(chosen, {}), qform)
        pairs = [(qform, self._keys(k, chosen)) for chosen, qform in groups.items()]
        self.spend(sum(len(qf) + len(kf) for qf, kf in pairs), "a Select")
        return pairs

    def _ordered(self, k: Rep, q: Rep, predicate, negated: bool) -> list | None:
        """An ordered comparison (``<``, ``<=``, ``>``, ``>=``) of numbers against keys whose
        thermometer is known: each query value selects a run of the sorted keys, found by
        bisection (O(values log values), not a predicate per pair); its key form is the
        difference of two thermometer steps. None where that does not apply."""
        flip = {rasp.Comparison.LT: rasp.Comparison.GEQ, rasp.Comparison.GEQ: rasp.Comparison.LT,
                rasp.Comparison.LEQ: rasp.Comparison.GT, rasp.Comparison.GT: rasp.Comparison.LEQ}
        if predicate not in flip or k.thermo is None or not (
                numeric(k.order) and numeric(q.forms)):
            return None
        if negated:
            predicate = flip[predicate]
        keys = [number(a) for a in k.order]
        if any(a >= b for a, b in itertools.pairwise(keys)):
            return None
        groups: dict = {}
        for b, qform in q.forms.items():
            x = number(b)
            if predicate is rasp.Comparison.LT:  # key < query: a prefix
                run = (0, bisect.bisect_left(keys, x))
            elif predicate is rasp.Comparison.LEQ:
                run = (0, bisect.bisect_right(keys, x))
            elif predicate is rasp.Comparison.GT:  # key > query: a suffix
                run = (bisect.bisect_right(keys, x), len(keys))
            else:
                run = (bisect.bisect_left(keys, x), len(keys))
            if run[0] < run[1]:
                groups[run] = _add(groups.get(run, {}), qform)
        pairs = []
        for (lo, hi), qform in groups.items():
            upper = k.thermo[hi] if hi < len(k.thermo) else {}
            pairs.append((qform, _add(k.thermo[lo], upper, scales=[1, -1])))
        self.spend(sum(len(qf) + len(kf) for qf, kf in pairs), "a Select")
        return pairs

    def _keys(self, k: Rep, chosen: tuple) -> dict:
        """The key form of ``[key in chosen]``: a difference of two thermometer forms where
        `chosen` is a run of consecutive values (in increasing order), else a sum of one-hots."""
        if k.thermo is not None and len(chosen) > 2:
            place = {v: c for c, v in enumerate(k.order)}
            spots = sorted(place[a] for a in chosen)
            if spots[-1] - spots[0] == len(spots) - 1:
                upper = k.thermo[spots[-1] + 1] if spots[-1] + 1 < len(k.thermo) else {}
                return _add(k.thermo[spots[0]], upper, scales=[1, -1])
        return _add(*[k.forms[a] for a in chosen])

    # -- attention ----------------------------------------------------------------------------

    def _aggregate(self, sop, numerical: bool) -> Rep:
        pairs, m, sel_ready = self.score(sop.selector)
        default = sop.default
        scores = [*pairs, ({self.one: Fraction(1)}, {self.bos: m - HALF})]
        if numerical:
            value, vr = self.numeric_form(sop.sop)
            inner = self.sets.flat(sop.sop)
            top = None if inner is None else max(
                [abs(number(v)) for v in inner] + [abs(number(default or 0))])
            (out,) = self.directions(sop, 1, top)
            writes = {out: value}
            outs = {None: out}
            fill = number(default) if default is not None else Fraction(0)
        else:
            inner = self.one_hot(sop.sop)
            vr = inner.ready
            labels = list(inner.forms)
            if default is not None and default not in inner.forms:
                labels.append(default)
            outs = dict(zip(labels, self.directions(sop, len(labels)), strict=True))
            writes = {outs[v]: inner.forms[v] for v in inner.forms}
            fill = default
        stage = _attn_stage(max(sel_ready, vr))
        nobody = self.model.fresh(f"{outs[next(iter(outs))]}_none") if fill else None
        if nobody:
            self.ranges[nobody] = Fraction(1)
        if nobody:
            writes[nobody] = {self.bos: Fraction(1)}
        self.op(stage, lambda units: attention.attend(
            self.model, writes, scores=scores, kind=AverageHard(gap=HALF), mask=self.mask,
            prefix="aggregate"))
        ready = stage
        if fill:
            ready = _mlp_stage(stage)
            target = outs[None] if numerical else outs[default]
            amount = fill if numerical else Fraction(1)

            def build(units):
                unit = units.unit({nobody: 1, self.bos: -1})  # nobody at words, 0 at the BOS
                units.emit(target, [(unit, amount)])
            self.op(ready, build)
        if numerical:
            return Rep(True, ready, form={outs[None]: Fraction(1)})
        return Rep(False, ready, forms={v: {d: Fraction(1)} for v, d in outs.items()},
                   nullable=default is None or inner.nullable)

    def _selector_width(self, sop, numerical: bool) -> Rep:
        pairs, m, ready = self.score(sop.selector)
        scores = [*pairs, ({self.one: Fraction(1)}, {self.bos: Fraction(m)})]
        share = self.model.fresh(f"{self.base(sop)}_share")
        self.ranges[share] = Fraction(1)
        stage = _attn_stage(ready)
        self.op(stage, lambda units: attention.attend(
            self.model, {share: {self.bos: Fraction(1)}}, scores=scores,
            kind=AverageHard(gap=Fraction(1)), mask=self.mask, prefix="selector_width"))
        z = {share: Fraction(1)}
        points = [(Fraction(1, w + 1), w) for w in range(self.n, -1, -1)]
        if numerical:
            (out,) = self.directions(sop, 1, self.n)
            mlp = _mlp_stage(stage)
            ys = [(x, Fraction(w)) for x, w in points]
            self.op(mlp, lambda units: rasp_tables.numeric(units, _add(z, {self.bos: -1}), ys,
                                                            out, self.word))
            return Rep(True, mlp, form={out: Fraction(1)})
        rep = self._table(sop, z, stage, points, False)

        def count():  # w itself, by the same table's steps, in the same MLP (made on demand)
            (out,) = self.directions(sop, 1, self.n)
            ys = [(x, Fraction(w)) for x, w in points]
            self.op(rep.ready, lambda units: rasp_tables.numeric(
                units, _add(z, {self.bos: -1}), ys, out, self.word))
            return {out: Fraction(1)}
        if rep.ready == _mlp_stage(stage):
            rep.number = count
        return rep

    # -- the whole ------------------------------------------------------------------------------

    def build(self) -> CompiledRasp:
        out = self.rep(self.program)
        last = max(self.ops, default=0)
        layers = (last + 1) // 2
        for layer in range(1, layers + 1):
            with self.model.parallel(f"layer{layer}"):
                for action in self.ops.get(2 * layer - 1, []):
                    action(None)
                if self.ops.get(2 * layer):
                    units = self.model.units("mlp")
                    for action in self.ops[2 * layer]:
                        action(units)
        if out.numerical:
            outputs = ("value",)
            readout = {"value": out.form}
            values = self.sets.flat(self.program)
            values = None if values is None else tuple(sorted({number(v) for v in values}))
        else:
            values = tuple(out.forms)
            outputs = tuple(f"out_{k}" for k in range(len(values)))
            readout = dict(zip(outputs, out.forms.values(), strict=True))
        transformer = self.model.build(readout, position="all")
        return CompiledRasp(transformer=transformer, numerical=out.numerical, outputs=outputs,
                            values=values, bos=self.bos_token, tokens=dict(self.token),
                            max_seq_len=self.n, causal=self.causal,
                            bounds={f: self.n if f in ("i", "length") else 1
                                    for f in self.model.features},
                            ranges=dict(self.ranges))


def compile_rasp(program, *, vocab, max_seq_len: int, causal: bool = False, bos: str = "$",
                 label: str = "rasp", attention: str = "average-hard",
                 beta: Fraction | None = None) -> CompiledRasp:
    """The exact transformer of a RASP S-op (see the module docstring).

    Args:
        program: the output S-op (`languages.rasp`).
        vocab: the values a token may take (their text, ``str(v)``, names the token).
        max_seq_len: the largest input length N (value sets, one-hot positions).
        causal: future-mask every head (the evaluator's ``causal=True``).
        bos: the BOS token, not the text of a vocabulary value.
        label: the transformer's label.
        attention: ``"average-hard"`` (exact), or ``"softmax"``: every head
            ``Softmax(beta)``, beta derived from N, the gaps, the values and the dtypes
            (`compilers.programs.rasp_softmax.softmax_beta`).
        beta: with ``"softmax"``, this inverse temperature instead of the derived one (for
            tests that show what too small a beta does; nothing is then guaranteed).

    Raises:
        ProgramCompileError: a construct not compiled, a value set or table past its
            limit, a numerical S-op with a value that is not a number, a softmax model
            no beta makes decode right; each named.
    """
    if attention not in ATTENTION:
        raise ProgramCompileError(f"compile_rasp: attention {attention!r}; allowed: "
                                  f"{', '.join(ATTENTION)}")
    if beta is not None and (attention != "softmax" or not Fraction(beta) > 0):
        raise ProgramCompileError(f"compile_rasp: beta {beta!r} needs attention 'softmax' "
                                  "and a positive number")
    if not isinstance(program, rasp.SOp):
        raise ProgramCompileError(f"compile_rasp needs a RASP S-op, got {program!r}"[:200])
    if isinstance(max_seq_len, bool) or not isinstance(max_seq_len, int) or not (
            1 <= max_seq_len <= 4096):
        raise ProgramCompileError(f"compile_rasp: max_seq_len {max_seq_len!r}; allowed: an "
                                  "integer in 1..4096")
    vocab = set(vocab)
    if not vocab or None in vocab:
        raise ProgramCompileError(f"compile_rasp: vocab {vocab!r} must be a non-empty set "
                                  "of values (None is not a token)")
    compiled = _Compiler(program, vocab, max_seq_len, bool(causal), bos, label).build()
    if attention == "average-hard":
        return compiled
    if beta is not None:
        return rasp_softmax.soften(compiled, Fraction(beta))
    derived, dtype = rasp_softmax.softmax_beta(compiled)
    return dataclasses.replace(rasp_softmax.soften(compiled, derived), beta_dtype=dtype)


__all__ = ["ATTENTION", "CompiledRasp", "compile_rasp", "flat"]
