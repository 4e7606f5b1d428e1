"""The fast paths of interpreter-scale runs against independent oracles.

* The streamed Turing-machine run (`benchmarks.interpreter_runs.stream_tm`:
  the float64 step on Python floats, read-outs decoded row by row, each step
  checked against the machine's rule, no trace kept) against the interpreter
  (`languages.turing.run`) and the dense torch generator.
* `TMDecoder` with ``keep_trace=False`` and ``verify=True`` against the
  interpreter's trace; a decoded step that breaks the machine's rule raises.
* `tm_decode.row_fields` (plain Python) against `fields`' numpy path.
* The compiled products of `lookups_step` against numpy's product.
* The group totals that `IncrementalLoop` keeps for uniform reads (torch and
  exact ops) against a fresh mean after every change.
"""

from __future__ import annotations

import math
import random
from fractions import Fraction

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.interpreter_runs import BB2_4, stream_tm
from compilers.backends import make
from compilers.backends.incremental_exact import ExactOps
from compilers.backends.incremental_torch import TorchOps
from compilers.backends.lookups_step import _Affine, _compile
from compilers.backends.lookups_step_source import step_source
from compilers.constructions import tm
from compilers.constructions.tm_decode import TMDecodeError, TMDecoder, fields, row_fields
from compilers.ir import (
    MLP,
    Attention,
    AverageHard,
    Head,
    Readout,
    Transformer,
    VectorInput,
    matrix,
)
from compilers.runs import generate
from languages.turing import parse_machine, run, trace
from tests.compilers.backends.test_lookups_generate import machines_and_words


@settings(max_examples=8, deadline=None)
@given(machines_and_words(max_length=4), st.integers(0, 120))
def test_streamed_float_run_equals_the_interpreter_and_the_dense_generator(pair, steps):
    machine, word = pair
    construction = tm.build(machine, word)
    streamed = stream_tm(construction, word, steps)
    assert streamed["answer"] == run(machine, word, max_steps=steps)
    (dense,) = generate(construction, [word], backend="torch", dtype="float64",
                        max_steps=steps, lookups="dense", reference=False)
    assert streamed["answer"] == dense.answer
    assert not streamed["flagged"]


def test_streamed_bb2_4_prefix_equals_the_interpreter():
    construction = tm.build(BB2_4)
    streamed = stream_tm(construction, "", 3000)
    assert streamed["answer"] == run(parse_machine(BB2_4), max_steps=3000)
    assert streamed["positions"] == 3002  # one more position: is the next step defined?
    assert streamed["scans"] == 0  # the index certified every query, never-written cells too


@settings(max_examples=8, deadline=None)
@given(machines_and_words(max_length=4), st.integers(0, 60))
def test_decoder_without_trace_verified_equals_the_interpreter(pair, steps):
    machine, word = pair
    construction = tm.build(machine, word)
    (full,) = generate(construction, [word], backend="exact", max_steps=steps,
                       reference=False)
    assert list(full.trace) == trace(machine, word, max_steps=steps)
    lean = TMDecoder(construction, word, steps, keep_trace=False, verify=True)
    layout, blank = construction.layout, machine.blank
    states, symbols = list(layout.states), list(layout.symbols)
    cells = dict(enumerate(word))
    lean.feed(0, (states.index(machine.start), symbols.index(cells.get(0, blank)), 0, 0.0, 0,
                  False))
    for step in full.trace:  # the fields that decode to this step
        cells[step.head] = step.write
        lean.feed(step.step, (states.index(step.next_state),
                              symbols.index(cells.get(step.head_after, blank)),
                              symbols.index(step.write), 1.0 if step.move == "R" else -1.0,
                              step.head_after, False))
    if full.answer.undefined:
        lean.feed(len(full.trace) + 1, (0, 0, 0, 0.0, 0, True))
    assert lean.trace() == ()
    assert lean.answer() == run(machine, word, max_steps=steps) == full.answer


def test_verified_decoder_names_a_step_that_breaks_the_rule():
    construction = tm.build(BB2_4)
    decoder = TMDecoder(construction, "", 10, keep_trace=False, verify=True)
    layout = construction.layout
    decoder.feed(0, (0, 0, 0, 0.0, 0, False))  # A reading 0 at cell 0
    # BB(2,4) in A on 0 writes 1, moves right and enters B; decode a write of 2 instead
    wrong = (layout.states.index("B"), 0, layout.symbols.index("2"), 1.0, 1, False)
    with pytest.raises(TMDecodeError, match="step 1"):
        decoder.feed(1, wrong)


def test_row_fields_equal_the_numpy_fields_on_random_read_outs():
    construction = tm.build(BB2_4)
    layout, outputs = construction.layout, construction.transformer.readout.outputs
    rng = np.random.default_rng(5)
    values = rng.normal(size=(20, len(outputs)))
    values[:, outputs.index(layout.head)] = rng.integers(-50, 50, size=20) / 8
    batch = fields(layout, outputs, values, 7, "float")  # over 8 rows: numpy
    assert batch == [row_fields(layout, outputs, row, 7) for row in values.tolist()]


def _weights(rng, rows: int, cols: int, density: float) -> torch.Tensor:
    """Random weights, some exactly 1 or -1 (written as exact terms), the rest 0."""
    values = rng.choice([1.0, -1.0, 0.5, -2.25, rng.normal()], size=(rows, cols))
    return torch.from_numpy(values * (rng.random((rows, cols)) < density))


def _compiled_step(blocks, readout, width: int):
    source = step_source(blocks, readout, width, [], {}, {})
    calls = []
    step = _compile("step", source, {"_isfinite": math.isfinite})
    return lambda x: step(x, [], 0, [], [], calls.append), calls


def test_compiled_step_equals_numpy_and_names_the_first_non_finite_block():
    """Two MLPs and a read-out through the generated source (over `CHUNK` terms a sum)
    against numpy's products; a non-finite entry is reported for the embedding (block 0)
    or the first block that writes one."""
    rng = np.random.default_rng(2)
    width, hidden = 70, 40
    w_in, w_out = _weights(rng, width, hidden, 0.9), _weights(rng, hidden, width, 0.3)
    b_in, b_out = (torch.from_numpy(rng.normal(size=k) * (rng.random(k) < 0.5))
                   for k in (hidden, width))
    readout, r_bias = _weights(rng, width, 5, 0.5), torch.from_numpy(rng.normal(size=5))
    mlp = ("mlp", _Affine(w_in, b_in), _Affine(w_out, b_out))
    step, calls = _compiled_step([mlp, mlp], _Affine(readout, r_bias), width)
    x = rng.normal(size=width)
    want = x
    for _ in range(2):
        want = want + np.maximum(want @ w_in.numpy() + b_in.numpy(), 0) @ w_out.numpy() \
            + b_out.numpy()
    assert np.allclose(step(x.tolist()), want @ readout.numpy() + r_bias.numpy(),
                       rtol=1e-12, atol=1e-12)
    assert calls == []
    x[3] = math.inf
    step(x.tolist())
    assert calls[0] == 0  # the embedded stream: reported as the first block's
    calls.clear()
    late = b_out.clone()
    late[int(np.flatnonzero(_Affine(w_out, b_out).touched)[0])] = math.inf
    blocks = [mlp, ("mlp", _Affine(w_in, b_in), _Affine(w_out, late))]
    step, calls = _compiled_step(blocks, _Affine(readout, r_bias), width)
    step(rng.normal(size=width).tolist())
    assert calls[0] == 1
    nan = b_in.clone()
    nan[0] = math.nan  # relu(NaN) is NaN, as in torch, and reaches the stream
    step, calls = _compiled_step([("mlp", _Affine(w_in, nan), _Affine(w_out, b_out))],
                                 _Affine(readout, r_bias), width)
    assert w_out[0].abs().sum() > 0  # hidden unit 0 writes to the stream
    step(rng.normal(size=width).tolist())
    assert calls == [0]


def test_torch_group_totals_follow_changes_and_equal_a_fresh_mean():
    ops = TorchOps.__new__(TorchOps)  # the totals need no module
    rng = random.Random(3)
    values = [np.array([rng.choice((-1.0, 0.0, 1.0, 0.5)) for _ in range(6)])
              for _ in range(40)]
    total = ops.total(values)
    for _ in range(200):
        j = rng.randrange(len(values))
        new = np.array([rng.choice((-1.0, 0.0, 1.0, 0.25)) for _ in range(6)])
        total = ops.adjust(total, values[j], new)
        values[j] = new
        assert np.array_equal(ops.divide(total, len(values)), ops.mean(values))
    assert ops.total([np.array([0.1, 1.0]), np.array([0.2, 0.0])]) is None  # off the grid
    assert ops.adjust(total, values[0], np.full(6, 1 / 3)) is None


def test_exact_group_totals_follow_changes():
    ops = ExactOps.__new__(ExactOps)
    rng = random.Random(4)
    values = [[Fraction(rng.randint(-5, 5), rng.randint(1, 4)) for _ in range(3)]
              for _ in range(12)]
    total = ops.total(values)
    for _ in range(50):
        j = rng.randrange(len(values))
        new = [Fraction(rng.randint(-5, 5), rng.randint(1, 7)) for _ in range(3)]
        total = ops.adjust(total, values[j], new)
        values[j] = new
        assert ops.divide(total, len(values)) == ops.mean(values)


def test_float_step_keeps_one_running_sum_per_column_of_a_uniform_head():
    """A decoder whose uniform causal head writes two columns (each its own running
    mean) and whose MLP mixes them: the Python-float step (lookups='index') against the
    torch step (lookups='dense'), read-out for read-out over 40 positions."""
    stream = ("x", "y", "mx", "my", "h_out")
    head = Head(label="avg", query=matrix({}, rows=(), cols=stream),
                key=matrix({}, rows=(), cols=stream),
                value=matrix({("mx", "x"): 1, ("my", "y"): 1}), kind=AverageHard(),
                mask="causal")
    model = Transformer(
        label="means", stream=stream, inputs=VectorInput(label="in", dims=("x", "y")),
        blocks=(Attention(label="mean", heads=(head,)),
                MLP(label="mix", hidden=("u",), w_in=matrix({("u", "mx"): 2, ("u", "my"): -1}),
                    w_out=matrix({("h_out", "u"): 1}))),
        readout=Readout(label="out", matrix=matrix({(d, d): 1 for d in stream}),
                        position="last"),
        feedback="vector")
    rng = random.Random(4)
    inputs = [[rng.uniform(-3, 3), rng.uniform(-3, 3)] for _ in range(40)]
    reads = []
    for lookups in ("dense", "index"):
        runner = make("torch", model, dtype="float64", lookups=lookups)
        generator = runner.generator(n=40, batch=1)
        assert (generator.generator.fast is not None) == (lookups == "index")
        reads.append([runner.host(generator.push(runner.inputs([v]))).tolist()
                      for v in inputs])
    assert reads[0] == reads[1]
    mx = [sum(v[0] for v in inputs[:t + 1]) / (t + 1) for t in range(40)]
    assert np.allclose([r[0][2] for r in reads[1]], mx)  # the running mean of x, not of y
