"""A program as a construction: B-RASP, C-RASP and past-LTL programs, compiled and recognising.

The program is the construction's only option that matters: a library name
(``majority``, ``tomita4.ltl``, ``knee_deep_3``), a file (``.brasp``,
``.crasp``, ``.ltl``) or program text (`compilers.programs.sources.load`).
It is compiled by the paper's construction for its language
(`compilers.programs`):

* B-RASP (Yang, Chiang & Angluin, NeurIPS 2024): `compile_brasp`, masked
  unique-hard attention, one layer per level of attention depth, on the word
  itself (no BOS, no positional encoding);
* past LTL (the same paper, section on LTL): translated to B-RASP
  (`languages.ltl.to_brasp`, one attention per temporal operator), then as
  B-RASP;
* C-RASP (Yang & Chiang, COLM 2024; depth as Yang, Cadilhac & Chiang,
  "Knee-Deep in C-RASP", arXiv 2506.16055, count it): `compile_crasp`,
  future-masked average-hard (or softmax, ``attention``) uniform heads and
  layer-norm signs, one layer per level of counting depth, on ``$ w``.

Recognition. The read-out is at the last position: ``accept = 2 Y - 1`` for
the program's output vector Y, ``±1``, positive iff the program accepts
(`compile_brasp`/`compile_crasp` with ``logit="accept"``). The reference is
the program's own interpreter (`languages.brasp.accepts`,
`languages.crasp.accepts`, and for LTL the formula's semantics,
`languages.ltl.accepts`, which shares no code with the translation). The
empty word has no last position: it is refused by name, here as by the
interpreters.

Float guarantees (`limits`), derived from the compiled IR:

* B-RASP and LTL: every weight is an integer, every stream value 0 or 1,
  every score an integer; a float run computes every value exactly while the
  largest sum of absolute weights into one value (`integer_bound`: a hidden
  unit, an MLP output with its residual, a head's score or value, an
  embedding column, the read-out), M, is at most ``2^p`` (p the dtype's
  significand bits, ``u = 2^-p``). Then it is exact at every n (`ANY_LENGTH`
  as the number that says so), else nothing is claimed.
* C-RASP: a sign ``x = (L(p) + h)/(p + 2)`` has margin ``1/(2(p + 2))``.
  Its float value carries the rounding of a mean of p + 2 values of size at
  most K (the largest sum of absolute value weights into one attention
  output) and of the Booleans that an MLP of weight sum at most W (M above)
  made from earlier signs (each within about ``W u`` of 0 or 1): an error
  below ``SAFETY W K u (n + 2)`` against the margin ``1/(2(n+2))``, with
  ``SAFETY = 8`` (a factor of about 4 to spare). We claim the largest n with
  ``SAFETY W K u (n + 2)^2 <= 1`` whose margin squared (the layer norm's
  variance) is a normal number of the dtype.

Deviations: those of the two compilers (named in their docstrings); the read-out's
``2 Y - 1`` is ours (the papers accept on Y = 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

from compilers.constructions.base import Family, Option, OptionError
from compilers.constructions.first import ANY_LENGTH
from compilers.constructions.recognizer import Recognizer
from compilers.dtypes import SMALLEST_NORMAL, UNIT_ROUNDOFF
from compilers.ir import MLP, Attention, Transformer
from compilers.programs import compile_brasp, compile_crasp, sources
from compilers.programs.sources import Source
from languages import brasp
from languages.errors import WordError

ATTENTION = ("average-hard", "softmax")
BOS_CHOICES = "$^#§"
SAFETY = 8


@dataclass(frozen=True, kw_only=True)
class ProgramRecognizer(Recognizer):
    """A compiled program that recognises its language (see the module docstring).

    Attributes:
        source: the program (`compilers.programs.sources.Source`).
        language: the `languages.zoo` language it decides, where the library names one
            (used to draw members and non-members for checks), else None.
    """

    language: str | None = None
    source: Source = field(default=None, compare=False)

    @property
    def alphabet(self) -> str:
        return self.source.alphabet

    def tokens(self, word: str) -> list[str]:
        """The input sequence for the non-empty `word` (``$ word`` for C-RASP)."""
        if word == "":
            raise WordError("the empty word has no last position; a program accepts by its "
                            "output at the last position (give words of length >= 1)")
        return [*self.bos, *word, *self.eos]

    def reference(self, word: str) -> bool:
        """Whether the program accepts `word`, by its own interpreter."""
        return self.source.accepts(word)

    @property
    def details(self) -> dict:
        """The program beside its transformer: language, depth, vectors, attention layers."""
        attention = sum(isinstance(b, Attention) for b in self.transformer.blocks)
        vectors = len(self.source.brasp().definitions) if self.source.language != "crasp" \
            else len(self.source.program.definitions)
        return {"program": self.source.name, "program language": self.source.title,
                "program depth": self.source.depth, "program vectors": vectors,
                "attention layers": attention}


def integer_bound(transformer: Transformer) -> Fraction | None:
    """The largest sum of absolute weights into one value of `transformer` (see the module
    docstring), or None if a weight is not an integer."""
    sums: list[Fraction] = []
    weights: list[Fraction] = []

    def rows(matrix, bias=None, extra: int = 0) -> None:
        totals: dict = dict.fromkeys(matrix.rows, Fraction(extra))
        for (row, _), w in matrix.entries.items():
            totals[row] += abs(w)
            weights.append(w)
        for row, b in (bias or {}).items():
            totals[row] = totals.get(row, Fraction(extra)) + abs(b)
            weights.append(b)
        sums.extend(totals.values())

    table = transformer.inputs.table
    columns: dict = {}
    for (_, col), w in table.entries.items():
        columns[col] = columns.get(col, 0) + abs(w)
        weights.append(w)
    sums.extend(columns.values())
    for block in transformer.blocks:
        if isinstance(block, MLP):
            rows(block.w_in, block.b_in)
            rows(block.w_out, block.b_out, extra=1)  # the residual's 0 or 1 added
        elif isinstance(block, Attention):
            for head in block.heads:
                rows(head.value)
                q = max((abs(w) for w in head.query.entries.values()), default=0)
                k = max((abs(w) for w in head.key.entries.values()), default=0)
                sums.append(Fraction(q * k * max(len(head.query.rows), 1)))
                weights += list(head.query.entries.values()) + list(head.key.entries.values())
    rows(transformer.readout.matrix, transformer.readout.bias)
    if any(Fraction(w).denominator != 1 for w in weights):
        return None
    return max(sums, default=Fraction(1))


def value_bound(transformer: Transformer) -> Fraction:
    """K: the largest sum of absolute value weights into one direction, over all heads."""
    totals: dict = {}
    for block in transformer.blocks:
        if isinstance(block, Attention):
            for head in block.heads:
                for (row, _), w in head.value.entries.items():
                    totals[row] = totals.get(row, 0) + abs(w)
    return max(totals.values(), default=Fraction(1))


def brasp_limit(dtype: str, bound: Fraction | None) -> int | None:
    """`ANY_LENGTH` where every value is an exactly represented integer, else None."""
    if bound is None:
        return None
    bits = round(-math.log2(UNIT_ROUNDOFF[dtype]))
    return ANY_LENGTH if bound <= 2**bits else None


def crasp_limit(dtype: str, weights: Fraction, values: Fraction) -> int | None:
    """The largest n of the C-RASP analysis in the module docstring, None for none."""
    u, tiny = UNIT_ROUNDOFF[dtype], SMALLEST_NORMAL[dtype]
    room = 1 / (SAFETY * float(weights) * float(values) * u)
    top = min(math.isqrt(int(room)) - 2, ANY_LENGTH)
    while top >= 1 and (1 / (2 * (top + 2))) ** 2 < tiny:
        top = top // 2
    return top if top >= 1 else None


def _bos(alphabet: str) -> str:
    for symbol in BOS_CHOICES:
        if symbol not in alphabet:
            return symbol
    raise WordError(f"alphabet {alphabet!r} holds every BOS symbol this construction picks "
                    f"from ({BOS_CHOICES!r})")


def build(*, program, language: str | None = None,
          attention: str | None = None) -> ProgramRecognizer:
    """The recogniser of `program` (a `Source`, a library name, a file or text; see the
    module docstring); `attention` (C-RASP only): ``average-hard`` (the default) or
    ``softmax``.

    Raises:
        OptionError: `attention` given for a B-RASP or LTL program, or not in `ATTENTION`.
    """
    source = program if isinstance(program, Source) else sources.load(program,
                                                                       language=language)
    if attention is not None and source.language != "crasp":
        raise OptionError(f"--attention applies to C-RASP programs only; this one is "
                          f"{source.title}")
    if attention is not None and attention not in ATTENTION:
        raise OptionError(f"--attention is {attention!r}; allowed: {', '.join(ATTENTION)}")
    if source.language == "crasp":
        attention = attention or "average-hard"
        bos = _bos(source.alphabet)
        transformer = compile_crasp(source.program, outputs=(), attention=attention, bos=bos,
                                    position="last", logit="accept", label="crasp")
        weights = integer_bound(transformer) or Fraction(1)
        values = value_bound(transformer)
        limits = {d: crasp_limit(d, max(weights, Fraction(1)), values) for d in UNIT_ROUNDOFF}
        prefix: tuple[str, ...] = (bos,)
        note = "Yang & Chiang 2024 (C-RASP), depth as Yang, Cadilhac & Chiang 2025"
    else:
        transformer = compile_brasp(source.brasp(), outputs=(), position="last",
                                    logit="accept", label="brasp")
        bound = integer_bound(transformer)
        limits = {d: brasp_limit(d, bound) for d in UNIT_ROUNDOFF}
        prefix = ()
        note = "Yang, Chiang & Angluin 2024 (B-RASP" + (", LTL)" if source.language == "ltl"
                                                         else ")")
    return ProgramRecognizer(
        name="program", transformer=transformer, language=source.zoo, bos=prefix,
        accept="accept", source=source,
        options={"program": source.text, "language": source.language, "attention": attention},
        limits=limits, note=note)


def inapplicable(options: dict) -> dict:
    """``--attention`` applies to C-RASP programs only (see `Family.inapplicable`)."""
    try:
        source = sources.load(options.get("program"), language=options.get("language"))
    except (brasp.RaspError, sources.ProgramSourceError):
        return {}  # the build names the problem
    return {"attention": None if source.language == "crasp" else
            f"applies to C-RASP programs only; this one is {source.title}"}


FAMILY = Family(
    name="program", title="B-RASP, C-RASP and past-LTL programs",
    paper="Yang, Chiang & Angluin 2024 (B-RASP, LTL); Yang & Chiang 2024 (C-RASP)",
    mode="recognise",
    options=(Option(name="program", kind="text", argument=True, required=True,
                    metavar="PROGRAM",
                    help="A library name (majority, dyck1, tomita4.ltl, knee_deep_3, ...), a "
                         "file (.brasp, .crasp, .ltl) or program text."),
             Option(name="language", kind="choice", choices=sources.LANGUAGES,
                    help="The program's language (default: from the file's suffix or the "
                         "library)."),
             Option(name="attention", kind="choice", choices=ATTENTION,
                    help="C-RASP heads: average-hard (the default) or softmax (uniform "
                         "heads: the same weights).")),
    build=build, circuit="recogniser", inputs="words over the program's alphabet",
    inapplicable=inapplicable)

__all__ = ["FAMILY", "ProgramRecognizer", "build", "integer_bound"]
