"""Running a compiled program on the exact and the torch (float64) backends.

`values(transformer, words, outputs, bos=...)` runs the words, grouped by
length (one batch per length), through `compilers.backends.make("exact")` and
`make("torch", dtype="float64")` and returns each backend's read-out as
``{output: {word: [value at each position of the word]}}`` (the BOS position,
if any, dropped). `agree` compares both with the program's interpreter: the
exact values equal to its 0/1 (as Fractions), the float64 ones within
`FLOAT64`, and no float run flagged.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from compilers.backends import make

FLOAT64 = 1e-9  # float64 error allowed on a 0/1 value (layer norms and averages round)


def values(transformer, words, outputs, *, bos: str | None = None) -> tuple[dict, dict]:
    """The exact and the float64 read-outs (see the module docstring)."""
    by_length: dict[int, list[str]] = {}
    for word in dict.fromkeys(words):
        by_length.setdefault(len(word), []).append(word)
    result = []
    for backend in (make("exact", transformer), make("torch", transformer, dtype="float64")):
        got: dict = {name: {} for name in outputs}
        for n, group in by_length.items():
            inputs = [([bos] if bos else []) + list(w) for w in group]
            run = backend.forward(inputs, n=n)
            assert not np.asarray(run.suspect).any(), run.why
            for name in outputs:
                rows = np.asarray(run.outputs[name]).tolist()
                for word, row in zip(group, rows, strict=True):
                    got[name][word] = row[1:] if bos else row
        result.append(got)
    return result[0], result[1]


def agree(transformer, interpret, words, outputs, *, bos: str | None = None) -> None:
    """Assert interpreter == exact == float64 on every word, output and position."""
    exact, floats = values(transformer, words, outputs, bos=bos)
    for word in words:
        want = interpret(word)
        for name in outputs:
            expected = [Fraction(int(v)) for v in want[name]]
            assert exact[name][word] == expected, (name, word, exact[name][word], expected)
            assert all(type(v) is Fraction for v in exact[name][word]), (name, word)
            got = floats[name][word]
            assert all(abs(g - float(e)) <= FLOAT64 for g, e in zip(got, expected, strict=True)), \
                (name, word, got, expected)
