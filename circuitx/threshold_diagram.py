"""The decision diagram of one threshold gate, shared by the SAT and BDD checks.

A gate ``y = [sum_i w_i l_i >= t]`` over literals ``l_i`` is first made
positive, ``w x = |w| (1 - x) - |w|`` for ``w < 0`` (the literal negated, the
threshold raised by ``|w|``), and its literals sorted by decreasing weight
``a_0 >= a_1 >= ...``. Its reduced ordered decision diagram is then built with
interval memoisation (Abío, Nieuwenhuis, Oliveras & Rodríguez-Carbonell, "A new
look at BDDs for pseudo-Boolean constraints", JAIR 2012, Sections 3-4): node

.. math:: F_i(k) = \\Big[\\sum_{j \\ge i} a_j l_j \\ge k\\Big]
          = (l_i \\wedge F_{i+1}(k - a_i)) \\vee (\\neg l_i \\wedge F_{i+1}(k))

with ``F_i(k) = True`` for ``k <= 0`` and ``False`` for ``k > sum_{j>=i} a_j``;
one node serves every k in the interval ``(beta, gamma]`` between the two
attainable suffix sums around it, so the diagram has at most one node per level
and per attainable suffix sum. Cardinality gates give ``O(n t)`` nodes,
comparators with weights ``2**i`` ``O(n)``; a general weighted gate can need
exponentially many, so a gate whose diagram passes `max_nodes` is refused with an
error naming it.

The literals are opaque here: `threshold_diagram` takes how to negate one and how
to make the node ``if l then hi else lo``. The SAT encoding (`circuitx.sat`) makes
a fresh variable and four clauses; the BDD check (`circuitx.bdd`) calls the
diagram package's if-then-else on the literals' own diagrams.
"""

from __future__ import annotations

import bisect
import sys
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from circuitx.errors import CircuitError

L = TypeVar("L")


def threshold_diagram(literals: Sequence[L], weights: Sequence[int], threshold: int, *,
                      negate: Callable[[L], L], node: Callable[[L, L, L], L], true: L,
                      false: L, max_nodes: int, name: str, what: str) -> L:
    """The literal of ``[sum_i weights[i] * literals[i] >= threshold]``.

    Args:
        literals, weights: the gate's fan-in, one integer weight per literal.
        threshold: the gate's integer threshold.
        negate: the complement of a literal.
        node: ``node(l, hi, lo)``, the literal of ``if l then hi else lo``; called
            only when ``hi != lo``.
        true, false: the constant literals.
        max_nodes: the most nodes the diagram may make.
        name, what: the gate and the check, for the error message.

    Raises:
        CircuitError: the diagram passes `max_nodes`.
    """
    items = []
    for lit, w in zip(literals, weights, strict=True):
        if w < 0:  # w x = |w| (1 - x) - |w|
            lit, w, threshold = negate(lit), -w, threshold - w
        if w:
            items.append((w, lit))
    items.sort(key=lambda item: -item[0])
    diagram: _Diagram[L] = _Diagram(
        [w for w, _ in items], [lit for _, lit in items], node=node, true=true, false=false,
        max_nodes=max_nodes, error=f"{what}: the decision diagram of {name} has more than "
                                   f"{max_nodes} nodes; raise max_nodes or check exhaustively")
    limit = sys.getrecursionlimit()
    if len(items) + 100 > limit:  # the recursion is as deep as the fan-in
        sys.setrecursionlimit(len(items) + 1000)
    try:
        return diagram.build(0, threshold)[2]
    finally:
        sys.setrecursionlimit(limit)


class _Diagram(Generic[L]):
    """The memo of one gate's diagram: per level, the intervals found and their nodes.

    A class, not a closure that calls itself, so that no reference cycle keeps the
    nodes (a BDD package's functions) alive after the gate is built.
    """

    def __init__(self, a: list[int], lits: list[L], *, node: Callable[[L, L, L], L], true: L,
                 false: L, max_nodes: int, error: str) -> None:
        self.a, self.lits, self.node = a, lits, node
        self.true, self.false = true, false
        self.max_nodes, self.error, self.count = max_nodes, error, 0
        self.suffix = [0] * (len(a) + 1)
        for i in range(len(a) - 1, -1, -1):
            self.suffix[i] = self.suffix[i + 1] + a[i]
        # per level i: sorted interval lower ends (exclusive), upper ends, literals
        self.levels: list[tuple[list[float], list[float], list[L]]] = [([], [], []) for _ in a]

    def build(self, i: int, k: int) -> tuple[float, float, L]:
        """(beta, gamma, literal) with F_i(k') the same literal for beta < k' <= gamma."""
        if k <= 0:
            return float("-inf"), 0, self.true
        if k > self.suffix[i]:
            return self.suffix[i], float("inf"), self.false
        lows, highs, found = self.levels[i]
        j = bisect.bisect_left(highs, k)
        if j < len(highs) and lows[j] < k:
            return lows[j], highs[j], found[j]
        a = self.a[i]
        beta_h, gamma_h, hi = self.build(i + 1, k - a)
        beta_l, gamma_l, lo = self.build(i + 1, k)
        beta = max(beta_h + a, beta_l)
        gamma = min(gamma_h + a, gamma_l)
        if hi == lo:
            v = lo
        else:
            self.count += 1
            if self.count > self.max_nodes:
                raise CircuitError(self.error)
            v = self.node(self.lits[i], hi, lo)
        j = bisect.bisect_left(highs, gamma)
        lows.insert(j, beta)
        highs.insert(j, gamma)
        found.insert(j, v)
        return beta, gamma, v
