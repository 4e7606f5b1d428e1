"""The command line's one vocabulary: each idea has one flag, on every command that has it.

`VOCABULARY` names the flags shared across commands and what each means;
`OWN` the few flags that belong to one command alone; a construction's own
options (``--layernorm``, ``--bits``, ...) come from its typed options
(`compilers.constructions.base.Option`) and are listed by
``circuitx constructions``. `RETIRED` maps the old spellings, still accepted
but left out of ``--help`` (`compilers.cli.common.Aliased`), to the
vocabulary's name. ``docs/cli.md`` shows the same table;
``tests/compilers/cli/test_vocabulary.py`` checks every leaf command's
``--help`` against it.

The rules behind the names: a quantity is named for what it is (``length``
n, ``step`` t, ``size`` m); one value is singular (``--length 8``), a list
or range is plural (``--lengths 8,16,32``, ``--lengths 1..100``); a bound
is ``--max-...``; ``-o/--out`` is a command's main output (a folder for a
model or an export, the circuit's JSON for a circuit), while other
formats are named for the format (``--graphml``, ``--dot``, ``--plot``).
"""

from __future__ import annotations

VOCABULARY: dict[str, str] = {
    "--length": "one input length n: a word's length (a gadget: its bits n)",
    "--lengths": "several input lengths: A..B (inclusive) or a list 8,16,32",
    "--step": "one decoding step t of a machine's transformer",
    "--steps": "several decoding steps t: A..B or a list",
    "--sizes": "several program sizes m (memory words and slots of a looped computer)",
    "--samples": "how many inputs are drawn (per length)",
    "--seed": "the seed of every draw: the same seed draws the same inputs",
    "--input": "the input of one run: a machine's word, a program's bytes",
    "--max-steps": "most steps (a machine) or loops (a program) one run takes",
    "--backend": "who runs it: reference, exact, torch or circuit",
    "--backends": "several backends, comma-separated",
    "--dtype": "the float type of torch weights (a run's, or the saved model's)",
    "--device": "the torch device: cpu, cuda, cuda:1, ...",
    "--precision": "the circuit backend's precision: auto, or INT.FRAC bits",
    "--lookups": "a looped program's attention lookups: dense, or index (changed columns only)",
    "--dense-every": "with --lookups index: also run the dense loop every K loops and compare",
    "--out": "the main output (-o): a model's or an export's folder; a circuit's JSON file",
    "--graphml": "also write the circuit as GraphML (.graphml, .xml)",
    "--dot": "also write the circuit as Graphviz DOT (.dot, .gv)",
    "--plot": "also draw a plot into this file (.png, .pdf, .svg, ...)",
    "--force": "replace output files (or a saved model) that exist",
    "--json": "print the result as JSON on stdout (a contract)",
    "--quiet": "no progress bar or spinner on stderr (-q)",
    "--max-gates": "budget: most gates plus wires of the circuits built",
    "--max-memory": "budget: most memory held at once (4GiB, 512M, ...)",
    "--max-seconds": "budget: most seconds of work (estimated first)",
    "--help": "this command's options (-h)",
    "--version": "the installed version (circuitx --version)",
}
"""Flag -> what it means, for every flag that more than one command may take."""

OWN: dict[str, dict[str, str]] = {
    "sample": {"--label": "member, nonmember or any"},
    "export": {"--to": "the format written: transformer-lens"},
    "gadget": {"--k": "exactly: the count k", "--m": "mod: the modulus; iterated-addition: "
               "how many numbers", "--signed": "numbers in two's complement"},
    "interpret": {"--language": "the program's language: brasp, crasp, ltl"},
    "sweep": {"--study": "what each shard runs: check or precision",
              "--constructions": "the grid's constructions, comma-separated",
              "--option": "one option axis of the grid: NAME=V1,V2 (repeatable)",
              "--seeds": "the grid's seeds: A..B or a list",
              "--dtypes": "the grid's torch float types, comma-separated",
              "--resume": "continue the sweep in --out, running only unfinished shards",
              "--workers": "run the shards in N local processes",
              "--ray": "run the shards on the Ray cluster at ADDRESS (auto, local, host:port)"},
}
"""Command -> the flags that command alone takes (beside its construction's options)."""

RETIRED: dict[str, str] = {
    "--count": "--samples",
    "--save-dtype": "--dtype",
    "--save": "--out",
    "--n": "--length",
    "--max-length": "--lengths",
    "--run": "--max-steps",
}
"""Old spelling -> the vocabulary's flag (still accepted where it was, hidden from help)."""

SHORT: dict[str, str] = {"-o": "--out", "-q": "--quiet", "-h": "--help"}
"""Short flags -> the long ones they stand for."""

__all__ = ["OWN", "RETIRED", "SHORT", "VOCABULARY"]
