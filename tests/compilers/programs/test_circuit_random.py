"""Random programs on the circuit backend: the threshold circuit decides as the interpreter.

For random B-RASP, C-RASP and LTL programs (`languages.*_strategies`), the
`program` construction's circuit (``precision="auto"``, compiled at each
length) accepts exactly the words the program's interpreter accepts, on
every word of length 1 to 4 (more programs and lengths to 6 under ``-m slow``).
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings

from compilers.constructions.program import build
from compilers.programs.sources import Source
from compilers.runs.recognise import recognise
from languages.brasp_strategies import brasp_programs
from languages.crasp_strategies import crasp_programs
from languages.ltl_strategies import ltl_programs

STRATEGIES = {"brasp": brasp_programs(max_definitions=4),
              "crasp": crasp_programs(max_definitions=4),
              "ltl": ltl_programs(max_leaves=5)}


def _check(language: str, program, longest: int) -> None:
    built = build(program=Source("random", language, program))
    words = ["".join(w) for n in range(1, longest + 1)
             for w in itertools.product(program.alphabet, repeat=n)]
    results = recognise(built, words, backend="circuit")
    assert [r.answer for r in results] == [r.reference for r in results]


@pytest.mark.parametrize("language", sorted(STRATEGIES))
def test_the_circuit_of_a_random_program_decides_as_its_interpreter(language):
    @settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(STRATEGIES[language])
    def check(program):
        _check(language, program, 4)

    check()


@pytest.mark.slow
@pytest.mark.parametrize("language", sorted(STRATEGIES))
def test_more_random_programs_on_the_circuit_backend(language):
    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(STRATEGIES[language])
    def check(program):
        _check(language, program, 6)

    check()
