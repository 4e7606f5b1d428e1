"""Indexed, incremental loops (``lookups='index'``) against the dense loops and the interpreter.

Two oracles, neither the code under test: the dense loop of the same backend
(`dense_every=1` runs it from every loop's input and compares the whole
punchcard, exactly in the exact backend, within 2^-10 in float64), and the
SUBLEQ interpreter (`languages.subleq`), whose state after every step must be
the decoded state after every loop.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.subleq_calculator import calculator
from compilers.backends.common import EvaluationError
from compilers.backends.incremental_torch import TorchOps
from compilers.backends.lookups import CodeIndex, code_rows
from compilers.cli import main
from compilers.constructions import subleq
from compilers.errors import CompileError
from compilers.runs import loop
from compilers.runs.backends import backend_for
from languages import subleq as reference
from languages.strategies import subleq_programs

PROGRAMS = Path(__file__).parents[3] / "examples" / "programs"
SMALL = ["countdown.subleq", "multiply.giannou", "factorial.giannou"]
LARGE = ["hello.subleq", "multiply.subleq"]


def _load(name: str):
    return reference.load_program(str(PROGRAMS / name))


def _indexed(construction, inputs, *, backend: str, max_steps: int, every: int = 1, **kw):
    """Run with lookups='index', the dense loop compared after every `every` loops."""
    runner = backend_for(construction, backend, lookups="index", dense_every=every)
    results = loop(construction, inputs, runner=runner, max_steps=max_steps, trace=True, **kw)
    return results, runner


def _agrees(result) -> None:
    assert result.agrees_with_reference, (result.answer, result.reference)
    assert result.trace == result.reference_trace


@pytest.mark.parametrize("name", SMALL)
@pytest.mark.parametrize("backend", ["exact", "torch"])
def test_indexed_loops_equal_dense_loops_and_interpreter_on_example_programs(name, backend):
    program = _load(name)
    construction = subleq.build(program)
    (result,), runner = _indexed(construction, [program], backend=backend, max_steps=300)
    _agrees(result)
    runs = runner._runs if backend == "torch" else runner._loops
    assert runs[0].broken == []
    assert runs[0].recomputed < 6 * runs[0].loops + construction.positions  # a few per loop


@pytest.mark.slow
@pytest.mark.parametrize("name", LARGE)
@pytest.mark.parametrize("backend", ["exact", "torch"])
def test_indexed_loops_equal_dense_loops_on_larger_example_programs(name, backend):
    program = _load(name)
    (result,), _ = _indexed(subleq.build(program), [program], backend=backend, max_steps=3000)
    _agrees(result)


@pytest.mark.parametrize("name", LARGE)
def test_indexed_torch_runs_larger_example_programs_checked_every_eighth_loop(name):
    program = _load(name)
    (result,), _ = _indexed(subleq.build(program), [program], backend="torch", max_steps=3000,
                            every=8)
    _agrees(result)


@settings(max_examples=6, deadline=None)
@given(subleq_programs(semantics="giannou", max_instructions=5, max_memory=4, bits=6),
       st.integers(0, 2))
def test_indexed_giannou_equals_dense_loop_by_loop_in_float64(program, extra):
    construction = subleq.build(program, memory=len(program.memory) + extra)
    (result,), _ = _indexed(construction, [program], backend="torch", max_steps=25)
    _agrees(result)


@settings(max_examples=6, deadline=None)
@given(subleq_programs(semantics="esolang", max_instructions=4, max_memory=3, bits=8),
       st.binary(max_size=3))
def test_indexed_esolang_equals_dense_loop_by_loop_in_float64(program, data):
    construction = subleq.build(program, bits=8, input_size=3)
    (result,), _ = _indexed(construction, [(program, data)], backend="torch", max_steps=25)
    _agrees(result)


@settings(max_examples=3, deadline=None)
@given(subleq_programs(semantics="esolang", max_instructions=2, max_memory=2, bits=8))
def test_indexed_esolang_equals_dense_loop_by_loop_exactly(program):
    construction = subleq.build(program, bits=8)
    (result,), _ = _indexed(construction, [program], backend="exact", max_steps=6)
    _agrees(result)


@settings(max_examples=2, deadline=None)
@given(subleq_programs(semantics="giannou", max_instructions=3, max_memory=3, bits=4))
def test_indexed_giannou_equals_dense_loop_by_loop_exactly(program):
    (result,), _ = _indexed(subleq.build(program), [program], backend="exact", max_steps=12)
    _agrees(result)


def test_indexed_batch_of_programs_runs_each_to_its_own_halt():
    programs = [reference.parse_program(text, semantics="giannou", bits=8) for text in
                ("0 2 1  3 1 3  4 4 0  2 5 4 ; 2 60 0 1 0 0", "0 1 0  2 2 0 ; 1 0 0")]
    construction = subleq.build(programs[0], memory=6, slots=4)
    results, _ = _indexed(construction, programs, backend="torch", max_steps=40, every=5)
    for result in results:
        _agrees(result)


def test_faulting_and_halted_loops_fall_back_to_dense_and_agree():
    # a -1 2 halts by running past the end; after the halt, the fetch reads past memory
    program = reference.EsolangProgram(memory=(3, 3, 6, 0, 0, -120, -1, 3, 6, -1, 3, 6, 5, 3,
                                               6, -1, 5, -1))
    construction = subleq.build(program, bits=8, input_size=3)
    runner = backend_for(construction, "torch", lookups="index", dense_every=1)
    (indexed,) = loop(construction, [program], runner=runner, max_steps=12, trace=True,
                      stop_at_halt=False)
    (dense,) = loop(construction, [program], backend="torch", max_steps=12, trace=True,
                    stop_at_halt=False)
    assert indexed.values["states"] == dense.values["states"]
    assert indexed.answer == dense.answer
    assert runner._runs[0].broken  # the loops after the halt tie, and ran densely


def _twin_codes(construction, program):
    """The punchcard of `program` with memory column 2 given column 1's code."""
    card = construction.encode(construction.prepare(program)).copy()
    dims = {d: k for k, d in enumerate(construction.layout.inputs())}
    pos = [dims[d] for d in construction.layout.names()["pos"]]
    card[2, pos] = card[1, pos]
    return card


def test_two_columns_of_one_code_break_the_promise_by_name():
    program = reference.parse_program("0 1 1 ; 3 5", semantics="giannou", bits=8)
    construction = subleq.build(program)
    card = _twin_codes(construction, program)
    n = construction.positions
    strict = backend_for(construction, "exact", lookups="index")
    strict.lookups.on_broken = "error"
    state = strict.start([card], n=n)
    with pytest.raises(EvaluationError, match=r"loop 1: head \w+: columns 1, 2 tie at score"):
        strict.loop(state, n=n)
    # the default: that loop recomputed densely, recorded, and equal to the dense loop
    lenient = backend_for(construction, "exact", lookups="index", dense_every=1)
    dense = backend_for(construction, "exact")
    mine, theirs = lenient.start([card], n=n), dense.start([card], n=n)
    mine, theirs = lenient.loop(mine, n=n), dense.loop(theirs, n=n)
    assert "columns 1, 2 tie" in lenient._loops[0].broken[0]
    assert (lenient.streams(mine) == dense.streams(theirs)).all()


def test_dense_check_names_a_column_that_differs():
    program = _load("multiply.giannou")
    construction = subleq.build(program)
    runner = backend_for(construction, "exact", lookups="index")
    n = construction.positions
    state = runner.start([construction.encode(construction.prepare(program))], n=n)
    state = runner.loop(state, n=n)
    run = runner._loops[0]
    column = construction.layout.memory_columns()[-1]  # Z: never recomputed
    run.stream.num[column, runner.index()["v0"]] = 7 * run.stream.den[column]  # gone wrong
    with pytest.raises(EvaluationError, match=rf"differs from the dense loop at column "
                                              rf"{column}, direction v0"):
        run.check(where="run 0,")


def test_lookup_options_are_checked_by_name():
    construction = subleq.build(_load("multiply.giannou"))
    with pytest.raises(CompileError, match="unknown lookups 'fast'; allowed: dense, index"):
        backend_for(construction, "exact", lookups="fast")
    with pytest.raises(EvaluationError, match="dense_every applies to lookups='index' only"):
        backend_for(construction, "torch", dense_every=3)
    with pytest.raises(EvaluationError, match="dense_every -1"):
        backend_for(construction, "exact", lookups="index", dense_every=-1)
    with pytest.raises(CompileError, match="apply to the exact and torch backends"):
        backend_for(construction, "circuit", lookups="index")


def test_indexed_halted_punchcard_costs_nothing():
    program = _load("multiply.giannou")
    construction = subleq.build(program)
    runner = backend_for(construction, "exact", lookups="index", dense_every=0)
    (result,) = loop(construction, [program], runner=runner, max_steps=40, stop_at_halt=False)
    assert result.answer.halted
    run = runner._loops[0]
    assert run.changed == set()
    assert np.isfinite(run.recomputed)


def test_cli_runs_a_program_with_index_lookups_and_refuses_them_on_the_interpreter():
    countdown = str(PROGRAMS / "countdown.subleq")
    done = CliRunner().invoke(main, ["run", "subleq", countdown, "--backend", "torch",
                                     "--lookups", "index", "--dense-every", "4"])
    assert done.exit_code == 0, done.output
    assert done.output == "9876543210\n"
    refused = CliRunner().invoke(main, ["run", "subleq", countdown, "--lookups", "index"])
    assert refused.exit_code == 2
    assert "--lookups applies to --backend exact or torch only" in refused.output
    machine = CliRunner().invoke(main, ["run", "tm", "1RB1LB_1LA1RZ", "--backend", "exact",
                                        "--lookups", "index"])
    assert machine.exit_code == 0, machine.output
    assert machine.output.startswith("halted after 6 steps in state Z; 4 non-blank cells")


@pytest.mark.slow
def test_indexed_torch_runs_the_1787_word_calculator_to_its_halt():
    program, data = calculator(), b"12+34\n7*6\n100%7\nq\n"
    construction = subleq.build(program, input_size=len(data))
    (result,), runner = _indexed(construction, [(program, data)], backend="torch",
                                 max_steps=5000, every=100)
    assert result.agrees_with_reference
    assert result.answer.output.endswith(b"> = 46\n> = 42\n> = 2\n> bye\n")
    assert runner._runs[0].broken == []


def test_kept_lookups_leave_the_indexed_loop_equal_to_the_dense_loop_by_loop():
    # repeated queries keep their lookups (`IncrementalLoop._attention`); the dense
    # loop, run from every loop's input, and the interpreter are the oracles
    program = _load("hello.subleq")
    (result,), runner = _indexed(subleq.build(program), [program], backend="torch",
                                 max_steps=400)
    _agrees(result)
    run = runner._runs[0]
    assert run.broken == []
    assert run.kept > run.loops  # more than one kept lookup per loop


def test_one_product_per_block_gives_each_heads_own_projections():
    # `TorchOps.project` (one stacked CSR product) against each head's dense matrices
    program = _load("countdown.subleq")
    construction = subleq.build(program)
    runner = backend_for(construction, "torch", lookups="index", dense_every=0)
    n = construction.positions
    state = runner.start([construction.encode(construction.prepare(program))], n=n)[0]
    rows = state[[0, n // 2, n - 1]]
    ops, module = TorchOps(runner.module), runner.module
    for block in module.ir.blocks:
        heads = getattr(block, "heads", ())
        if not heads:
            continue
        for head, (keys, values, queries) in zip(heads, ops.project(heads, rows, "kvq"),
                                                 strict=True):
            params = module.blocks[block.label][head.label]
            for got, weight in ((keys, params.key), (np.stack(values), params.value),
                                (queries, params.query)):
                want = (rows @ weight.T).numpy()
                assert np.allclose(np.asarray(got), want, rtol=0, atol=2.0 ** -30)


_ENTRIES = st.sampled_from([-1.0, 0.0, 1.0, -0.5, 0.5, 0.75, -2.0, 1.0 + 2.0 ** -40,
                            -1.0 - 2.0 ** -20, 2.0 ** -40, float("nan")])


@given(st.integers(1, 6).flatmap(lambda width: st.lists(
    st.lists(_ENTRIES, min_size=width, max_size=width), min_size=1, max_size=12)),
       st.sampled_from([0, 2.0 ** -30, 2.0 ** -12]))
@settings(max_examples=200, deadline=None)
def test_code_rows_of_float_keys_match_the_rule_entry_by_entry(keys, tol):
    # oracle: the rule applied entry by entry in exact rational arithmetic (the keys as
    # Fractions take the Python path; a NaN row is never a code row)
    def exact_rows():
        rows = []
        for r in range(len(keys[0])):
            column = [k[r] for k in keys]
            if any(x != x for x in column):
                continue
            column = [Fraction(x) for x in column]
            if all(abs(x) <= tol or abs(abs(x) - 1) <= tol for x in column) and \
                    any(x > Fraction(1, 2) for x in column) and \
                    any(x < -Fraction(1, 2) for x in column):
                rows.append(r)
        return rows

    assert code_rows(keys, tol) == exact_rows()
    if not any(x != x for k in keys for x in k):
        assert code_rows([[Fraction(x) for x in k] for k in keys], tol) == exact_rows()


def test_equal_queries_in_one_pass_share_one_lookup(monkeypatch):
    # the first loop looks up every column's query; an equal query takes the lookup
    # already made (`IncrementalLoop._lookup`): each head looks each query up once,
    # fewer times than it has columns; the loops' agreement with the dense loop and
    # the interpreter, the oracles, is the tests' above (they all start this way)
    calls: dict[str, list] = {}
    original = CodeIndex.lookup

    def counted(index, q, margin):
        calls.setdefault(index.label, []).append(tuple(q))
        return original(index, q, margin)

    monkeypatch.setattr(CodeIndex, "lookup", counted)
    program = _load("hello.subleq")
    (result,), _ = _indexed(subleq.build(program), [program], backend="torch", max_steps=1)
    _agrees(result)
    n = subleq.build(program).positions
    assert calls.keys() >= {"word_a", "word_b", "word_c"}
    for asked in calls.values():
        assert len(asked) == len(set(asked)) < n
