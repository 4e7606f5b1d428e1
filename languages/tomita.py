"""The seven Tomita languages over ``01``: hand-written predicates, DFAs, regexes.

Tomita (1982), as used across the RNN and transformer literature:

1. ``1*``;
2. ``(10)*``;
3. no maximal odd-length block of 1s immediately followed by a maximal
   odd-length block of 0s (``10`` and ``1000`` are out, ``100`` and ``01`` in);
4. no ``000`` factor;
5. even numbers of 0s and of 1s;
6. (number of 0s - number of 1s) divisible by 3;
7. ``0*1*0*1*``.

Each language has three independent descriptions (`PREDICATES`, `DFAS`,
`REGEXES`); the tests check that they agree on every word up to length 12.
"""

from __future__ import annotations

import itertools

from languages.dfa import DFA


def _blocks(word: str) -> list[tuple[str, int]]:
    return [(symbol, len(list(run))) for symbol, run in itertools.groupby(word)]


def tomita1(word: str) -> bool:
    return set(word) <= {"1"}


def tomita2(word: str) -> bool:
    return word == "10" * (len(word) // 2)


def tomita3(word: str) -> bool:
    blocks = _blocks(word)
    return not any(a == "1" and m % 2 and b == "0" and n % 2
                   for (a, m), (b, n) in itertools.pairwise(blocks))


def tomita4(word: str) -> bool:
    return "000" not in word


def tomita5(word: str) -> bool:
    return word.count("0") % 2 == 0 and word.count("1") % 2 == 0


def tomita6(word: str) -> bool:
    return (word.count("0") - word.count("1")) % 3 == 0


def tomita7(word: str) -> bool:
    blocks = [symbol for symbol, _ in _blocks(word)]
    return len(blocks) <= 3 or (len(blocks) == 4 and blocks[0] == "0")


PREDICATES = {f"tomita{i}": f for i, f in enumerate(
    (tomita1, tomita2, tomita3, tomita4, tomita5, tomita6, tomita7), start=1)}


def _dfa(accepting, delta) -> DFA:
    return DFA.from_dict("01", {(q, s): r for q, row in delta.items()
                                for s, r in zip("01", row, strict=True)},
                         start=next(iter(delta)), accepting=accepting)


DFAS = {
    # state: (on 0, on 1)
    "tomita1": _dfa({"ones"}, {"ones": ("dead", "ones"), "dead": ("dead", "dead")}),
    "tomita2": _dfa({"even"}, {"even": ("dead", "one"), "one": ("even", "dead"),
                               "dead": ("dead", "dead")}),
    # safe, odd block of 1s, odd / even block of 0s after an odd block of 1s
    "tomita3": _dfa({"safe", "odd1", "even0"}, {
        "safe": ("safe", "odd1"), "odd1": ("odd0", "safe"), "odd0": ("even0", "dead"),
        "even0": ("odd0", "odd1"), "dead": ("dead", "dead")}),
    # trailing zeros
    "tomita4": _dfa({"z0", "z1", "z2"}, {"z0": ("z1", "z0"), "z1": ("z2", "z0"),
                                         "z2": ("dead", "z0"), "dead": ("dead", "dead")}),
    # (zeros mod 2, ones mod 2)
    "tomita5": _dfa({"ee"}, {"ee": ("oe", "eo"), "oe": ("ee", "oo"), "eo": ("oo", "ee"),
                             "oo": ("eo", "oe")}),
    # (zeros - ones) mod 3
    "tomita6": _dfa({"d0"}, {"d0": ("d1", "d2"), "d1": ("d2", "d0"), "d2": ("d0", "d1")}),
    # which of the four blocks 0* 1* 0* 1* we are in
    "tomita7": _dfa({"p0", "p1", "p2", "p3"}, {
        "p0": ("p0", "p1"), "p1": ("p2", "p1"), "p2": ("p2", "p3"), "p3": ("dead", "p3"),
        "dead": ("dead", "dead")}),
}

REGEXES = {
    "tomita1": "1*",
    "tomita2": "(10)*",
    "tomita3": "(0|1(00(00)*1)*1)*(1(00(00)*1)*(00)*)?",
    "tomita4": "(1|01|001)*(ε|0|00)",
    "tomita5": "(00|11|(01|10)(00|11)*(01|10))*",
    "tomita6": "(10|(0|11)(01)*(1|00))*",
    "tomita7": "0*1*0*1*",
}

DESCRIPTIONS = {
    "tomita1": "1*",
    "tomita2": "(10)*",
    "tomita3": "no odd block of 1s right before an odd block of 0s",
    "tomita4": "no 000",
    "tomita5": "even numbers of 0s and of 1s",
    "tomita6": "#0 - #1 divisible by 3",
    "tomita7": "0*1*0*1*",
}
