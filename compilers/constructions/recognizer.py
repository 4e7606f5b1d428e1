"""A transformer that decides a language, and how to run it on words.

A `Recognizer` wraps a construction's `Transformer` with what turns a word
into its input (tokens before and after the word, e.g. a CLS symbol) and what
turns the read-out into a decision (accept iff the `accept` output is > 0;
``p_accept = sigmoid(logit)``). The formulas see ``n = len(word)``.

It also carries the construction's precision `limits`: for each torch dtype,
the largest n up to which the construction's own error analysis guarantees
correct classification (None: no guarantee is claimed). Float runs beyond the
limit are reported as *untrusted*, never returned silently as answers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from compilers.backends.common import EvaluationError
from compilers.ir import FrozenDict, Transformer, check


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
        note: one sentence on the construction, for listings.
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

    def __post_init__(self):
        check(self.transformer)
        object.__setattr__(self, "options", FrozenDict(self.options))
        object.__setattr__(self, "limits", FrozenDict(self.limits))
        if self.accept not in self.transformer.readout.outputs:
            raise EvaluationError(f"{self.name}: accept output {self.accept!r} is not among the "
                                  f"read-outs {self.transformer.readout.outputs}")

    def tokens(self, word: str) -> list[str]:
        """The input sequence for `word`."""
        return [*self.bos, *word, *self.eos]

    def trusted(self, dtype: str, n: int) -> bool:
        """Whether the construction guarantees a correct float run at length n."""
        limit = self.limits.get(dtype)
        return limit is not None and n <= limit


def exact_logits(recognizer: Recognizer, words: Sequence[str], *,
                 precision_bits: int = 256) -> list[Fraction]:
    """The accept logit of each word, in exact arithmetic."""
    from compilers.backends.exact import ExactModel

    model = ExactModel(recognizer.transformer, precision_bits=precision_bits)
    return [model.forward(recognizer.tokens(w), n=len(w), only_readout=True)
            .outputs[recognizer.accept]
            for w in words]


@dataclass(frozen=True)
class FloatRun:
    """Logits of a batch of words from the torch backend.

    Attributes:
        logits: float64 array, one per word.
        suspect: bool array: a guarded decision came within float error.
        trusted: bool array: within the dtype's guaranteed length and not suspect.
    """

    logits: np.ndarray
    suspect: np.ndarray
    trusted: np.ndarray


def torch_logits(recognizer: Recognizer, words: Sequence[str], *, dtype: str = "float32",
                 device: str = "cpu", batch_size: int = 4096, module=None) -> FloatRun:
    """The accept logit of each word from the torch backend, batched by length."""
    import torch

    from compilers.backends.torch_module import TorchTransformer

    model = module or TorchTransformer(recognizer.transformer, dtype=dtype, device=device)
    dtype_name = str(model.float_dtype).removeprefix("torch.")
    logits = np.zeros(len(words))
    suspect = np.zeros(len(words), dtype=bool)
    by_length: dict[int, list[int]] = {}
    for k, word in enumerate(words):
        by_length.setdefault(len(word), []).append(k)
    with torch.no_grad():
        for length, indices in sorted(by_length.items()):
            for start in range(0, len(indices), batch_size):
                chunk = indices[start:start + batch_size]
                ids = model.encode_tokens([recognizer.tokens(words[k]) for k in chunk])
                out = model(ids, n=length, only_readout=True)
                logits[chunk] = out.outputs[recognizer.accept].double().cpu().numpy()
                suspect[chunk] = out.suspect.cpu().numpy()
    in_range = np.array([recognizer.trusted(dtype_name, len(w)) for w in words], dtype=bool)
    return FloatRun(logits=logits, suspect=suspect, trusted=in_range & ~suspect)


def cross_entropy_bits(logit: float, label: bool) -> float:
    """``-log2 p(label)`` with ``p(accept) = sigmoid(logit)``, computed stably."""
    z = float(logit) if label else -float(logit)
    # -log2 sigmoid(z) = log2(1 + e^-z)
    return (math.log1p(math.exp(-z)) if z > -30 else -z) / math.log(2)
