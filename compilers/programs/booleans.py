"""Boolean functions of a program's vectors, built into a `Model` as 0/1 directions.

Both program compilers need the same step: a Boolean function of vectors the
stream already holds (its *atoms*: 0/1 forms, `compilers.library.model.Form`)
written into a fresh direction, exactly, in one MLP. `Booleans.materialize`
does it for an expression over atoms (`Var(key)`), initial vectors
(`Symbol`), constants, ``¬``, ``∧`` and ``∨``:

* an expression over symbols and constants only is a function of the token:
  a *token feature* (`Model.token_feature`), no layer at all;
* an atom or its negation is a form (``b`` or ``1 - b``), no unit;
* anything else is one MLP of conjunction units, whichever of two forms
  needs fewer: the Cookbook's truth table (Yang et al. 2026, Sec. 4.8;
  `compilers.library.ffn.truth_table`; at most `MAX_INPUTS` atoms), one unit
  ``relu((2ξ - 1)·b - |ξ| + 1)`` per assignment ξ whose value is not the most
  frequent; or the paths to 1 (or, subtracted from 1, to 0) of a decision
  tree (Shannon expansion on one atom after another, constants folded),
  whose paths are disjoint conjunctions of literals, one unit
  ``relu(sum l - (m - 1))`` each, so that exactly one unit is 1 where the
  function (or its negation) is 1. Both are exact on 0/1 inputs. A function
  that needs more than `MAX_UNITS` units is refused (a named
  `ProgramCompileError`), the one limit of these compilers that the papers'
  constructions do not have (their FFNs compute any Boolean function of the
  layer's values).

Inside ``with model.parallel():`` every function of a stage shares one MLP.

`zero_token`: a token (the BOS of C-RASP) where the result must be 0
whatever the function says there (a count must not count it); the BOS
indicator then joins the table's inputs.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from fractions import Fraction

from compilers.errors import CompileError
from compilers.library import Model, ffn
from languages.brasp import And, Const, Not, Or, Symbol, Var, children, leaves

MAX_INPUTS = ffn.MAX_INPUTS
MAX_UNITS = 1 << 12


class ProgramCompileError(CompileError):
    """A program the compiler cannot build (the message names the vector and the limit)."""


def value(expr, bits: dict) -> bool:
    """`expr` under an assignment of its leaves (`Var` keys and `Symbol` symbols)."""
    if isinstance(expr, Const):
        return expr.value
    if isinstance(expr, Var):
        return bits[leaf_key(expr)]
    if isinstance(expr, Symbol):
        return bits[("symbol", expr.symbol)]
    if isinstance(expr, Not):
        return not value(expr.operand, bits)
    if isinstance(expr, And):
        return value(expr.left, bits) and value(expr.right, bits)
    if isinstance(expr, Or):
        return value(expr.left, bits) or value(expr.right, bits)
    raise ProgramCompileError(f"not a Boolean expression over atoms: {expr!r}")


def decision_paths(expr, keys: list, path: tuple = ()):
    """The paths to 1 of the decision tree of `expr` over `keys` (in order, constants folded
    after each split): each a tuple of (key, bit)."""
    folded = fold(expr)
    if isinstance(folded, Const):
        if folded.value:
            yield path
        return
    key = keys[0] if leaf_key_in(folded, keys[0]) else None
    if key is None:
        yield from decision_paths(folded, keys[1:], path)
        return
    for bit in (True, False):
        yield from decision_paths(assign(folded, key, bit), keys[1:], (*path, (key, bit)))


def leaf_key_in(expr, key) -> bool:
    return any(leaf_key(leaf) == key for leaf in leaves(expr))


def assign(expr, key, bit: bool):
    """`expr` with the leaf `key` replaced by the constant `bit`."""
    if isinstance(expr, Var | Symbol) and leaf_key(expr) == key:
        return Const(bit)
    kids = children(expr)
    return expr.with_operands([assign(k, key, bit) for k in kids]) if kids else expr


def fold(expr):
    """`expr` with its constants folded (``1 ∧ x = x``, ``0 ∧ x = 0``, ...)."""
    if isinstance(expr, Not):
        inner = fold(expr.operand)
        return Const(not inner.value) if isinstance(inner, Const) else Not(inner)
    if isinstance(expr, And | Or):
        left, right = fold(expr.left), fold(expr.right)
        absorbing = isinstance(expr, Or)  # 1 absorbs in ∨, 0 in ∧
        for a, b in ((left, right), (right, left)):
            if isinstance(a, Const):
                return a if a.value == absorbing else b
        return type(expr)(left, right)
    return expr


def leaf_key(leaf) -> tuple:
    if isinstance(leaf, Var):
        return ("bos", None) if leaf.name is None else ("var", leaf.name)
    return ("symbol", leaf.symbol)


def support(expr) -> list[tuple]:
    """The distinct leaves of `expr`, in order, as keys."""
    return list(dict.fromkeys(leaf_key(leaf) for leaf in leaves(expr)))


def at_i(expr):
    """`expr` with every leaf read at i (for a function of one position)."""
    if isinstance(expr, Var | Symbol):
        return type(expr)(expr.name if isinstance(expr, Var) else expr.symbol, "i")
    kids = children(expr)
    return expr.with_operands([at_i(k) for k in kids]) if kids else expr


def substitute(expr, side: str, bits: dict):
    """`expr` with each leaf read at `side` replaced by the constant ``bits[leaf_key]``."""
    if isinstance(expr, Var | Symbol) and expr.side == side:
        return Const(bits[leaf_key(expr)])
    kids = children(expr)
    return expr.with_operands([substitute(k, side, bits) for k in kids]) if kids else expr


def add(*forms: dict) -> dict:
    """The sum of forms (``{direction: coefficient, 1: constant}``)."""
    out: dict = {}
    for form in forms:
        for key, coef in form.items():
            out[key] = out.get(key, Fraction(0)) + Fraction(coef)
    return {k: v for k, v in out.items() if v}


def scale(form: dict, factor) -> dict:
    return {k: Fraction(v) * factor for k, v in form.items() if v}


def literal(form: dict, bit: bool) -> dict:
    """The 0/1 form of ``b`` (bit 1) or ``1 - b`` (bit 0)."""
    return dict(form) if bit else add({1: 1}, scale(form, -1))


def conjunction(literals: Sequence[dict]) -> dict:
    """The pre-activation ``sum l - (m - 1)`` of m 0/1 literals: its ReLU is their AND."""
    return add(*literals, {1: 1 - len(literals)})


class Booleans:
    """Boolean functions built into `model` (see the module docstring).

    Args:
        model: the model under construction.
        alphabet: the word's symbols (tokens of the model).
        zero_token: the token where `materialize(..., zero=True)` must give 0, or None.
    """

    def __init__(self, model: Model, alphabet: str, *, zero_token: str | None = None):
        self.model = model
        self.alphabet = alphabet
        self.zero_token = zero_token
        self.atoms: dict = {}  # atom key -> its 0/1 form
        self._made: dict = {}  # (expression, zero) -> form
        self._symbols: dict = {}  # symbol -> indicator direction

    def atom(self, key, form) -> None:
        """Declare the atom `key`, held in the stream as the 0/1 form `form`."""
        self.atoms[key] = form if isinstance(form, dict) else {form: 1}

    def symbol(self, symbol: str) -> dict:
        """The indicator ``Q_a`` as a form (a token feature, made once)."""
        if symbol not in self._symbols:
            self._symbols[symbol] = self.model.token_feature(
                self.unused(f"Q_{symbol}" if symbol.isidentifier() else "Q"), {symbol: 1})
        return {self._symbols[symbol]: 1}

    def unused(self, prefix: str) -> str:
        """A direction name not in the stream yet (`prefix`, ``prefix_2``, ...), undeclared."""
        name, k = prefix, 1
        while name in self.model.stream:
            k += 1
            name = f"{prefix}_{k}"
        return name

    def _form(self, key) -> dict:
        kind, name = key
        return self.symbol(name) if kind == "symbol" else self.atoms[name]

    def materialize(self, expr, *, hint: str, zero: bool = False) -> dict:
        """`expr` (leaves: atoms `Var(key)` and `Symbol`s) as a 0/1 form in the stream, 0 at
        the zero token if `zero` (see the module docstring)."""
        expr = fold(expr)
        key = (expr, zero)
        if key not in self._made:
            self._made[key] = self._build(expr, hint, zero)
        return self._made[key]

    def _build(self, expr, hint: str, zero: bool) -> dict:
        keys = support(expr)
        if all(kind == "symbol" for kind, _ in keys):
            if not keys and not zero:
                return {1: 1} if value(expr, {}) else {}
            values = {t: int(value(expr, {("symbol", a): a == t for _, a in keys}))
                      for t in self.alphabet}
            if self.zero_token is not None:
                values[self.zero_token] = 0 if zero else int(
                    value(expr, {k: False for k in keys}))
            values = {t: v for t, v in values.items() if v}
            if not values:
                return {}
            return {self.model.token_feature(self.unused(hint), values): 1}
        if isinstance(expr, Var) and not zero:
            return self._form(keys[0])
        if isinstance(expr, Not) and isinstance(expr.operand, Var) and not zero:
            return literal(self._form(keys[0]), False)
        inputs = [self._form(k) for k in keys]
        if zero:
            inputs.append({self._bos(): 1})
            keys = [*keys, ("bos", None)]
            expr = And(Not(Var(None)), expr)
        forms = dict(zip(keys, inputs, strict=True))
        ones = list(itertools.islice(decision_paths(expr, keys), MAX_UNITS + 1))
        zeros = list(itertools.islice(decision_paths(Not(expr), keys), MAX_UNITS + 1))
        table = None
        if len(keys) <= MAX_INPUTS:
            true = sum(value(expr, dict(zip(keys, bits, strict=True)))
                       for bits in itertools.product((False, True), repeat=len(keys)))
            table = max(min(true, 2 ** len(keys) - true), 1)
        best = min(len(ones), len(zeros), table if table is not None else MAX_UNITS + 1)
        if best > MAX_UNITS:
            raise ProgramCompileError(
                f"{hint}: a Boolean function of {len(keys)} vectors within one layer needs "
                f"more than {MAX_UNITS} hidden units (decision-tree paths and truth-table "
                "rows alike)")
        if table == best:
            out = ffn.truth_table(self.model, inputs, lambda *bits: value(
                expr, dict(zip(keys, bits, strict=True))), out=self.model.fresh(hint))
            return {out: 1}
        if len(ones) == best:
            return self._paths(ones, forms, hint, negate=False)
        return self._paths(zeros, forms, hint, negate=True)

    def _paths(self, paths: list, forms: dict, hint: str, *, negate: bool) -> dict:
        """The sum of the disjoint conjunctions `paths` (or 1 minus it, `negate`)."""
        target = self.model.output(self.unused(hint), hint)
        with self.model.mlp("paths") as units:
            terms = [(units.unit(conjunction([literal(forms[k], b) for k, b in path])),
                      -1 if negate else 1) for path in paths]
            units.emit(target, terms or [(units.unit({}), 0)])
            if negate:
                units.constant(target, 1)
        return {target: 1}

    def _bos(self) -> str:
        if self.zero_token is None:
            raise ProgramCompileError("a function that must vanish at a token needs that token")
        return self.model.token_feature("bos", {self.zero_token: 1}) \
            if "bos" not in self.model.stream else "bos"


def readout(forms: dict, *, logit: str | None = None, of: dict | None = None
            ) -> tuple[dict, dict]:
    """Read-out weights and biases for outputs given as forms; with `logit`, one more output
    of that name, ``2 b - 1`` for the 0/1 form `of` (``±1``: its sign is the Boolean)."""
    if logit is not None:
        forms = {**forms, logit: add(scale(of, 2), {1: -1})}
    weights = {name: {d: c for d, c in form.items() if d != 1} for name, form in forms.items()}
    bias = {name: form[1] for name, form in forms.items() if form.get(1)}
    return weights, bias


POSITIONS = ("all", "last")


def check_readout(where: str, outputs: Sequence[str], position, logit) -> None:
    """Refuse a read-out position other than `POSITIONS`, and a logit name that is not a
    name or that an output already has."""
    if position not in POSITIONS:
        raise ProgramCompileError(f"{where}: position {position!r}; allowed: "
                                  f"{', '.join(POSITIONS)}")
    if logit is not None and (not isinstance(logit, str) or not logit or logit in outputs):
        raise ProgramCompileError(f"{where}: logit {logit!r} must be a name other than the "
                                  f"outputs {list(outputs)}")
