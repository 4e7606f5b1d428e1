"""RASP compiled with softmax heads: the derived beta makes exact and float64 decode right.

The oracle is `languages.rasp.evaluate` (exact means), which shares no code
with the compiler. The read-out is decoded here by hand, as the softmax
bound promises it can be: a categorical entry rounded to 0 or 1, a number to
the nearest value of the output's value set; the exact backend's softmax
(mpmath exponentials) is decoded the same way.
"""

import itertools
import math
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from compilers.backends import make
from compilers.constructions import get
from compilers.constructions.base import OptionError
from compilers.ir import Attention, Softmax
from compilers.programs import rasp_softmax
from compilers.programs.booleans import ProgramCompileError
from compilers.programs.rasp_compile import compile_rasp
from compilers.runs.check import check
from languages import rasp
from languages import rasp_lib as lib
from languages.rasp_strategies import rasp_inputs, rasp_programs
from tests.compilers.programs.test_rasp_compile import agree, decoded, every_input

T = rasp.tokens


def wrong_words(compiled, program, inputs: list, backend: str, *, causal: bool = False) -> list:
    """The inputs whose decoded read-out differs from the evaluator's values."""
    runner = make(backend, compiled.transformer,
                  **({"dtype": "float64"} if backend == "torch" else {}))
    by_length: dict = {}
    for xs in inputs:
        by_length.setdefault(len(xs), []).append(list(xs))
    wrong = []
    for length, group in by_length.items():
        rows = [[compiled.bos, *(compiled.tokens[x] for x in xs)] for xs in group]
        result = runner.forward(rows, n=length)
        for b, xs in enumerate(group):
            expected = rasp.evaluate(program, xs, causal=causal, exact=True)
            got = decoded(compiled, result.outputs, b, length, rounded=True, nearest=True)
            if not agree(got, expected, tolerance=1e-9):
                wrong.append(xs)
    return wrong


LIB = {  # name -> (program for max_seq_len N, vocab, exhaustive up to, causal)
    "length": (lambda n: lib.make_length(), "ab", 4, False),
    "reverse": (lambda n: lib.make_reverse(T), "abc", 3, False),
    "hist": (lambda n: lib.make_hist(), "abc", 3, False),
    "frac_prevs_causal": (lambda n: lib.make_frac_prevs(T == "x"), "xy", 4, True),
    "pair_balance": (lambda n: lib.make_pair_balance(T, "(", ")"), "()", 4, False),
    "shuffle_dyck": (lambda n: lib.make_shuffle_dyck(["()"]), "()", 4, False),
    "shuffle_dyck2": (lambda n: lib.make_shuffle_dyck2(), "(){}", 2, False),
    "sort": (lambda n: lib.make_sort(T, T, max_seq_len=n, min_key=1), {1, 2, 3}, 3, False),
    "sort_freq": (lambda n: lib.make_sort_freq(n), {1, 2, 3}, 3, False),
    "shift_by": (lambda n: lib.shift_by(2, T), "abc", 3, True),
    "detect_pattern": (lambda n: lib.detect_pattern(T, "ab"), "ab", 4, True),
    "count_less_freq": (lambda n: lib.make_count_less_freq(2), "abc", 3, False),
    "count": (lambda n: lib.make_count(T, "a"), "ab", 4, False),
}


def _heads(compiled) -> list:
    return [h for block in compiled.transformer.blocks if isinstance(block, Attention)
            for h in block.heads]


@pytest.mark.parametrize("name", sorted(LIB))
def test_softmax_lib_programs_decode_to_the_evaluator_on_every_short_input(name):
    build, vocab, up_to, causal = LIB[name]
    vocab = set(vocab)
    program = build(4)
    compiled = compile_rasp(program, vocab=vocab, max_seq_len=4, causal=causal,
                            attention="softmax")
    heads = _heads(compiled)
    assert heads and all(h.kind == Softmax(scale=compiled.beta) for h in heads)
    assert rasp_softmax.passes(compiled, "exact") and rasp_softmax.passes(compiled, "float64")
    inputs = every_input(vocab, up_to)
    for backend in ("exact", "torch"):
        assert wrong_words(compiled, program, inputs, backend, causal=causal) == [], backend


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program=rasp_programs(vocab="abc", max_seq_len=4, max_operations=5), data=st.data())
def test_drawn_programs_with_softmax_heads_decode_to_the_evaluator(program, data):
    try:
        compiled = compile_rasp(program, vocab=set("abc"), max_seq_len=4, attention="softmax")
    except ProgramCompileError as error:  # no beta: refused by name, never run unchecked
        assert "no softmax inverse temperature" in str(error) or "MAX_VALUES" in str(error)
        assume(False)
    inputs = data.draw(st.lists(rasp_inputs("abc", max_seq_len=4), min_size=1, max_size=4))
    for backend in ("exact", "torch"):
        assert wrong_words(compiled, program, inputs, backend) == [], backend


def test_derived_beta_grows_like_the_log_of_the_length():
    betas = [compile_rasp(lib.make_hist(), vocab=set("ab"), max_seq_len=n,
                          attention="softmax").beta for n in (4, 8, 16, 32, 64)]
    assert all(a < b for a, b in itertools.pairwise(betas)), betas
    # each doubling of N adds a bounded amount (log growth), never a factor
    steps = [float(b - a) for a, b in itertools.pairwise(betas)]
    assert max(steps) < 4 * math.log(2) / 0.5 + 1, betas
    assert float(betas[-1]) < 2 * float(betas[0]) + 10, betas


def test_a_too_small_beta_decodes_some_word_wrong_and_the_bound_says_so():
    program = lib.make_hist()
    derived = compile_rasp(program, vocab=set("ab"), max_seq_len=8, attention="softmax")
    small = compile_rasp(program, vocab=set("ab"), max_seq_len=8, attention="softmax",
                         beta=Fraction(1))
    assert derived.beta > 1 and not rasp_softmax.passes(small, "exact")
    inputs = every_input("ab", 8)[-256:]  # every word of length 8
    assert wrong_words(small, program, inputs, "exact"), "beta 1 should fail somewhere"
    assert wrong_words(derived, program, inputs, "exact") == []


def test_where_no_beta_passes_the_compiler_refuses_naming_the_length(monkeypatch):
    monkeypatch.setattr(rasp_softmax, "BETA_MAX", Fraction(2))
    with pytest.raises(ProgramCompileError, match=r"no softmax inverse temperature up to 2 .* "
                                                  r"max_seq_len 8"):
        compile_rasp(lib.make_hist(), vocab=set("ab"), max_seq_len=8, attention="softmax")
    with pytest.raises(ProgramCompileError, match=r"beta .* needs attention 'softmax'"):
        compile_rasp(lib.make_hist(), vocab=set("ab"), max_seq_len=8, beta=Fraction(3))
    with pytest.raises(ProgramCompileError, match="attention 'hard'; allowed"):
        compile_rasp(lib.make_hist(), vocab=set("ab"), max_seq_len=8, attention="hard")


def test_the_rasp_family_runs_softmax_heads_checked_and_trusted_within_its_limits():
    family = get("rasp")
    construction = family.make(program="sort", max_seq_len=5, attention="softmax")
    assert construction.details["attention"] == "softmax" and construction.limits["float64"] == 5
    report = check(construction, lengths=range(6), samples=10, backends=("exact", "torch"))
    for backend, tally in report.backends.items():
        assert tally.checked > 0 and tally.failed == 0 and tally.untrusted == 0, backend
    with pytest.raises(OptionError, match="--attention is 'hardmax'; allowed: average-hard, "
                                          "softmax"):
        family.make(program="sort", attention="hardmax")
