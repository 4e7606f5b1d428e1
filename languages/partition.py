"""Hopcroft's partition refinement: the states of a complete DFA that no word tells apart.

Two states are equivalent when every word leads both to acceptance or both to
rejection. The classes form the coarsest partition of the states that
separates accepting from rejecting states and is *stable*: for each block B
and symbol s, the preimage ``{q : delta(q, s) in B}`` is a union of blocks.

Hopcroft (1971): start from {accepting, rejecting}, keep a list of pending
*splitters* (blocks), and for a splitter A and each symbol s split every block
Y that the preimage X of A under s cuts into ``Y & X`` and ``Y - X``. When Y
is itself pending both halves stay pending; otherwise only the smaller half
is added (splitting by Y and by one half splits by the other half as well).
A state joins a splitter only when its block has at most half the size of the
block it came from, so each state is in O(log n) splitters and the whole
refinement costs O(n k log n) for n states and k symbols.

Not checked here: reachability (the caller drops unreachable states first).
"""

from __future__ import annotations

from collections.abc import Sequence


def equivalence_classes(rows: Sequence[Sequence[int]], accepting: Sequence[bool]) -> list[int]:
    """The block of each state in the coarsest stable partition (see the module docstring).

    The partition is kept as one array `order` of the states in which every
    block is a contiguous range ``[first[b], end[b])``, and `where[q]` is q's
    place in it (the refinable partition of Valmari and Lehtinen 2008).
    Marking a state swaps it to the front of its block, and a split makes the
    marked prefix a new block: O(1) per state touched.

    Args:
        rows: ``rows[q][s]``, the state after symbol s in state q (a complete table).
        accepting: ``accepting[q]``, whether q accepts.

    Returns:
        ``block[q]`` for every state: equal exactly for equivalent states. Block
        numbers are arbitrary (the caller renumbers them canonically).
    """
    states = len(rows)
    preimages: list[list[list[int]]] = [[[] for _ in range(states)] for _ in rows[0]]
    for q, row in enumerate(rows):
        for s, r in enumerate(row):
            preimages[s][r].append(q)
    order = [q for q in range(states) if accepting[q]]
    cut = len(order)
    if cut in (0, states):
        return [0] * states
    order += [q for q in range(states) if not accepting[q]]
    where = [0] * states
    for i, q in enumerate(order):
        where[q] = i
    block_of = [0 if accepting[q] else 1 for q in range(states)]
    first, end = [0, cut], [cut, states]
    marked = [0, cut]  # per block: the end of its marked prefix
    pending = [0 if cut <= states - cut else 1]
    is_pending = [pending[0] == 0, pending[0] == 1]
    while pending:
        a = pending.pop()
        is_pending[a] = False
        splitter = order[first[a] : end[a]]  # the block as it is now, for every symbol
        for preimage in preimages:
            touched = []
            for r in splitter:
                for q in preimage[r]:  # mark q: swap it to the end of its marked prefix
                    b = block_of[q]
                    i, m = where[q], marked[b]
                    if m == first[b]:
                        touched.append(b)
                    p = order[m]
                    order[m], order[i] = q, p
                    where[q], where[p] = m, i
                    marked[b] = m + 1
            for b in touched:  # split off each marked prefix short of its whole block
                m = marked[b]
                marked[b] = first[b]
                if m == end[b]:
                    continue
                new = len(first)
                first.append(first[b])
                end.append(m)
                marked.append(first[b])
                first[b] = marked[b] = m
                for i in range(first[new], m):
                    block_of[order[i]] = new
                if is_pending[b] or m - first[new] <= end[b] - m:
                    pending.append(new)  # both halves pending, or the smaller one
                    is_pending.append(True)
                else:
                    pending.append(b)  # the smaller half kept the old number
                    is_pending.append(False)
                    is_pending[b] = True
    return block_of
