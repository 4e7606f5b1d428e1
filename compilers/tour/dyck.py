"""Tour section: Dyck-2 of depth at most 3 by the Cookbook's two recipes, side by side.

Unique-hard attention (D + 1 layers, each matching the innermost pairs left)
against average-hard attention (3 layers: depths, partners, a verdict): their
sizes, their answers on a few words, the three backends against the
language's oracle, and what each guarantees in floats.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from compilers.constructions import dyck
from compilers.library import size
from compilers.runs import run

PAIRS, DEPTH = 2, 3
RECIPES = ("hard", "average-hard")
EXAMPLES = {"([])[()]": "a member",
            "([)]": "crossed pairs",
            "(((())))": "depth 4",
            "(()": "unbalanced",
            "())(": "a negative prefix"}


def show(console: Console, out_dir: Path) -> None:
    """Build both recipes, compare sizes and answers, check them, show the float guarantee."""
    built = {a: dyck.build(pairs=PAIRS, depth=DEPTH, attention=a) for a in RECIPES}
    sizes = Table(title=f"Dyck-{PAIRS} of depth <= {DEPTH}: the two recipes")
    for column in ("attention", "layers", "heads", "width", "hidden units", "layer norms",
                   "float32 guaranteed up to", "float16 guaranteed up to"):
        sizes.add_column(column, justify="right")
    for attention, construction in built.items():
        s = size(construction.transformer)
        limits = [construction.limits[d] for d in ("float32", "float16")]
        sizes.add_row(attention, str(s.layers), str(s.heads), str(s.width), str(s.hidden),
                      str(s.norms), *("every n" if x == 10**9 else "none" if x is None else str(x)
                        for x in limits))
    console.print(sizes)

    answers = Table(title="answers (exact backend) beside the language's")
    for column in ("word", "what", "language", *RECIPES):
        answers.add_column(column)
    words = list(EXAMPLES)
    results = {a: run(c, words) for a, c in built.items()}
    for k, word in enumerate(words):
        answers.add_row(word, EXAMPLES[word], str(results["hard"][k].reference),
                        *(str(results[a][k].answer) for a in RECIPES))
    console.print(answers)

    oracle = built["hard"].oracle
    sample = [w for n in (6, 8) for label in ("member", "nonmember")
              for w in oracle.sample(n, 12, label=label, seed=n)]
    for attention, construction in built.items():
        line = []
        for backend in ("exact", "torch", "circuit"):
            wrong = sum(not r.agrees_with_reference for r in run(construction, sample,
                                                                 backend=backend))
            line.append(f"{backend} {wrong} wrong")
        console.print(f"{attention:>12}: {len(sample)} words of length 6 and 8, half members: "
                      + ", ".join(line))

    long_word = ("(" * DEPTH + ")" * DEPTH) * 20 + "[]" * 2
    for attention, construction in built.items():
        result, = run(construction, [long_word], backend="torch", dtype="float16")
        console.print(f"{attention:>12} in float16 on a member of length {len(long_word)}: "
                      f"answer {result.answer}, trusted {result.trusted}"
                      + ("" if result.trusted else f" ({result.why_untrusted})"))
    console.print("Unique-hard attention compares scores 0 and -1 and copies one value: "
                  "exact in every dtype. Average-hard attention breaks ties by j/(n+2), so "
                  "its float guarantee ends where rounding reaches 1/(2(n+2)).")
