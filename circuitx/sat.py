"""CNF encoding of threshold circuits and the SAT miter behind `verify.equivalent`.

See `circuitx.verify` for the decision-diagram encoding of a gate. Needs the
optional dependency python-sat (``pip install 'circuitx[verify]'``), imported
when `find_difference` runs; `verify.equivalent` calls `verify.require_sat`
first, so a missing solver is reported with what to install.
"""

from __future__ import annotations

import bisect

from circuitx.circuit import Circuit
from circuitx.errors import CircuitError


class Cnf:
    """Clauses over integer variables; variable 1 is the constant True."""

    def __init__(self) -> None:
        self.clauses: list[list[int]] = [[1]]
        self.n_vars = 1

    def var(self) -> int:
        self.n_vars += 1
        return self.n_vars


TRUE_LIT = 1


def encode_gate(cnf: Cnf, literals: list[int], weights: list[int], threshold: int,
                max_nodes: int, name: str) -> int:
    """A literal equivalent to ``[sum_i weights[i] * literals[i] >= threshold]``."""
    items = []
    for lit, w in zip(literals, weights, strict=True):
        if w < 0:  # w x = |w| (1 - x) - |w|
            lit, w, threshold = -lit, -w, threshold - w
        if w:
            items.append((w, lit))
    items.sort(key=lambda item: -item[0])
    a = [w for w, _ in items]
    lits = [lit for _, lit in items]
    n = len(a)
    suffix = [0] * (n + 1)
    for i in range(n - 1, -1, -1):
        suffix[i] = suffix[i + 1] + a[i]
    # per level i: sorted interval lower ends (exclusive), upper ends, literals
    levels: list[tuple[list[int], list[int], list[int]]] = [([], [], []) for _ in range(n)]
    count = [0]

    def node(i: int, k: int) -> tuple[float, float, int]:
        """(beta, gamma, literal) with F_i(k') the same literal for beta < k' <= gamma."""
        if k <= 0:
            return float("-inf"), 0, TRUE_LIT
        if k > suffix[i]:
            return suffix[i], float("inf"), -TRUE_LIT
        lows, highs, found = levels[i]
        j = bisect.bisect_left(highs, k)
        if j < len(highs) and lows[j] < k:
            return lows[j], highs[j], found[j]
        beta_h, gamma_h, hi = node(i + 1, k - a[i])
        beta_l, gamma_l, lo = node(i + 1, k)
        beta = max(beta_h + a[i], beta_l)
        gamma = min(gamma_h + a[i], gamma_l)
        if hi == lo:
            v = lo
        else:
            count[0] += 1
            if count[0] > max_nodes:
                raise CircuitError(f"SAT encoding: the decision diagram of {name} has more "
                                   f"than {max_nodes} nodes; raise max_nodes or check "
                                   f"exhaustively")
            v = cnf.var()
            x = lits[i]
            cnf.clauses += [[-v, x, lo], [-v, hi, lo], [-x, -hi, v], [-lo, v]]
        j = bisect.bisect_left(highs, gamma)
        lows.insert(j, beta)
        highs.insert(j, gamma)
        found.insert(j, v)
        return beta, gamma, v

    return _iterative(node, threshold, n)


def _iterative(node, threshold: int, n: int) -> int:
    """Run the recursive `node` with a recursion limit that fits the fan-in."""
    import sys

    limit = sys.getrecursionlimit()
    if n + 100 > limit:
        sys.setrecursionlimit(n + 1000)
    try:
        return node(0, threshold)[2]
    finally:
        sys.setrecursionlimit(limit)


def encode(cnf: Cnf, circuit: Circuit, input_vars: dict[str, int], max_nodes: int) -> list[int]:
    """Encode the circuit over the given input variables; the literals of its outputs."""
    lit = [-TRUE_LIT, TRUE_LIT, *(input_vars[name] for name in circuit.input_names)]
    for g in range(circuit.n_gates):
        src, weights, threshold = circuit.gate(g)
        lit.append(encode_gate(cnf, [lit[x] for x in src], weights, threshold, max_nodes,
                               circuit.gate_name(g)))
    return [lit[w] for w in circuit.output_wires.tolist()]


def find_difference(a: Circuit, b: Circuit, max_nodes: int = 200_000,
                    solver: str = "glucose4") -> dict[str, bool] | None:
    """An input on which some output of a and b (matched by name) differs, or None."""
    from pysat.solvers import Solver

    cnf = Cnf()
    inputs = {name: cnf.var() for name in a.input_names}
    out_a = dict(zip(a.output_names, encode(cnf, a, inputs, max_nodes), strict=True))
    out_b = dict(zip(b.output_names, encode(cnf, b, inputs, max_nodes), strict=True))
    differs = []
    for name in a.output_names:
        d = cnf.var()
        x, y = out_a[name], out_b[name]
        cnf.clauses += [[-d, x, y], [-d, -x, -y]]  # d -> x XOR y
        differs.append(d)
    cnf.clauses.append(differs)
    with Solver(name=solver, bootstrap_with=cnf.clauses) as sat:
        if not sat.solve():
            return None
        model = set(sat.get_model())
    return {name: var in model for name, var in inputs.items()}
