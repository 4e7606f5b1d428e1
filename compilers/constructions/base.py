"""The Construction protocol: what a paper's construction is, to the rest of circuitx.

A *construction* is a value: its IR (`transformer`), how an input becomes the
model's input (`encode`), how the model's read-out becomes an answer
(`decode`), the answer the construction must agree with (`reference`: a
language's membership, a machine's own interpreter), the options it was built
with, and what its error analysis guarantees in each float dtype. It imports
neither click nor torch: the run layer (`compilers.runs`) runs it on any
backend, and the command line derives its flags from the `Option`s of its
`Family`.

A construction runs one of four ways (its `mode`), each with its own small
protocol below:

* ``"recognise"`` (`Recogniser`): one forward pass over a word; accept iff an
  output is positive;
* ``"generate"`` (`Decoder`): position by position, the read-out fed back;
  the answer is decoded from the positions' read-outs;
* ``"loop"`` (`Looped`): the same blocks applied to an input matrix until a
  halt; the answer is decoded from the stream between loops.
* ``"predict"`` (`compilers.constructions.predictor.Predictor`): one forward
  pass over a word, read out at every position: the next symbol's
  distribution after each prefix (a language model).

A `Family` is a registered way to build constructions: a name, the paper,
the typed options of `build`, and which of its parts the circuit backend
lowers. `compilers.constructions.registry` lists the families: those of
circuitx and those that installed packages declare in the entry-point group
``circuitx.constructions``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal, Protocol, runtime_checkable

from compilers.errors import CompileError
from compilers.ir import Transformer

Mode = Literal["recognise", "generate", "loop", "predict"]
MODES: tuple[str, ...] = ("recognise", "generate", "loop", "predict")


class OptionError(CompileError):
    """An option value outside what the option allows; the message names both."""


# -- options ------------------------------------------------------------------

KINDS = ("flag", "number", "int", "choice", "text")
MAX_TEXT = 1 << 20  # characters of a text option (a machine table, a word)


@dataclass(frozen=True, kw_only=True)
class Option:
    """One keyword of a family's `build`, typed, with what it allows.

    Attributes:
        name: the keyword (``output_scale``); the flag is ``--output-scale``.
        kind: ``flag`` (a bool, ``--x/--no-x``), ``number`` (an exact rational
            written as ``5``, ``2.5``, ``1/3`` or ``1e-5``), ``int`` (within
            `low`..`high`), ``choice`` (one of `choices`) or ``text``.
        default: the value when the option is not given (None: none).
        help: one line for ``--help``.
        low, high: the bounds of an ``int`` (None: unbounded).
        choices: the values of a ``choice``.
        positive: a ``number`` must be > 0 (else >= 0).
        argument: a positional argument (``MACHINE``) rather than a flag.
        required: the command line requires it (the builder may still accept None).
        cli: the flag when it is not ``--name`` (a Turing machine's `word` is ``--input``).
        metavar: an argument's name in ``--help`` (default the name in capitals).
    """

    name: str
    kind: str
    default: Any = None
    help: str = ""
    low: int | None = None
    high: int | None = None
    choices: tuple[str, ...] = ()
    positive: bool = True
    argument: bool = False
    required: bool = False
    cli: str | None = None
    metavar: str | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise CompileError(f"option {self.name!r}: kind {self.kind!r}; allowed: "
                               f"{', '.join(KINDS)}")
        if self.kind == "choice" and not self.choices:
            raise CompileError(f"option {self.name!r}: a choice needs its choices")

    @property
    def flag(self) -> str:
        return self.cli or "--" + self.name.replace("_", "-")

    def parse(self, value: Any) -> Any:
        """`value` checked and converted (a Fraction for ``number``), or `OptionError`."""
        if value is None:
            return None
        kind, where = self.kind, self.flag
        if kind == "flag":
            if not isinstance(value, bool):
                raise OptionError(f"{where} is a flag (True or False), got {_shown(value)}")
            return value
        if kind == "number":
            return exact_number(value, name=where, positive=self.positive)
        if kind == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                raise OptionError(f"{where} must be an integer, got {_shown(value)}")
            if (self.low is not None and value < self.low) or (
                    self.high is not None and value > self.high):
                raise OptionError(f"{where} is {_shown(value)}; allowed: {self.low}..{self.high}")
            return value
        if kind == "choice":
            if value not in self.choices:
                raise OptionError(f"{where} is {_shown(value)}; allowed: "
                                  f"{', '.join(self.choices)}")
            return value
        if not isinstance(value, str):
            raise OptionError(f"{where} must be text, got {_shown(value)}")
        if len(value) > MAX_TEXT:
            raise OptionError(f"{where} is {len(value)} characters long; at most {MAX_TEXT}")
        return value


MAX_NUMBER_BITS = 256  # of a number's numerator and of its denominator (about 77 digits)
MAX_EXPONENT = 60  # of a number written as 1e-5
_EXPONENT = re.compile(r"[eE]\s*([+-]?\d+)")


def _shown(value: Any) -> str:
    """`value` for a message: its repr, cut short (a huge integer by its size)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 128:
        return f"an integer of {value.bit_length()} bits"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def exact_number(value: Any, *, name: str, positive: bool = True) -> Fraction:
    """A user number (int, ``'5'``, ``'2.5'``, ``'1e-5'``, ``'1/3'``, Fraction) as a Fraction.

    Numbers are bounded before they are built: an exponent of at most `MAX_EXPONENT`
    (``1e999999`` is refused, not computed), a numerator and a denominator of at
    most `MAX_NUMBER_BITS` bits.
    """
    if isinstance(value, bool):
        raise OptionError(f"{name} must be a number like 5, 2.5 or 1e-5, got {value!r}")
    if isinstance(value, str | float):
        text = str(value)
        shown = text if len(text) <= 40 else text[:37] + "..."
        exponents = _EXPONENT.findall(text)
        if len(text) > 200 or any(len(e.lstrip("+-")) > 4 or abs(int(e)) > MAX_EXPONENT
                                  for e in exponents):
            raise OptionError(f"{name} must be a number between 1e-{MAX_EXPONENT} and "
                              f"1e{MAX_EXPONENT} (at most 200 characters), got {shown!r}")
    try:
        result = value if isinstance(value, Fraction) else Fraction(str(value))
    except (ValueError, ZeroDivisionError, TypeError, OverflowError):
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
        raise OptionError(f"{name} must be a number like 5, 2.5 or 1e-5, got {shown}") from None
    if (result.numerator.bit_length() > MAX_NUMBER_BITS
            or result.denominator.bit_length() > MAX_NUMBER_BITS):
        raise OptionError(f"{name} has more than {MAX_NUMBER_BITS} bits in its numerator or "
                          "denominator; numbers are at most about 77 digits")
    if result < 0 or (positive and result == 0):
        raise OptionError(f"{name} must be {'positive' if positive else '>= 0'}, got {value!r}")
    return result


# -- the protocol ---------------------------------------------------------------


@runtime_checkable
class Construction(Protocol):
    """What every construction offers (see the module docstring).

    Attributes:
        name: the family's name (``parity``).
        mode: ``recognise``, ``generate`` or ``loop``.
        transformer: the IR.
        options: the options it was built with, as they are written back
            (JSON-able values: str, int, bool).
        limits: dtype -> the largest size its error analysis guarantees
            (None: no guarantee): a word length n (recognise), steps for the
            empty input (generate), or loops (loop, where an unfit dtype is
            refused by `check_dtype` instead).
        limit_name: what `limits` counts (``n``, ``steps``, ``loops``).
        note: the paper and section, one line.
    """

    name: str
    mode: str
    transformer: Transformer
    options: Mapping[str, Any]
    limits: Mapping[str, int | None]
    limit_name: str
    note: str

    def reference(self, input: Any, **limits: Any) -> Any:
        """The answer the construction must agree with, from the language or machine itself."""


@runtime_checkable
class Recogniser(Construction, Protocol):
    """``mode == "recognise"``: a word in, accept iff output `accept` is > 0.

    `tokens(word)` is the model's input (the word between `bos` and `eos`);
    the formulas see ``n = len(word)``; `alphabet` is the word's symbols. A
    recogniser of a `languages.zoo` language may name it (`language`): `check`
    and `precision` then draw members and non-members in equal numbers, else
    uniform words over the alphabet.
    """

    alphabet: str
    bos: tuple[str, ...]
    eos: tuple[str, ...]
    accept: str

    def tokens(self, word: str) -> list[str]: ...

    def trusted(self, dtype: str, n: int) -> bool: ...


@runtime_checkable
class Decoder(Construction, Protocol):
    """``mode == "generate"``: an input in, read-outs position by position, an answer out.

    `encode(input)` gives the encoder's tokens, the first decoder input and n;
    `read(values, position, kind)` turns a batch of read-outs at one position
    (rows in the read-out's order; `kind`: ``exact`` for Fractions, ``float``, or
    ``sign`` for the circuit backend's +1/0/-1) into each example's fields;
    `decoder(input, max_steps)` returns an object that is fed each position's
    fields (`feed(position, fields)`) until `done`, and then gives the decoded
    steps (`trace()`) and the answer (`answer()`);
    `trusted_steps(dtype, input)` is what the error analysis guarantees.
    """

    def encode(self, input: Any) -> Encoded: ...

    def read(self, values: Any, position: int, kind: str) -> list: ...

    def decoder(self, input: Any, max_steps: int) -> Any: ...

    def trusted_steps(self, dtype: str, input: Any) -> int: ...


@runtime_checkable
class Looped(Construction, Protocol):
    """``mode == "loop"``: an input matrix, one loop per step, a state decoded between loops.

    `prepare(input)` checks an input against the construction's sizes and
    normalises it; `encode(input)` is its input matrix (`positions` x input
    dims); `decode(stream, index, input)` reads the state from a stream;
    `halting(inputs)` says, as entries of the stream, when each run has
    stopped and what it printed; `persistent()` lists the entries kept
    between loops with their exact kind (``pm``: ±1, ``01``), which a float
    run must stay within 1/4 of; `answer(input, state, steps, output)` is the
    end of a run as the reference states it, `fault(input, state)` the
    reference's error for a state that faulted; `reference_states` and
    `observe` give the reference's states after each step and the decoded
    states in the same form, for traces; `check_dtype` refuses a dtype that
    cannot carry the construction.
    """

    positions: int

    def prepare(self, input: Any) -> Any: ...

    def encode(self, input: Any) -> Any: ...

    def decode(self, stream: Any, index: Mapping[str, int], input: Any) -> Any: ...

    def halting(self, inputs: Any) -> Halting: ...

    def persistent(self) -> list[tuple[int, str, str]]: ...

    def answer(self, input: Any, state: Any, steps: int, output: bytes) -> Any: ...

    def fault(self, input: Any, state: Any) -> Exception: ...

    def reference_states(self, input: Any, *, max_steps: int) -> Any: ...

    def observe(self, states: Any) -> list: ...

    def check_dtype(self, dtype: str) -> None: ...


@dataclass(frozen=True)
class Halting:
    """When a looped run has stopped, and what it printed, as stream entries (position, dim).

    A run has stopped when the signs of the `code` entries equal its row of
    `targets` (one row per input), or when any of the `flags` entries is above
    1/2. A loop printed a byte when `printed` is above 1/2 after it: the byte
    whose bits are the signs of the `byte` entries, least significant first.
    """

    code: tuple = ()
    targets: tuple = ()
    flags: tuple = ()
    printed: tuple | None = None
    byte: tuple = ()


@dataclass(frozen=True)
class Encoded:
    """A generating construction's input: the encoder's tokens, the first decoder input,
    and n, the input length the formulas see (stated, never guessed)."""

    encoder: tuple
    first: Any  # a vector (vector feedback) or a token (token feedback)
    n: int


# -- families -------------------------------------------------------------------

CIRCUIT_PARTS = ("recogniser", "predictor", "step", "loop")


@dataclass(frozen=True, kw_only=True)
class Family:
    """A registered way to build constructions (one per choice of options).

    Attributes:
        name: the command-line name (``parity``).
        title: one line (``Chiang & Cholak's PARITY transformer``).
        paper: the paper and section it follows.
        mode: how its constructions run.
        options: the typed keywords of `build`, in command-line order.
        build: ``build(**options) -> Construction``.
        circuit: what the circuit backend lowers: ``recogniser`` (at a fixed
            n), ``predictor`` (at a fixed n, the read-out at every position), ``step``
            (one decoding step) or ``loop`` (one loop); None: nothing.
        inputs: what a run takes, for listings (``words over 01``).
        sizes: for a looped family, the options of its construction of size m
            (what `scaling` varies); for a predictor compiled for a maximum length
            (RASP's ``max_seq_len``), those of its construction for words of length m;
            None: not scaled (a predictor: one construction for every length).
        interpret: ``interpret(options, input, max_steps=...)``: the reference
            machine run on its own, without building the transformer (the
            command line's ``--backend reference``); None: the construction's
            `reference` is used.
        run_options: ``run_options(options, input, max_steps) -> options``: the options a
            run of `input` for `max_steps` steps needs, from those given (SUBLEQ without a
            word width: the width that holds every word the run stores, so that none
            wraps; a run that needs more than the construction allows is refused by
            name); None: the options as given.
        inapplicable: ``inapplicable(options) -> {name: why}``: options that do not apply
            given the others (SUBLEQ: slots for an esolang program), each with the reason,
            None where it applies; the key ``input`` speaks of the run's input. The
            command line refuses those given. None: every option applies.
    """

    name: str
    title: str
    paper: str
    mode: str
    options: tuple[Option, ...]
    build: Callable[..., Any]
    circuit: str | None = None
    inputs: str = ""
    sizes: Callable[..., dict] | None = None
    interpret: Callable[..., Any] | None = None
    run_options: Callable[..., dict] | None = None
    inapplicable: Callable[[dict], dict] | None = None

    def __post_init__(self):
        if self.mode not in MODES:
            raise CompileError(f"family {self.name!r}: mode {self.mode!r}; allowed: "
                               f"{', '.join(MODES)}")
        if self.circuit not in (None, *CIRCUIT_PARTS):
            raise CompileError(f"family {self.name!r}: circuit {self.circuit!r}; allowed: "
                               f"{', '.join(CIRCUIT_PARTS)} or None")
        names = [o.name for o in self.options]
        if len(set(names)) != len(names):
            raise CompileError(f"family {self.name!r}: an option is listed twice in {names}")

    def option(self, name: str) -> Option:
        for option in self.options:
            if option.name == name:
                return option
        raise OptionError(f"{self.name} has no option {name!r}; its options: "
                          f"{', '.join(o.name for o in self.options) or 'none'}")

    def make(self, **values: Any) -> Any:
        """Build a construction, every option checked first (unknown ones refused by name)."""
        unknown = sorted(set(values) - {o.name for o in self.options})
        if unknown:
            raise OptionError(f"{self.name} takes no option {unknown[0]!r}; its options: "
                              f"{', '.join(o.name for o in self.options) or 'none'}")
        checked = {o.name: o.parse(values.get(o.name, o.default)) for o in self.options}
        return self.build(**checked)


def require_mode(construction: Any, *modes: str) -> None:
    """Raise `CompileError` unless `construction` runs in one of `modes`."""
    mode = getattr(construction, "mode", None)
    if mode not in modes:
        raise CompileError(f"{getattr(construction, 'name', construction)!r} runs as "
                           f"{mode!r}; this needs a construction that runs as "
                           f"{' or '.join(repr(m) for m in modes)}")


__all__ = ["CIRCUIT_PARTS", "MODES", "Construction", "Decoder", "Encoded", "Family", "Halting",
           "Looped", "Option", "OptionError", "Recogniser", "exact_number", "require_mode"]
