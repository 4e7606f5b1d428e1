"""Counting and comparison gadgets beyond the exhaustive sizes: hypothesis-drawn inputs
against plain Python, with the depth and size formulas of the docstrings at every size."""

from hypothesis import given
from hypothesis import strategies as st

from circuitx import gadgets
from circuitx.evaluate import evaluate
from tests.circuitx.oracle import bits_of, value

OPS = {">=": lambda a, b: a >= b, ">": lambda a, b: a > b, "<=": lambda a, b: a <= b,
       "<": lambda a, b: a < b, "==": lambda a, b: a == b, "!=": lambda a, b: a != b}

long_words = st.lists(st.booleans(), min_size=11, max_size=80)


@given(long_words)
def test_majority_of_longer_words_is_one_gate(word):
    circuit = gadgets.majority(len(word))
    assert evaluate(circuit, word)[0] == (2 * sum(word) > len(word))
    assert (circuit.depth, circuit.size) == (1, 1)


@given(long_words, st.data())
def test_exactly_k_of_longer_words_has_depth_two_and_three_gates(word, data):
    n = len(word)
    k = data.draw(st.one_of(st.just(sum(word)), st.integers(1, n - 1)))
    circuit = gadgets.exactly(n, k)
    assert evaluate(circuit, word)[0] == (sum(word) == k)
    assert (circuit.depth, circuit.size) == ((2, 3) if 0 < k < n else (1, 1))


@given(long_words, st.integers(2, 9), st.data())
def test_mod_of_longer_words_has_p_plus_one_gates(word, m, data):
    n, r = len(word), data.draw(st.integers(0, m - 1))
    circuit = gadgets.mod(n, m, r)
    assert evaluate(circuit, word)[0] == (sum(word) % m == r)
    p = sum(1 for s in range(1, n + 1) if s % m == r)
    assert (circuit.depth, circuit.size) == (2, p + 1)


@given(st.lists(st.booleans(), min_size=9, max_size=60))
def test_count_of_longer_words_is_the_number_of_ones(word):
    assert value(evaluate(gadgets.count(len(word)), word)) == sum(word)


@given(st.integers(5, 40).flatmap(lambda k: st.tuples(
    st.just(k), st.integers(0, 2**k - 1), st.integers(0, 2**k - 1))),
    st.booleans(), st.sampled_from(list(OPS)))
def test_comparison_of_wider_numbers(case, signed, op):
    k, x, y = case
    if signed:
        x, y = x - 2 ** (k - 1), y - 2 ** (k - 1)
    circuit = gadgets.comparison(k, op, signed)
    assert evaluate(circuit, bits_of(x, k) + bits_of(y, k))[0] == OPS[op](x, y)
    assert (circuit.depth, circuit.size) == ((2, 3) if op in ("==", "!=") else (1, 1))


@given(st.integers(5, 40).flatmap(lambda k: st.tuples(st.just(k), st.integers(0, 2**k - 1))),
       st.booleans())
def test_equality_of_wider_numbers_holds_on_equal_and_near_pairs(case, flip):
    k, x = case
    y = x ^ (1 << (x % k)) if flip else x
    assert evaluate(gadgets.equality(k), bits_of(x, k) + bits_of(y, k))[0] == (x == y)
