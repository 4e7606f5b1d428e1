"""Induction heads (`compilers.constructions.induction`), a predictor.

The oracle is the induction rule written here once more, plainly (``rfind``):
at position t, what followed the last earlier occurrence of the symbol at t,
or ``none``. reference == exact == torch float64 at every position, on every
word up to a small length and on hypothesis words up to length 500 over
alphabets of 1 to 5 symbols; the float guarantee per dtype.
"""

from __future__ import annotations

import itertools
import json
import random

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from compilers.cli import main
from compilers.constructions import get
from compilers.constructions.base import OptionError
from compilers.library import size
from compilers.runs import run
from compilers.runs.saving import load

KINDS = ("hard", "average-hard")


def oracle(word: str) -> list[str]:
    """For t = 0 .. n: the symbol after the last earlier occurrence of word[t-1]."""
    out = ["none"]
    for t in range(1, len(word) + 1):
        earlier = word[:t - 1].rfind(word[t - 1])
        out.append(word[earlier + 1] if earlier >= 0 else "none")
    return out


def _words(alphabet: str, max_length: int) -> list[str]:
    return ["".join(w) for n in range(max_length + 1)
            for w in itertools.product(alphabet, repeat=n)]


def _agree(construction, words, backends=("exact", "torch"), dtype="float64") -> None:
    for backend in backends:
        results = run(construction, words, backend=backend, dtype=dtype)
        for word, result in zip(words, results, strict=True):
            assert result.answer.predicted() == oracle(word), (backend, word)
            assert result.reference.predicted() == oracle(word), word
            for row in result.answer.rows:  # exactly one-hot
                assert sorted(row) == [0] * (len(row) - 1) + [1]
            assert result.agrees_with_reference and result.trusted, (backend, word)


@pytest.mark.parametrize("kind", KINDS)
def test_every_word_up_to_8_over_two_symbols_and_5_over_three(kind):
    _agree(get("induction").make(alphabet="ab", attention_kind=kind), _words("ab", 8))
    _agree(get("induction").make(alphabet="abc", attention_kind=kind), _words("abc", 5))


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
def test_every_word_up_to_11_over_two_symbols_and_7_over_three_slow(kind):
    _agree(get("induction").make(alphabet="ab", attention_kind=kind), _words("ab", 11))
    _agree(get("induction").make(alphabet="abc", attention_kind=kind), _words("abc", 7))


alphabets = st.integers(1, 5).map(lambda k: "abcde"[:k])


@st.composite
def cases(draw, max_words: int):
    alphabet = draw(alphabets)
    words = draw(st.lists(st.text(alphabet, max_size=500), min_size=1, max_size=max_words))
    return alphabet, words


@settings(max_examples=4)
@given(kind=st.sampled_from(KINDS), case=cases(max_words=2))
def test_hypothesis_words_up_to_500(kind, case):
    alphabet, words = case
    _agree(get("induction").make(alphabet=alphabet, attention_kind=kind), words)


@pytest.mark.slow
@settings(max_examples=60)
@given(kind=st.sampled_from(KINDS), case=cases(max_words=5))
def test_hypothesis_words_up_to_500_slow(kind, case):
    alphabet, words = case
    _agree(get("induction").make(alphabet=alphabet, attention_kind=kind), words)


# -- the float guarantee ------------------------------------------------------------------


def test_hard_attention_is_exact_at_every_length_in_every_dtype():
    construction = get("induction").make(alphabet="ab")
    assert set(dict(construction.limits).values()) == {10**9}
    rng = random.Random(4)
    words = ["".join(rng.choice("ab") for _ in range(1200)) for _ in range(2)]
    for dtype in ("bfloat16", "float16", "float32"):
        _agree(construction, words, backends=("torch",), dtype=dtype)


def test_average_hard_guarantee_per_dtype():
    construction = get("induction").make(alphabet="ab", attention_kind="average-hard")
    limits = dict(construction.limits)
    assert {d: limits[d] for d in ("float32", "float16", "bfloat16")} == {
        "float32": 510, "float16": 4, "bfloat16": 0}
    rng = random.Random(6)
    words = ["".join(rng.choice("ab") for _ in range(510)) for _ in range(3)]
    _agree(construction, words, backends=("torch",), dtype="float32")
    _agree(construction, _words("ab", 4), backends=("torch",), dtype="float16")
    (beyond,) = run(construction, ["abbab"], backend="torch", dtype="float16")
    assert not beyond.trusted and "guaranteed up to n = 4" in beyond.why_untrusted


# -- the construction -------------------------------------------------------------------------


def test_two_attention_layers_two_heads_and_no_positional_encoding():
    construction = get("induction").make(alphabet="abcd")
    figures = size(construction.transformer)
    assert (figures.layers, figures.heads, figures.hidden, figures.norms) == (2, 2, 0, 0)
    assert figures.width == 3 * 4 + 3  # is, prev, next per symbol; bos, one, none
    assert construction.transformer.positions is None


@pytest.mark.parametrize("word", ["", "a", "abab", "abcab", "cabbca"])
def test_the_circuit_reads_out_every_position_as_the_oracle(word):
    (row,) = run(get("induction").make(), [word], backend="circuit")
    assert row.agrees_with_reference and row.trusted
    assert [p["predicted"] for p in row.as_dict()["positions"]] == oracle(word)


@pytest.mark.parametrize(("alphabet", "message"), [
    ("a$b", r"--alphabet 'a\$b' has symbol '\$'"), ("aba", "lists 'a' twice"),
    ("", "must be 1 to 16 symbols")])
def test_bad_alphabets_are_named(alphabet, message):
    with pytest.raises(OptionError, match=message):
        get("induction").make(alphabet=alphabet)


def test_the_command_line_runs_and_checks_it():
    done = CliRunner().invoke(main, ["run", "induction", "abcab", "--backend", "exact",
                                     "--json"])
    assert done.exit_code == 0, done.output
    (row,) = json.loads(done.output)
    assert [p["predicted"] for p in row["positions"]] == oracle("abcab")
    assert row["agrees_with_reference"] and row["trusted"]
    done = CliRunner().invoke(main, ["check", "induction", "--lengths", "0..5",
                                     "--attention", "average-hard", "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["ok"]
    done = CliRunner().invoke(main, ["run", "induction", "abd"])
    assert done.exit_code == 2 and "has symbol 'd'" in done.output


def test_compiled_and_loaded_back_it_predicts_the_same(tmp_path):
    out = tmp_path / "induction"
    done = CliRunner().invoke(main, ["compile", "induction", "--alphabet", "xyz",
                                     "--attention", "average-hard", "-o", str(out)])
    assert done.exit_code == 0, done.output
    loaded = load(out)
    assert dict(loaded.options) == {"alphabet": "xyz", "attention_kind": "average-hard"}
    (result,) = run(loaded, ["xyzxzy"], backend="torch", dtype="float32")
    assert result.answer.predicted() == oracle("xyzxzy") and result.trusted
