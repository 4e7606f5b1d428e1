"""Verification: are two circuits equivalent, does a circuit compute a function?

`equivalent(a, b)` matches inputs and outputs by name and decides by one of three
methods:

* ``"exhaustive"``: both circuits on all ``2**n`` inputs, vectorised in batches.
* ``"sat"`` (the optional extra ``verify``: python-sat): a SAT solver on a *miter*,
  both circuits over shared input variables and the clause "some output differs"
  (`circuitx.sat`).
* ``"bdd"`` (the optional extra ``bdd``: dd, with CUDD where its wheel ships it):
  both circuits as reduced ordered BDDs in one manager, compared node for node
  (`circuitx.bdd`; the variable order interleaves operands' bits).

Both SAT and BDD turn each threshold gate into its decision diagram
(`circuitx.threshold_diagram`, Abío et al., JAIR 2012); a gate whose diagram passes
`max_nodes` is refused with an error naming it.

``method="auto"`` (`choose_method`) enumerates when that is cheap: at most
`max_exhaustive` inputs (default 20) and ``2**n * (wires of a + wires of b)`` at
most `EXHAUSTIVE_WORK`. Otherwise, with dd installed, it tries the BDD within a
budget of `AUTO_BDD_NODES` nodes (about 170 MiB with CUDD, seconds of work to
exhaust); where the diagrams pass it, it gives up on them and enumerates (up to
`max_exhaustive` inputs) or asks the SAT solver (beyond). Without dd: enumeration
up to `max_exhaustive` inputs, SAT beyond. The budget is the size heuristic: a
BDD's size is hard to predict from the circuit (it depends on the variable order
and on the function: linear for adders with interleaved operands and for symmetric
functions such as parity, exponential for a multiplier's middle bits and for an
adder whose operands are not interleaved), so the BDD is tried and measured rather
than guessed. ``benchmarks/verify_methods.py`` times both against textbook
circuits: the BDD decides parity(128), the addition of two 128-bit numbers and the
multiplication of two 8-bit numbers in about two seconds each, none of which SAT
decides in a minute; SAT wins where no order gives small diagrams (an adder whose
operands' bits are not interleaved, from 16 bits on).

The result is a `Verdict`: true when equal, else it carries an input (a dict
name -> bool) on which the circuits really differ, checked by evaluating both.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from circuitx import bdd, sat
from circuitx.circuit import Circuit
from circuitx.errors import CircuitError, MissingDependencyError, NamingError
from circuitx.evaluate import evaluate

BATCH = 1 << 15


@dataclass(frozen=True, kw_only=True)
class Verdict:
    """The answer of a check.

    Attributes:
        equal: whether the two sides agree on every input.
        counterexample: an input (name -> bit) where they differ, or None.
        outputs: the names of the outputs that differ on the counterexample.
        method: "exhaustive", "sat" or "bdd".
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


METHODS = ("auto", "exhaustive", "sat", "bdd")
AUTO_BDD_NODES = 2_000_000
"""The BDD nodes after which ``method="auto"`` gives up on the BDD (and enumerates or
asks SAT)."""
BDD_NODES = 20_000_000
"""The BDD nodes after which ``method="bdd"`` raises `circuitx.bdd.TooManyNodes`."""
EXHAUSTIVE_WORK = 1 << 25
"""The most ``2**n * (wires of a + wires of b)`` that ``method="auto"`` enumerates
without trying a BDD first (about a third of a second at the numpy evaluator's 100
million wire-rows a second)."""


def choose_method(a: Circuit, b: Circuit, *, max_exhaustive: int = 20) -> str:
    """The method ``equivalent(a, b, method="auto")`` starts with.

    "exhaustive" when ``2**n * wires`` is at most `EXHAUSTIVE_WORK`, or when dd is
    not installed and n is at most `max_exhaustive`; else "bdd" when dd is installed;
    else "sat". (`equivalent` turns a BDD that passes `AUTO_BDD_NODES` into
    "exhaustive" up to `max_exhaustive` inputs, "sat" beyond.)
    """
    n = a.n_inputs
    if n <= max_exhaustive and (len(a.fanin_wires) + len(b.fanin_wires)) << n <= EXHAUSTIVE_WORK:
        return "exhaustive"
    if bdd_available():
        return "bdd"
    return "exhaustive" if n <= max_exhaustive else "sat"


def equivalent(a: Circuit, b: Circuit, *, max_exhaustive: int = 20, method: str = "auto",
               backend: str = "numpy", max_nodes: int = 200_000,
               order: Sequence[str] | None = None,
               bdd_max_nodes: int | None = None) -> Verdict:
    """Whether `a` and `b` compute the same outputs on every input.

    Args:
        a: a circuit.
        b: a circuit with the same input names and the same output names as `a`.
        max_exhaustive: the most inputs for which "auto" enumerates.
        method: "auto" (`choose_method`, with the fallback of the module docstring),
            "exhaustive", "sat" or "bdd".
        backend: evaluator for the exhaustive check ("numpy" or "torch").
        max_nodes: the largest decision diagram SAT or BDD builds for one gate.
        order: the BDD variable order (every input name once); default
            `circuitx.bdd.variable_order`.
        bdd_max_nodes: about the most BDD nodes (see `circuitx.bdd.find_difference`);
            default `AUTO_BDD_NODES` for "auto" (past it SAT decides) and `BDD_NODES`
            for "bdd" (past it `circuitx.bdd.TooManyNodes`).

    Raises:
        NamingError: the input or output names differ, or `order` does not name them.
        MissingDependencyError: the method's package (python-sat, dd) is not installed.
        CircuitError: an unknown method; a gate's diagram or the BDD passes its limit.
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
    if method not in METHODS:
        raise CircuitError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    chosen = choose_method(a, b, max_exhaustive=max_exhaustive) if method == "auto" else method
    if chosen == "exhaustive":
        return _exhaustive(a, b, backend)
    if chosen == "bdd":
        require_bdd()
        limit = bdd_max_nodes or (AUTO_BDD_NODES if method == "auto" else BDD_NODES)
        try:
            model = bdd.find_difference(a, b, order=order, max_nodes=limit,
                                        max_gate_nodes=max_nodes)
        except bdd.TooManyNodes:
            if method != "auto":
                raise
            if a.n_inputs <= max_exhaustive:
                return _exhaustive(a, b, backend)
            if not sat_available():
                raise
        else:
            return _verdict(a, b, model, "bdd")
    require_sat()
    return _verdict(a, b, sat.find_difference(a, b, max_nodes=max_nodes), "sat")


def _verdict(a: Circuit, b: Circuit, model: dict[str, bool] | None, method: str) -> Verdict:
    if model is None:
        return Verdict(equal=True, method=method)
    return _confirmed(a, b, model, method)


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


def bdd_available() -> bool:
    """Whether dd (the BDD package) is installed."""
    try:
        bdd.package()
    except ImportError:
        return False
    return True


def require_bdd() -> None:
    """Raise a clear error when dd is missing."""
    if not bdd_available():
        raise MissingDependencyError("method='bdd' needs the BDD package dd: "
                                     "pip install 'circuitx[bdd]'")


def require_sat() -> None:
    """Raise a clear error when python-sat is missing."""
    if not sat_available():
        raise MissingDependencyError("equivalence beyond the exhaustive limit needs a SAT "
                                     "solver: pip install 'circuitx[verify]' (python-sat)")

