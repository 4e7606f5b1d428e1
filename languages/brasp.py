"""B-RASP: Boolean RASP, the language of masked unique-hard attention.

Yang, Chiang & Angluin, "Masked Hard-Attention Transformers Recognize Exactly
the Star-Free Languages" (NeurIPS 2024, arXiv 2310.13897), the definition of
B-RASP (section numbers differ between the paper's versions). A program
over an alphabet Σ defines Boolean vectors, one Boolean per position of the
input word ``w = w_0 ... w_{n-1}`` (positions are 0-based here; the paper
counts from 1):

* initial vectors ``Q_a(i) = [w_i = a]`` for each ``a`` in Σ (always there);
* position-wise operations ``P(i) := R(i)``, R a Boolean combination (``¬``,
  ``∧``, ``∨``, the constants 0 and 1) of vectors at i;
* attention operations ``P(i) := ◀_j [M(i,j), S(i,j)] V(i,j) : D(i)`` (leftmost)
  and ``▶_j`` (rightmost), with a mask M that is ``j < i`` (strict future
  masking, ``mask="future"``), ``j > i`` (strict past masking, ``"past"``) or 1
  (``"none"``), a score predicate S and a value predicate V (Boolean
  combinations of vectors at i and at j) and a default D (a Boolean
  combination of vectors at i). With ``j_i`` the smallest (◀) or largest (▶) j
  such that ``M(i,j) ∧ S(i,j)``, ``P(i) = V(i, j_i)`` if there is one, else
  ``P(i) = D(i)``.

A program names an output vector Y and accepts w iff ``Y(n-1) = 1`` (the
paper's ``Y(n)``); every vector has a value at every position (`run`).

The program is a value (`Program`: frozen dataclasses, validated when built,
every problem collected and raised once as a `RaspError`). Expressions are
`Symbol` (``Q_a`` at a side), `Var` (a defined vector at a side), `Const`,
`Not`, `And`, `Or`; an attention operation is an `Attention`. A program can be
written three ways: as these values, as text in the paper's notation
(`languages.brasp_text`), or with the Python-embedded API below (operators on
`Vector` handles, as Tracr's ``rasp`` module)::

    from languages import brasp
    from languages.brasp import i, j

    a, b = brasp.symbols("ab")
    seen_b = brasp.leftmost(mask="future", score=b(j), value=True, default=False)
    no_b_before_a = (~a | ~seen_b).named("ok")
    program = brasp.program(no_b_before_a, alphabet="ab")
    brasp.evaluate(program, "aab")   # (True, True, True)

The depth of a vector is its attention depth: 0 for the initial vectors, the
maximum over the operands for a position-wise operation, and one more than
the maximum over S, V and D for an attention operation (`depths`).

Not checked: nothing; every malformed program is refused when built.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np

from languages.errors import LanguageError, WordError
from languages.language import check_alphabet


class RaspError(LanguageError):
    """A malformed B-RASP or C-RASP program: an undefined name, a type or side error, a
    cycle, a symbol outside the alphabet, bad text."""


SIDES = ("i", "j")
CHOICES = ("leftmost", "rightmost")
MASKS = ("future", "past", "none")
"""Strict future masking (j < i), strict past masking (j > i), no masking."""

RESERVED = frozenset({"i", "j", "alphabet", "output", "and", "or", "not", "true", "false",
                      "leftmost", "rightmost", "leftmost_j", "rightmost_j"})
"""Words of the text syntax that cannot name a vector (nor can ``Q_x``, an initial vector)."""

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_INITIAL = re.compile(r"Q_.\Z", re.DOTALL)


# -- expressions -------------------------------------------------------------------------


class Node:
    """An expression node; its operands are its fields that hold nodes."""

    def operands(self) -> tuple:
        return tuple(v for v in (getattr(self, f.name) for f in fields(self))
                     if isinstance(v, Node))

    def with_operands(self, new) -> Node:
        """A copy with the operands replaced, in order."""
        new = iter(new)
        return replace(self, **{f.name: next(new) for f in fields(self)
                                if isinstance(getattr(self, f.name), Node)})


class _Boolean(Node):
    """``&``, ``|`` and ``~`` on expressions build expressions (bools become `Const`)."""

    def __and__(self, other):
        return And(self, as_expression(other))

    def __rand__(self, other):
        return And(as_expression(other), self)

    def __or__(self, other):
        return Or(self, as_expression(other))

    def __ror__(self, other):
        return Or(as_expression(other), self)

    def __invert__(self):
        return Not(self)


@dataclass(frozen=True)
class Symbol(_Boolean):
    """``Q_a`` read at position i or j: 1 where the word has the symbol `symbol`."""

    symbol: str
    side: str = "i"


@dataclass(frozen=True)
class Var(_Boolean):
    """The vector `name` read at position i or j (`name` is a `Vector` in the embedded API)."""

    name: Any
    side: str = "i"


@dataclass(frozen=True)
class Const(_Boolean):
    """The constant 0 or 1."""

    value: bool


@dataclass(frozen=True)
class Not(_Boolean):
    operand: Any


@dataclass(frozen=True)
class And(_Boolean):
    left: Any
    right: Any


@dataclass(frozen=True)
class Or(_Boolean):
    left: Any
    right: Any


Expr = Symbol | Var | Const | Not | And | Or
BOOLEAN_NODES = (Symbol, Var, Const, Not, And, Or)


def as_expression(value, side: str = "i"):
    """An expression from an expression, a bool (`Const`) or a `Vector` (read at `side`)."""
    if isinstance(value, bool | np.bool_):
        return Const(bool(value))
    if isinstance(value, Vector):
        return value(side)
    return value


def children(expr) -> tuple:
    """The operands of an expression node (none for a leaf or a non-node)."""
    return expr.operands() if isinstance(expr, Node) else ()


def leaves(expr) -> list:
    """The `Symbol` and `Var` leaves of an expression, left to right."""
    out, stack = [], [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, Symbol | Var):
            out.append(node)
        stack.extend(reversed(children(node)))
    return out


# -- operations and programs -------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Attention:
    """``◀_j [M(i,j), S(i,j)] V(i,j) : D(i)`` (``choice="leftmost"``) or ``▶_j`` (rightmost)."""

    choice: str
    mask: str
    score: Any
    value: Any
    default: Any


@dataclass(frozen=True)
class Definition:
    """``name(i) := operation``: a Boolean expression (position-wise) or an `Attention`."""

    name: str
    operation: Any


@dataclass(frozen=True, kw_only=True)
class Program:
    """A B-RASP program: its alphabet, definitions in order (each reads only the initial
    vectors and earlier definitions) and its output vector (see the module docstring)."""

    alphabet: str
    definitions: tuple[Definition, ...]
    output: str

    def __post_init__(self):
        object.__setattr__(self, "definitions", tuple(self.definitions))
        _validate(self)

    def definition(self, name: str) -> Definition:
        for d in self.definitions:
            if d.name == name:
                return d
        raise RaspError(f"B-RASP program has no vector {name!r}")

    @property
    def depth(self) -> int:
        """The attention depth of the output vector."""
        return depths(self)[self.output]


def check_name(name, where: str) -> list[str]:
    """Problems with `name` as a vector name (an identifier, not reserved)."""
    if not isinstance(name, str) or not _NAME.match(name):
        return [f"{where}: name {name!r} is not an identifier"]
    if name in RESERVED or keyword.iskeyword(name) or _INITIAL.match(name):
        return [f"{where}: name {name!r} is reserved (a keyword of the text syntax or an "
                "initial vector Q_a)"]
    return []


def check_expression(expr, *, where: str, sides: tuple[str, ...], alphabet: str,
                     defined: set, nodes: tuple = BOOLEAN_NODES) -> list[str]:
    """Problems in a Boolean expression: node types, sides, symbols, names."""
    problems, stack = [], [expr]
    while stack:
        node = stack.pop()
        if not isinstance(node, nodes):
            problems.append(f"{where}: {node!r} is not a Boolean expression")
            continue
        if isinstance(node, Symbol | Var) and node.side not in sides:
            allowed = " or ".join(sides)
            problems.append(f"{where}: {_show(node)} is read at {node.side!r}; here a vector "
                            f"is read at {allowed}")
        if isinstance(node, Symbol) and (not isinstance(node.symbol, str)
                                         or node.symbol not in alphabet):
            problems.append(f"{where}: Q_{node.symbol} reads symbol {node.symbol!r}, which is "
                            f"not in the alphabet {alphabet!r}")
        if isinstance(node, Var) and node.name not in defined:
            problems.append(f"{where}: {node.name!r} is not defined before it")
        if isinstance(node, Const) and not isinstance(node.value, bool):
            problems.append(f"{where}: constant {node.value!r} is not True or False")
        stack.extend(children(node))
    return problems


def _validate(program: Program) -> None:
    problems = []
    try:
        check_alphabet(program.alphabet, RaspError)
    except RaspError as error:
        raise RaspError(f"B-RASP program: {error}") from None
    defined: set = set()
    for definition in program.definitions:
        if not isinstance(definition, Definition):
            problems.append(f"{definition!r} is not a Definition")
            continue
        name, op = definition.name, definition.operation
        where = f"vector {name!r}"
        problems += check_name(name, where)
        if name in defined:
            problems.append(f"{where} is defined twice")
        common = {"alphabet": program.alphabet, "defined": defined}
        if isinstance(op, Attention):
            if op.choice not in CHOICES:
                problems.append(f"{where}: choice {op.choice!r}; allowed: {CHOICES}")
            if op.mask not in MASKS:
                problems.append(f"{where}: mask {op.mask!r}; allowed: {MASKS}")
            for part, sides in (("score", SIDES), ("value", SIDES), ("default", ("i",))):
                problems += check_expression(getattr(op, part), where=f"{where} {part}",
                                             sides=sides, **common)
        else:
            problems += check_expression(op, where=where, sides=("i",), **common)
        defined.add(name)
    if program.output not in defined:
        problems.append(f"output {program.output!r} is not a defined vector")
    if problems:
        raise RaspError("B-RASP program: " + "; ".join(problems))


def _show(leaf) -> str:
    name = f"Q_{leaf.symbol}" if isinstance(leaf, Symbol) else leaf.name
    return f"{name}({leaf.side})"


def depths(program: Program) -> dict[str, int]:
    """The attention depth of every vector (see the module docstring)."""
    depth: dict[str, int] = {}

    def of(expr) -> int:
        return max((depth[leaf.name] for leaf in leaves(expr) if isinstance(leaf, Var)),
                   default=0)

    for d in program.definitions:
        op = d.operation
        if isinstance(op, Attention):
            depth[d.name] = 1 + max(of(op.score), of(op.value), of(op.default))
        else:
            depth[d.name] = of(op)
    return depth


# -- the reference interpreter ---------------------------------------------------------


def check_word(word, alphabet: str, what: str = "program") -> str:
    if not isinstance(word, str):
        raise WordError(f"a word is a string, got {word!r}")
    for k, s in enumerate(word):
        if s not in alphabet:
            raise WordError(f"word {word!r} has symbol {s!r} at position {k}; the alphabet of "
                            f"the {what} is {alphabet!r}")
    return word


ROWS = 1 << 22  # pairs (i, j) an attention operation looks at in one block of rows


def _value(expr, word: np.ndarray, vectors: dict, rows: slice = slice(None)) -> np.ndarray:
    """An expression over arrays: a leaf at i is a column (rows of the block, 1), at j a
    row (1, n)."""
    if isinstance(expr, Const):
        return np.bool_(expr.value)
    if isinstance(expr, Symbol | Var):
        column = word == expr.symbol if isinstance(expr, Symbol) else vectors[expr.name]
        return column[rows][:, None] if expr.side == "i" else column[None, :]
    if isinstance(expr, Not):
        return ~_value(expr.operand, word, vectors, rows)
    left = _value(expr.left, word, vectors, rows)
    right = _value(expr.right, word, vectors, rows)
    return left & right if isinstance(expr, And) else left | right


def _attend(op: Attention, word: np.ndarray, vectors: dict) -> np.ndarray:
    """The operation at every i, a block of rows i at a time (at most `ROWS` pairs)."""
    n = len(word)
    out = np.zeros(n, dtype=bool)
    step = max(1, ROWS // n)
    j = np.arange(n)[None, :]
    for start in range(0, n, step):
        rows = slice(start, min(start + step, n))
        m = rows.stop - rows.start
        i = np.arange(rows.start, rows.stop)[:, None]
        mask = {"future": j < i, "past": j > i, "none": np.ones((m, n), dtype=bool)}[op.mask]
        candidates = mask & np.broadcast_to(_value(op.score, word, vectors, rows), (m, n))
        found = candidates.any(axis=1)
        if op.choice == "leftmost":
            chosen = candidates.argmax(axis=1)
        else:
            chosen = n - 1 - candidates[:, ::-1].argmax(axis=1)
        value = np.broadcast_to(_value(op.value, word, vectors, rows), (m, n))[
            np.arange(m), chosen]
        default = np.broadcast_to(_value(op.default, word, vectors, rows), (m, 1))[:, 0]
        out[rows] = np.where(found, value, default)
    return out


def run(program: Program, word: str) -> dict[str, tuple[bool, ...]]:
    """Every vector of `program` on `word`, one Boolean per position (B-RASP's definition,
    computed on matrices of S(i, j), a block of rows i at a time, then the first or last j
    the mask and the score allow).

    Raises:
        WordError: a symbol of `word` is not in the program's alphabet.
    """
    check_word(word, program.alphabet)
    n = len(word)
    letters = np.array(list(word), dtype=str) if n else np.zeros(0, dtype=str)
    vectors: dict[str, np.ndarray] = {}
    for d in program.definitions:
        op = d.operation
        if not n:
            vectors[d.name] = np.zeros(0, dtype=bool)
        elif isinstance(op, Attention):
            vectors[d.name] = _attend(op, letters, vectors)
        else:
            vectors[d.name] = np.broadcast_to(_value(op, letters, vectors), (n, 1))[:, 0]
    return {name: tuple(bool(v) for v in values) for name, values in vectors.items()}


def evaluate(program: Program, word: str) -> tuple[bool, ...]:
    """The output vector of `program` on `word`, one Boolean per position."""
    return run(program, word)[program.output]


def accepts(program: Program, word: str) -> bool:
    """Whether `program` accepts `word`: its output at the last position.

    Raises:
        WordError: the empty word (it has no last position), or a symbol outside the
            alphabet.
    """
    if word == "":
        raise WordError("the empty word has no last position; a B-RASP program accepts "
                        "by its output at the last position")
    return evaluate(program, word)[-1]


# -- the Python-embedded API -----------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Vector:
    """A vector under construction (identity, not structure, tells two apart).

    `operation` is a `Symbol` (an initial vector), an expression whose `Var`
    leaves hold other `Vector`s, or an `Attention` over such expressions.
    ``x & y``, ``x | y``, ``~x`` make position-wise vectors; ``x(i)`` and
    ``x(j)`` read x at i or j inside an attention's score and value.
    """

    operation: Any
    name: str | None = field(default=None)

    def __call__(self, side: str):
        if side not in SIDES:
            raise RaspError(f"a vector is read at 'i' or 'j', not {side!r}")
        if isinstance(self.operation, Symbol):
            return Symbol(self.operation.symbol, side)
        return Var(self, side)

    def named(self, name: str) -> Vector:
        """This vector under the name `name` (a new handle)."""
        problems = check_name(name, "Vector.named")
        if problems:
            raise RaspError(problems[0])
        return Vector(self.operation, name)

    def __and__(self, other):
        return Vector(And(self("i"), as_expression(other)))

    def __rand__(self, other):
        return Vector(And(as_expression(other), self("i")))

    def __or__(self, other):
        return Vector(Or(self("i"), as_expression(other)))

    def __ror__(self, other):
        return Vector(Or(as_expression(other), self("i")))

    def __invert__(self):
        return Vector(Not(self("i")))


i, j = "i", "j"
"""The two positions an attention operation reads: ``P(i)`` and ``P(j)``."""


def symbols(alphabet: str) -> tuple[Vector, ...]:
    """The initial vectors ``Q_a``, one per symbol of `alphabet`, in order."""
    return tuple(Vector(Symbol(a)) for a in check_alphabet(alphabet, RaspError))


def vector(expr) -> Vector:
    """A position-wise vector from an expression over vectors at i (or a bool)."""
    return Vector(as_expression(expr))


def _attention(choice: str, mask: str, score, value, default) -> Vector:
    if mask not in MASKS:
        raise RaspError(f"{choice}: mask {mask!r}; allowed: {MASKS}")
    return Vector(Attention(choice=choice, mask=mask, score=as_expression(score, "j"),
                            value=as_expression(value, "j"),
                            default=as_expression(default, "i")))


def leftmost(*, mask: str, score, value, default) -> Vector:
    """``◀_j [M, S] V : D``: the value at the leftmost j that the mask and the score allow,
    else the default. A bare `Vector` as the score or the value is read at j, as the
    default at i; a bool is a constant."""
    return _attention("leftmost", mask, score, value, default)


def rightmost(*, mask: str, score, value, default) -> Vector:
    """``▶_j [M, S] V : D``: as `leftmost`, at the rightmost such j."""
    return _attention("rightmost", mask, score, value, default)


def program(output: Vector, *, alphabet: str) -> Program:
    """The `Program` whose output is `output`: every vector it reads, in dependency order,
    named by `Vector.named` or ``v1``, ``v2``, ... in that order."""
    return lower(output, alphabet=alphabet, build=Program, error="B-RASP")


def rename(expr, names: dict):
    """`expr` with every `Var` holding a `Vector` made to hold that vector's name."""
    if isinstance(expr, Var) and isinstance(expr.name, Vector):
        return Var(names[id(expr.name)], expr.side)
    kids = children(expr)
    return expr.with_operands([rename(k, names) for k in kids]) if kids else expr


def _parts(operation) -> tuple:
    if isinstance(operation, Attention):
        return (operation.score, operation.value, operation.default)
    return (operation,)


def _rebuild(operation, names: dict):
    if isinstance(operation, Attention):
        return Attention(choice=operation.choice, mask=operation.mask,
                         score=rename(operation.score, names),
                         value=rename(operation.value, names),
                         default=rename(operation.default, names))
    return rename(operation, names)


def vector_operands(operation) -> list[Vector]:
    """The `Vector`s an operation reads, left to right."""
    found = []
    for part in _parts(operation):
        found += [leaf.name for leaf in leaves(part)
                  if isinstance(leaf, Var) and isinstance(leaf.name, Vector)]
    return found


def lower(output, *, alphabet: str, build, error: str, rebuild=_rebuild,
          operands=vector_operands):
    """Definitions in dependency order for the handles `output` reads (iterative DFS)."""
    if not isinstance(output, Vector):
        raise RaspError(f"{error} program: the output must be a Vector, got {output!r}")
    order, seen, stack = [], set(), [(output, False)]
    while stack:
        handle, done = stack.pop()
        if done:
            order.append(handle)
            continue
        if id(handle) in seen:
            continue
        seen.add(id(handle))
        stack.append((handle, True))
        for child in reversed(operands(handle.operation)):
            if id(child) not in seen:
                stack.append((child, False))
    taken = {h.name for h in order if h.name}
    names, definitions, counter = {}, [], 0
    for handle in order:
        if isinstance(handle.operation, Symbol) and handle is not output:
            continue
        name = handle.name
        if name is None:
            counter += 1
            while f"v{counter}" in taken:
                counter += 1
            name = f"v{counter}"
        elif name in names.values():
            raise RaspError(f"{error} program: two different vectors are named {name!r}")
        names[id(handle)] = name
        definitions.append(Definition(name, rebuild(handle.operation, names)))
    return build(alphabet=alphabet, definitions=tuple(definitions), output=names[id(output)])
