"""Running a library-built model on the exact and the torch (float64) backends.

`run(transformer, sequences)` runs a batch of same-length sequences (tokens,
or vectors over the input dims) through `compilers.backends.make("exact")`
and `make("torch", dtype="float64")` and returns each backend's read-out:
``{output: [[value at each position] for each sequence]}`` for a read-out at
``"all"`` positions, ``{output: [value for each sequence]}`` otherwise.
`agree` compares them with what an independent reference says: the exact
backend equal to it (``exact=True``, for blocks whose every weight and value
is rational), within ``exact_within`` of it (square roots, which the exact
backend takes at 256 bits; the reference may then be an mpmath number at a
higher precision) or within ``tolerance`` like the float run, and the torch
backend within float64 rounding of it.
"""

from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np

from compilers.backends import make

FLOAT64 = 1e-12  # relative error allowed to a float64 run of a block of a few operations


def run(transformer, sequences, *, n: int | None = None) -> tuple[dict, dict]:
    """The exact and the float64 read-outs of `sequences` (see the module docstring)."""
    sequences = [list(s) for s in sequences]
    length = n if n is not None else len(sequences[0])
    out = []
    for backend in (make("exact", transformer), make("torch", transformer, dtype="float64")):
        result = backend.forward(sequences, n=length)
        assert not np.asarray(result.suspect).any(), result.why
        out.append({name: np.asarray(values).tolist() for name, values in
                    result.outputs.items()})
    return out[0], out[1]


def agree(got_exact: dict, got_float: dict, want: dict, *, exact: bool = True,
          tolerance: float = FLOAT64, exact_within: Fraction | None = None) -> None:
    """Assert both backends' read-outs match `want` (same shapes; see the module docstring)."""
    for name, wanted in want.items():
        for label, got, strict in (("exact", got_exact[name], exact),
                                   ("torch", got_float[name], False)):
            flat_got, flat_want = _flat(got), _flat(wanted)
            assert len(flat_got) == len(flat_want), (label, name)
            for k, (g, w) in enumerate(zip(flat_got, flat_want, strict=True)):
                if label == "exact" and exact_within is not None:
                    with mpmath.workprec(400):
                        assert abs(_mp(g) - _mp(w)) <= _mp(exact_within), \
                            f"{label} {name}[{k}]: {g} != {w}"
                elif strict:
                    assert g == w, f"{label} {name}[{k}]: {g} != {w}"
                else:
                    assert abs(float(g) - float(w)) <= tolerance * (1 + abs(float(w))), \
                        f"{label} {name}[{k}]: {float(g)} != {float(w)}"


def _mp(value):
    """An int, a Fraction or an mpmath number as an mpmath number at the working precision."""
    if isinstance(value, Fraction):
        return mpmath.mpf(value.numerator) / value.denominator
    return mpmath.mpf(value)


def _flat(values) -> list:
    if isinstance(values, list | tuple):
        return [v for item in values for v in _flat(item)]
    return [values]


def fractions(values) -> list[Fraction]:
    return [Fraction(v) for v in values]
