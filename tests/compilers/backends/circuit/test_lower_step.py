"""One decoding step of Pérez et al.'s Turing-machine transformer, as a circuit.

Oracle: the exact backend's cached generator fed the same decoder inputs
(reachable histories and arbitrary one-hot ones), and the reference machine
for the decoded next state.
"""

from __future__ import annotations

import itertools
from functools import cache

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compilers.backends.circuit import PrecisionError, UnsupportedError
from compilers.backends.circuit.lower_step import step_circuit
from compilers.backends.exact import ExactModel
from compilers.constructions import parity, tm
from compilers.runs.circuits import _history
from compilers.runs.scaling import Point, fit_exponent
from languages.turing import trace

MACHINE = "1RB1LB_1LA1RZ"  # the 2-state busy beaver


def _groups(layout):
    return {"q": {q: {d: 1} for q, d in zip(layout.states, layout.state_dims, strict=True)},
            "s": {s: {d: 1} for s, d in zip(layout.symbols, layout.symbol_dims, strict=True)},
            "m": {"N": {}, "L": {layout.move: -1}, "R": {layout.move: 1}}}


@cache
def _step(n: int, t: int):
    construction = tm.build(MACHINE)
    layout = construction.layout
    return step_circuit(construction.transformer, n=n, t=t, encoder_alphabet=layout.symbols,
                        groups=_groups(layout), encoder_bos=(tm.START,),
                        start=dict(zip(layout.input_dims, layout.start_vector(), strict=True)))


def _vector(layout, chosen: dict) -> list:
    groups = _groups(layout)
    values = {d: 0 for d in layout.input_dims}
    for group, choice in chosen.items():
        values.update(groups[group][choice])
    return [values[d] for d in layout.input_dims]


def _expected(construction, word: str, history: list[dict]) -> dict:
    """The exact read-out at position len(history), as the step circuit's output bits."""
    layout = construction.layout
    generator = ExactModel(construction.transformer).generator(construction.encoder_tokens(word))
    outputs = generator.push(layout.start_vector())
    for chosen in history:
        outputs = generator.push(_vector(layout, chosen))
    return outputs


def _agree(word: str, history: list[dict]) -> None:
    construction = tm.build(MACHINE)
    model = _step(len(word), len(history))
    got = model.outputs(word, history)
    for name, value in _expected(construction, word, history).items():
        assert got[f"{name}>0"] == (value > 0), name
        if f"{name}<0" in got:
            assert got[f"{name}<0"] == (value < 0), name


def _reachable(word: str, steps: int) -> list[dict]:
    """The decoder inputs of the real run: (state, symbol, move) fed back at each position."""
    return _history(tm.build(MACHINE), word, steps)[0]


@pytest.mark.parametrize("word", ["", "1", "10", "0110"])
def test_step_circuit_follows_the_real_run(word):
    history = _reachable(word, 6)
    machine_states = [s.next_state for s in trace(tm.build(MACHINE).machine, word,
                                                  max_steps=6)]
    for t in range(7):
        _agree(word, history[:t])
        if 1 <= t <= len(machine_states):
            got = _step(len(word), t).outputs(word, history[:t])
            assert got[f"st_{machine_states[t - 1]}>0"]


@settings(max_examples=25)
@given(data=st.data())
def test_step_circuit_equals_exact_on_arbitrary_histories(data):
    word = data.draw(st.text(alphabet="01", max_size=4), label="word")
    t = data.draw(st.integers(0, 4), label="t")
    choice = st.fixed_dictionaries({"q": st.sampled_from("ABZ"), "s": st.sampled_from("01"),
                                    "m": st.sampled_from("NLR")})
    history = data.draw(st.lists(choice, min_size=t, max_size=t), label="history")
    _agree(word, history)


def test_step_circuit_has_constant_depth_and_polynomial_size():
    points = []
    for t in (2, 4, 8, 16):
        stats = {n: _step(n, t).circuit.stats() for n in (2, 8)}
        assert {s.depth for s in stats.values()} == {8}
        points.append(Point(n=t, depth=8, size=stats[8].size, wires=0, max_fan_in=0,
                            max_weight_bits=0, precision="", seconds=0))
    sizes = [p.size for p in points]
    assert all(2 <= b / a <= 4 for a, b in itertools.pairwise(sizes))  # at most quadratic
    fitted = np.polyfit(np.log([2, 4, 8, 16]), np.log(sizes), 1)[0]
    assert fit_exponent(points) == pytest.approx(fitted)


def test_step_circuit_refuses_what_it_cannot_compile():
    with pytest.raises(UnsupportedError, match="step_circuit compiles a decoder with vector "
                                               "inputs and an encoder"):
        step_circuit(parity.build().transformer, n=2, t=1, encoder_alphabet="01", groups={},
                     start={})
    construction = tm.build(MACHINE)
    with pytest.raises(PrecisionError, match="t must be an integer >= 0, got -1"):
        step_circuit(construction.transformer, n=2, t=-1, encoder_alphabet="01",
                     groups={}, start={})
    with pytest.raises(UnsupportedError, match="group 'x' choice 'y' sets \\['nope'\\]"):
        step_circuit(construction.transformer, n=2, t=1, encoder_alphabet="01",
                     groups={"x": {"y": {"nope": 1}}}, start={})
