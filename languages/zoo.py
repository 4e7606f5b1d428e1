"""The language zoo: named languages, one registry, `get(name)` and `names()`.

| name            | alphabet | members                                              |
|-----------------|----------|------------------------------------------------------|
| `parity`        | ``01``   | an odd number of 1s                                  |
| `first`         | ``01``   | starts with 1                                        |
| `majority`      | ``01``   | strictly more 1s than 0s                             |
| `mod3`          | ``01``   | the number of 1s divisible by 3                      |
| `even_pairs`    | ``ab``   | as many ``ab`` factors as ``ba`` factors             |
| `dyck1`         | ``()``   | balanced parentheses                                 |
| `dyck2`         | ``()[]`` | balanced, well-nested parentheses and brackets       |
| `shuffle_dyck2` | ``()[]`` | parentheses balanced, and brackets balanced          |
| `anbn`          | ``ab``   | ``a^n b^n``, n >= 0                                  |
| `tomita1..7`    | ``01``   | the Tomita grammars (see `languages.tomita`)         |

Regular languages carry a hand-written predicate (their `contains`), a DFA
(for counting and sampling) and a regular expression. Any other regular
language: `languages.regular.from_regex` or `from_dfa`; Dyck-k with a depth
bound: `languages.dyck.Dyck(name=..., alphabet=..., max_depth=D)`.
"""

from __future__ import annotations

import functools

from languages import tomita
from languages.counters import AnBn, Majority
from languages.dfa import DFA
from languages.dyck import Dyck, ShuffleDyck
from languages.errors import UnknownLanguageError
from languages.language import Language
from languages.regular import RegularLanguage


def _even_pairs(word: str) -> bool:
    factors = [word[i : i + 2] for i in range(len(word) - 1)]
    return factors.count("ab") == factors.count("ba")


def _regular(name, alphabet, description, predicate, regex, accepting, delta) -> RegularLanguage:
    dfa = DFA.from_dict(alphabet, {(q, s): r for q, row in delta.items()
                                   for s, r in zip(alphabet, row, strict=True)},
                        start=next(iter(delta)), accepting=accepting)
    return RegularLanguage(name=name, dfa=dfa, description=description, regex=regex,
                           predicate=predicate)


def _build() -> dict[str, Language]:
    zoo: dict[str, Language] = {
        "parity": _regular("parity", "01", "an odd number of 1s",
                           lambda w: w.count("1") % 2 == 1, "0*1(0|10*1)*",
                           {"odd"}, {"even": ("even", "odd"), "odd": ("odd", "even")}),
        "first": _regular("first", "01", "starts with 1", lambda w: w[:1] == "1",
                          "1(0|1)*", {"one"}, {"start": ("dead", "one"),
                                               "one": ("one", "one"),
                                               "dead": ("dead", "dead")}),
        "majority": Majority(),
        "mod3": _regular("mod3", "01", "the number of 1s divisible by 3",
                         lambda w: w.count("1") % 3 == 0, "(0*10*10*1)*0*",
                         {"r0"}, {"r0": ("r0", "r1"), "r1": ("r1", "r2"), "r2": ("r2", "r0")}),
        # empty or first symbol == last symbol
        "even_pairs": _regular("even_pairs", "ab", "as many ab factors as ba factors",
                               _even_pairs, "(a(a|b)*a|b(a|b)*b|a|b)?",
                               {"start", "aa", "bb"},
                               {"start": ("aa", "bb"), "aa": ("aa", "ab"), "ab": ("aa", "ab"),
                                "bb": ("ba", "bb"), "ba": ("ba", "bb")}),
        "dyck1": Dyck(name="dyck1", alphabet="()", description="balanced parentheses"),
        "dyck2": Dyck(name="dyck2", alphabet="()[]",
                      description="well-nested parentheses and brackets"),
        "shuffle_dyck2": ShuffleDyck(name="shuffle_dyck2", alphabet="()[]",
                                     description="() balanced and [] balanced, interleaved"),
        "anbn": AnBn(),
    }
    for name, dfa in tomita.DFAS.items():
        zoo[name] = RegularLanguage(name=name, dfa=dfa, description=tomita.DESCRIPTIONS[name],
                                    regex=tomita.REGEXES[name], predicate=tomita.PREDICATES[name])
    return zoo


@functools.cache
def _zoo() -> dict[str, Language]:
    return _build()


def names() -> list[str]:
    """The zoo's language names, in listing order."""
    return list(_zoo())


def get(name: str) -> Language:
    """The zoo language called `name`.

    Raises:
        UnknownLanguageError: naming `name` and listing the known names.
    """
    zoo = _zoo()
    if name not in zoo:
        raise UnknownLanguageError(f"unknown language {name!r}; known languages: "
                                   f"{', '.join(zoo)}")
    return zoo[name]
