"""C-RASP to future-masked average-hard (or softmax) attention: one attention layer per
level of counting depth.

Yang & Chiang (COLM 2024, arXiv 2404.04393): their compilation of C-RASP into
future-masked softmax transformers, with depth counted as
in Yang, Cadilhac & Chiang ("Knee-Deep in C-RASP", arXiv 2506.16055):
a program of counting depth K becomes a transformer with K attention
sublayers. Built from the Cookbook's blocks (Yang et al. 2026): uniform causal
attention (`compilers.library.attention.attend` with no scores, Sec. 5.1.2),
layer norm over a pair (Sec. 6.3), truth tables (Sec. 4.8), token features.

The input is the word after a BOS token ``$`` (position 0; word position p
is stream position p + 1); no positional encoding.

* Counts are never stored. Every comparison is rewritten as Booleans of
  *signs* ``[L + h > 0]``: L an integer linear combination of counts
  ``#[j ≤ i] P(j)``, h a half-integer (``C < C'`` is ``[C' - C - 1/2 > 0]``,
  ``C ≤ C'`` is ``[C' - C + 1/2 > 0]``, ``>`` and ``≥`` their negations, ``=`` the
  AND of two signs, ``≠`` its negation), exactly right for integers and never
  0, since ``L + h`` is a half-integer.
* A sign s owns two directions ``(x_s, -x_s)``. Each count ``#[j ≤ i] P(j)`` is
  one head (causal mask, every score 0, so every kind of attention weighs
  the ``p + 2`` visible positions equally) whose value is the 0/1 direction of
  P, 0 at BOS: it adds ``C(p) / (p + 2)`` times the count's coefficient in L to
  ``x_s`` and its negative to ``-x_s``, for every sign that uses the count. One
  head in the first layer averages the BOS indicator (``1/(p + 2)``) and adds
  ``h / (p + 2)``. So ``x_s = (L(p) + h) / (p + 2) != 0``.
* After the attention sublayer of the sign's depth, a layer norm over the
  pair (epsilon 0) makes it ``±1`` exactly (``x / sqrt(x^2) = ±1``): the
  Boolean ``(1 + x_s) / 2``.
* One MLP then writes every Boolean the next layer counts (0 at BOS: the BOS
  indicator joins the function's inputs) and every output of this depth, as
  functions of signs, token features and earlier Booleans (truth tables or
  disjoint conjunctions, `compilers.programs.booleans`). Depth-0 Booleans are
  token features. So each layer is one attention sublayer, its layer norms
  and one MLP: the Cookbook's layer count is the counting depth.

Exactness: attention averages of 0/1 values and integers, and square roots
of squares, are exact rationals, so the exact backend computes each sign's
``±1`` exactly at every length. A float backend rounds ``x_s`` (error about
``K eps`` for K the sum of the coefficients' sizes, against a margin of
``1/(2(n + 1))``) and the layer norm's ``±1`` (error about ``eps``).

Deviations, by number:
  1. Comparisons by layer norm, not by an FFN comparator: an FFN step needs a
     tolerance below the margin ``1/(2(n + 1))``, weights growing with the
     length; the layer norm over ``(x, -x)`` decides the sign at every length
     with the same weights (the layer-norm sign of Chiang & Cholak's PARITY,
     which the public C-RASP compiler also uses for comparisons). Each sign
     is one `LayerNorm` block over its two directions only (no count is lost
     to it, unlike a layer norm over the whole stream).
  2. The FFN of a layer is one MLP; a Boolean function that needs more than
     `booleans.MAX_UNITS` hidden units within one layer is refused.
  3. The COLM paper's conditional and min/max of counts are not in the
     language (`languages.crasp`).
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from compilers.ir import AverageHard, Softmax, Transformer
from compilers.library import Model, attention, norm, positions, tokens
from compilers.programs.booleans import (
    Booleans,
    ProgramCompileError,
    at_i,
    check_readout,
    readout,
)
from languages import crasp
from languages.brasp import And, Const, Not, Var
from languages.crasp import Add, Compare, Count, Number, Scale

KINDS = {"average-hard": AverageHard, "softmax": Softmax}
HALF = Fraction(1, 2)


class _Compiler:
    def __init__(self, program: crasp.Program, outputs: Sequence[str], label: str, bos: str,
                 kind: str, *, position: str = "all", logit: str | None = None):
        self.program = program
        self.read = list(outputs)
        self.position, self.logit = position, logit
        self.outputs = list(dict.fromkeys([*outputs, *([program.output] if logit else [])]))
        self.types = program.types
        self.definitions = {d.name: d.operation for d in program.definitions}
        self.kind = KINDS[kind]()
        self.model = Model(label, tokens=(bos, *program.alphabet))
        positions.none(self.model)
        self.model.one()  # declared first: a vector named "one" must not be taken for it
        self.bos = tokens.bos(self.model, bos)
        self.booleans = Booleans(self.model, program.alphabet, zero_token=bos)
        self.counts: dict = {}  # Count node -> its depth
        self.signs: dict = {}  # (linear terms, constant) -> {"depth", "dir", "mirror"}
        self.made: dict = {}  # Boolean vector -> (form, stage)
        self.depth_of: dict = {}

    # -- counts and signs --------------------------------------------------------------

    def linear(self, expr) -> tuple[dict, int]:
        """A count expression as ``({Count node: coefficient}, constant)``."""
        if isinstance(expr, Var):
            return self.linear(self.definitions[expr.name])
        if isinstance(expr, Number):
            return {}, expr.value
        if isinstance(expr, Count):
            return {expr: 1}, 0
        if isinstance(expr, Scale):
            terms, c = self.linear(expr.operand)
            return {k: v * expr.factor for k, v in terms.items()}, c * expr.factor
        (left, a), (right, b) = self.linear(expr.left), self.linear(expr.right)
        sign = 1 if isinstance(expr, Add) else -1
        terms = dict(left)
        for k, v in right.items():
            terms[k] = terms.get(k, 0) + sign * v
        return {k: v for k, v in terms.items() if v}, a + sign * b

    def depth(self, expr) -> int:
        """Counting depth of a (count or Boolean) expression read at one position."""
        if isinstance(expr, Var):
            if expr.name not in self.depth_of:
                self.depth_of[expr.name] = self.depth(self.definitions[expr.name])
            return self.depth_of[expr.name]
        if isinstance(expr, Count):
            return 1 + self.depth(at_i(expr.inner))
        return max((self.depth(k) for k in expr.operands()), default=0)

    def sign(self, terms: dict, constant: Fraction):
        """The atom ``[L + h > 0]`` (declared once)."""
        key = (frozenset(terms.items()), constant)
        if key not in self.signs:
            for count in terms:
                self.counts[count] = self.depth(count)
            self.signs[key] = {"depth": max(self.counts[c] for c in terms),
                               "terms": terms, "constant": constant}
        return Var(("sign", key))

    def compare(self, expr: Compare):
        """A comparison as a Boolean expression over signs (see the module docstring)."""
        (left, a), (right, b) = self.linear(expr.left), self.linear(expr.right)
        terms = dict(right)
        for k, v in left.items():
            terms[k] = terms.get(k, 0) - v
        terms = {k: v for k, v in terms.items() if v}
        d = b - a
        if not terms:
            held = {"<": d > 0, "<=": d >= 0, ">": d < 0, ">=": d <= 0, "=": d == 0,
                    "!=": d != 0}[expr.op]
            return Const(held)
        op = expr.op
        above = self.sign(terms, d - HALF) if op in ("<", ">=", "=", "!=") else None
        at_least = self.sign(terms, d + HALF) if op in ("<=", ">", "=", "!=") else None
        if op in ("=", "!="):
            equal = And(at_least, Not(above))
            return equal if op == "=" else Not(equal)
        return {"<": above, "<=": at_least, ">": Not(at_least), ">=": Not(above)}[op]

    # -- Booleans over what the stream holds -------------------------------------------

    def expand(self, expr, stage: int):
        """A Boolean expression (read at i) over atoms: signs, Booleans made before
        `stage`, symbols; comparisons become signs."""
        if isinstance(expr, Var):
            if expr.name in self.made and self.made[expr.name][1] < stage:
                return Var(("vector", expr.name))
            return self.expand(self.definitions[expr.name], stage)
        if isinstance(expr, Compare):
            return self.compare(expr)
        kids = expr.operands()
        return expr.with_operands([self.expand(k, stage) for k in kids]) if kids else expr

    def make(self, expr, stage: int, hint: str, *, zero: bool = False) -> dict:
        return self.booleans.materialize(self.expand(at_i(expr), stage), hint=hint, zero=zero)

    def vector(self, name: str, stage: int) -> dict:
        if name not in self.made:
            form = self.make(Var(name), stage, name)
            self.made[name] = (form, stage)
            self.booleans.atom(("vector", name), form)
        return self.made[name][0]

    # -- the whole ------------------------------------------------------------------------

    def build(self) -> Transformer:
        model = self.model
        for name in self.outputs:  # declares every sign and count the outputs reach
            self.expand(Var(name), 0)
        self._reach()
        levels = max([self.depth(Var(n)) for n in self.outputs] + [0])
        for s in self.signs.values():
            s["dir"] = model.fresh("sign")
            s["mirror"] = model.fresh(f"{s['dir']}_neg")
        inners: dict = {}
        with model.parallel("prepare0"):
            self._prepare(0, 0, inners)
        for level in range(1, levels + 1):
            signs = [s for s in self.signs.values() if s["depth"] == level]
            with model.parallel(f"layer{level}"):
                if level == 1:
                    self._constants()
                self._heads(level, inners)
            for s in signs:
                norm.layer_norm(model, (s["dir"], s["mirror"]))
                self.booleans.atom(("sign", self._key(s)), {s["dir"]: HALF, 1: HALF})
            with model.parallel(f"prepare{level}"):
                self._prepare(level, 2 * level, inners)
        weights, bias = readout({n: self.vector(n, 2 * levels) for n in self.read},
                                logit=self.logit, of=self.vector(self.program.output, 2 * levels))
        return model.build(weights, bias=bias, position=self.position)

    def _reach(self) -> None:
        """Declare the signs of the counts inside counts, depth by depth."""
        done: set = set()
        while set(self.counts) - done:
            for count in list(set(self.counts) - done):
                done.add(count)
                self.expand(at_i(count.inner), 0)

    def _key(self, sign: dict):
        return (frozenset(sign["terms"].items()), sign["constant"])

    def _constants(self) -> None:
        """The head that adds ``h / (p + 2)`` to every sign (``1/(p + 2)``: the BOS's mean)."""
        writes = {}
        for s in self.signs.values():
            writes[s["dir"]] = {self.bos: s["constant"]}
            writes[s["mirror"]] = {self.bos: -s["constant"]}
        if writes:
            attention.attend(self.model, writes, kind=self.kind, mask="causal",
                             prefix="constants")

    def _heads(self, level: int, inners: dict) -> None:
        added = level == 1 and bool(self.signs)
        for count, depth in self.counts.items():
            if depth != level:
                continue
            writes = {}
            for s in self.signs.values():
                coef = s["terms"].get(count)
                if coef:
                    writes[s["dir"]] = {d: w * coef for d, w in inners[count].items()}
                    writes[s["mirror"]] = {d: -w * coef for d, w in inners[count].items()}
            writes = {d: f for d, f in writes.items() if f}
            if writes:
                attention.attend(self.model, writes, kind=self.kind, mask="causal",
                                 prefix="count")
                added = True
        if not added:
            attention.identity(self.model)

    def _prepare(self, level: int, stage: int, inners: dict) -> None:
        for count, depth in self.counts.items():
            if depth == level + 1 and count not in inners:
                inners[count] = self.make(count.inner, stage, "counted", zero=True)
        for name in self.outputs:
            if self.depth(Var(name)) == level:
                self.vector(name, stage)


def compile_crasp(program: crasp.Program, *, outputs: Sequence[str] | None = None,
                  attention: str = "average-hard", bos: str = "$",
                  label: str = "crasp", position: str = "all",
                  logit: str | None = None) -> Transformer:
    """The future-masked transformer of `program` (see the module docstring), on
    ``bos + word``, read out at every position (or the last): output ``name`` is the 0/1
    value of the Boolean vector ``name`` (position 0 is the BOS; its value means nothing).

    Args:
        program: a C-RASP program.
        outputs: the Boolean vectors to read out (default: the program's output).
        attention: ``average-hard`` or ``softmax`` (the heads are uniform: the same).
        bos: the BOS token, not a symbol of the alphabet.
        label: the transformer's label.
        position: ``all`` or ``last``: where the read-out reads.
        logit: also read out, under this name, ``2 Y - 1`` for the program's output Y
            (``±1``; positive iff the program accepts, read at the last position).

    Raises:
        ProgramCompileError: a bad option, a count read out, or a Boolean function of
            more than `booleans.MAX_INPUTS` vectors within one layer.
    """
    if not isinstance(program, crasp.Program):
        raise ProgramCompileError(f"compile_crasp needs a C-RASP Program, got "
                                  f"{type(program).__name__}")
    if attention not in KINDS:
        raise ProgramCompileError(f"compile_crasp: attention {attention!r}; allowed: "
                                  f"{', '.join(KINDS)}")
    if not isinstance(bos, str) or len(bos) != 1 or bos in program.alphabet:
        raise ProgramCompileError(f"compile_crasp: bos {bos!r} must be one symbol outside the "
                                  f"alphabet {program.alphabet!r}")
    outputs = [program.output] if outputs is None else list(outputs)
    types = program.types
    for name in outputs:
        if types.get(name) != "bool":
            raise ProgramCompileError(f"compile_crasp: output {name!r} is "
                                      f"{'a count' if name in types else 'not a vector'}; "
                                      "outputs are Boolean vectors")
    check_readout("compile_crasp", outputs, position, logit)
    return _Compiler(program, outputs, label, bos, attention, position=position,
                     logit=logit).build()
