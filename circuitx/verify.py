"""Verification: are two circuits equivalent, does a circuit compute a function?

`equivalent(a, b)` matches inputs and outputs by name. Up to `max_exhaustive`
inputs (default 20) it evaluates both circuits on all ``2**n`` inputs,
vectorised in batches; beyond that it asks a SAT solver (the optional extra
``verify``: ``pip install python-sat``) about a *miter*: both circuits over
shared input variables, and the clause "some output differs".

Each threshold gate ``y = [sum_i a_i l_i >= t]`` (weights made positive by
``w x = |w| (1 - x) - |w|`` for ``w < 0``, literals sorted by decreasing weight)
is encoded by its reduced ordered decision diagram, built with interval
memoisation (Abío, Nieuwenhuis, Oliveras & Rodríguez-Carbonell, "A new look
at BDDs for pseudo-Boolean constraints", JAIR 2012): node
``F_i(k) = [sum_{j>=i} a_j l_j >= k]`` is ``(l_i AND F_{i+1}(k - a_i)) OR
F_{i+1}(k)``, and one node serves every k between the two attainable suffix
sums around it. Each node gets a variable and the four clauses of that
equivalence. Cardinality gates give ``O(n t)`` nodes, comparators with
weights ``2**i`` ``O(n)``; a gate whose diagram passes `max_nodes` is refused
with an error naming it (the diagram of a general weighted gate can be
exponential).

The result is a `Verdict`: true when equal, else it carries an input (a dict
name -> bool) on which the circuits really differ, checked by evaluating both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from circuitx.circuit import Circuit
from circuitx.errors import CircuitError, MissingDependencyError, NamingError
from circuitx.evaluate import evaluate
from circuitx.sat import find_difference

BATCH = 1 << 15


@dataclass(frozen=True, kw_only=True)
class Verdict:
    """The answer of a check.

    Attributes:
        equal: whether the two sides agree on every input.
        counterexample: an input (name -> bit) where they differ, or None.
        outputs: the names of the outputs that differ on the counterexample.
        method: "exhaustive" or "sat".
    """

    equal: bool
    counterexample: dict[str, bool] | None = None
    outputs: tuple[str, ...] = ()
    method: str = "exhaustive"

    def __bool__(self) -> bool:
        return self.equal


def _all_inputs(n: int, start: int, stop: int) -> np.ndarray:
    """Rows start..stop-1 of the truth table: bit i of the row number is input i."""
    rows = np.arange(start, stop, dtype=np.int64)[:, None]
    return ((rows >> np.arange(n, dtype=np.int64)) & 1).astype(bool)


def equivalent(a: Circuit, b: Circuit, *, max_exhaustive: int = 20, method: str = "auto",
               backend: str = "numpy", max_nodes: int = 200_000) -> Verdict:
    """Whether `a` and `b` compute the same outputs on every input.

    Args:
        a, b: circuits with the same input names and the same output names.
        max_exhaustive: the most inputs for which "auto" enumerates.
        method: "auto", "exhaustive" or "sat".
        backend: evaluator for the exhaustive check ("numpy" or "torch").
        max_nodes: the largest decision diagram the SAT encoding builds for one gate.

    Raises:
        NamingError: the input or output names differ.
        MissingDependencyError: SAT is needed and python-sat is not installed.
    """
    if set(a.input_names) != set(b.input_names) or len(a.input_names) != len(b.input_names):
        only_a = sorted(set(a.input_names) - set(b.input_names))
        only_b = sorted(set(b.input_names) - set(a.input_names))
        raise NamingError(f"inputs differ: only in the first {only_a}, only in the second "
                          f"{only_b}")
    if set(a.output_names) != set(b.output_names):
        raise NamingError(f"outputs differ: only in the first "
                          f"{sorted(set(a.output_names) - set(b.output_names))}, only in the "
                          f"second {sorted(set(b.output_names) - set(a.output_names))}")
    if method not in ("auto", "exhaustive", "sat"):
        raise CircuitError(f"unknown method {method!r}; choose auto, exhaustive or sat")
    n = a.n_inputs
    if method == "exhaustive" or (method == "auto" and n <= max_exhaustive):
        return _exhaustive(a, b, backend)
    require_sat()
    model = find_difference(a, b, max_nodes=max_nodes)
    if model is None:
        return Verdict(equal=True, method="sat")
    return _confirmed(a, b, model, "sat")


def _reorder(a: Circuit, b: Circuit) -> tuple[np.ndarray, np.ndarray]:
    """Column order turning a's inputs into b's, and b's output order into a's."""
    in_pos = {name: i for i, name in enumerate(a.input_names)}
    out_pos = {name: i for i, name in enumerate(b.output_names)}
    return (np.array([in_pos[name] for name in b.input_names], dtype=np.int64),
            np.array([out_pos[name] for name in a.output_names], dtype=np.int64))


def _exhaustive(a: Circuit, b: Circuit, backend: str) -> Verdict:
    columns, outputs = _reorder(a, b)
    total = 1 << a.n_inputs
    for start in range(0, total, BATCH):
        bits = _all_inputs(a.n_inputs, start, min(total, start + BATCH))
        ya = evaluate(a, bits, backend=backend)
        yb = evaluate(b, bits[:, columns], backend=backend)[:, outputs]
        differ = np.flatnonzero((ya != yb).any(axis=1))
        if differ.size:
            row = bits[differ[0]]
            return _confirmed(a, b, dict(zip(a.input_names, row.tolist(), strict=True)),
                              "exhaustive")
    return Verdict(equal=True, method="exhaustive")


def _confirmed(a: Circuit, b: Circuit, inputs: dict[str, bool], method: str) -> Verdict:
    """A verdict of difference, after checking the input really separates a and b."""
    ya = dict(zip(a.output_names, evaluate(a, inputs).tolist(), strict=True))
    yb = dict(zip(b.output_names, evaluate(b, inputs).tolist(), strict=True))
    differ = tuple(name for name in a.output_names if ya[name] != yb[name])
    if not differ:
        raise AssertionError(f"internal error: the {method} check returned an input on "
                             f"which the circuits agree: {inputs}")
    return Verdict(equal=False, counterexample={k: bool(v) for k, v in inputs.items()},
                   outputs=differ, method=method)


def computes(circuit: Circuit, fn: Callable, *, max_inputs: int = 20,
             vectorized: bool = False) -> Verdict:
    """Whether `circuit` computes `fn` on every input.

    Args:
        circuit: the circuit, with at most `max_inputs` inputs.
        fn: the reference. Called with one row of input bits (a bool array in
            input order) it returns a bit or a sequence of output bits; with
            ``vectorized=True`` it takes a (batch, n_inputs) array and returns
            (batch, n_outputs) or (batch,).
    """
    n = circuit.n_inputs
    if n > max_inputs:
        raise CircuitError(f"computes: the circuit has {n} inputs, more than max_inputs="
                           f"{max_inputs} ({2**n} rows); use equivalent() with a reference "
                           f"circuit instead")
    total = 1 << n
    for start in range(0, total, BATCH):
        bits = _all_inputs(n, start, min(total, start + BATCH))
        got = evaluate(circuit, bits)
        if vectorized:
            want = np.asarray(fn(bits), dtype=bool).reshape(got.shape)
        else:
            want = np.array([np.atleast_1d(np.asarray(fn(row), dtype=bool)) for row in bits],
                            dtype=bool).reshape(got.shape)
        differ = np.flatnonzero((got != want).any(axis=1))
        if differ.size:
            i = differ[0]
            names = tuple(circuit.output_names[j] for j in np.flatnonzero(got[i] != want[i]))
            return Verdict(equal=False,
                           counterexample=dict(zip(circuit.input_names, bits[i].tolist(),
                                                   strict=True)),
                           outputs=names)
    return Verdict(equal=True)


def sat_available() -> bool:
    """Whether python-sat is installed."""
    try:
        import pysat.solvers  # noqa: F401
    except ImportError:
        return False
    return True


def require_sat() -> None:
    """Raise a clear error when python-sat is missing."""
    if not sat_available():
        raise MissingDependencyError("equivalence beyond the exhaustive limit needs a SAT "
                                     "solver: pip install 'circuitx[verify]' (python-sat)")

