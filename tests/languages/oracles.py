"""Plain, independent membership tests for the zoo, all words of a length, a
chi-square check of uniformity, and Moore's DFA minimisation.

The membership tests were written from the issue's definitions without
looking at the code under test: counters and stacks, no DFAs, no regular
expressions, no numpy. Moore's refinement is plain Python too, on a bare
transition table.
"""

from __future__ import annotations

import collections
import itertools
import math


def all_words(alphabet: str, length: int) -> list[str]:
    """Every word of `length` over `alphabet`, in lexicographic order of the alphabet."""
    return ["".join(p) for p in itertools.product(alphabet, repeat=length)]


def assert_uniform(samples: list[str], support: list[str]) -> None:
    """Every word of `support` drawn, nothing else, and a chi-square within 6 sd."""
    seen = collections.Counter(samples)
    assert set(seen) == set(support)
    expected = len(samples) / len(support)
    chi2 = sum((seen[w] - expected) ** 2 / expected for w in support)
    dof = len(support) - 1
    assert chi2 < dof + 6 * math.sqrt(2 * dof) + 1, chi2


def _balanced(word: str, pairs: str) -> bool:
    """Well-nested brackets: a stack of openers, each closer pops its own opener."""
    stack = []
    for c in word:
        i = pairs.index(c)
        if i % 2 == 0:
            stack.append(c)
        elif not stack or stack.pop() != pairs[i - 1]:
            return False
    return not stack


def _each_balanced(word: str, pairs: str) -> bool:
    """Each bracket type, read on its own, never dips below zero and ends at zero."""
    for t in range(0, len(pairs), 2):
        height = 0
        for c in word:
            height += (c == pairs[t]) - (c == pairs[t + 1])
            if height < 0:
                return False
        if height:
            return False
    return True


def _runs(word: str) -> list[tuple[str, int]]:
    runs: list[list] = []
    for c in word:
        if runs and runs[-1][0] == c:
            runs[-1][1] += 1
        else:
            runs.append([c, 1])
    return [(c, n) for c, n in runs]


def _tomita3(word: str) -> bool:
    runs = _runs(word)
    for i in range(len(runs) - 1):
        (a, m), (b, n) = runs[i], runs[i + 1]
        if a == "1" and b == "0" and m % 2 == 1 and n % 2 == 1:
            return False
    return True


def _tomita7(word: str) -> bool:
    # 0*1*0*1*: reading left to right, the phase (0, 1, 0, 1) never goes back
    phase = 0
    for c in word:
        while "0101"[phase] != c:
            phase += 1
            if phase == 4:
                return False
    return True


def _pairs(word: str, factor: str) -> int:
    return sum(word[i : i + 2] == factor for i in range(len(word) - 1))


ORACLES = {
    "parity": lambda w: w.count("1") % 2 == 1,
    "first": lambda w: w.startswith("1"),
    "majority": lambda w: w.count("1") > w.count("0"),
    "mod3": lambda w: w.count("1") % 3 == 0,
    "even_pairs": lambda w: _pairs(w, "ab") == _pairs(w, "ba"),
    "dyck1": lambda w: _balanced(w, "()"),
    "dyck2": lambda w: _balanced(w, "()[]"),
    "shuffle_dyck2": lambda w: _each_balanced(w, "()[]"),
    "anbn": lambda w: len(w) % 2 == 0 and w == "a" * (len(w) // 2) + "b" * (len(w) // 2),
    "tomita1": lambda w: "0" not in w,
    "tomita2": lambda w: all(w[i] == "10"[i % 2] for i in range(len(w))) and len(w) % 2 == 0,
    "tomita3": _tomita3,
    "tomita4": lambda w: "000" not in w,
    "tomita5": lambda w: w.count("0") % 2 == 0 and w.count("1") % 2 == 0,
    "tomita6": lambda w: (w.count("0") - w.count("1")) % 3 == 0,
    "tomita7": _tomita7,
}

ALPHABETS = {name: ("()[]" if "dyck2" in name else "()" if name == "dyck1"
                    else "ab" if name in ("even_pairs", "anbn") else "01") for name in ORACLES}


def moore_minimal(transitions, start: int, accepting) -> tuple[tuple[tuple[int, ...], ...],
                                                               frozenset[int]]:
    """The minimal DFA by Moore's refinement, in plain Python: (transitions, accepting).

    Keeps the states reachable from `start`, splits them by acceptance, then
    refines by (own class, classes of the successors) until the number of
    classes stops growing; numbers the classes in breadth-first order from the
    start's class, symbols in order (the order `DFA.minimize` documents).
    O(n) rounds of O(n k) work: an oracle, not a fast algorithm.
    """
    order, seen = [start], {start}
    for q in order:  # breadth-first: `order` grows while it is read
        for r in transitions[q]:
            if r not in seen:
                seen.add(r)
                order.append(r)
    classes = {q: int(q in accepting) for q in order}
    while True:
        signature = {q: (classes[q], *(classes[r] for r in transitions[q])) for q in order}
        names: dict[tuple, int] = {}
        refined = {q: names.setdefault(signature[q], len(names)) for q in order}
        if len(names) == len(set(classes.values())):
            break
        classes = refined
    first = {}
    for q in order:
        first.setdefault(classes[q], q)  # one state per class stands for it
    number = {classes[start]: 0}
    queue = [classes[start]]
    for c in queue:
        for r in transitions[first[c]]:
            if classes[r] not in number:
                number[classes[r]] = len(number)
                queue.append(classes[r])
    rows = [()] * len(number)
    for c, i in number.items():
        rows[i] = tuple(number[classes[r]] for r in transitions[first[c]])
    return tuple(rows), frozenset(number[classes[q]] for q in order if q in accepting)
