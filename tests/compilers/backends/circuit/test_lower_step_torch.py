"""The Turing-machine step circuit beside the torch float64 backend and the reference.

For every word of length <= 3 and the first six steps of BB(2)'s real run,
the next state the step circuit decodes at step t is the one torch float64
decodes (`compilers.runs.generate`) and the one the reference interpreter takes.
"""

from __future__ import annotations

import itertools

import pytest

from compilers.constructions import tm
from compilers.runs import generate
from languages.turing import trace
from tests.compilers.backends.circuit.test_lower_step import MACHINE, _reachable, _step

STEPS = 6
WORDS = ["".join(p) for n in range(4) for p in itertools.product("01", repeat=n)]


@pytest.mark.parametrize("word", WORDS)
def test_step_circuit_next_state_equals_torch_float64_and_the_reference(word):
    construction = tm.build(MACHINE)
    (floats,) = generate(construction, [word], backend="torch", dtype="float64",
                         max_steps=STEPS)
    reference = trace(construction.machine, word, max_steps=STEPS)
    assert list(floats.trace) == reference
    history = _reachable(word, len(reference))
    states = construction.layout.states
    for t, step in enumerate(reference, start=1):
        got = _step(len(word), t).outputs(word, history[:t])
        decoded = [q for q in states if got[f"st_{q}>0"]]
        assert decoded == [step.next_state] == [floats.trace[t - 1].next_state], (word, t)
