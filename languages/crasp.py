"""C-RASP: counting RASP, the language of future-masked softmax attention that counts.

Yang & Chiang, "Counting Like Transformers: Compiling Temporal Counting Logic
Into Softmax Transformers" (COLM 2024, arXiv 2404.04393), in the form
that Yang, Cadilhac & Chiang, "Knee-Deep in C-RASP: A Transformer Depth
Hierarchy" (arXiv 2506.16055), use. A program over Σ defines vectors of two
types, one value per position of the word ``w_0 ... w_{n-1}`` (0-based here):

* Boolean vectors: the initial vectors ``Q_a(i) = [w_i = a]``; ``¬P``,
  ``P ∧ P'``, ``P ∨ P'`` and the constants (Boolean operations); comparisons
  ``C < C'``, ``C ≤ C'``, ``C > C'``, ``C ≥ C'``, ``C = C'``, ``C ≠ C'`` of count
  vectors;
* count vectors (integers): prefix counts ``C(i) := #[j ≤ i] P(j)``, the number
  of positions j up to i where the Boolean P holds; integer linear
  combinations ``C + C'``, ``C - C'``, ``k · C`` (k an integer); integer
  constants.

The program accepts w iff its Boolean output vector is 1 at the last
position. The depth of a vector (as Knee-Deep defines it) is the nesting depth of
counting: 0 for ``Q_a`` and constants, ``1 + depth(P)`` for ``#[j ≤ i] P(j)``,
the maximum over the operands otherwise (`depths`).

Deviation from the COLM paper: its conditional ``P ? C : C'`` and its
``min``/``max`` of counts are not operations here (the Knee-Deep form has
only linear combinations); a comparison takes any two linear combinations.

Expressions are `Symbol`, `Var`, `Const`, `Not`, `And`, `Or` (shared with
`languages.brasp`), `Compare`, `Count`, `Number`, `Add`, `Sub`, `Scale`. Inside
``#[j ≤ i] P(j)`` every vector is read at j (and no count nests); everywhere
else at i. `Program` checks names, sides and types and raises every problem
at once as a `RaspError`. The embedded API::

    from languages import crasp

    a, b = crasp.symbols("ab")
    more_a = (crasp.count(a) > crasp.count(b)).named("majority")
    program = crasp.program(more_a, alphabet="ab")
    crasp.evaluate(program, "abba")   # (True, False, False, False)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from languages.brasp import (
    And,
    Const,
    Definition,
    Node,
    Not,
    Or,
    RaspError,
    Symbol,
    Var,
    _Boolean,
    as_expression,
    check_name,
    check_word,
    children,
    leaves,
    lower,
)
from languages.brasp import Vector as _Handle
from languages.errors import WordError
from languages.language import check_alphabet

COMPARISONS = ("<", "<=", ">", ">=", "=", "!=")
TYPES = ("bool", "count")
MAX_FACTOR = 10**6  # a larger factor is absurd for a program and costly to compile


# -- count expressions ---------------------------------------------------------------------


@dataclass(frozen=True)
class Compare(_Boolean):
    """``left op right`` for two count expressions (op in `COMPARISONS`)."""

    op: str
    left: Any
    right: Any


@dataclass(frozen=True)
class Count(Node):
    """``#[j ≤ i] inner(j)``: the number of positions j ≤ i where `inner` holds."""

    inner: Any


@dataclass(frozen=True)
class Number(Node):
    """The integer constant `value`."""

    value: int


@dataclass(frozen=True)
class Add(Node):
    left: Any
    right: Any


@dataclass(frozen=True)
class Sub(Node):
    left: Any
    right: Any


@dataclass(frozen=True)
class Scale(Node):
    """``factor · operand`` for an integer `factor`."""

    factor: int
    operand: Any


COUNT_NODES = (Count, Number, Add, Sub, Scale)
NODES = (Symbol, Var, Const, Not, And, Or, Compare, *COUNT_NODES)


@dataclass(frozen=True, kw_only=True)
class Program:
    """A C-RASP program: its alphabet, definitions in order (each reads the initial vectors
    and earlier definitions), and its Boolean output vector."""

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
        raise RaspError(f"C-RASP program has no vector {name!r}")

    @property
    def types(self) -> dict[str, str]:
        """Every vector's type, ``bool`` or ``count``."""
        found: dict[str, str] = {}
        for d in self.definitions:
            found[d.name] = type_of(d.operation, found)
        return found

    @property
    def depth(self) -> int:
        """The counting depth of the output vector (Knee-Deep's depth)."""
        return depths(self)[self.output]


def type_of(expr, types: dict) -> str:
    """The type of a well-typed expression, given the types of the vectors it reads."""
    if isinstance(expr, Var):
        return types[expr.name]
    return "count" if isinstance(expr, COUNT_NODES) else "bool"


def _check(expr, where: str, program: Program, types: dict, side: str) -> list[str]:
    """Problems in `expr` (node types, sides, symbols, names, types), read at `side`."""
    if not isinstance(expr, NODES):
        return [f"{where}: {expr!r} is not a C-RASP expression"]
    problems = []
    if isinstance(expr, Symbol | Var) and expr.side != side:
        problems.append(f"{where}: {_show(expr)} is read at {expr.side!r}; here vectors are "
                        f"read at {side!r}" + (" (inside #[j <= i] ... they are read at j)"
                                               if side == "j" else ""))
    if isinstance(expr, Symbol) and expr.symbol not in program.alphabet:
        problems.append(f"{where}: Q_{expr.symbol} reads symbol {expr.symbol!r}, which is not "
                        f"in the alphabet {program.alphabet!r}")
    if isinstance(expr, Var) and expr.name not in types:
        problems.append(f"{where}: {expr.name!r} is not defined before it")
    if isinstance(expr, Const) and not isinstance(expr.value, bool):
        problems.append(f"{where}: constant {expr.value!r} is not True or False")
    if isinstance(expr, Number) and (isinstance(expr.value, bool)
                                     or not isinstance(expr.value, int)):
        problems.append(f"{where}: number {expr.value!r} is not an integer")
    if isinstance(expr, Scale) and (isinstance(expr.factor, bool)
                                    or not isinstance(expr.factor, int)
                                    or abs(expr.factor) > MAX_FACTOR):
        problems.append(f"{where}: factor {expr.factor!r} is not an integer of size at most "
                        f"{MAX_FACTOR}")
    if isinstance(expr, Compare) and expr.op not in COMPARISONS:
        problems.append(f"{where}: comparison {expr.op!r}; allowed: {COMPARISONS}")
    if isinstance(expr, Count):
        if side == "j":
            problems.append(f"{where}: a count inside #[j <= i] ...; name the inner count "
                            "as a vector of its own")
            return problems
        problems += _check(expr.inner, where, program, types, "j")
        return problems + _want(expr.inner, "bool", "#[j <= i] ...", where, types)
    for child in children(expr):
        problems += _check(child, where, program, types, side)
    if problems:
        return problems
    want = "bool" if isinstance(expr, Not | And | Or) else "count"
    if isinstance(expr, Not | And | Or | Compare | Add | Sub | Scale):
        for child in children(expr):
            problems += _want(child, want, _operator(expr), where, types)
    return problems


def _want(child, want: str, operator: str, where: str, types: dict) -> list[str]:
    got = type_of(child, types) if not isinstance(child, Var) or child.name in types else want
    if got == want:
        return []
    noun = {"bool": "a Boolean", "count": "a count"}
    return [f"{where}: {operator} needs {noun[want]} operand; {_describe(child)} is "
            f"{noun[got]}"]


def _operator(expr) -> str:
    names = {Not: "¬", And: "∧", Or: "∨", Add: "+", Sub: "-", Scale: "·"}
    return f"comparison {expr.op!r}" if isinstance(expr, Compare) else names[type(expr)]


def _describe(expr) -> str:
    if isinstance(expr, Symbol | Var):
        return _show(expr)
    if isinstance(expr, Number):
        return f"the number {expr.value}"
    if isinstance(expr, Const):
        return f"the constant {int(expr.value)}"
    return f"its {type(expr).__name__} operand"


def _show(leaf) -> str:
    name = f"Q_{leaf.symbol}" if isinstance(leaf, Symbol) else leaf.name
    return f"{name}({leaf.side})"


def _validate(program: Program) -> None:
    try:
        check_alphabet(program.alphabet, RaspError)
    except RaspError as error:
        raise RaspError(f"C-RASP program: {error}") from None
    problems, types = [], {}
    for definition in program.definitions:
        if not isinstance(definition, Definition):
            problems.append(f"{definition!r} is not a Definition")
            continue
        name = definition.name
        where = f"vector {name!r}"
        problems += check_name(name, where)
        if name in types:
            problems.append(f"{where} is defined twice")
        found = _check(definition.operation, where, program, types, "i")
        problems += found
        types[name] = type_of(definition.operation, types) if not found else "bool"
    if program.output not in types:
        problems.append(f"output {program.output!r} is not a defined vector")
    elif not problems and types[program.output] != "bool":
        problems.append(f"output {program.output!r} is a count; the output is a Boolean vector")
    if problems:
        raise RaspError("C-RASP program: " + "; ".join(problems))


def depths(program: Program) -> dict[str, int]:
    """The counting depth of every vector (see the module docstring)."""
    depth: dict[str, int] = {}

    def of(expr) -> int:
        if isinstance(expr, Var):
            return depth[expr.name]
        if isinstance(expr, Count):
            return 1 + of(expr.inner)
        return max((of(c) for c in children(expr)), default=0)

    for d in program.definitions:
        depth[d.name] = of(d.operation)
    return depth


# -- the reference interpreter ------------------------------------------------------------


def _value(expr, word: np.ndarray, vectors: dict):
    """An expression at every position: bools, or Python integers (object arrays)."""
    if isinstance(expr, Symbol):
        return word == expr.symbol
    if isinstance(expr, Var):
        return vectors[expr.name]
    if isinstance(expr, Const):
        return np.full(len(word), expr.value)
    if isinstance(expr, Number):
        return np.full(len(word), expr.value, dtype=object)
    if isinstance(expr, Count):
        return np.cumsum(_value(expr.inner, word, vectors).astype(int)).astype(object)
    if isinstance(expr, Not):
        return ~_value(expr.operand, word, vectors)
    if isinstance(expr, Scale):
        return expr.factor * _value(expr.operand, word, vectors)
    left, right = _value(expr.left, word, vectors), _value(expr.right, word, vectors)
    if isinstance(expr, Compare):
        result = {"<": left < right, "<=": left <= right, ">": left > right,
                  ">=": left >= right, "=": left == right, "!=": left != right}[expr.op]
        return np.asarray(result, dtype=bool)
    return {And: lambda: left & right, Or: lambda: left | right, Add: lambda: left + right,
            Sub: lambda: left - right}[type(expr)]()


def run(program: Program, word: str) -> dict[str, tuple]:
    """Every vector of `program` on `word`: Booleans, or integers for counts, one per
    position (``#[j ≤ i] P(j)`` as a running sum).

    Raises:
        WordError: a symbol of `word` is not in the program's alphabet.
    """
    check_word(word, program.alphabet)
    letters = np.array(list(word), dtype=str) if word else np.zeros(0, dtype=str)
    vectors: dict[str, np.ndarray] = {}
    for d in program.definitions:
        vectors[d.name] = _value(d.operation, letters, vectors)
    return {name: tuple(bool(v) if values.dtype == bool else int(v) for v in values)
            for name, values in vectors.items()}


def evaluate(program: Program, word: str) -> tuple[bool, ...]:
    """The output vector of `program` on `word`, one Boolean per position."""
    return run(program, word)[program.output]


def accepts(program: Program, word: str) -> bool:
    """Whether `program` accepts the non-empty `word`: its output at the last position."""
    if word == "":
        raise WordError("the empty word has no last position; a C-RASP program accepts "
                        "by its output at the last position")
    return evaluate(program, word)[-1]


# -- the Python-embedded API ------------------------------------------------------------


def _operand(value, want: str, operator: str):
    """An expression of type `want` from a `Vector`, an int (count) or a bool (Boolean)."""
    if isinstance(value, Vector):
        if value.type != want:
            noun = {"bool": "a Boolean", "count": "a count"}
            raise RaspError(f"{operator} needs {noun[want]} operand; got {noun[value.type]} "
                            "vector")
        return value("i")
    if want == "count" and isinstance(value, int) and not isinstance(value, bool):
        return Number(value)
    if want == "bool" and isinstance(value, bool):
        return Const(value)
    raise RaspError(f"{operator} needs a Vector or {'an int' if want == 'count' else 'a bool'}"
                    f", got {value!r}")


@dataclass(frozen=True, eq=False)
class Vector(_Handle):
    """A C-RASP vector under construction (identity tells two apart); its `type` is
    ``bool`` or ``count``. Booleans: ``&``, ``|``, ``~``; counts: ``+``, ``-``,
    ``k * C``, and ``<``, ``<=``, ``>``, ``>=``, `eq`, `ne` (``==`` keeps its
    meaning, identity)."""

    type: str = field(default="bool")

    def __call__(self, side: str):
        if side not in ("i", "j"):
            raise RaspError(f"a vector is read at 'i' or 'j', not {side!r}")
        if isinstance(self.operation, Symbol):
            return Symbol(self.operation.symbol, side)
        return Var(self, side)

    def named(self, name: str) -> Vector:
        problems = check_name(name, "Vector.named")
        if problems:
            raise RaspError(problems[0])
        return Vector(self.operation, name, self.type)

    def _bool(self, build, *others) -> Vector:
        return Vector(build(*[_operand(x, "bool", "a Boolean operation")
                              for x in (self, *others)]), None, "bool")

    def __and__(self, other):
        return self._bool(And, other)

    def __rand__(self, other):
        return Vector(And(_operand(other, "bool", "∧"), _operand(self, "bool", "∧")))

    def __or__(self, other):
        return self._bool(Or, other)

    def __ror__(self, other):
        return Vector(Or(_operand(other, "bool", "∨"), _operand(self, "bool", "∨")))

    def __invert__(self):
        return self._bool(Not)

    def _count(self, build, left, right, operator: str) -> Vector:
        return Vector(build(_operand(left, "count", operator),
                            _operand(right, "count", operator)), None, "count")

    def __add__(self, other):
        return self._count(Add, self, other, "+")

    def __radd__(self, other):
        return self._count(Add, other, self, "+")

    def __sub__(self, other):
        return self._count(Sub, self, other, "-")

    def __rsub__(self, other):
        return self._count(Sub, other, self, "-")

    def __neg__(self):
        return Vector(Scale(-1, _operand(self, "count", "-")), None, "count")

    def __mul__(self, factor):
        if isinstance(factor, bool) or not isinstance(factor, int):
            raise RaspError(f"a count is multiplied by an integer constant, not {factor!r}")
        return Vector(Scale(factor, _operand(self, "count", "·")), None, "count")

    __rmul__ = __mul__

    def _compare(self, op: str, other) -> Vector:
        return Vector(Compare(op, _operand(self, "count", f"comparison {op!r}"),
                              _operand(other, "count", f"comparison {op!r}")), None, "bool")

    def __lt__(self, other):
        return self._compare("<", other)

    def __le__(self, other):
        return self._compare("<=", other)

    def __gt__(self, other):
        return self._compare(">", other)

    def __ge__(self, other):
        return self._compare(">=", other)

    def eq(self, other) -> Vector:
        """``self = other`` (counts)."""
        return self._compare("=", other)

    def ne(self, other) -> Vector:
        """``self ≠ other`` (counts)."""
        return self._compare("!=", other)

    __hash__ = object.__hash__


def symbols(alphabet: str) -> tuple[Vector, ...]:
    """The initial vectors ``Q_a``, one per symbol of `alphabet`, in order."""
    return tuple(Vector(Symbol(a), None, "bool") for a in check_alphabet(alphabet, RaspError))


def count(predicate: Vector | bool) -> Vector:
    """``#[j ≤ i] P(j)`` for a Boolean vector (or a constant) P."""
    if isinstance(predicate, bool):
        inner = as_expression(predicate)
    else:
        _operand(predicate, "bool", "#[j <= i] ...")
        inner = predicate("j")
    return Vector(Count(inner), None, "count")


def constant(value: int) -> Vector:
    """The count vector holding the integer `value` at every position."""
    return Vector(_operand(value, "count", "constant"), None, "count")


def program(output: Vector, *, alphabet: str) -> Program:
    """The `Program` whose output is the Boolean vector `output` (every vector it reads,
    in dependency order, named by `Vector.named` or ``v1``, ``v2``, ...)."""
    return lower(output, alphabet=alphabet, build=Program, error="C-RASP")


__all__ = ["Add", "And", "COMPARISONS", "Compare", "Const", "Count", "Definition", "Not",
           "Number", "Or", "Program", "RaspError", "Scale", "Sub", "Symbol", "Var", "Vector",
           "accepts", "constant", "count", "depths", "evaluate", "leaves", "program", "run",
           "symbols"]
