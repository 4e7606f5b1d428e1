"""`compilers.runs.loop`: a batch of programs of different lengths, each as the interpreter runs it.

Oracle: `languages.subleq.run`, program by program.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from compilers.constructions import subleq
from compilers.errors import EvaluationError
from compilers.runs import backend_for, loop
from compilers.runs.loop import _check
from languages import subleq as reference

COUNTDOWN = Path(__file__).resolve().parents[3] / "examples" / "programs" / "countdown.subleq"


def _print_and_halt(size: int) -> reference.EsolangProgram:
    """Jumps to its last instruction, which prints 'A' and runs off the memory's end: it
    halts in the loop that prints."""
    memory = [3, 3, size - 3, 0, 65] + [0] * (size - 8) + [4, -1, 0]
    return reference.EsolangProgram(memory=tuple(memory))


@pytest.mark.parametrize("backend", ["exact", "torch", "circuit"])
def test_a_run_that_halts_in_the_loop_that_prints_prints_once_while_the_batch_goes_on(backend):
    countdown = reference.parse_program(COUNTDOWN.read_text(), semantics="esolang")
    programs = [_print_and_halt(len(countdown.initial_memory())), countdown]
    construction = subleq.build(programs[1], bits=8)
    results = loop(construction, programs, backend=backend, max_steps=200)
    for program, result in zip(programs, results, strict=True):
        expected = reference.run(program, max_steps=200, bits=8)
        assert result.answer.output == expected.output
        assert result.agrees_with_reference
    assert [r.answer.output for r in results] == [b"A", b"9876543210\n"]


def test_progress_is_called_once_per_loop_and_the_loops_are_the_interpreters_steps():
    countdown = reference.parse_program(COUNTDOWN.read_text(), semantics="esolang")
    expected = reference.run(countdown, max_steps=500, bits=8)
    ticks: list[int] = []
    (result,) = loop(subleq.build(countdown, bits=8), [countdown], backend="exact",
                     max_steps=500, progress=ticks.append)
    assert result.answer.output == expected.output
    assert ticks == [1] * expected.steps


@pytest.mark.parametrize("backend", ["exact", "torch"])
def test_an_indexed_loop_names_exactly_the_columns_it_changed(backend):
    """`changed_columns` (what the drift check reads in an indexed run) against the
    streams themselves: every column first, then after each loop the columns whose
    stream differs from before that loop."""
    countdown = reference.parse_program(COUNTDOWN.read_text(), semantics="esolang")
    construction = subleq.build(countdown, bits=8)
    runner = backend_for(construction, backend, lookups="index", dense_every=0)
    n = construction.positions
    state = runner.start([construction.encode(construction.prepare(countdown))], n=n)
    assert runner.changed_columns() == set(range(n))
    before = np.array(runner.streams(state)[0])  # a copy: torch's state changes in place
    for _ in range(12):
        state = runner.loop(state, n=n)
        after = np.array(runner.streams(state)[0])
        differ = {int(j) for j in np.flatnonzero((after != before).any(axis=1))}
        assert runner.changed_columns() == differ
        before = after


def test_the_drift_check_reads_the_changed_columns_only_and_catches_their_drift():
    """`_check` with a backend that names the changed columns: only their entries are
    read; a drift there is an error, one elsewhere was checked before and is not read."""

    class Backend:
        name = "fake"

        def __init__(self, values, changed):
            self.values, self.changed, self.asked = values, changed, []

        def check(self):
            pass

        def changed_columns(self):
            return self.changed

        def read(self, state, entries):
            self.asked.append(list(entries))
            return np.asarray([[self.values[e] for e in entries]])

    entries = [(0, "a"), (0, "b"), (1, "a"), (2, "a")]
    by_column = {0: [0, 1], 1: [2], 2: [3]}
    pm = np.asarray([False, True, False, False])
    values = {(0, "a"): 1.0, (0, "b"): -1.0, (1, "a"): 0.6, (2, "a"): 0.0}  # (1, a) drifted
    be = Backend(values, {0, 2})
    _check(be, None, entries, pm, 5, by_column)
    assert be.asked == [[(0, "a"), (0, "b"), (2, "a")]]
    be = Backend(values, {1})
    with pytest.raises(EvaluationError, match=r"by loop 5 a state entry drifted 0\.4 "):
        _check(be, None, entries, pm, 5, by_column)
