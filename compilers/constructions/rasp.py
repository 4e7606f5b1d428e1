"""Tracr's RASP programs as constructions: compiled exactly, a value at every position.

Lindner et al., "Tracr: Compiled Transformers as a Laboratory for
Interpretability" (NeurIPS 2023, arXiv 2301.05062): every program of its
``compiler/lib.py`` (`languages.rasp_lib`), by name, compiled by
`compilers.programs.rasp_compile` for a vocabulary (``--alphabet``, one
symbol a token; a program over numbers reads digits as integers) and a
maximum length N (``--max-seq-len``, Tracr's ``max_seq_len``; ``--max-length``
is the precision command's own). ``--causal`` compiles future-masked heads
and checks against the causal evaluator (every selector masked to
``key <= query``), for the programs Tracr runs causally.

Mode. A RASP program maps a sequence to a sequence, so the construction
runs in the ``predict`` mode (`compilers.runs.predict`): one forward pass over
``BOS x_0 ... x_{n-1}``, read out at every position. The answer
(`RaspOutputs`) is the program's value at each word position (the BOS
position's read-out is dropped): for a categorical output the value whose
one-hot entry is 1 (None where every entry is 0), for a numerical one the
number. The reference is `languages.rasp.evaluate` (Tracr's semantics), which
shares no code with the compiler.

Comparison. Numbers are compared as exact fractions after rounding both
sides to the nearest fraction of denominator at most 10^6 (the evaluator
computes means in Python floats, the exact backend in fractions; two
distinct values of small denominator are never merged). A float run is
decoded first: a categorical entry rounded to 0 or 1, a number to the
nearest value of the output's inferred value set.

Attention (``--attention``). ``average-hard`` (the default) builds every head
average-hard, exact. ``softmax`` builds every head ``Softmax(beta)``, beta
derived (`compilers.programs.rasp_softmax`) from N, each head's score gap,
the value bounds, the decoding margins downstream and the dtype, so that the
model decodes exactly the evaluator's answer at every n <= N; the exact
backend's softmax (mpmath exponentials) is then decoded as a float run is,
which that bound proves right. No beta: refused, naming N.

Float guarantees (`limits`): N where the forward error bound of
`compilers.programs.rasp_precision` shows that every head picks the exact
head's keys and every output decodes right at every n <= N, else None.
Words longer than N are refused by name.

Circuits (``circuit="predictor"``): the circuit backend lowers the read-out at
every position (`compilers.backends.circuit.lower_positions`), one circuit per
word length n <= N, exact under ``--precision auto``; ``circuitx scaling rasp``
compiles one program per ``max_seq_len = n`` (`sizes`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from compilers.constructions.base import Family, Option, OptionError
from compilers.constructions.predictor import MAX_SYMBOLS, checked_alphabet
from compilers.dtypes import UNIT_ROUNDOFF
from compilers.errors import EvaluationError
from compilers.ir import FrozenDict, Transformer, check
from compilers.programs.rasp_compile import ATTENTION, CompiledRasp, compile_rasp
from compilers.programs.rasp_precision import guaranteed
from languages import rasp
from languages import rasp_lib as lib
from languages.errors import WordError

MAX_LENGTH = 128
DENOMINATOR = 10**6
MIXED = "<no single value>"
BOS_CHOICES = ("$", "^", "#", "BOS")


def _programs() -> dict:
    """name -> (builder(N), default alphabet, digits read as integers, causal allowed)."""
    t = rasp.tokens
    return {
        "length": (lambda n: lib.make_length(), "abc", False, False),
        "reverse": (lambda n: lib.make_reverse(t), "abc", False, False),
        "hist": (lambda n: lib.make_hist(), "abc", False, False),
        "frac_prevs": (lambda n: lib.make_frac_prevs(t == "x"), "xy", False, True),
        "pair_balance": (lambda n: lib.make_pair_balance(t, "(", ")"), "()", False, False),
        "shuffle_dyck": (lambda n: lib.make_shuffle_dyck(["()"]), "()", False, False),
        "shuffle_dyck2": (lambda n: lib.make_shuffle_dyck2(), "(){}", False, False),
        "sort_unique": (lambda n: lib.make_sort_unique(t, t), "12345", True, False),
        "sort": (lambda n: lib.make_sort(t, t, max_seq_len=n, min_key=1), "12345", True,
                 False),
        "sort_freq": (lambda n: lib.make_sort_freq(n), "123", True, False),
        "shift_by": (lambda n: lib.shift_by(1, t), "abc", False, True),
        "detect_pattern": (lambda n: lib.detect_pattern(t, "abc"), "abc", False, True),
        "count_less_freq": (lambda n: lib.make_count_less_freq(2), "abc", False, False),
        "count": (lambda n: lib.make_count(t, "a"), "abc", False, False),
        "nary_sequencemap": (lambda n: lib.make_nary_sequencemap(
            lambda x, y, z: (x + y + z) % 3, t, t, rasp.indices), "012", True, False),
    }


PROGRAMS = tuple(_programs())
"""The programs by name (Tracr's ``lib.py``; ``nary_sequencemap`` is ``(x + x + i) mod 3``)."""


def canonical(value):
    """A value as compared (see the module docstring): numbers other than bools as
    fractions of denominator at most `DENOMINATOR`, everything else as it is."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float | Fraction | np.number):
        return Fraction(value).limit_denominator(DENOMINATOR)
    return value


@dataclass(frozen=True)
class RaspOutputs:
    """A program's value at each word position, canonical (`canonical`).

    `rows` (one 1-tuple per position) and `as_dict` are what the predict runner and the
    command line read."""

    values: tuple

    @property
    def rows(self) -> tuple:
        return tuple((v,) for v in self.values)

    def as_dict(self) -> dict:
        return {"positions": [{"t": t, "next": {"value": _shown(v)}, "predicted": _shown(v)}
                              for t, v in enumerate(self.values)]}


def _shown(value):
    if isinstance(value, Fraction):
        return str(value) if value.denominator != 1 else int(value)
    return value if isinstance(value, bool | int | float | str) or value is None else repr(value)


@dataclass(frozen=True, kw_only=True)
class RaspProgram:
    """A compiled RASP program run in the predict mode (see the module docstring)."""

    name: str
    transformer: Transformer
    alphabet: str
    outputs: tuple
    compiled: CompiledRasp = field(compare=False)
    program: object = field(compare=False)
    numbers: bool = False
    causal: bool = False
    attention: str = "average-hard"
    bos: tuple = ("$",)
    eos: tuple = ()
    options: FrozenDict = field(default_factory=FrozenDict)
    limits: FrozenDict = field(default_factory=FrozenDict)
    note: str = ""

    mode = "predict"
    limit_name = "n"

    def __post_init__(self):
        check(self.transformer)
        object.__setattr__(self, "options", FrozenDict(self.options))
        object.__setattr__(self, "limits", FrozenDict(self.limits))

    @property
    def max_length(self) -> int:
        return self.compiled.max_seq_len

    def inputs(self, word: str) -> list:
        """The program's input: each symbol, a digit read as an integer if `numbers`."""
        return [int(c) if self.numbers else c for c in word]

    def tokens(self, word: str) -> list[str]:
        """``BOS x_0 ... x_{n-1}``; a word longer than the compiled length is refused."""
        if len(word) > self.max_length:
            raise WordError(f"word of length {len(word)} is longer than {self.max_length}, "
                            f"the length {self.name} was compiled for (--max-seq-len)")
        return [*self.bos, *(self.compiled.tokens[x] for x in self.inputs(word))]

    def reference(self, word: str) -> RaspOutputs:
        """The RASP evaluator's values (`languages.rasp.evaluate`, causal if compiled so)."""
        values = rasp.evaluate(self.program, self.inputs(word), causal=self.causal)
        return RaspOutputs(tuple(canonical(v) for v in values))

    def decode(self, values, kind: str) -> RaspOutputs:
        """The read-out, (positions, outputs), of one word as its values (module docstring)."""
        rows = list(values)[1:]  # position 0 is the BOS
        c = self.compiled
        out = []
        rounded = kind != "exact" or self.attention == "softmax"  # softmax: near, not equal
        for row in rows:
            if kind == "exact" and not rounded:
                entries = [Fraction(v) for v in row]
            else:
                array = np.asarray(row, dtype=np.float64)
                if not np.isfinite(array).all():
                    raise EvaluationError(f"{self.name}: a float run gave a non-finite value")
                entries = list(array)
            if c.numerical:
                out.append(canonical(self._number(entries[0], "float" if rounded else kind)))
            else:
                bits = [round(float(e)) if rounded else e for e in entries]
                hot = [k for k, b in enumerate(bits) if b == 1]
                if all(b == 0 for b in bits):
                    out.append(None)
                elif len(hot) == 1 and all(b in (0, 1) for b in bits):
                    out.append(canonical(c.values[hot[0]]))
                else:
                    out.append(MIXED)
        return RaspOutputs(tuple(out))

    def _number(self, value, kind: str):
        if kind == "exact" or self.compiled.values is None:
            return Fraction(value) if kind == "exact" else float(value)
        values = self.compiled.values
        k = int(np.searchsorted(np.asarray([float(v) for v in values]), float(value)))
        near = [values[j] for j in (k - 1, k) if 0 <= j < len(values)]
        return min(near, key=lambda v: abs(float(v) - float(value)))

    def word_length(self, positions: int) -> int:
        return positions - 1

    def trusted(self, dtype: str, n: int) -> bool:
        limit = self.limits.get(dtype)
        return limit is not None and n <= limit

    @property
    def details(self) -> dict:
        return {"program": self.options["program"], "max length": self.max_length,
                "output": "numerical" if self.compiled.numerical else "categorical",
                "causal": self.causal, "attention": self.attention,
                **({"beta": str(self.compiled.beta)} if self.compiled.beta is not None else {})}


def _bos(alphabet: str) -> str:
    return next(b for b in BOS_CHOICES if b not in alphabet)


def build(*, program: str = "sort", alphabet: str | None = None, max_seq_len: int = 8,
          causal: bool = False, attention: str = "average-hard") -> RaspProgram:
    """The compiled Tracr library program `program` (see the module docstring)."""
    table = _programs()
    if program not in table:
        raise OptionError(f"--program {program!r}; allowed: {', '.join(table)}")
    make, default, numbers, causal_ok = table[program]
    alphabet = checked_alphabet(default if alphabet is None else alphabet, reserved="$",
                                where="--alphabet")
    if numbers and not alphabet.isdigit():
        raise OptionError(f"--alphabet {alphabet!r}: {program} reads numbers; give digits")
    if isinstance(max_seq_len, bool) or not isinstance(max_seq_len, int) or not (
            1 <= max_seq_len <= MAX_LENGTH):
        raise OptionError(f"--max-seq-len {max_seq_len!r}; allowed: 1..{MAX_LENGTH}")
    max_length = max_seq_len
    if causal and not causal_ok:
        allowed = [name for name, entry in table.items() if entry[3]]
        raise OptionError(f"--causal: {program} is not meant for causal evaluation; causal "
                          f"programs: {', '.join(allowed)}")
    if attention not in ATTENTION:
        raise OptionError(f"--attention {attention!r}; allowed: {', '.join(ATTENTION)}")
    vocab = {int(c) if numbers else c for c in alphabet}
    bos = _bos(alphabet)
    expr = make(max_length)
    compiled = compile_rasp(expr, vocab=vocab, max_seq_len=max_length, causal=causal,
                            bos=bos, label="rasp", attention=attention)
    limits = {d: max_length if guaranteed(compiled.transformer, d, compiled.bounds, max_length,
                                          numerical=compiled.numerical,
                                          values=compiled.values, ranges=compiled.ranges,
                                          gaps=compiled.gaps)
                  else None
              for d in UNIT_ROUNDOFF}
    return RaspProgram(
        name="rasp", transformer=compiled.transformer, alphabet=alphabet,
        outputs=compiled.outputs, compiled=compiled, program=expr, numbers=numbers,
        causal=causal, attention=attention, bos=(bos,),
        options={"program": program, "alphabet": alphabet, "max_seq_len": max_length,
                 "causal": causal, "attention": attention},
        limits=limits, note="Lindner et al. 2023 (Tracr), compiler/lib.py")


def sizes(n: int, **options) -> dict:
    """The options of the construction for words up to length n (``circuitx scaling``):
    Tracr compiles a program for one maximum length, so ``max_seq_len = n``."""
    return {**options, "max_seq_len": n}


FAMILY = Family(
    name="rasp", title="Tracr's RASP library programs, compiled exactly",
    paper="Lindner et al. 2023, Tracr (arXiv 2301.05062), compiler/lib.py; Weiss et al. 2021",
    mode="predict",
    options=(Option(name="program", kind="choice", choices=PROGRAMS, default="sort",
                    help="The program of Tracr's lib.py."),
             Option(name="alphabet", kind="text", default=None,
                    help=f"The vocabulary, one symbol a token (1 to {MAX_SYMBOLS}; digits for "
                         "the sorting programs); default: the program's own."),
             Option(name="max_seq_len", kind="int", default=8, low=1, high=MAX_LENGTH,
                    help="The largest input length N compiled for (Tracr's max_seq_len)."),
             Option(name="causal", kind="flag", default=False,
                    help="Future-masked heads, checked against the causal evaluator "
                         "(frac_prevs, shift_by, detect_pattern)."),
             Option(name="attention", kind="choice", choices=ATTENTION, default="average-hard",
                    help="average-hard (exact) or softmax (every head Softmax(beta), beta "
                         "derived from N, the gaps, the values and the dtype).")),
    build=build, circuit="predictor", inputs="words over the program's vocabulary",
    sizes=sizes)

__all__ = ["FAMILY", "PROGRAMS", "RaspOutputs", "RaspProgram", "build", "canonical"]
