"""Past LTL (with until): formulas over a word's positions, and their translation to B-RASP.

Yang, Chiang & Angluin, "Masked Hard-Attention Transformers Recognize Exactly
the Star-Free Languages" (NeurIPS 2024, arXiv 2310.13897), the section on
LTL: linear temporal logic with *since* and *until* defines exactly the
star-free languages, and every formula translates to a B-RASP program (and
so to a masked hard-attention transformer) whose attention depth is the
formula's temporal depth. Formulas over an alphabet Σ, read at a position i
of the word ``w = w_0 ... w_{n-1}`` (0-based here; the paper counts from 1):

* ``Q_a`` (`Atom`) holds at i iff ``w_i = a``; ``⊤``, ``⊥`` (`Constant`);
* ``¬φ``, ``φ ∧ ψ``, ``φ ∨ ψ``, ``φ → ψ`` (`Not`, `And`, `Or`, `Implies`);
* ``φ S ψ`` (`Since`, strict): some ``j < i`` has ψ, and every k with
  ``j < k < i`` has φ;
* ``φ U ψ`` (`Until`, strict): some ``j > i`` has ψ, and every k with
  ``i < k < j`` has φ (the paper's future operator; a formula without it is
  a past formula);
* the past abbreviations ``Y φ`` (yesterday: ``i > 0`` and φ at ``i - 1``;
  ``⊥ S φ``), ``O φ`` (once: φ at some ``j ≤ i``; ``φ ∨ ⊤ S φ``) and
  ``H φ`` (historically: φ at every ``j ≤ i``; ``¬O¬φ``).

A word (non-empty) satisfies a formula iff it holds at the last position
(`accepts`), the convention under which past LTL defines the star-free
languages.

`evaluate` is the reference semantics, computed by the usual recurrences on
positions (``(φ S ψ)(i) = ψ(i-1) ∨ (φ(i-1) ∧ (φ S ψ)(i-1))`` and its mirror
for U), independent of the translation. `to_brasp` is the translation, one
B-RASP vector per temporal subformula, Boolean connectives inlined:

* ``φ S ψ``: ``▶_j [j < i, ψ(j) ∨ ¬φ(j)] ψ(j) : 0``: the latest ``j < i``
  where ψ holds or φ fails; φ S ψ holds iff that j has ψ (any witness after
  it would have to be it, any before it is cut off by ``¬φ(j)``);
* ``φ U ψ``: ``◀_j [j > i, ψ(j) ∨ ¬φ(j)] ψ(j) : 0``, the mirror image;
* ``Y φ``: ``▶_j [j < i, 1] φ(j) : 0``; ``O φ``: ``▶_j [j < i, φ(j)] 1 : φ(i)``;
  ``H φ``: ``▶_j [j < i, ¬φ(j)] 0 : φ(i)`` (one attention each, rather than
  the abbreviations' two: the depth stays the temporal depth).

The depth of a formula (`depth`) is its nesting depth of temporal operators;
the translated program's depth equals it. Shared subformulas become one
vector. Programs are values (`Program`, frozen, validated when built, every
problem raised at once as a `languages.brasp.RaspError`); the text syntax is
`languages.ltl_text`. The embedded API::

    from languages import ltl

    a, b = ltl.atoms("ab")
    a_after_b = a & ltl.yesterday(ltl.once(b))
    program = ltl.program(~ltl.once(a_after_b), alphabet="ab")   # a*b*
    ltl.accepts(program, "aabb")   # True: no a after a b
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from languages import brasp
from languages.brasp import RaspError, check_word
from languages.errors import WordError
from languages.language import check_alphabet

# -- formulas ----------------------------------------------------------------------------


class Formula:
    """A formula node; ``&``, ``|``, ``~`` and ``>>`` (implies) build formulas."""

    def operands(self) -> tuple:
        return tuple(v for v in (getattr(self, f.name) for f in fields(self))
                     if isinstance(v, Formula))

    def __and__(self, other):
        return And(self, formula(other))

    def __rand__(self, other):
        return And(formula(other), self)

    def __or__(self, other):
        return Or(self, formula(other))

    def __ror__(self, other):
        return Or(formula(other), self)

    def __invert__(self):
        return Not(self)

    def __rshift__(self, other):
        return Implies(self, formula(other))


@dataclass(frozen=True)
class Atom(Formula):
    """``Q_a``: the symbol at the position is `symbol`."""

    symbol: str


@dataclass(frozen=True)
class Constant(Formula):
    """``⊤`` or ``⊥``."""

    value: bool


@dataclass(frozen=True)
class Not(Formula):
    operand: Any


@dataclass(frozen=True)
class And(Formula):
    left: Any
    right: Any


@dataclass(frozen=True)
class Or(Formula):
    left: Any
    right: Any


@dataclass(frozen=True)
class Implies(Formula):
    left: Any
    right: Any


@dataclass(frozen=True)
class Since(Formula):
    """``left S right`` (strict since; see the module docstring)."""

    left: Any
    right: Any


@dataclass(frozen=True)
class Until(Formula):
    """``left U right`` (strict until)."""

    left: Any
    right: Any


@dataclass(frozen=True)
class Yesterday(Formula):
    operand: Any


@dataclass(frozen=True)
class Once(Formula):
    operand: Any


@dataclass(frozen=True)
class Historically(Formula):
    operand: Any


NODES = (Atom, Constant, Not, And, Or, Implies, Since, Until, Yesterday, Once, Historically)
TEMPORAL = (Since, Until, Yesterday, Once, Historically)


def formula(value) -> Formula:
    """A formula from a formula or a bool (a `Constant`)."""
    if isinstance(value, bool | np.bool_):
        return Constant(bool(value))
    return value


def subformulas(root) -> list:
    """Every distinct subformula of `root`, operands before the formulas that read them."""
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            if node not in seen:
                seen.add(node)
                order.append(node)
            continue
        if node in seen:
            continue
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(node.operands()))
    return order


def depth(root) -> int:
    """The nesting depth of temporal operators in `root`."""
    found: dict = {}
    for node in subformulas(root):
        inner = max((found[c] for c in node.operands()), default=0)
        found[node] = inner + isinstance(node, TEMPORAL)
    return found[root]


@dataclass(frozen=True, kw_only=True)
class Program:
    """A formula over an alphabet (validated when built: node types, symbols)."""

    alphabet: str
    formula: Any

    def __post_init__(self):
        _validate(self)

    @property
    def depth(self) -> int:
        """The formula's temporal depth (the translated program's attention depth)."""
        return depth(self.formula)


MAX_NODES = 100_000  # distinct subformulas of one formula


def _validate(program: Program) -> None:
    try:
        check_alphabet(program.alphabet, RaspError)
    except RaspError as error:
        raise RaspError(f"LTL formula: {error}") from None
    problems, stack, seen = [], [program.formula], set()
    while stack:
        node = stack.pop()
        if not isinstance(node, NODES):
            problems.append(f"{node!r} is not an LTL formula")
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        if len(seen) > MAX_NODES:
            problems.append(f"more than {MAX_NODES} subformulas")
            break
        if isinstance(node, Atom) and (not isinstance(node.symbol, str)
                                       or node.symbol not in program.alphabet):
            problems.append(f"Q_{node.symbol} reads symbol {node.symbol!r}, which is not in "
                            f"the alphabet {program.alphabet!r}")
        if isinstance(node, Constant) and not isinstance(node.value, bool):
            problems.append(f"constant {node.value!r} is not True or False")
        if not isinstance(node, Atom | Constant):
            stack.extend(getattr(node, f.name) for f in fields(node))
    if problems:
        raise RaspError("LTL formula: " + "; ".join(dict.fromkeys(problems)))


# -- the reference semantics ---------------------------------------------------------------


def _since(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    out = np.zeros(len(left), dtype=bool)
    for i in range(1, len(left)):
        out[i] = right[i - 1] or (left[i - 1] and out[i - 1])
    return out


def _value(node, word: np.ndarray, values: dict) -> np.ndarray:
    if isinstance(node, Atom):
        return word == node.symbol
    if isinstance(node, Constant):
        return np.full(len(word), node.value)
    parts = [values[c] for c in node.operands()]
    if isinstance(node, Not):
        return ~parts[0]
    if isinstance(node, And):
        return parts[0] & parts[1]
    if isinstance(node, Or):
        return parts[0] | parts[1]
    if isinstance(node, Implies):
        return ~parts[0] | parts[1]
    if isinstance(node, Since):
        return _since(*parts)
    if isinstance(node, Until):
        return _since(parts[0][::-1], parts[1][::-1])[::-1]
    if isinstance(node, Yesterday):
        return np.concatenate([[False], parts[0][:-1]]) if len(word) else parts[0]
    if isinstance(node, Once):
        return np.logical_or.accumulate(parts[0]) if len(word) else parts[0]
    return np.logical_and.accumulate(parts[0]) if len(word) else parts[0]


def run(program: Program, word: str) -> dict:
    """Every subformula of `program` on `word`, one Boolean per position, by the
    recurrences of the module docstring: ``{subformula: (bool, ...)}``.

    Raises:
        WordError: a symbol of `word` is not in the program's alphabet.
    """
    check_word(word, program.alphabet)
    letters = np.array(list(word), dtype=str) if word else np.zeros(0, dtype=str)
    values: dict = {}
    for node in subformulas(program.formula):
        values[node] = _value(node, letters, values)
    return {node: tuple(bool(v) for v in column) for node, column in values.items()}


def evaluate(program: Program, word: str) -> tuple[bool, ...]:
    """The formula's truth at every position of `word`."""
    return run(program, word)[program.formula]


def accepts(program: Program, word: str) -> bool:
    """Whether the non-empty `word` satisfies the formula: its truth at the last position.

    Raises:
        WordError: the empty word, or a symbol outside the alphabet.
    """
    if word == "":
        raise WordError("the empty word has no last position; an LTL formula accepts by its "
                        "truth at the last position")
    return evaluate(program, word)[-1]


# -- the translation to B-RASP ------------------------------------------------------------

NAMES = {Since: "since", Until: "until", Yesterday: "prev", Once: "once",
         Historically: "always"}


def to_brasp(program: Program, *, output: str = "formula") -> brasp.Program:
    """The B-RASP program of `program` (see the module docstring): one vector per temporal
    subformula (``since_1``, ``prev_2``, ...) and the output vector `output`, equal to the
    formula at every position."""
    definitions: list[brasp.Definition] = []
    expressions: dict = {}
    taken = {output}

    def fresh(kind: str) -> str:
        name = f"{kind}_{len(definitions) + 1}"
        while name in taken:
            name += "_"
        taken.add(name)
        return name

    def at_j(expr):
        if isinstance(expr, brasp.Symbol | brasp.Var):
            return type(expr)(expr.symbol if isinstance(expr, brasp.Symbol) else expr.name,
                              "j")
        kids = expr.operands()
        return expr.with_operands([at_j(k) for k in kids]) if kids else expr

    for node in subformulas(program.formula):
        parts = [expressions[c] for c in node.operands()]
        if isinstance(node, Atom):
            expr = brasp.Symbol(node.symbol)
        elif isinstance(node, Constant):
            expr = brasp.Const(node.value)
        elif isinstance(node, Not):
            expr = brasp.Not(parts[0])
        elif isinstance(node, And):
            expr = brasp.And(*parts)
        elif isinstance(node, Or):
            expr = brasp.Or(*parts)
        elif isinstance(node, Implies):
            expr = brasp.Or(brasp.Not(parts[0]), parts[1])
        else:
            name = fresh(NAMES[type(node)])
            definitions.append(brasp.Definition(name, _attention(node, parts, at_j)))
            expr = brasp.Var(name)
        expressions[node] = expr
    definitions.append(brasp.Definition(output, expressions[program.formula]))
    return brasp.Program(alphabet=program.alphabet, definitions=tuple(definitions),
                         output=output)


def _attention(node, parts: list, at_j) -> brasp.Attention:
    false, true = brasp.Const(False), brasp.Const(True)
    if isinstance(node, Since | Until):
        left, right = at_j(parts[0]), at_j(parts[1])
        return brasp.Attention(choice="rightmost" if isinstance(node, Since) else "leftmost",
                               mask="future" if isinstance(node, Since) else "past",
                               score=brasp.Or(right, brasp.Not(left)), value=right,
                               default=false)
    inner = parts[0]
    if isinstance(node, Yesterday):
        return brasp.Attention(choice="rightmost", mask="future", score=true,
                               value=at_j(inner), default=false)
    if isinstance(node, Once):
        return brasp.Attention(choice="rightmost", mask="future", score=at_j(inner),
                               value=true, default=inner)
    return brasp.Attention(choice="rightmost", mask="future", score=brasp.Not(at_j(inner)),
                           value=false, default=inner)


# -- the Python-embedded API ---------------------------------------------------------------


def atoms(alphabet: str) -> tuple[Atom, ...]:
    """The atoms ``Q_a``, one per symbol of `alphabet`, in order."""
    return tuple(Atom(a) for a in check_alphabet(alphabet, RaspError))


def since(left, right) -> Since:
    return Since(formula(left), formula(right))


def until(left, right) -> Until:
    return Until(formula(left), formula(right))


def yesterday(operand) -> Yesterday:
    return Yesterday(formula(operand))


def once(operand) -> Once:
    return Once(formula(operand))


def historically(operand) -> Historically:
    return Historically(formula(operand))


def program(root, *, alphabet: str) -> Program:
    """The `Program` of the formula `root` over `alphabet`."""
    return Program(alphabet=alphabet, formula=formula(root))


__all__ = ["And", "Atom", "Constant", "Formula", "Historically", "Implies", "Not", "Once", "Or",
           "Program", "RaspError", "Since", "Until", "Yesterday", "accepts", "atoms", "depth",
           "evaluate", "historically", "once", "program", "run", "since", "subformulas",
           "to_brasp", "until", "yesterday"]
