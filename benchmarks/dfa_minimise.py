"""DFA minimisation: ours (Hopcroft) against Moore's refinement, and automata-lib if present.

On cycles (n states in a ring, one accepting: already minimal, the worst case
for Moore's refinement, which needs n rounds) and on random complete DFAs over
two symbols (each state accepting with probability 1/2, seeded), of 100 ..
5000 states, in one run:

* ``ours``: `DFA.minimize()`, Hopcroft's O(n k log n) partition refinement
  (`languages.partition`), then the canonical breadth-first numbering;
* ``Moore``: the former implementation, kept here verbatim: Moore's
  refinement by (class, successor classes) signatures with `numpy.unique`,
  one round per refinement step, O(n) rounds of O(n k log n);
* ``automata-lib``: `automata.fa.dfa.DFA.minify(retain_names=False)` when the
  package is importable (it is not a dependency of circuitx).

Every side minimises the same DFA; ours and Moore must give equal DFAs, and
automata-lib the same number of states. Times are the best of `--repeats`
runs (DFA construction not timed); ratios are ours / the other (below 1:
ours is faster). `--quick` stops at 2000 states.

    python -m benchmarks.dfa_minimise [--quick] [--repeats N] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from collections import deque

import numpy as np

from languages.dfa import DFA

SIZES = (100, 500, 1000, 2000, 5000)


def moore_minimize(dfa: DFA) -> DFA:
    """The former `DFA.minimize`: Moore's refinement with numpy, then BFS numbering."""
    keep = dfa.reachable()
    table = dfa.table[keep]
    renumber = np.full(dfa.states, -1, dtype=np.int64)
    renumber[keep] = np.arange(len(keep))
    table = renumber[table]
    classes = dfa.accepting_mask[keep].astype(np.int64)
    while True:
        signature = np.concatenate([classes[:, None], classes[table]], axis=1)
        _, refined = np.unique(signature, axis=0, return_inverse=True)
        refined = refined.reshape(-1)
        if refined.max() == classes.max():
            break
        classes = refined
    blocks = int(classes.max()) + 1
    rows = [None] * blocks
    accepting = set()
    for q in range(len(keep)):
        rows[classes[q]] = tuple(int(classes[r]) for r in table[q])
        if dfa.accepting_mask[keep[q]]:
            accepting.add(int(classes[q]))
    merged = DFA(alphabet=dfa.alphabet, transitions=tuple(rows),
                 start=int(classes[0]), accepting=frozenset(accepting))
    return _renumbered(merged)


def _renumbered(dfa: DFA) -> DFA:
    order, seen, queue = [dfa.start], {dfa.start}, deque([dfa.start])
    while queue:
        for r in dfa.transitions[queue.popleft()]:
            if r not in seen:
                seen.add(r)
                order.append(r)
                queue.append(r)
    new = {q: i for i, q in enumerate(order)}
    rows = tuple(tuple(new[r] for r in dfa.transitions[q]) for q in order)
    return DFA(alphabet=dfa.alphabet, transitions=rows, start=0,
               accepting=frozenset(new[q] for q in dfa.accepting if q in new))


def cycle(n: int) -> DFA:
    return DFA(alphabet="ab", transitions=tuple(((q + 1) % n,) * 2 for q in range(n)),
               accepting=frozenset({0}))


def random_dfa(n: int, seed: int) -> DFA:
    rng = random.Random(seed)
    rows = tuple((rng.randrange(n), rng.randrange(n)) for _ in range(n))
    return DFA(alphabet="ab", transitions=rows,
               accepting=frozenset(q for q in range(n) if rng.random() < 0.5))


def automata_minify():
    """`minify` of automata-lib on our DFA, or None when automata-lib is not importable."""
    try:
        from automata.fa.dfa import DFA as AutomataDFA
    except ImportError:
        return None, None

    def convert(dfa: DFA):
        return AutomataDFA(states=set(range(dfa.states)), input_symbols=set(dfa.alphabet),
                           transitions={q: dict(zip(dfa.alphabet, row, strict=True))
                                        for q, row in enumerate(dfa.transitions)},
                           initial_state=dfa.start, final_states=set(dfa.accepting))

    from importlib.metadata import version

    return convert, version("automata-lib")


def best(run, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Up to 2000 states.")
    parser.add_argument("--repeats", type=int, default=3, help="Best of this many runs.")
    parser.add_argument("--json", dest="json_file", help="Also write the results here.")
    args = parser.parse_args()
    sizes = [n for n in SIZES if not args.quick or n <= 2000]
    convert, version = automata_minify()

    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"best of {args.repeats}; {cpus} CPUs usable; automata-lib: "
          f"{version if convert else 'not importable'}")
    print(f"{'kind':>6} {'states':>6} {'minimal':>7} {'ours ms':>9} {'Moore ms':>9} "
          f"{'ours/Moore':>10} {'automata ms':>11} {'ours/automata':>13}")
    rows = []
    for kind, make in (("cycle", cycle), ("random", lambda n: random_dfa(n, seed=n))):
        for n in sizes:
            dfa = make(n)
            ours, small = best(dfa.minimize, args.repeats)
            # Moore's cycle rounds are O(n^2 log n): one run is plenty at these sizes
            moore, reference = best(lambda d=dfa: moore_minimize(d),
                                    1 if kind == "cycle" and n >= 2000 else args.repeats)
            assert small == reference, (kind, n)
            row = {"kind": kind, "states": n, "minimal_states": small.states, "ours_s": ours,
                   "moore_s": moore, "ours_over_moore": ours / moore}
            line = (f"{kind:>6} {n:>6} {small.states:>7} {ours * 1e3:9.1f} {moore * 1e3:9.1f} "
                    f"{ours / moore:10.3g}")
            if convert is not None:
                theirs = convert(dfa)
                automata, minimal = best(lambda t=theirs: t.minify(retain_names=False),
                                         args.repeats)
                assert len(minimal.states) == small.states, (kind, n)
                row.update(automata_s=automata, ours_over_automata=ours / automata)
                line += f" {automata * 1e3:11.1f} {ours / automata:13.2f}"
            print(line, flush=True)
            rows.append(row)
    if args.json_file:
        with open(args.json_file, "w") as f:
            json.dump({"repeats": args.repeats, "automata_lib": version, "rows": rows}, f,
                      indent=1)


if __name__ == "__main__":
    main()
