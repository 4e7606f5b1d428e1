"""Tour section: the language zoo, with sampled members and non-members of each language."""

from __future__ import annotations

import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from languages import zoo

LENGTH = 10
SHOWN = 3


def _words(language, label: str, seed: int) -> str:
    """Up to SHOWN distinct sampled words of LENGTH, one per line (or a note when
    there are none)."""
    available = language.has_members if label == "member" else language.has_nonmembers
    if not available(LENGTH):
        return "(none)"
    words = list(dict.fromkeys(language.sample(LENGTH, 4 * SHOWN, label, seed=seed)))
    return "\n".join(words[:SHOWN])


def show(console: Console, out_dir: Path) -> None:
    """A table of the zoo: each language's alphabet, members, count and sampled words."""
    start = time.perf_counter()
    table = Table(title=f"the language zoo: uniform samples of length {LENGTH}")
    table.add_column("name", no_wrap=True)
    table.add_column("Σ", no_wrap=True)
    table.add_column("definition", ratio=1)
    table.add_column("count", justify="right", no_wrap=True)
    table.add_column("members", no_wrap=True)
    table.add_column("non-members", no_wrap=True)
    for seed, name in enumerate(zoo.names()):  # one seed per language: unrelated samples
        language = zoo.get(name)
        table.add_row(name, language.alphabet, language.description,
                      f"{language.count(LENGTH):,}", _words(language, "member", seed),
                      _words(language, "nonmember", seed))
    console.print(table)
    console.print(f"(Σ: the alphabet; count: the members of length {LENGTH}; then "
                  f"{SHOWN} sampled members and non-members)")
    parity = zoo.get("parity")
    big = time.perf_counter()
    parity.sample_indices(100, 100_000, "any", seed=1)
    console.print(f"Sampling is exact and uniform per label (counting samplers over a DFA "
                  f"or a Dyck path, vectorised): 100,000 labelled PARITY words of length 100 "
                  f"took {time.perf_counter() - big:.2f} s; the section "
                  f"{time.perf_counter() - start:.2f} s. Try `circuitx sample dyck2 --length 20 "
                  f"--samples 5` and `circuitx contains tomita3 1000 100`.")
