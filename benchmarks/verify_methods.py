"""SAT against BDD on `verify.equivalent`: parity, addition and multiplication at growing n.

Each gadget is checked against a textbook circuit of another shape (so neither method
can match gates one for one): parity(n) against a chain of n - 1 XORs, the depth-2
adder against a ripple-carry adder, the depth-3 multiplier against a shift-and-add
array multiplier. A last family, addition with the operands' bits not interleaved
(``order`` x0..x(k-1), y0..y(k-1)), shows where the BDD's variable order fails and SAT
wins. Every check runs in a child process, killed after ``--limit`` seconds; the
ratio is SAT's time over the BDD's (above 1: the BDD is faster; ">" where SAT
ran out of time, "<" where the BDD did, in time or in its `BDD_NODES` budget).

    python -m benchmarks.verify_methods            # about 10 minutes at --limit 60
    python -m benchmarks.verify_methods --quick    # small sizes, --limit 20
    python -m benchmarks.verify_methods --json
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import platform
import time

from circuitx import bdd, gadgets, verify
from circuitx.gadgets.textbook import array_multiplier, ripple_carry_adder, xor_chain

FAMILIES = {
    # name: (what n is, gadget, reference, BDD order (None: bdd.variable_order), sizes, quick)
    "parity": ("inputs", gadgets.parity, xor_chain, None, (24, 32, 64, 128), (24, 32)),
    "addition": ("bits per operand", gadgets.addition, ripple_carry_adder, None,
                 (16, 32, 64, 128), (16, 32)),
    "multiplication": ("bits per operand", gadgets.multiplication, array_multiplier, None,
                       (5, 6, 7, 8, 9), (5, 6, 7)),
    "addition, operands apart": ("bits per operand", gadgets.addition, ripple_carry_adder,
                                 lambda c: list(c.input_names), (8, 12, 16, 24), (8, 12)),
}


BDD_NODES = 5_000_000
"""The BDD's node budget here (about 360 MiB with CUDD): a check past it counts as out of
time."""


def _check(family: str, n: int, method: str, pipe) -> None:
    _, make, reference, order, _, _ = FAMILIES[family]
    a, b = make(n), reference(n)
    start = time.perf_counter()
    try:
        verdict = verify.equivalent(a, b, method=method, order=order(a) if order else None,
                                    bdd_max_nodes=BDD_NODES)
    except bdd.TooManyNodes:
        pipe.send((None, time.perf_counter() - start))
        return
    pipe.send((bool(verdict), time.perf_counter() - start))


def timed(family: str, n: int, method: str, limit: float) -> float | None:
    """Seconds of one check in a child process, or None if it ran past `limit` (or past
    `BDD_NODES`)."""
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_check, args=(family, n, method, send))
    child.start()
    ready = receive.poll(limit)
    if not ready:
        child.kill()
        child.join()
        return None
    equal, seconds = receive.recv()
    child.join()
    if equal is None:
        return None
    if not equal:
        raise AssertionError(f"{family} n={n}: {method} says the circuits differ")
    return seconds


def ratio(sat: float | None, by_bdd: float | None, limit: float) -> str:
    if sat is None and by_bdd is None:
        return "both > limit"
    if sat is None:
        return f"> {limit / by_bdd:.0f}"
    if by_bdd is None:
        return f"< {sat / limit:.2f}"
    return f"{sat / by_bdd:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, --limit 20")
    parser.add_argument("--limit", type=float, default=None,
                        help="seconds per check before it is killed (default 60)")
    parser.add_argument("--json", action="store_true", help="print JSON lines")
    args = parser.parse_args()
    limit = args.limit or (20.0 if args.quick else 60.0)
    verify.require_sat()
    verify.require_bdd()
    verify.equivalent(gadgets.parity(21), xor_chain(21), method="bdd")  # imports in the parent
    verify.equivalent(gadgets.parity(21), xor_chain(21), method="sat")
    if not args.json:
        print(f"dd package: {bdd.package().__name__}; python {platform.python_version()}; "
              f"limit {limit:.0f} s per check")
        print(f"{'family':26s} {'n':>4s} {'inputs':>6s} {'SAT s':>8s} {'BDD s':>8s} "
              f"{'SAT/BDD':>9s}")
    for family, (_, make, _, _, sizes, quick) in FAMILIES.items():
        for n in quick if args.quick else sizes:
            sat = timed(family, n, "sat", limit)
            by_bdd = timed(family, n, "bdd", limit)
            row = {"family": family, "n": n, "inputs": make(n).n_inputs, "sat_s": sat,
                   "bdd_s": by_bdd, "sat_over_bdd": ratio(sat, by_bdd, limit),
                   "limit_s": limit, "dd": bdd.package().__name__}
            if args.json:
                print(json.dumps(row), flush=True)
                continue
            shown = [f"{s:8.3f}" if s is not None else f"{'>' + format(limit, '.0f'):>8s}"
                     for s in (sat, by_bdd)]
            print(f"{family:26s} {n:4d} {row['inputs']:6d} {shown[0]} {shown[1]} "
                  f"{row['sat_over_bdd']:>9s}", flush=True)


if __name__ == "__main__":
    main()
