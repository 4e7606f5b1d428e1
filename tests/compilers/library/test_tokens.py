"""Special tokens: the BOS, EOS and CLS indicators, and the recognisers' convention.

The indicators are compared, position by position, with the token sequence
itself (exact == torch float64 == ``[token == symbol]``). Two recognisers
built from blocks then follow the CLS convention of `Recognizer`: MAJORITY with
the CLS at the end, read at the last position (as PARITY), and FIRST with the
CLS at the start, read at the first (as Chiang & Cholak's FIRST); both agree
with the zoo's own membership test on every word up to length 7, on both
backends, through the run layer.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compilers.constructions.recognizer import Recognizer
from compilers.library import LibraryError, Model, attention, tokens
from compilers.runs import run as run_words
from tests.compilers.library.harness import agree, run

F = Fraction
WORDS = ["".join(w) for n in range(8) for w in itertools.product("01", repeat=n)]


@settings(max_examples=25, deadline=None)
@given(st.text(alphabet="ab", max_size=8))
def test_bos_eos_and_cls_indicators_mark_their_symbols(word):
    model = Model("special", tokens=("<", ">", "a", "b"))
    start, end = tokens.bos(model, "<"), tokens.eos(model, ">")
    cls = tokens.cls(model, ">", at="end")
    assert tokens.bos(model, "<") == start  # declared once
    sequence = ["<", *word, ">"]
    transformer = model.build({d: {d: 1} for d in (start, end, cls)}, position="all")
    agree(*run(transformer, [sequence]),
          {start: [[F(t == "<") for t in sequence]], end: [[F(t == ">") for t in sequence]],
           cls: [[F(t == ">") for t in sequence]]})


def _recogniser(language: str, model: Model, logit: str, at: str) -> Recognizer:
    transformer = model.build({"logit": {logit: 1}}, position=tokens.readout_position(at))
    side = {"eos": ("$",)} if at == "end" else {"bos": ("$",)}
    return Recognizer(name=f"{language}_blocks", transformer=transformer, language=language,
                      limits={"float64": 10 ** 6}, **side)


def _majority() -> Recognizer:
    """CLS at the end (PARITY's convention): the unmasked mean of +-1 votes is
    (#1 - #0)/(n + 1) at the CLS, read there."""
    model = Model("majority_blocks", tokens=("0", "1", "$"))
    tokens.cls(model, "$", at="end")
    sign = model.token_feature("sign", {"0": -1, "1": 1})
    return _recogniser("majority", model, attention.uniform(model, sign), "end")


def _first() -> Recognizer:
    """CLS at the start (FIRST's convention): from position 0, strict past masking shows
    the word, and unique-hard attention with every score 0 and ties to the leftmost
    reads position 1 (0 for the empty word, which shows nothing)."""
    model = Model("first_blocks", tokens=("0", "1", "$"))
    tokens.cls(model, "$", at="start")
    sign = model.token_feature("sign", {"0": -1, "1": 1})
    (head,) = attention.argmax(model, {"first_sign": sign}, scores=[], gap=1, tie="leftmost",
                               mask="strict_past")
    return _recogniser("first", model, head, "start")


@pytest.mark.parametrize("backend", ["exact", "torch"])
@pytest.mark.parametrize("make", [_majority, _first])
def test_recognisers_built_from_blocks_follow_the_cls_convention(make, backend):
    recogniser = make()
    results = run_words(recogniser, WORDS, backend=backend)
    assert all(r.agrees_with_reference and r.trusted for r in results)
    assert recogniser.tokens("01") in (["0", "1", "$"], ["$", "0", "1"])


def test_readout_position_follows_where_the_cls_sits():
    assert tokens.readout_position("end") == "last"
    assert tokens.readout_position("start") == "first"


@pytest.mark.parametrize(("call", "message"), [
    (lambda m: tokens.bos(m, "#"), r"tokens\.bos: symbol '#' is not among the tokens "
                                   r"\['\$', 'a'\] of special"),
    (lambda m: tokens.cls(m, "$", at="middle"), r"tokens\.cls: at 'middle'; allowed: "
                                                r"\('end', 'start'\)"),
    (lambda m: tokens.readout_position("left"), r"tokens\.readout_position: at 'left'"),
    (lambda m: (tokens.eos(m, "$"), tokens.eos(m, "a")),
     r"tokens\.eos: 'eos' is already the indicator of another symbol"),
])
def test_token_refusals_name_the_symbol(call, message):
    with pytest.raises(LibraryError, match=message):
        call(Model("special", tokens=("$", "a")))


def test_a_model_that_reads_vectors_has_no_special_tokens():
    with pytest.raises(LibraryError, match=r"tokens\.bos: symbol '\$' is not among the "
                                           r"tokens \[\] of vectors"):
        tokens.bos(Model("vectors", dims=("x",)))
