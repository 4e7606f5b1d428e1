"""`lower_pieces.lower_mlp_pieces`: the grouped MLP lowering computes the exact MLP.

Oracle: the MLP evaluated in exact rationals on every assignment of the input
bits (brute force), for the grouped lowering and for `lower_units`.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from circuitx.evaluate import evaluate
from compilers.backends.circuit.fixed import Form, combine
from compilers.backends.circuit.lower import Context
from compilers.backends.circuit.lower_pieces import lower_mlp_pieces, lower_units
from compilers.ir import MLP, matrix

DIMS = ("a", "b", "c")
small = st.integers(-4, 4)
rational = st.builds(Fraction, st.integers(-6, 6), st.integers(1, 3))


def _values(ctx, forms: dict, assignment: dict) -> dict:
    """Each form's value when the named inputs take `assignment`'s bits."""
    wires = sorted({w for f in forms.values() for w in f.terms})
    circuit = ctx.gates.builder.build({f"w{w}": w for w in wires}, prune=False)
    bits = np.array([[assignment[name] for name in circuit.input_names]], dtype=bool)
    got = dict(zip(circuit.output_names, evaluate(circuit, bits)[0].tolist(), strict=True))
    return {name: f.evaluate({w: int(got[f"w{w}"]) for w in f.terms}) for name, f in
            forms.items()}


@settings(max_examples=30, deadline=None)
@given(sums=st.lists(st.fixed_dictionaries({d: small for d in DIMS}), min_size=1, max_size=2),
       units=st.lists(st.tuples(st.integers(0, 1), st.sampled_from([1, 2, -1, 4]), small,
                                st.fixed_dictionaries({"y": rational, "z": rational})),
                      min_size=1, max_size=6))
def test_grouped_mlp_lowering_is_the_exact_mlp_on_every_input(sums, units):
    hidden = tuple(f"h{k}" for k in range(len(units)))
    # units read one of one or two sums, scaled (as SUBLEQ's step and identity gadgets do)
    w_in = {(h, d): w * scale for h, (which, scale, _, _) in zip(hidden, units, strict=True)
            for d, w in sums[which % len(sums)].items()}
    b_in = {h: bias for h, (_, _, bias, _) in zip(hidden, units, strict=True)}
    w_out = {(o, h): w for h, (_, _, _, outs) in zip(hidden, units, strict=True)
             for o, w in outs.items()}
    block = MLP(label="m", hidden=hidden, w_in=matrix(w_in, rows=hidden), b_in=b_in,
                w_out=matrix(w_out, rows=("y", "z"), cols=hidden), b_out={"y": Fraction(1, 2)})
    results = []
    for lowering in (lower_mlp_pieces, lower_units):
        ctx = Context(1, "auto")
        wires = {d: ctx.gates.builder.input(d) for d in DIMS}
        x = {d: combine([(2, Form.wire(w))], -1) for d, w in wires.items()}  # ±1 entries
        results.append((ctx, lowering(ctx, block, {0: x}, [0])[0]))
    for bits in itertools.product([0, 1], repeat=len(DIMS)):
        assignment = dict(zip(DIMS, bits, strict=True))
        x = {d: 2 * b - 1 for d, b in assignment.items()}
        act = {h: max(sum(w_in.get((h, d), 0) * x[d] for d in DIMS) + b_in[h], 0)
               for h in hidden}
        want = {o: sum((Fraction(w_out.get((o, h), 0)) * act[h] for h in hidden), Fraction(0))
                for o in ("y", "z")}
        want["y"] += Fraction(1, 2)
        for ctx, out in results:
            got = _values(ctx, {o: out.get(o, Form({}, 0, 1)) for o in ("y", "z")}, assignment)
            assert got == want, (bits, got, want)
