"""A predictor's read-out at every position as one circuit: RASP programs against their evaluator.

The oracle is `languages.rasp.evaluate` (Tracr's semantics), which shares no
code with the compiler or the circuit backend; every word up to a small
length is checked, and hypothesis draws programs.
"""

import itertools

import pytest
from hypothesis import HealthCheck, given, settings

from compilers.backends.circuit.backend import CircuitBackend
from compilers.backends.circuit.fixed import UnsupportedError
from compilers.backends.circuit.lower_positions import to_positions
from compilers.constructions import get
from compilers.constructions.rasp import PROGRAMS, canonical
from compilers.programs.rasp_compile import compile_rasp
from compilers.runs import run
from compilers.runs.check import check
from languages import rasp
from languages.rasp_strategies import rasp_programs


@pytest.mark.parametrize("program", PROGRAMS)
def test_every_library_program_equals_the_evaluator_on_every_short_word(program):
    construction = get("rasp").make(program=program, max_seq_len=4)
    words = ["".join(w) for n in range(5)
             for w in itertools.product(construction.alphabet, repeat=n)][:300]
    for result in run(construction, words, backend="circuit"):
        expected = rasp.evaluate(construction.program, construction.inputs(result.input))
        assert result.answer.values == tuple(canonical(v) for v in expected), result.input
        assert result.trusted and result.backend == "circuit"


def _decoded(compiled, row):
    if compiled.numerical:
        return row[0]
    hot = [k for k, x in enumerate(row) if x == 1]
    assert all(x in (0, 1) for x in row) and len(hot) <= 1, row
    return compiled.values[hot[0]] if hot else None


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program=rasp_programs(vocab="ab", max_seq_len=4, max_operations=6))
def test_drawn_programs_equal_the_evaluator_on_every_word(program):
    compiled = compile_rasp(program, vocab=set("ab"), max_seq_len=4)
    backend = CircuitBackend(compiled.transformer, bos=(compiled.bos,), alphabet=("a", "b"))
    for n in range(5):
        words = ["".join(w) for w in itertools.product("ab", repeat=n)]
        values = backend.recogniser(n).values(words)
        for word, rows in zip(words, values, strict=True):
            expected = rasp.evaluate(program, list(word))
            for t, e in enumerate(expected):
                got = _decoded(compiled, rows[t + 1])
                if compiled.numerical and e is None:
                    e = 0  # a numerical Aggregate with nothing selected (compiler deviation 4)
                if isinstance(e, float):
                    assert abs(float(got) - e) < 1e-9, (word, t, got, e)
                elif e is not None and not isinstance(e, str) and got is not None:
                    assert canonical(got) == canonical(e), (word, t, got, e)
                else:
                    assert got == e, (word, t, got, e)


def test_selector_width_means_are_exact_and_reuse_their_gates():
    construction = get("rasp").make(program="hist", max_seq_len=6)
    model = CircuitBackend(construction.transformer, bos=construction.bos,
                           alphabet=tuple(construction.alphabet)).recogniser(6)
    assert model.auto and model.positions == 7
    stats = model.circuit.stats()
    assert stats.depth <= 6 and stats.size > 0
    words = ["abcabc", "aaaaaa", "abbccc"]
    got = model.values(words)
    for word, rows in zip(words, got, strict=True):
        assert construction.decode(rows, "exact").values == tuple(word.count(c) for c in word)


def test_a_stated_precision_rounds_and_the_run_is_untrusted():
    construction = get("rasp").make(program="sort", max_seq_len=4)
    report = check(construction, lengths=[3], samples=20, backends=("circuit",),
                   precision="8.8")
    tally = report.backends["circuit"]
    assert tally.untrusted == tally.checked > 0 and tally.silent == 0


def test_a_read_out_at_one_position_is_refused_by_name():
    parity = get("parity").make()
    with pytest.raises(UnsupportedError, match=r"read-out at '(last|first)'"):
        to_positions(parity.transformer, 3, bos=parity.bos, eos=parity.eos,
                     alphabet=tuple(parity.alphabet))
