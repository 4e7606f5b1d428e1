"""A transformer that decides a language: the `Recogniser` of the Construction protocol.

A `Recognizer` wraps a construction's `Transformer` with what turns a word
into its input (tokens before and after the word, e.g. a CLS symbol) and what
turns the read-out into a decision (accept iff the `accept` output is > 0;
``p_accept = sigmoid(logit)``). The formulas see ``n = len(word)``. Its
reference is the language's own membership test (`languages.zoo`), which
shares no code with the construction.

It also carries the construction's precision `limits`: for each torch dtype,
the largest n up to which the construction's own error analysis guarantees
correct classification (None: no guarantee is claimed). Float runs beyond the
limit are reported as *untrusted*, never returned silently as answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from compilers.errors import EvaluationError
from compilers.ir import FrozenDict, Transformer, check
from languages import zoo


@dataclass(frozen=True, kw_only=True)
class Recognizer:
    """A construction that decides the language `language` (a `languages` zoo name).

    Attributes:
        name: the construction's name (e.g. "parity").
        transformer: the IR.
        language: the zoo name of the language it decides.
        bos, eos: tokens put before and after the word's symbols.
        accept: the read-out output whose sign decides (> 0: accept).
        options: the options it was built with (for display and saving).
        limits: dtype name -> largest length n with a guarantee (or None).
        note: the paper and section, one line.
    """

    name: str
    transformer: Transformer
    language: str
    bos: tuple[str, ...] = ()
    eos: tuple[str, ...] = ()
    accept: str = "logit"
    options: FrozenDict = field(default_factory=FrozenDict)
    limits: FrozenDict = field(default_factory=FrozenDict)
    note: str = ""

    mode = "recognise"
    limit_name = "n"

    def __post_init__(self):
        check(self.transformer)
        object.__setattr__(self, "options", FrozenDict(self.options))
        object.__setattr__(self, "limits", FrozenDict(self.limits))
        if self.accept not in self.transformer.readout.outputs:
            raise EvaluationError(f"{self.name}: accept output {self.accept!r} is not among the "
                                  f"read-outs {self.transformer.readout.outputs}")

    @property
    def alphabet(self) -> str:
        """The word's symbols: the language's alphabet."""
        return zoo.get(self.language).alphabet

    @property
    def oracle(self):
        """The language as a `languages.Language` (membership, balanced sampling), or None
        where the zoo names none (`runs.check` then draws words uniformly)."""
        return None if self.language is None else zoo.get(self.language)

    def tokens(self, word: str) -> list[str]:
        """The input sequence for `word`."""
        return [*self.bos, *word, *self.eos]

    def reference(self, word: str) -> bool:
        """Whether `word` is in the language (the oracle)."""
        return zoo.get(self.language).contains(word)

    def trusted(self, dtype: str, n: int) -> bool:
        """Whether the construction guarantees a correct float run at length n."""
        limit = self.limits.get(dtype)
        return limit is not None and n <= limit
