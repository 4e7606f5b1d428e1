"""The program library against oracles written independently of the programs.

Each library program (`compilers.programs.sources.names`) and the Knee-Deep
programs ``knee_deep_K`` are checked against their language: the zoo's own
membership test where the zoo has the language, else a regular expression
(`languages.regular.from_regex`, a DFA built from the expression) or the
depth-bounded Dyck language of `languages.dyck`. Checked:

* the compiled transformer (`program` construction, torch float64, one batch
  per length) on every word of length 1 to 12, and the interpreter on every
  word of length 1 to 8 (to 12 under ``-m slow``), the exact backend to 5
  (to 8);
* hypothesis words up to length 1000, members and non-members drawn by the
  oracle's own sampler: the interpreter and torch float64 (and the exact
  backend under ``-m slow``), few examples by default, more under ``-m slow``.
"""

from __future__ import annotations

import itertools
from functools import cache

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compilers.backends import make
from compilers.constructions import get
from compilers.programs import sources
from languages import zoo
from languages.dyck import Dyck
from languages.regular import from_regex
from languages.strategies import members, nonmembers

REGEX = {"ab_star": ("(ab)+", "ab"), "last": ("(0|1)*1", "01")}
KNEE_DEEP = [1, 2, 3, 4, 6]
PROGRAMS = [name for name in sources.names() if not name.startswith("knee_deep")] + [
    f"knee_deep_{k}" for k in KNEE_DEEP]


def knee_deep_regex(k: int) -> str:
    """``a+b+a+...`` with k blocks: ``L_1 = a+``, ``L_{k+1} = L_k b+`` or ``L_k a+``."""
    return "".join("a+" if m % 2 == 0 else "b+" for m in range(k))


@cache
def oracle(name: str):
    """The language `name` decides, from the zoo, a regular expression, or Dyck."""
    stem = name.split(".")[0]
    if stem.startswith("knee_deep_"):
        return from_regex(knee_deep_regex(int(stem.rsplit("_", 1)[1])), "ab")
    if stem == "dyck1_depth2":
        return Dyck(name="dyck1_depth2", alphabet="()", max_depth=2)
    if stem in REGEX:
        return from_regex(*REGEX[stem])
    return zoo.get(sources.ZOO[stem])


@cache
def construction(name: str):
    return get("program").make(program=name)


def all_words(alphabet: str, low: int, high: int) -> list[str]:
    return ["".join(w) for n in range(low, high + 1)
            for w in itertools.product(alphabet, repeat=n)]


def decisions(built, words: list[str], backend: str) -> list[bool]:
    """The transformer's decisions, one batch per length (`backend`: exact or torch)."""
    runner = make(backend, built.transformer, **({"dtype": "float64"}
                                                 if backend == "torch" else {}))
    out = {}
    for n in sorted({len(w) for w in words}):
        group = [w for w in words if len(w) == n]
        run = runner.forward([built.tokens(w) for w in group], n=n)
        assert not np.asarray(run.suspect).any(), run.why
        out |= dict(zip(group, (bool(v > 0) for v in run.outputs["accept"]), strict=True))
    return [out[w] for w in words]


def test_the_library_is_what_the_docs_list():
    assert sorted(n.split(".")[0] for n in sources.names()[:-1]) == sorted([
        "ab_star", "ab_star", "anbn", "dyck1", "dyck1_depth2", "dyck1_depth2", "first",
        "first", "last", "last", "majority", *[f"tomita{k}" for k in (1, 1, 2, 2, 4, 4, 7, 7)]])


@pytest.mark.parametrize("name", PROGRAMS)
def test_the_compiled_program_decides_its_language_on_every_word_up_to_12(name):
    built = construction(name)
    language = oracle(name)
    assert built.alphabet == language.alphabet
    words = all_words(built.alphabet, 1, 12)
    want = [language.contains(w) for w in words]
    assert decisions(built, words, "torch") == want
    short = [w for w in words if len(w) <= 5]
    assert decisions(built, short, "exact") == want[:len(short)]


@pytest.mark.parametrize("name", PROGRAMS)
def test_the_interpreter_decides_the_language_on_every_word_up_to_8(name):
    source = construction(name).source
    language = oracle(name)
    for word in all_words(source.alphabet, 1, 8):
        assert source.accepts(word) == language.contains(word), word


@pytest.mark.slow
@pytest.mark.parametrize("name", PROGRAMS)
def test_the_interpreter_and_the_exact_backend_on_every_word_up_to_12(name):
    built = construction(name)
    language = oracle(name)
    words = all_words(built.alphabet, 1, 12)
    for word in words:
        assert built.source.accepts(word) == language.contains(word), word
    short = [w for w in words if len(w) <= 8]
    assert decisions(built, short, "exact") == [language.contains(w) for w in short]


def long_words(name: str):
    language = oracle(name)
    return st.one_of(members(language, min_length=1, max_length=1000),
                     nonmembers(language, min_length=1, max_length=1000))


def _long(name: str, word: str, exact: bool) -> None:
    built = construction(name)
    want = oracle(name).contains(word)
    assert built.source.accepts(word) == want
    assert decisions(built, [word], "torch") == [want]
    if exact:
        assert decisions(built, [word], "exact") == [want]


@pytest.mark.parametrize("name", PROGRAMS)
def test_long_words_up_to_1000(name):
    @settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(long_words(name))
    def check(word):
        _long(name, word, exact=False)

    check()


@pytest.mark.slow
@pytest.mark.parametrize("name", PROGRAMS)
def test_many_long_words_up_to_1000_on_every_backend(name):
    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(long_words(name), st.booleans())
    def check(word, exact):
        _long(name, word, exact=exact and len(word) <= 300)

    check()
