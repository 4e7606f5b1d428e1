"""n-gram language models (`compilers.constructions.ngram`), a predictor.

The oracle is the n-gram table itself, looked up here by a history computed
here (the last n - 1 tokens of ``$ word``, BOS-padded): reference == exact ==
torch float64 at every position, exactly (Fractions), on every word up to a
small length for fixed tables of orders 1 to 4, and on hypothesis-drawn tables
and words up to length 500; the float guarantee per dtype; the table's checks.
"""

from __future__ import annotations

import itertools
import json
from fractions import Fraction

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from compilers.cli import main
from compilers.constructions import get
from compilers.constructions.base import OptionError
from compilers.library import size
from compilers.runs import run


def valid_histories(alphabet: str, order: int) -> list[str]:
    """Strings of order - 1 tokens over the alphabet and '$' with '$' only on the left."""
    tokens = "$" + alphabet
    return ["".join(h) for h in itertools.product(tokens, repeat=order - 1)
            if "".join(h).lstrip("$").count("$") == 0]


def expected_rows(table: dict, word: str, order: int, outcomes: str) -> list[tuple]:
    rows = []
    for t in range(len(word) + 1):
        seen = "$" * order + word[:t]
        history = seen[len(seen) - (order - 1):] if order > 1 else ""
        rows.append(tuple(table[history].get(s, Fraction(0)) for s in outcomes))
    return rows


def as_json(table: dict) -> str:
    return json.dumps({h: {s: str(p) for s, p in row.items()} for h, row in table.items()})


def _agree(table: dict, alphabet: str, words, backends=("exact", "torch"),
           dtype="float64") -> None:
    order = len(next(iter(table))) + 1
    construction = get("ngram").make(alphabet=alphabet, table=as_json(table))
    outcomes = alphabet + "#"
    assert construction.outcomes == tuple(outcomes)
    for backend in backends:
        results = run(construction, words, backend=backend, dtype=dtype)
        for word, result in zip(words, results, strict=True):
            expected = expected_rows(table, word, order, outcomes)
            assert list(result.answer.rows) == expected, (backend, word)
            assert list(result.reference.rows) == expected, word
            assert result.agrees_with_reference and result.trusted, (backend, word)


def _fixed_table(alphabet: str, order: int) -> dict:
    """A table whose rows differ by history: the k-th history puts ``a/d`` on one outcome and
    ``(d - a)/d`` on the next, with ``d = 2 + k mod 6`` and ``a = k mod d``."""
    outcomes = alphabet + "#"
    table = {}
    for k, h in enumerate(valid_histories(alphabet, order)):
        d, first = 2 + k % 6, k % len(outcomes)
        a = k % d
        table[h] = {outcomes[first]: Fraction(a, d),
                    outcomes[(first + 1) % len(outcomes)]: Fraction(d - a, d)}
    return table


def _words(alphabet: str, max_length: int) -> list[str]:
    return ["".join(w) for n in range(max_length + 1)
            for w in itertools.product(alphabet, repeat=n)]


@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_every_word_up_to_7_over_two_symbols(order):
    _agree(_fixed_table("ab", order), "ab", _words("ab", 7))


def test_every_word_up_to_4_over_three_symbols_order_3():
    _agree(_fixed_table("abc", 3), "abc", _words("abc", 4))


@pytest.mark.slow
@pytest.mark.parametrize("order", [2, 3, 4])
def test_every_word_up_to_11_slow(order):
    _agree(_fixed_table("ab", order), "ab", _words("ab", 11))


@st.composite
def tables(draw):
    alphabet = "abc"[:draw(st.integers(1, 3))]
    order = draw(st.integers(1, 4))
    outcomes = alphabet + "#"
    table = {}
    for h in valid_histories(alphabet, order):
        d = draw(st.integers(1, 12))
        cuts = sorted(draw(st.lists(st.integers(0, d), min_size=len(outcomes) - 1,
                                    max_size=len(outcomes) - 1)))
        parts = [b - a for a, b in itertools.pairwise([0, *cuts, d])]
        table[h] = {s: Fraction(p, d) for s, p in zip(outcomes, parts, strict=True)}
    return alphabet, table


@settings(max_examples=5)
@given(case=tables(), data=st.data())
def test_hypothesis_tables_and_words_up_to_500(case, data):
    alphabet, table = case
    words = data.draw(st.lists(st.text(alphabet, max_size=500), min_size=1, max_size=2))
    _agree(table, alphabet, words)


@pytest.mark.slow
@settings(max_examples=60)
@given(case=tables(), data=st.data())
def test_hypothesis_tables_and_words_up_to_500_slow(case, data):
    alphabet, table = case
    words = data.draw(st.lists(st.text(alphabet, max_size=500), min_size=1, max_size=5))
    _agree(table, alphabet, words)


@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_an_outcome_that_never_occurs_reads_out_zero(order):
    table = {h: {"a": Fraction(1, 3), "#": Fraction(2, 3)} for h in valid_histories("ab", order)}
    _agree(table, "ab", ["", "b", "abba"])


def test_the_random_table_is_a_distribution_per_history_and_seeded():
    one, same = get("ngram").make(order=3), get("ngram").make(order=3)
    other = get("ngram").make(order=3, table_seed=1)
    words = ["", "ab", "abba"]
    rows = [r.answer.rows for r in run(one, words)]
    assert rows == [r.answer.rows for r in run(same, words)]
    assert rows != [r.answer.rows for r in run(other, words)]
    assert all(sum(row) == 1 and all(p.denominator in (1, 2, 3, 6) for p in row)
               for word_rows in rows for row in word_rows)


# -- the float guarantee ------------------------------------------------------------------


def test_the_guarantee_per_dtype():
    limits = dict(get("ngram").make(order=3).limits)
    assert limits == {"float64": 10**9, "float32": 2**24 - 1, "float16": 2047,
                      "bfloat16": 255}
    assert set(dict(get("ngram").make(order=2).limits).values()) == {10**9}
    fine = get("ngram").make(order=2, denominator=64).limits  # 2 u D^2 >= 1 in float16
    assert fine["float16"] is None and fine["bfloat16"] is None and fine["float32"] == 10**9


def test_float16_decodes_the_exact_table_up_to_its_guaranteed_length():
    table = _fixed_table("ab", 3)
    word = ("abbab" * 500)[:2047]
    _agree(table, "ab", [word, "ba"], backends=("torch",), dtype="float16")
    construction = get("ngram").make(alphabet="ab", table=as_json(table))
    (beyond,) = run(construction, [word + "a"], backend="torch", dtype="float16")
    assert not beyond.trusted and "guaranteed up to n = 2047" in beyond.why_untrusted


def test_a_table_too_fine_for_the_dtype_is_never_trusted():
    construction = get("ngram").make(order=2, denominator=64)
    (result,) = run(construction, ["ab"], backend="torch", dtype="float16")
    assert not result.trusted and "nothing is guaranteed in float16" in result.why_untrusted


# -- the construction and its table --------------------------------------------------------


@pytest.mark.parametrize(("order", "figures"), [
    (1, (0, 0, 1, 0)), (2, (0, 0, 3, 0)), (3, (1, 1, 11, 7)), (4, (1, 2, 14, 15))])
def test_sizes(order, figures):
    found = size(get("ngram").make(order=order).transformer)
    assert (found.layers, found.heads, found.width, found.hidden) == figures


@pytest.mark.parametrize(("table", "message"), [
    ("[1]", r"--table must be a JSON object"),
    ("{not json", r"--table is not JSON"),
    ('{"a": {"a": 1}, "$": {"a": 1}}', r"--table has no row for history 'b'"),
    ('{"a$": {"a": 1}}', r"--table history 'a\$' cannot occur"),
    ('{"$": {"a": "1/2"}, "a": {"a": 1}, "b": {"a": 1}}', r"row '\$' sums to 1/2, not 1"),
    ('{"$": {"c": 1}, "a": {"a": 1}, "b": {"a": 1}}', r"row '\$' has outcome 'c'"),
    ('{"$": {"a": "x"}, "a": {"a": 1}, "b": {"a": 1}}', r"--table\['\$'\]\['a'\] must be a number"),
])
def test_bad_tables_are_named(table, message):
    with pytest.raises(OptionError, match=message):
        get("ngram").make(alphabet="ab", table=table)


def test_the_command_line_runs_it_and_refuses_order_beside_a_table():
    table = '{"$": {"a": 1}, "a": {"b": "1/2", "#": "1/2"}, "b": {"#": 1}}'
    done = CliRunner().invoke(main, ["run", "ngram", "--table", table, "ab", "--backend",
                                     "torch", "--json"])
    assert done.exit_code == 0, done.output
    (row,) = json.loads(done.output)
    assert [p["next"] for p in row["positions"]] == [{"a": "1"}, {"b": "1/2", "#": "1/2"},
                                                     {"#": "1"}]
    assert row["trusted"] and row["agrees_with_reference"]
    done = CliRunner().invoke(main, ["run", "ngram", "--table", table, "--order", "3", "ab"])
    assert done.exit_code == 2 and "--order makes a random table" in done.output
    done = CliRunner().invoke(main, ["check", "ngram", "--order", "4", "--lengths", "0..5",
                                     "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["ok"]
    done = CliRunner().invoke(main, ["precision", "ngram", "--dtype", "float16", "--max-length",
                                     "10", "--samples", "4", "--json"])
    assert done.exit_code == 0, done.output
    sweep = json.loads(done.output)
    assert sweep["guaranteed_up_to"] == 2047 and sweep["contradicted"] == []
    assert all(p["correct"] == p["words"] for p in sweep["points"])
