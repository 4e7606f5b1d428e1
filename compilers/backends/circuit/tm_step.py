"""Pérez et al.'s Turing-machine transformer at decoding step t, as a threshold circuit.

`compile_tm_step(machine, n, t)` builds the construction
(`compilers.constructions.tm`) and compiles its decoding step t with
`lower_step.step_circuit`: the circuit reads the encoder word (``e{p}_{a}``,
one-hot over the machine's symbols, n of them) and the fed-back decoder inputs
at positions 1..t, each a choice of state ``q``, symbol ``s`` and previous
move ``m`` (``d{p}_q_{state}``, ``d{p}_s_{symbol}``, ``d{p}_m_{N|L|R}``); position
0 is the constant start vector. Its outputs are the read-out at position t as
bits (``st_{q}>0``: the next state, ``sy_{σ}>0``: the symbol under the head
next, ``mv_in>0``/``mv_in<0``: the move, and the observations).

`run_inputs(construction, t)` is the real run's decoder inputs (the exact
backend's generator fed its own read-outs) and `decode` reads a state, a
symbol and a move back from the output bits. `measure_steps` is
`scaling.measure` over t: Merrill & Sabharwal (2023) bound one decoding
step by a constant-depth, polynomial-size circuit, so the depth stays flat as
t grows and the size grows polynomially in t (the heads compare t positions
pairwise: about t^2).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from compilers.backends.circuit.fixed import PrecisionError
from compilers.backends.circuit.lower_step import StepModel, step_circuit
from compilers.backends.circuit.scaling import Point

MOVES = {0: "N", -1: "L", 1: "R"}


def groups(layout) -> dict:
    """The decoder input's one-hot groups: state, symbol, previous move (see `step_circuit`)."""
    return {"q": {q: {d: 1} for q, d in zip(layout.states, layout.state_dims, strict=True)},
            "s": {s: {d: 1} for s, d in zip(layout.symbols, layout.symbol_dims, strict=True)},
            "m": {"N": {}, "L": {layout.move: -1}, "R": {layout.move: 1}}}


def compile_tm_step(machine, n: int, t: int, *, precision="auto"):
    """``(construction, StepModel)``: step t of `machine`'s transformer for words of length n."""
    from compilers.constructions import tm

    for what, value in (("n", n), ("t", t)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise PrecisionError(f"{what} must be an integer >= 0, got {value!r}")
    construction = tm.build(machine, "")
    layout = construction.layout
    model = step_circuit(construction.transformer, n=n, t=t, encoder_alphabet=layout.symbols,
                         groups=groups(layout), encoder_bos=(tm.START,), precision=precision,
                         start=dict(zip(layout.input_dims, layout.start_vector(), strict=True)))
    return construction, model


def run_inputs(construction, t: int) -> tuple[list[dict], dict]:
    """The real run's decoder inputs at positions 1..t and the exact read-out at position t.

    The exact backend's generator is fed the start vector and then its own
    fed-back read-outs; each input is returned as ``{"q": state, "s": symbol,
    "m": move}``.
    """
    from compilers.backends.exact import ExactModel

    layout = construction.layout
    generator = ExactModel(construction.transformer).generator(construction.encoder_tokens())
    outputs = generator.push(layout.start_vector())
    history = []
    for _ in range(t):
        vector = generator.next_input(outputs)
        values = dict(zip(layout.input_dims, vector, strict=True))
        history.append({
            "q": next(q for q, d in zip(layout.states, layout.state_dims, strict=True)
                      if values[d] == 1),
            "s": next(s for s, d in zip(layout.symbols, layout.symbol_dims, strict=True)
                      if values[d] == 1),
            "m": MOVES[int(values[layout.move])]})
        outputs = generator.push(vector)
    return history, outputs


def decode(layout, bits: dict) -> dict:
    """The next state, the symbol under the head and the move, from a step's output bits."""
    def one(options, dims):
        chosen = [o for o, d in zip(options, dims, strict=True) if bits[f"{d}>0"]]
        return chosen[0] if len(chosen) == 1 else None

    move = ("R" if bits[f"{layout.move}>0"] else
            "L" if bits.get(f"{layout.move}<0", False) else "N")
    return {"state": one(layout.states, layout.state_dims),
            "symbol": one(layout.symbols, layout.symbol_dims), "move": move}


def measure_steps(machine, steps: Sequence[int], *, n: int = 0,
                  precision="auto") -> list[Point]:
    """One `Point` per decoding step t (its ``n`` field holds t; the word length is `n`)."""
    points = []
    for t in steps:
        if isinstance(t, bool) or not isinstance(t, int) or t < 1:
            raise PrecisionError(f"step {t!r}: scaling needs decoding steps t >= 1")
        start = time.perf_counter()
        _, model = compile_tm_step(machine, n, t, precision=precision)
        points.append(Point.of(t, model, time.perf_counter() - start))
    return points


__all__ = ["StepModel", "compile_tm_step", "decode", "groups", "measure_steps", "run_inputs"]
