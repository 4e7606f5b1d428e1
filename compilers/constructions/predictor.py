"""A transformer that predicts the next symbol at every position: the ``predict`` mode.

A language model reads ``bos + word`` and, at every position t = 0 .. n (the
BOS at position 0, the word's symbols at 1 .. n), gives the distribution of
the symbol that follows: its read-out is at ``position="all"``, one output per
*outcome* (the alphabet's symbols and, where the model can say so, the end of
the word or "no prediction"), and the output's value *is* the probability (a
linear read-out of exact rationals; no softmax). `Predictor` wraps such a
`Transformer` with what turns a word into its input and the read-out into
`Predictions`; its reference is a plain Python computation that shares no
code with the construction (the n-gram table itself; the induction rule).

Decoding. The exact backend's values are the probabilities, as Fractions. A
float backend's value is the probability rounded (the constructions here
compute one-hot vectors exactly and read one rounded weight), so it is decoded
to the nearest rational of denominator at most `denominator` (the largest
denominator of the reference's probabilities; 1 for a one-hot prediction):
that is the exact probability whenever the rounding error is below
``1 / (2 denominator^2)``, since two distinct such rationals lie at least
``1 / denominator^2`` apart. The construction's `limits` say, per dtype, up to
which n its error analysis guarantees this (None: no n).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from compilers.constructions.base import OptionError
from compilers.errors import EvaluationError
from compilers.ir import FrozenDict, Transformer, check


@dataclass(frozen=True)
class Predictions:
    """The next-symbol distribution after each prefix of a word.

    Attributes:
        outcomes: the labels of the outcomes, in read-out order.
        rows: for t = 0 .. n, the probabilities of the outcomes after the BOS and the
            first t symbols (a tuple of Fractions per position).
    """

    outcomes: tuple[str, ...]
    rows: tuple[tuple[Fraction, ...], ...]

    def predicted(self) -> list[str | None]:
        """The most likely outcome at each position (None where two or more tie)."""
        out = []
        for row in self.rows:
            best = max(row)
            winners = [o for o, p in zip(self.outcomes, row, strict=True) if p == best]
            out.append(winners[0] if len(winners) == 1 else None)
        return out

    def as_dict(self) -> dict:
        """``{"positions": [{"t", "next": {outcome: "p"}, "predicted"}...]}`` (zeros left out)."""
        best = self.predicted()
        return {"positions": [
            {"t": t, "next": {o: str(p) for o, p in zip(self.outcomes, row, strict=True) if p},
             "predicted": best[t]} for t, row in enumerate(self.rows)]}


@dataclass(frozen=True, kw_only=True)
class Predictor:
    """A construction that predicts the next symbol at every position (see the module
    docstring).

    Attributes:
        name: the family's name.
        transformer: the IR, read out at ``position="all"``.
        alphabet: the word's symbols.
        outputs: the read-out outputs, one per outcome, in order.
        outcomes: the outcomes' labels (``a``, ``#`` for the end, ``none``).
        predict: ``predict(word) -> rows``: the reference, for t = 0 .. len(word).
        denominator: the largest denominator of a reference probability.
        bos: tokens put before the word (the BOS at position 0).
        max_length: the longest word it takes (None: any; a RASP program compiled for
            ``max_seq_len`` N takes words up to N).
        options, limits, note: as every construction's.
    """

    name: str
    transformer: Transformer
    alphabet: str
    outputs: tuple[str, ...]
    outcomes: tuple[str, ...]
    predict: Callable[[str], Sequence[Sequence[Fraction]]]
    denominator: int = 1
    bos: tuple[str, ...] = ("$",)
    eos: tuple[str, ...] = ()
    max_length: int | None = None
    options: FrozenDict = field(default_factory=FrozenDict)
    limits: FrozenDict = field(default_factory=FrozenDict)
    note: str = ""

    mode = "predict"
    limit_name = "n"

    def __post_init__(self):
        check(self.transformer)
        object.__setattr__(self, "options", FrozenDict(self.options))
        object.__setattr__(self, "limits", FrozenDict(self.limits))
        readout = self.transformer.readout
        if readout.position != "all":
            raise EvaluationError(f"{self.name}: a predictor is read out at 'all' positions, "
                                  f"not {readout.position!r}")
        missing = [o for o in self.outputs if o not in readout.outputs]
        if missing or len(self.outputs) != len(self.outcomes):
            raise EvaluationError(f"{self.name}: outputs {list(self.outputs)} must be read-outs "
                                  f"of the model ({list(readout.outputs)}), one per outcome "
                                  f"{list(self.outcomes)}")

    def tokens(self, word: str) -> list[str]:
        """The input sequence for `word`."""
        return [*self.bos, *word, *self.eos]

    def reference(self, word: str) -> Predictions:
        """The reference's distributions after each prefix of `word`."""
        return Predictions(self.outcomes, tuple(tuple(Fraction(p) for p in row)
                                                for row in self.predict(word)))

    def decode(self, values, kind: str) -> Predictions:
        """One example's read-out, (positions, outcomes), as `Predictions` (see the module
        docstring); `kind` is ``exact`` (Fractions) or ``float``."""
        if kind == "exact":
            rows = [tuple(Fraction(v) for v in row) for row in values]
        else:
            array = np.asarray(values, dtype=np.float64)
            if not np.isfinite(array).all():
                raise EvaluationError(f"{self.name}: a float run gave a non-finite probability")
            rows = [tuple(Fraction(float(v)).limit_denominator(self.denominator) for v in row)
                    for row in array]
        return Predictions(self.outcomes, tuple(rows))

    def word_length(self, positions: int) -> int:
        """n, the word's length, for a model run on `positions` tokens."""
        return positions - len(self.bos) - len(self.eos)

    def trusted(self, dtype: str, n: int) -> bool:
        """Whether the construction guarantees a correct float run at length n."""
        limit = self.limits.get(dtype)
        return limit is not None and n <= limit


MAX_SYMBOLS = 16  # of an alphabet option: the tables and one-hot codes grow with it


def checked_alphabet(text, *, reserved: str, where: str) -> str:
    """`text` as an alphabet: 1 to `MAX_SYMBOLS` distinct symbols, none of them whitespace
    or in `reserved` (the BOS, the end mark), else `OptionError` naming the bad one."""
    if not isinstance(text, str) or not 1 <= len(text) <= MAX_SYMBOLS:
        raise OptionError(f"{where} must be 1 to {MAX_SYMBOLS} symbols, got {text!r}"[:200])
    for k, symbol in enumerate(text):
        if symbol.isspace() or symbol in reserved or not symbol.isprintable():
            raise OptionError(f"{where} {text!r} has symbol {symbol!r}; symbols are printable, "
                              f"not whitespace, not one of {reserved!r}")
        if symbol in text[:k]:
            raise OptionError(f"{where} {text!r} lists {symbol!r} twice")
    return text


def direction(symbol: str) -> str:
    """A name fragment for `symbol` (letters and digits kept, others by their code)."""
    return symbol if symbol.isascii() and symbol.isalnum() else f"u{ord(symbol):x}"
