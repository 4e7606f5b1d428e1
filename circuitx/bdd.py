"""Binary decision diagrams of threshold circuits: the BDD check behind `verify.equivalent`.

Both circuits are built in one manager of reduced ordered BDDs (Bryant, "Graph-based
algorithms for Boolean function manipulation", IEEE Trans. Computers 1986) over one
variable per input name. A gate ``y = [sum_i w_i x_i >= t]`` becomes the BDD of its
decision diagram (`circuitx.threshold_diagram`) with each node
``if x_i then hi else lo`` made by the package's if-then-else on the BDDs of the wires
the gate reads. ROBDDs over one variable order are canonical, so two outputs compute
the same function exactly when their BDDs are the same node; where they are not, any
satisfying assignment of ``f_a XOR f_b`` is an input on which the circuits differ.

Needs the optional dependency dd (``pip install 'circuitx[bdd]'``): its CUDD binding
`dd.cudd` where the wheel ships it, else the pure-Python `dd.autoref`.

The variable order (`variable_order`) decides the size: an adder's sum bits have
linear BDDs when the operands' bits are interleaved (x0, y0, x1, y1, ...) and
exponential ones when one operand comes wholly before the other; a multiplier's middle
bits are exponential in every order (Bryant 1991), which bounds how far this reaches.
Names of the form ``<stem><number>`` with several stems are interleaved by number;
other names keep the first circuit's input order. CUDD's dynamic reordering (sifting)
is off by default (``reorder=True`` turns it on): on the gadgets the static order is
already good, and sifting's cost is not paid back.

Limits: `max_nodes` bounds the BDDs' nodes. CUDD enforces it as a memory limit inside
every operation (an operation that would pass it fails, and the check with it);
the manager's node count is also read after a gate once every `CHECK_EVERY`
if-then-else calls and after the last gate (with `dd.autoref`, the only check: one
large operation can pass the bound before it is noticed). `max_gate_nodes` bounds one
gate's decision diagram.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from typing import Any

from circuitx.circuit import Circuit
from circuitx.errors import CircuitError, NamingError
from circuitx.threshold_diagram import threshold_diagram


class TooManyNodes(CircuitError):
    """The BDDs passed their node limit (`find_difference`'s `max_nodes`)."""


_INDEXED = re.compile(r"^(.*?)(\d+)$")


def package() -> Any:
    """The dd module in use: `dd.cudd` where it imports, else `dd.autoref`.

    Raises:
        ImportError: dd is not installed.
    """
    try:
        from dd import cudd
    except ImportError:
        from dd import autoref
        return autoref
    return cudd


def variable_order(names: Sequence[str]) -> list[str]:
    """The BDD variable order for inputs with these names.

    If every name is ``<stem><number>`` and there are at least two stems, the names
    are sorted by number, then by the stem's first appearance: ``x0..x3, y0..y3``
    gives ``x0, y0, x1, y1, ...`` (two operands' bits interleaved, least significant
    first), ``x0_0, x0_1, x1_0, x1_1`` (bit j of number i) gives ``x0_0, x1_0, x0_1,
    x1_1``. Otherwise the names keep their order.
    """
    parsed: list[tuple[str, int]] = []
    for name in names:
        match = _INDEXED.match(name)
        if match is None:
            return list(names)
        parsed.append((match.group(1), int(match.group(2))))
    stems: dict[str, int] = {}
    for stem, _ in parsed:
        stems.setdefault(stem, len(stems))
    if len(stems) < 2:
        return list(names)
    keyed = sorted(zip(names, parsed, strict=True),
                   key=lambda item: (item[1][1], stems[item[1][0]]))
    return [name for name, _ in keyed]


CHECK_EVERY = 20_000
"""The if-then-else calls between two reads of the manager's size (a read costs about as
much as a few thousand calls on large managers)."""


def _build(manager: Any, circuit: Circuit, max_nodes: int, max_gate_nodes: int) -> list[Any]:
    """The BDD of each of the circuit's outputs, in output order."""
    funcs: list[Any] = [manager.false, manager.true,
                   *(manager.var(name) for name in circuit.input_names)]
    # drop each wire's BDD after the last gate that reads it, so the manager can free it
    last = [-1] * circuit.n_nodes
    for g in range(circuit.n_gates):
        for w in circuit.fanin_wires[circuit.fanin_ptr[g]:circuit.fanin_ptr[g + 1]].tolist():
            last[w] = g
    for w in circuit.output_wires.tolist():
        last[w] = circuit.n_gates
    dying: list[list[int]] = [[] for _ in range(circuit.n_gates)]
    for w, g in enumerate(last):
        if w >= 2 and 0 <= g < circuit.n_gates:
            dying[g].append(w)
    calls = 0

    def node(x: Any, hi: Any, lo: Any) -> Any:
        nonlocal calls
        calls += 1
        return manager.ite(x, hi, lo)

    for g in range(circuit.n_gates):
        src, weights, threshold = circuit.gate(g)
        funcs.append(threshold_diagram(
            [funcs[x] for x in src], weights, threshold, negate=lambda f: ~f, node=node,
            true=manager.true, false=manager.false, max_nodes=max_gate_nodes,
            name=circuit.gate_name(g), what="BDD"))
        for w in dying[g]:
            funcs[w] = None
        if calls >= CHECK_EVERY or g == circuit.n_gates - 1:
            calls = 0
            if len(manager) > max_nodes:
                raise TooManyNodes(f"BDD: after {circuit.gate_name(g)} the diagrams have "
                                   f"{len(manager)} nodes, more than max_nodes={max_nodes}; "
                                   f"raise max_nodes, give a better order, or use "
                                   f"method='sat'")
    return [funcs[w] for w in circuit.output_wires.tolist()]


NODE_BYTES = 72
"""CUDD's memory per node (node, unique-table and cache share), measured with dd 0.6."""


def find_difference(a: Circuit, b: Circuit, *, order: Sequence[str] | None = None,
                    max_nodes: int = 20_000_000, max_gate_nodes: int = 200_000,
                    reorder: bool = False) -> dict[str, bool] | None:
    """An input on which some output of a and b (matched by name) differs, or None.

    Args:
        a, b: circuits with the same input and output names.
        order: the variable order (every input name once); default `variable_order`.
        max_nodes: about the most BDD nodes: with CUDD a memory limit of
            ``NODE_BYTES * max_nodes`` above the new manager's own, that CUDD
            itself enforces inside every operation, and the node count, read between
            gates (see the module docstring).
        max_gate_nodes: the most nodes of one gate's decision diagram.
        reorder: let CUDD reorder variables dynamically (ignored by `dd.autoref`).

    Raises:
        NamingError: `order` is not a permutation of the input names.
        TooManyNodes: the BDDs pass `max_nodes`.
        CircuitError: a gate's diagram passes `max_gate_nodes`.
    """
    names = variable_order(a.input_names) if order is None else list(order)
    if sorted(names) != sorted(a.input_names):
        missing = sorted(set(a.input_names) - set(names))
        extra = sorted(set(names) - set(a.input_names))
        raise NamingError(f"BDD order must name every input once: missing {missing}, "
                          f"unknown {extra}, {len(names)} names for {a.n_inputs} inputs")
    dd = package()
    if dd.__name__ == "dd.cudd":
        manager = dd.BDD(memory_estimate=min(NODE_BYTES * max_nodes, 1 << 30))
        with warnings.catch_warnings():  # dd 0.5.7 changed the unit of "mem" to bytes
            warnings.simplefilter("ignore")
            memory = int(manager.statistics()["mem"]) + NODE_BYTES * max_nodes
        manager.configure(reordering=reorder, max_memory=memory)
    else:
        manager = dd.BDD()
    manager.declare(*names)
    try:
        out_a = dict(zip(a.output_names, _build(manager, a, max_nodes, max_gate_nodes),
                         strict=True))
        out_b = dict(zip(b.output_names, _build(manager, b, max_nodes, max_gate_nodes),
                         strict=True))
    except CircuitError:
        raise
    except ValueError as error:  # dd.cudd: an operation returned NULL (out of memory)
        if "NULL" not in str(error):
            raise
        raise TooManyNodes(f"BDD: the diagrams need more than max_nodes={max_nodes} nodes "
                           f"(CUDD passed {memory >> 20} MiB); raise max_nodes, give a better "
                           f"order, or use method='sat'") from None
    for name in a.output_names:
        if out_a[name] != out_b[name]:
            model = manager.pick(manager.apply("xor", out_a[name], out_b[name]))
            return {n: bool(model.get(n, False)) for n in a.input_names}
    return None
