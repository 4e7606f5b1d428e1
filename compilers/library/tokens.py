"""Special tokens: BOS, EOS and CLS, as the recognisers use them.

A recogniser (`compilers.constructions.recognizer.Recognizer`) runs its
transformer on ``bos + word + eos`` and reads the `accept` output at the read-out
position; the formulas see ``n = len(word)``. A special token is one more token
of the vocabulary whose indicator direction (1 at that token, 0 elsewhere) the
blocks read:

* **BOS** (`bos`), before the word (``Recognizer(bos=(symbol,))``): position 0,
  the one key every causal head sees. It makes averages count one more position
  (a causal mean of its indicator is ``1/(i + 1)``; `attention.uniform`) and
  gives a selective head a default when nothing matches
  (`attention.average_where`). The Cookbook's tokenization chapter
  (subsection "BOS", under additional symbols) names exactly this use: with a
  BOS, uniform attention makes ``1/n`` (``1/(i + 1)`` future-masked).
* **EOS** (`eos`), after the word (``Recognizer(eos=(symbol,))``): position n,
  the last; a model read out at ``position="last"`` reads its answer there.
* **CLS** (`cls`): Chiang & Cholak's classification symbol (2022, Sec. 4), a
  position whose only job is to hold the answer: at the end as in PARITY
  (``eos=("$",)``, read at ``"last"``) or at the start as in FIRST
  (``bos=("$",)``, read at ``"first"``).

Each block declares the indicator once (a token feature) and returns it; the
symbol must be one of the model's tokens.
"""

from __future__ import annotations

from compilers.library.model import LibraryError, Model

SIDES = {"end": "last", "start": "first"}  # where the CLS sits -> the read-out position


def _indicator(model: Model, name: str, symbol: str) -> str:
    where = f"tokens.{name}"
    if model.tokens is None or symbol not in model.tokens:
        raise LibraryError(f"{where}: symbol {symbol!r} is not among the tokens "
                           f"{list(model.tokens or ())} of {model.label}")
    if name in model.stream:
        if model.embedding.get((name, symbol)) != 1:
            raise LibraryError(f"{where}: {name!r} is already the indicator of another symbol")
        return name
    return model.token_feature(name, {symbol: 1})


def bos(model: Model, symbol: str = "$") -> str:
    """The indicator ``bos`` of the beginning-of-sequence symbol, which the recogniser puts
    at position 0 (``Recognizer(bos=(symbol,))``). Size: 1 direction."""
    return _indicator(model, "bos", symbol)


def eos(model: Model, symbol: str = "$") -> str:
    """The indicator ``eos`` of the end-of-sequence symbol, at position n, the last
    (``Recognizer(eos=(symbol,))``, read-out at ``"last"``). Size: 1 direction."""
    return _indicator(model, "eos", symbol)


def cls(model: Model, symbol: str = "$", *, at: str = "end") -> str:
    """The indicator ``cls`` of the classification symbol (Chiang & Cholak 2022): at the
    ``"end"`` (PARITY: ``eos=(symbol,)``, read at ``"last"``) or the ``"start"`` (FIRST:
    ``bos=(symbol,)``, read at ``"first"``); `readout_position(at)` says where to read.
    Size: 1 direction."""
    if at not in SIDES:
        raise LibraryError(f"tokens.cls: at {at!r}; allowed: {tuple(SIDES)}")
    return _indicator(model, "cls", symbol)


def readout_position(at: str) -> str:
    """The read-out position of a model whose CLS sits `at` the end or the start."""
    if at not in SIDES:
        raise LibraryError(f"tokens.readout_position: at {at!r}; allowed: {tuple(SIDES)}")
    return SIDES[at]
