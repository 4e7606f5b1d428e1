"""CNF encoding of threshold circuits and the SAT miter behind `verify.equivalent`.

Each gate is encoded through its decision diagram (`circuitx.threshold_diagram`). Needs the
optional dependency python-sat (``pip install 'circuitx[verify]'``), imported
when `find_difference` runs; `verify.equivalent` calls `verify.require_sat`
first, so a missing solver is reported with what to install.
"""

from __future__ import annotations

from circuitx.circuit import Circuit
from circuitx.threshold_diagram import threshold_diagram


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
    """A literal equivalent to ``[sum_i weights[i] * literals[i] >= threshold]``.

    Each node of the gate's diagram (`circuitx.threshold_diagram`) gets a fresh
    variable v and the four clauses of ``v <-> (x and hi) or (not x and lo)``.
    """

    def node(x: int, hi: int, lo: int) -> int:
        v = cnf.var()
        cnf.clauses += [[-v, x, lo], [-v, hi, lo], [-x, -hi, v], [-lo, v]]
        return v

    return threshold_diagram(literals, weights, threshold, negate=lambda lit: -lit, node=node,
                             true=TRUE_LIT, false=-TRUE_LIT, max_nodes=max_nodes, name=name,
                             what="SAT encoding")


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
