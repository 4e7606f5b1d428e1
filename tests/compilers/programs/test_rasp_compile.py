"""RASP compiled to the IR: the RASP evaluator == exact == torch float64, position by position.

The oracle is `languages.rasp.evaluate` (Tracr's semantics, exact means),
which shares no code with `compilers.programs.rasp_compile`. The read-out is
decoded here by hand (a one-hot entry exactly 1, or the number), not by the
construction's decoder.
"""

import itertools
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compilers.backends import make
from compilers.programs import rasp_compile, rasp_values
from compilers.programs.booleans import ProgramCompileError
from compilers.programs.rasp_compile import compile_rasp
from compilers.programs.rasp_values import ValueSets
from languages import rasp
from languages import rasp_lib as lib
from languages.rasp_strategies import rasp_inputs, rasp_programs
from tests.languages import rasp_cases

T = rasp.tokens


def decoded(compiled, outputs: dict, b: int, length: int, *, rounded: bool,
            nearest: bool = False) -> list:
    """Example `b`'s values at positions 1..length: a one-hot entry exactly 1 (`rounded`:
    rounded to 0 or 1 first), a number as read (`nearest`: the nearest value of the output's
    value set, as a softmax head's bound promises it decodes)."""
    values = []
    for t in range(1, length + 1):
        row = [outputs[o][b][t] for o in compiled.outputs]
        if compiled.numerical:
            value = row[0]
            values.append(min(compiled.values, key=lambda v: abs(float(v) - float(value)))
                          if nearest else float(value) if rounded else Fraction(value))
            continue
        bits = [round(float(x)) if rounded else x for x in row]
        hot = [k for k, x in enumerate(bits) if x == 1]
        assert all(x in (0, 1) for x in bits) and len(hot) <= 1, (t, row)
        values.append(compiled.values[hot[0]] if hot else None)
    return values


def agree(got: list, expected: list, *, tolerance: float = 0.0) -> bool:
    if len(got) != len(expected):
        return False
    for g, e in zip(got, expected, strict=True):
        if e is None or g is None or isinstance(e, str) or isinstance(g, str):
            if g != e:
                return False
        elif abs(Fraction(g) - Fraction(e)) > tolerance:
            return False
    return True


def assert_decodes(program, compiled, inputs: list, forward, *, causal: bool = False,
                   rounded: bool, nearest: bool = False, tolerance: float = 0.0,
                   where: str = "") -> None:
    """Every input, run as ``forward(rows, length)`` (token rows with the BOS, one call per
    input length; it returns the outputs), decodes (`decoded`) to the evaluator's values."""
    by_length: dict = {}
    for xs in inputs:
        by_length.setdefault(len(xs), []).append(list(xs))
    for length, group in by_length.items():
        rows = [[compiled.bos, *(compiled.tokens[x] for x in xs)] for xs in group]
        outputs = forward(rows, length)
        for b, xs in enumerate(group):
            expected = rasp.evaluate(program, xs, causal=causal, exact=True)
            got = decoded(compiled, outputs, b, length, rounded=rounded, nearest=nearest)
            assert agree(got, expected, tolerance=tolerance), (where, xs, got, expected)


def assert_runs(program, vocab, n: int, inputs: list, *, causal: bool = False,
                backends=("exact", "torch")) -> None:
    """Every input, on every backend, equals the evaluator's values at every position."""
    compiled = compile_rasp(program, vocab=vocab, max_seq_len=n, causal=causal)
    for backend in backends:
        runner = make(backend, compiled.transformer,
                      **({"dtype": "float64"} if backend == "torch" else {}))
        assert_decodes(program, compiled, inputs,
                       lambda rows, length, r=runner: r.forward(rows, n=length).outputs,
                       causal=causal, rounded=backend != "exact",
                       tolerance=0 if backend == "exact" else 1e-9, where=backend)


def every_input(vocab, up_to: int) -> list:
    return [list(w) for n in range(up_to + 1) for w in itertools.product(sorted(vocab), repeat=n)]


LIB = {  # name -> (program for max_seq_len N, vocab, exhaustive up to, causal)
    "length": (lambda n: lib.make_length(), "ab", 5, False),
    "reverse": (lambda n: lib.make_reverse(T), "abc", 4, False),
    "hist": (lambda n: lib.make_hist(), "abc", 4, False),
    "frac_prevs": (lambda n: lib.make_frac_prevs(T == "x"), "xy", 5, False),
    "frac_prevs_causal": (lambda n: lib.make_frac_prevs(T == "x"), "xy", 5, True),
    "pair_balance": (lambda n: lib.make_pair_balance(T, "(", ")"), "()", 5, False),
    "shuffle_dyck": (lambda n: lib.make_shuffle_dyck(["()"]), "()", 5, False),
    "shuffle_dyck2": (lambda n: lib.make_shuffle_dyck2(), "(){}", 3, False),
    "sort_unique": (lambda n: lib.make_sort_unique(T, T), {1, 2, 3, 4}, 3, False),
    "sort": (lambda n: lib.make_sort(T, T, max_seq_len=n, min_key=1), {1, 2, 3}, 4, False),
    "sort_freq": (lambda n: lib.make_sort_freq(n), {1, 2, 3}, 4, False),
    "shift_by": (lambda n: lib.shift_by(2, T), "abc", 4, True),
    "detect_pattern": (lambda n: lib.detect_pattern(T, "ab"), "ab", 5, True),
    "count_less_freq": (lambda n: lib.make_count_less_freq(2), "abc", 4, False),
    "count": (lambda n: lib.make_count(T, "a"), "ab", 5, False),
    "nary_sequencemap": (lambda n: lib.make_nary_sequencemap(
        lambda x, y, z: (x + y + z) % 3, T, T, rasp.indices), {0, 1, 2}, 3, False),
}


@pytest.mark.parametrize("name", sorted(LIB))
def test_tracr_lib_programs_equal_the_evaluator_on_every_short_input(name):
    build, vocab, up_to, causal = LIB[name]
    vocab = set(vocab)
    unique = name == "sort_unique"  # its keys must be distinct
    inputs = [xs for xs in every_input(vocab, up_to) if not unique or len(set(xs)) == len(xs)]
    assert_runs(build(6), vocab, 6, inputs, causal=causal)


@pytest.mark.parametrize("name", sorted(LIB))
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_tracr_lib_programs_equal_the_evaluator_up_to_the_compiled_length(name, data):
    build, vocab, _, causal = LIB[name]
    n = 16 if name in ("shuffle_dyck2", "sort", "hist", "frac_prevs_causal") else 8
    symbols = st.sampled_from(sorted(set(vocab)))
    inputs = data.draw(st.lists(st.lists(symbols, min_size=n // 2, max_size=n,
                                         unique=name == "sort_unique"), min_size=1, max_size=3))
    assert_runs(build(n), set(vocab), n, inputs, causal=causal)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program=rasp_programs(vocab="abc", max_seq_len=5, max_operations=5), data=st.data())
def test_drawn_programs_equal_the_evaluator(program, data):
    inputs = data.draw(st.lists(rasp_inputs("abc", max_seq_len=5), min_size=1, max_size=4))
    assert_runs(program, set("abc"), 5, inputs)


def test_selector_width_is_exact_at_every_length_up_to_48():
    program = lib.make_length()
    assert_runs(program, {"a"}, 48, [["a"] * n for n in range(49)])


def test_selector_and_or_not_over_different_sops_compile():
    parity = rasp.Map(lambda i: i % 2, rasp.indices)
    same = rasp.Select(T, T, rasp.Comparison.EQ)
    before = rasp.Select(rasp.indices, rasp.indices, rasp.Comparison.LT)
    odd = rasp.Select(parity, parity, rasp.Comparison.EQ)
    programs = [
        rasp.SelectorWidth(rasp.SelectorAnd(same, before)),
        rasp.SelectorWidth(rasp.SelectorOr(same, before)),
        rasp.SelectorWidth(rasp.SelectorNot(rasp.SelectorAnd(same, odd))),
        rasp.numerical(rasp.Aggregate(rasp.SelectorOr(before, odd),
                                      rasp.numerical(rasp.Map(lambda x: int(x == "a"), T)),
                                      default=0)),
    ]
    for program in programs:
        assert_runs(program, set("ab"), 5, every_input("ab", 5))


def test_aggregate_defaults_fill_where_nothing_is_selected():
    later = rasp.Select(rasp.indices, rasp.indices, rasp.Comparison.GT)  # key > query
    categorical = rasp.Aggregate(rasp.Select(T, T, rasp.Comparison.FALSE), T, default="z")
    numerical = rasp.numerical(rasp.Aggregate(
        later, rasp.numerical(rasp.Map(lambda x: 2 if x == "a" else -1, T)), default=5))
    for program in (categorical, numerical):
        assert_runs(program, set("ab"), 5, every_input("ab", 5))


def test_numerical_map_of_a_mean_is_exact_on_its_value_set():
    frac = lib.make_frac_prevs(T == "a")
    program = rasp.numerical(rasp.Map(lambda x: x * x if x < Fraction(1, 2) else 1 - x, frac))
    assert_runs(program, set("ab"), 6, every_input("ab", 6))


def test_value_sets_keep_the_width_of_a_shared_selector():
    sets = ValueSets(set("()"), 8)
    balance = lib.make_pair_balance(T, "(", ")")
    values = sets.flat(balance)
    expected = {Fraction(d, w) for w in range(1, 9) for d in range(-w, w + 1)} | {0}
    assert values == expected
    assert sets.flat(lib.make_frac_prevs(T == "(")) == {Fraction(k, w) for w in range(1, 9)
                                                         for k in range(w + 1)}


def test_constructs_tracr_does_not_compile_are_refused_by_name():
    with pytest.raises(ProgramCompileError, match="ConstantSOp"):
        compile_rasp(rasp.Map(lambda x: x, rasp.ConstantSOp([1, 2])), vocab={1}, max_seq_len=2)
    with pytest.raises(ProgramCompileError, match="max_seq_len 0"):
        compile_rasp(T, vocab={"a"}, max_seq_len=0)
    with pytest.raises(ProgramCompileError, match="BOS"):
        compile_rasp(T, vocab={"$"}, max_seq_len=2)
    wide = rasp.numerical(rasp.SequenceMap(lambda x, y: x * 1000 + y, T, T))  # 66 049 values
    squared = rasp.numerical(rasp.Map(lambda x: x * x, wide))
    with pytest.raises(ProgramCompileError, match="MAX_VALUES"):
        compile_rasp(squared, vocab=set(range(257)), max_seq_len=4)


def test_a_program_past_the_weight_limit_is_refused_naming_its_size(monkeypatch):
    monkeypatch.setattr(rasp_compile, "MAX_ENTRIES", 1000)
    with pytest.raises(ProgramCompileError, match=r"needs \d+ weights, which brings the program "
                                                  r"to \d+, past the limit of 1000 "
                                                  r"\(MAX_ENTRIES\) at max_seq_len 16"):
        compile_rasp(lib.make_sort_freq(16), vocab={1, 2, 3}, max_seq_len=16)


@pytest.mark.slow
def test_sort_freq_compiles_at_length_128_and_sorts_by_frequency():
    program = lib.make_sort_freq(128)
    words = [[3, 1, 2, 3, 3, 1] * 21 + [2, 2], [1] * 128, [2, 1] * 64, [3, 2, 1]]
    assert_runs(program, {1, 2, 3}, 128, words, backends=("torch",))


@pytest.mark.parametrize("case", [*rasp_cases.CASES, *rasp_cases.CAUSAL_CASES],
                         ids=lambda case: case.name)
def test_tracr_test_cases_compile_to_their_expected_outputs(case):
    causal = case in rasp_cases.CAUSAL_CASES
    program = case.build()
    assert rasp.evaluate(program, case.xs, causal=causal) == case.expected
    compiled = compile_rasp(program, vocab=set(case.vocab), max_seq_len=case.max_seq_len,
                            causal=causal)
    row = [compiled.bos, *(compiled.tokens[x] for x in case.xs)]
    for backend in ("exact", "torch"):
        runner = make(backend, compiled.transformer,
                      **({"dtype": "float64"} if backend == "torch" else {}))
        outputs = runner.forward([row], n=len(case.xs)).outputs
        got = decoded(compiled, outputs, 0, len(case.xs), rounded=backend != "exact")
        assert agree(got, case.expected, tolerance=1e-9), (backend, got, case.expected)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(LIB))
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_tracr_lib_programs_equal_the_evaluator_at_length_32(name, data):
    build, vocab, _, causal = LIB[name]
    symbols = st.sampled_from(sorted(set(vocab)))
    inputs = data.draw(st.lists(st.lists(symbols, min_size=1, max_size=32,
                                         unique=name == "sort_unique"), min_size=1, max_size=4))
    assert_runs(build(32), set(vocab), 32, inputs, causal=causal)


@pytest.mark.slow
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program=rasp_programs(vocab="abc", max_seq_len=8, max_operations=14), data=st.data())
def test_many_drawn_programs_equal_the_evaluator(program, data):
    inputs = data.draw(st.lists(rasp_inputs("abc", max_seq_len=8), min_size=1, max_size=6))
    assert_runs(program, set("abc"), 8, inputs)


_exact_numbers = st.one_of(st.integers(-6, 6),
                           st.fractions(min_value=-3, max_value=3, max_denominator=12))


@settings(max_examples=60, deadline=None)
@given(st.frozensets(_exact_numbers, max_size=12), st.frozensets(_exact_numbers, max_size=12),
       _exact_numbers, _exact_numbers)
def test_linear_sequence_map_values_equal_every_pair_evaluated(xs, ys, a, b):
    """The integer-numerator path of `rasp_values` against ``a x + b y`` on every pair."""
    program = rasp.LinearSequenceMap(rasp.tokens, rasp.indices, a, b)
    got = rasp_values._linear_product(xs, ys, program.f, a, b)
    want = frozenset(a * x + b * y for x in xs for y in ys)
    assert got == want
    if all(isinstance(v, int) for v in (a, b, *xs, *ys)):
        assert all(isinstance(v, int) for v in got)  # ints stay ints, as a x + b y gives


def test_pair_balance_values_at_length_128_are_every_difference_of_two_fractions_of_w():
    opens = (lambda n: lib.make_pair_balance(T, "(", ")"))(128)
    values = ValueSets(set("()"), 128).of(opens)
    want = {Fraction(d, w) for w in range(1, 129) for d in range(-w, w + 1)} | {0}
    assert frozenset(rasp_values.flat(values)) == want
