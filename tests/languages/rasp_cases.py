"""Tracr's integration cases (``compiler/test_cases.py``) as data: program, vocabulary,
input, expected output, maximum length.

Rewritten from the programs and outputs Tracr's table lists, on `languages.rasp`
and `languages.rasp_lib`; each program is built afresh by a function so that a
test never shares expressions with another. `CASES` are for non-causal
evaluation (Tracr's ``TEST_CASES``: its universal cases and the rest),
`CAUSAL_CASES` for causal evaluation (``CAUSAL_TEST_CASES``). Importable by the
compiler's tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from languages import rasp
from languages import rasp_lib as lib


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[], rasp.SOp]
    vocab: frozenset
    xs: list
    expected: list
    max_seq_len: int


ABCD = frozenset("abcd")
BRACKETS = frozenset("abc()")
DYCK2 = frozenset("(){}")
DYCK3 = frozenset("(){}[]")
ONE_TO_FOUR = frozenset({1, 2, 3, 4})


def _case(name, build, vocab, xs, expected, max_seq_len) -> Case:
    return Case(name, build, frozenset(vocab), list(xs), list(expected), max_seq_len)


UNIVERSAL_CASES = [
    _case("frac_prevs_1", lambda: lib.make_frac_prevs(rasp.tokens == "l"), "helo", "hello",
          [0.0, 0.0, 1 / 3, 1 / 2, 2 / 5], 5),
    _case("frac_prevs_2", lambda: lib.make_frac_prevs(rasp.tokens == "("), BRACKETS,
          "a()b(c))", [0.0, 1 / 2, 1 / 3, 1 / 4, 2 / 5, 2 / 6, 2 / 7, 2 / 8], 10),
    _case("frac_prevs_3", lambda: lib.make_frac_prevs(rasp.tokens == ")"), BRACKETS,
          "a()b(c))", [0.0, 0.0, 1 / 3, 1 / 4, 1 / 5, 1 / 6, 2 / 7, 3 / 8], 10),
    _case("shift_by_one", lambda: lib.shift_by(1, rasp.tokens), ABCD, "abcd",
          [None, "a", "b", "c"], 5),
    _case("shift_by_two", lambda: lib.shift_by(2, rasp.tokens), ABCD, "abcd",
          [None, None, "a", "b"], 5),
    _case("detect_pattern_a", lambda: lib.detect_pattern(rasp.tokens, "a"), ABCD, "bacd",
          [False, True, False, False], 5),
    _case("detect_pattern_ab", lambda: lib.detect_pattern(rasp.tokens, "ab"), "ab", "aaba",
          [None, False, True, False], 5),
    _case("detect_pattern_ab_2", lambda: lib.detect_pattern(rasp.tokens, "ab"), "ab", "abaa",
          [None, True, False, False], 5),
    _case("detect_pattern_ab_3", lambda: lib.detect_pattern(rasp.tokens, "ab"), "ab", "aaaa",
          [None, False, False, False], 5),
    _case("detect_pattern_abc", lambda: lib.detect_pattern(rasp.tokens, "abc"), "abc",
          "abcabc", [None, None, True, False, False, True], 6),
]

CASES = [
    *UNIVERSAL_CASES,
    _case("reverse_1", lambda: lib.make_reverse(rasp.tokens), ABCD, "abcd", "dcba", 5),
    _case("reverse_2", lambda: lib.make_reverse(rasp.tokens), ABCD, "abc", "cba", 5),
    _case("reverse_3", lambda: lib.make_reverse(rasp.tokens), ABCD, "ad", "da", 5),
    _case("reverse_4", lambda: lib.make_reverse(rasp.tokens), ABCD, "c", "c", 5),
    _case("length_categorical_1", lambda: rasp.categorical(lib.make_length()), ABCD, "abc",
          [3, 3, 3], 3),
    _case("length_categorical_2", lambda: rasp.categorical(lib.make_length()), ABCD, "ad",
          [2, 2], 3),
    _case("length_categorical_3", lambda: rasp.categorical(lib.make_length()), ABCD, "c",
          [1], 3),
    _case("length_numerical_1", lambda: rasp.numerical(lib.make_length()), ABCD, "abc",
          [3, 3, 3], 3),
    _case("length_numerical_2", lambda: rasp.numerical(lib.make_length()), ABCD, "ad",
          [2, 2], 3),
    _case("length_numerical_3", lambda: rasp.numerical(lib.make_length()), ABCD, "c",
          [1], 3),
    _case("pair_balance_1", lambda: lib.make_pair_balance(rasp.tokens, "(", ")"), BRACKETS,
          "a()b(c))", [0.0, 1 / 2, 0.0, 0.0, 1 / 5, 1 / 6, 0.0, -1 / 8], 10),
    _case("shuffle_dyck2_1", lambda: lib.make_shuffle_dyck(pairs=["()", "{}"]), DYCK2,
          "({)}", [1, 1, 1, 1], 5),
    _case("shuffle_dyck2_2", lambda: lib.make_shuffle_dyck(pairs=["()", "{}"]), DYCK2,
          "(){)}", [0, 0, 0, 0, 0], 5),
    _case("shuffle_dyck2_3", lambda: lib.make_shuffle_dyck(pairs=["()", "{}"]), DYCK2,
          "{}(", [0, 0, 0], 5),
    _case("shuffle_dyck3_1", lambda: lib.make_shuffle_dyck(pairs=["()", "{}", "[]"]), DYCK3,
          "({)[}]", [1, 1, 1, 1, 1, 1], 6),
    _case("shuffle_dyck3_2", lambda: lib.make_shuffle_dyck(pairs=["()", "{}", "[]"]), DYCK3,
          "(){)}", [0, 0, 0, 0, 0], 6),
    _case("shuffle_dyck3_3", lambda: lib.make_shuffle_dyck(pairs=["()", "{}", "[]"]), DYCK3,
          "{}[(]", [0, 0, 0, 0, 0], 6),
    _case("hist", lib.make_hist, ABCD, "abac", [2, 1, 2, 1], 5),
    _case("sort_unique_1", lambda: lib.make_sort_unique(vals=rasp.tokens, keys=rasp.tokens),
          ONE_TO_FOUR, [2, 4, 3, 1], [1, 2, 3, 4], 5),
    _case("sort_unique_2",
          lambda: lib.make_sort_unique(vals=rasp.tokens, keys=1 - rasp.indices), ABCD,
          "abcd", "dcba", 5),
    _case("sort_1", lambda: lib.make_sort(vals=rasp.tokens, keys=rasp.tokens, max_seq_len=5,
                                          min_key=1),
          ONE_TO_FOUR, [2, 4, 3, 1], [1, 2, 3, 4], 5),
    _case("sort_2", lambda: lib.make_sort(vals=rasp.tokens, keys=1 - rasp.indices,
                                          max_seq_len=5, min_key=1),
          ABCD, "abcd", "dcba", 5),
    _case("sort_3", lambda: lib.make_sort(vals=rasp.tokens, keys=rasp.tokens, max_seq_len=5,
                                          min_key=1),
          ONE_TO_FOUR, [2, 4, 1, 2], [1, 2, 2, 4], 5),
    _case("sort_freq", lambda: lib.make_sort_freq(max_seq_len=5), ONE_TO_FOUR, [2, 4, 2, 1],
          [2, 2, 4, 1], 5),
    _case("make_count_less_freq_categorical_1", lambda: lib.make_count_less_freq(n=2), ABCD,
          "aaabbc", [3] * 6, 6),
    _case("make_count_less_freq_categorical_2", lambda: lib.make_count_less_freq(n=2), ABCD,
          "aacbbc", [6] * 6, 6),
    _case("make_count_less_freq_numerical_1",
          lambda: rasp.numerical(lib.make_count_less_freq(n=2)), ABCD, "aaabbc", [3] * 6, 6),
    _case("make_count_less_freq_numerical_2",
          lambda: rasp.numerical(lib.make_count_less_freq(n=2)), ABCD, "aacbbc", [6] * 6, 6),
    _case("make_count_1", lambda: lib.make_count(rasp.tokens, "a"), "abc", "aaabbc",
          [3] * 6, 8),
    _case("make_count_2", lambda: lib.make_count(rasp.tokens, "a"), "abc", "cabc",
          [1] * 4, 8),
    _case("make_count_3", lambda: lib.make_count(rasp.tokens, "a"), "abc", "bbc",
          [0] * 3, 8),
    _case("make_nary_sequencemap_1",
          lambda: lib.make_nary_sequencemap(lambda x, y, z: x + y - z, rasp.tokens,
                                            rasp.tokens, rasp.indices),
          {1, 2, 3}, [1, 2, 3], [2, 3, 4], 5),
    _case("make_nary_sequencemap_2",
          lambda: lib.make_nary_sequencemap(lambda x, y, z: x * y / z, rasp.indices,
                                            rasp.indices, rasp.tokens),
          {1, 2, 3}, [1, 2, 3], [0, 1 / 2, 4 / 3], 3),
]

CAUSAL_CASES = [
    *UNIVERSAL_CASES,
    _case("selector_width",
          lambda: rasp.SelectorWidth(rasp.Select(rasp.tokens, rasp.tokens,
                                                 rasp.Comparison.TRUE)),
          ABCD, "abcd", [1, 2, 3, 4], 5),
]
