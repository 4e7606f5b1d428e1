"""`Gates.apply` on a sum of nested step gates: one step gate per value the sum can take.

A sum of thermometer forms of different bases (two rounded means added by a
later MLP) is no thermometer form itself; its function is tabulated at the values
the sum can take (`Gates._attainable`), not over its whole integer range. Oracle:
the function evaluated in Python integers on every assignment of the input bits
(brute force), beside the circuit's value.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from circuitx.evaluate import evaluate
from compilers.backends.circuit.fixed import Form
from compilers.backends.circuit.gates import Gates

INPUTS = 6


def _thermometer(gates: Gates, wires: list[int], weights: list[int], steps: list[int]) -> Form:
    """``sum_s [S >= s]`` over the step gates of the base ``S = sum w_k x_k / gcd(w)``."""
    base, _ = gates.base_of(dict(zip(wires, weights, strict=True)))
    terms = {}
    for s in steps:
        wire = gates.base_step(base, s)
        if wire > 1:
            terms[wire] = terms.get(wire, 0) + 1
    return Form(terms, 0, 1)


@settings(max_examples=25, deadline=None)
@given(w1=st.lists(st.integers(1, 3), min_size=3, max_size=3),
       w2=st.lists(st.integers(1, 3), min_size=3, max_size=3),
       scale=st.sampled_from([1, 2**8, 2**16]), free=st.integers(-5, 5),
       cut=st.integers(-40, 40))
def test_a_function_of_two_thermometers_is_exact_and_needs_few_gates(w1, w2, scale, free, cut):
    gates = Gates()
    x = [gates.builder.input(f"x{k}") for k in range(INPUTS)]
    first = _thermometer(gates, x[:3], w1, [1, 2, 4])
    second = _thermometer(gates, x[3:], w2, [2, 3])
    # scale spreads the sum over a range of about scale * 10 values; it takes at most 40
    terms = {w: scale * c for w, c in first.terms.items()}
    for w, c in second.terms.items():
        terms[w] = terms.get(w, 0) + c
    terms[x[0]] = terms.get(x[0], 0) + free
    form = Form({w: c for w, c in terms.items() if c}, 0, 1)
    before = gates.builder.n_gates
    out = gates.apply(form, lambda v: max(v - cut * scale, 0), 1)
    assert gates.builder.n_gates - before <= 4 * 3 * 2  # values taken, never the range
    circuit = gates.builder.build({f"w{w}": w for w in out.terms} or {"x": x[0]},
                                  prune=False)
    for bits in itertools.product([0, 1], repeat=INPUTS):
        row = np.array([[bits[int(name[1:])] for name in circuit.input_names]], dtype=bool)
        got = dict(zip(circuit.output_names, evaluate(circuit, row)[0].tolist(), strict=True))
        s1 = sum(w for w, b in zip(w1, bits[:3], strict=True) if b) // math.gcd(*w1)
        s2 = sum(w for w, b in zip(w2, bits[3:], strict=True) if b) // math.gcd(*w2)
        value = (scale * ((s1 >= 1) + (s1 >= 2) + (s1 >= 4))
                 + (s2 >= 2) + (s2 >= 3) + free * bits[0])
        expected = max(value - cut * scale, 0)
        assert out.evaluate({w: int(got[f"w{w}"]) for w in out.terms}) == expected
