"""Generation with ``lookups='index'`` against the dense steps and the machine itself.

Oracles: the dense cached generator of the same backend (every step's decoded
configuration, the answer, the trust figures) and the Turing machine's own
trace (`languages.turing.trace`), which shares no code with either.
"""

from __future__ import annotations

import random
from fractions import Fraction

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from compilers.backends.lookups import PromiseError
from compilers.backends.lookups_ratio import RatioIndex
from compilers.backends.lookups_torch import TOLERANCES
from compilers.constructions import tm
from compilers.runs import generate
from compilers.runs.backends import backend_for
from languages.strategies import turing_machines
from languages.turing import trace

BB2 = "1RB1LB_1LA1RZ"
BB2_4 = "1RB2LA1RA1RA_1LB1LA3RB1RZ"  # 3,932,964 steps; the first ones here
BOUNCE = "1RB0LA_0LA1RA"


@st.composite
def machines_and_words(draw, max_length: int = 5):
    machine = draw(turing_machines(max_states=3, min_symbols=1, max_symbols=3, min_halting=0,
                                   allow_undefined=True))
    word = draw(st.text(alphabet="".join(machine.symbols), max_size=max_length))
    return machine, word


def _both(construction, words, **options):
    dense = generate(construction, words, lookups="dense", **options)
    indexed = generate(construction, words, lookups="index", **options)
    return dense, indexed


def _same(dense, indexed) -> None:
    for d, i in zip(dense, indexed, strict=True):
        assert i.trace == d.trace
        assert i.answer == d.answer
        assert i.values == d.values
        assert i.trusted == d.trusted
        assert i.agrees_with_reference


@settings(max_examples=10, deadline=None)
@given(machines_and_words())
def test_indexed_exact_steps_equal_dense_steps_and_the_machine(pair):
    machine, word = pair
    construction = tm.build(machine, word)
    dense, indexed = _both(construction, [word], backend="exact", max_steps=80)
    _same(dense, indexed)
    assert list(indexed[0].trace) == trace(machine, word, max_steps=80)


@settings(max_examples=10, deadline=None)
@given(machines_and_words())
def test_indexed_float64_steps_equal_dense_steps_and_the_machine(pair):
    machine, word = pair
    construction = tm.build(machine, word)
    dense, indexed = _both(construction, [word], backend="torch", dtype="float64",
                           max_steps=80)
    _same(dense, indexed)
    assert list(indexed[0].trace) == trace(machine, word, max_steps=80)


@pytest.mark.parametrize("backend", ["exact", "torch"])
def test_indexed_busy_beaver_2_4_steps_equal_dense_steps(backend):
    construction = tm.build(BB2_4)
    _same(*_both(construction, [""], backend=backend, max_steps=400))


def test_indexed_float64_batch_of_words_equals_dense():
    construction = tm.build(BOUNCE)
    _same(*_both(construction, ["", "1", "0110", "111"], backend="torch", dtype="float64",
                 max_steps=120))


def test_indexed_float32_flags_the_same_steps_as_dense():
    construction = tm.build(BB2_4)
    dense, indexed = _both(construction, [""], backend="torch", dtype="float32",
                           max_steps=300)
    _same(dense, indexed)


def test_ratio_index_finds_the_last_write_and_the_sentinel():
    index = RatioIndex(tie="last")
    keys = [[Fraction(0), Fraction(0), Fraction(1, 2)]]  # the start sentinel: special
    keys += [[Fraction(1, j + 1), Fraction(-cell, j + 1), Fraction(0)]
             for j, cell in enumerate([0, 1, 0, -1, 1], start=1)]
    for key in keys:
        index.add(key)
    position = 6
    for cell, last in [(0, 3), (1, 5), (-1, 4), (7, 0)]:
        q = [Fraction(cell, position + 1), Fraction(1, position + 1),
             Fraction(1, (position + 1) ** 2)]
        assert index.lookup(q, 0) == last == index.scan(q, 0, keys)


def test_float_ratio_index_certifies_past_the_fixed_tolerance_and_at_tight_gaps():
    """Past 2^20 steps Pérez's gap 1/(2(p+1)^2) is below float64's fixed tolerance, and
    at a never-written cell the sentinel is exactly one gap above the nearest other key:
    the index still names the candidates (no scan), and the hard rule on them picks
    what the dense rule picks over every key (numpy)."""
    tol, window = TOLERANCES[torch.float64]
    index = RatioIndex(tie="last", tol=tol, window=window)
    start, rng = 3_000_000, random.Random(7)
    cells = [rng.randint(-4, 4) for _ in range(300)]
    keys = [[0.0, 0.0, 0.5]]  # the start sentinel
    keys += [[1 / (j + 1), -cell / (j + 1), 0.0] for j, cell in enumerate(cells, start)]
    for key in keys:
        index.add(key)
    position = start + 300
    gap = 1 / (2 * (position + 1) ** 2)
    assert gap < tol
    for cell in [*range(-4, 5), 9, -12]:  # written cells, and cells never written
        y = 1 / (position + 1)
        q = [cell * y, y, y * y]
        found = index.candidates(q, gap)
        assert found is not None
        scores = np.abs(np.array(keys) @ np.array(q))  # the dense rule, every key
        winners = np.flatnonzero(scores - scores.min() < gap / 2)
        below = {j: -s - min(-t for t, _ in found[0]) for s, j in found[0]}
        assert max(j for j, d in below.items() if d < gap / 2) == winners.max()
        assert (winners.max() == 0) == (cell not in cells)  # never written: the sentinel


def test_ratio_index_without_a_tie_rule_names_the_tie():
    index = RatioIndex(tie=None, label="reader")
    index.add([Fraction(1), Fraction(2), Fraction(0)])
    index.add([Fraction(2), Fraction(4), Fraction(0)])
    with pytest.raises(PromiseError, match=r"head reader: positions \[0, 1\] tie"):
        index.lookup([Fraction(-2), Fraction(1)], 0)
    assert index.lookup([Fraction(1), Fraction(0)], 0) is None  # y = 0: scanned instead


def test_indexed_exact_steps_never_scan_the_keys():
    construction = tm.build(BB2_4, "0121")
    encoded = construction.encode(construction.word)
    runner = backend_for(construction, "exact", lookups="index")
    generator = runner.generator(n=encoded.n, batch=1, encoder_inputs=[encoded.encoder])
    vector = runner.inputs([encoded.first])
    for _ in range(150):
        vector = generator.next_input(generator.push(vector))
    lookups = generator.generators[0].lookups
    assert set(lookups.indexes) == {"last_write", "input_cell"}
    assert set(lookups.sums) == {"prev_moves", "moves"}  # running sums
    assert [index.scanned for index in lookups.indexes.values()] == [0, 0]
    assert lookups.indexes["last_write"].size == 150


def test_float64_indexed_step_runs_in_python_floats_and_equals_the_dense_read_outs():
    construction = tm.build(BB2_4, "0121")
    encoded = construction.encode(construction.word)
    steps = []
    for lookups in ("dense", "index"):
        runner = backend_for(construction, "torch", dtype="float64", lookups=lookups)
        generator = runner.generator(n=encoded.n, batch=1, encoder_inputs=[encoded.encoder])
        assert (generator.generator.fast is not None) == (lookups == "index")
        vector, values = runner.inputs([encoded.first]), []
        for _ in range(300):
            out = generator.push(vector)
            values.append(runner.host(out).tolist())
            vector = generator.next_input(out)
        steps.append(values)
    assert steps[0] == steps[1]  # every read-out, step by step, float for float
