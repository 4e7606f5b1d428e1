"""The circuit files a command writes: ``-o/--out`` (JSON), ``--graphml``, ``--dot``.

`outputs` checks every path before any work (`compilers.cli.inputs.output_file`:
the suffix, the folder, ``--force``; `inputs.distinct`: no output at an
input's path or at another output's). ``-`` (`inputs.STDIN`) writes that
file to stdout instead: at most one output may, and not beside ``--json``
(both would print there); the command's table then goes to stderr.
`write_circuit` writes what was asked for, each file to a temporary name and
then renamed (`circuitx.jsonfile.write`).
"""

from __future__ import annotations

import json
import sys

from compilers.cli import inputs

SUFFIXES = {"--out": (".json",), "--graphml": (".graphml", ".xml"), "--dot": (".dot", ".gv")}
WHAT = {"out": "circuit file", "graphml": "GraphML file", "dot": "DOT file"}


def outputs(force: bool, reads: dict | None = None, *, as_json: bool = False, **paths) -> dict:
    """The output paths (``out=..., graphml=..., dot=...``), checked before any work (see
    the module docstring); `reads` names the files the command reads."""
    checked: dict = {}
    for name, path in paths.items():
        option = f"--{name}"
        if path == inputs.STDIN:
            checked[option] = inputs.STDIN
            continue
        checked[option] = None if path is None else inputs.output_file(
            path, option=option, suffixes=SUFFIXES[option], force=force)
    to_stdout = [option for option, path in checked.items() if path == inputs.STDIN]
    if len(to_stdout) > 1:
        raise inputs.OutputError(f"{to_stdout[0]} and {to_stdout[1]} both name '-' (stdout); "
                                 "one would mix into the other: write one to a file")
    if to_stdout and as_json:
        raise inputs.OutputError(f"{to_stdout[0]} is '-' (stdout), where --json prints too; "
                                 "write one of them to a file")
    inputs.distinct({option: path for option, path in checked.items()
                     if path != inputs.STDIN}, reads or {})
    return {option[2:]: path for option, path in checked.items()}


def to_stdout(files: dict) -> bool:
    """Whether one of the checked `files` is stdout (then tables go to stderr)."""
    return any(path == inputs.STDIN for path in files.values())


def write_circuit(circuit, **files) -> None:
    """Write `circuit` to each of ``out`` (JSON), ``graphml``, ``dot`` that is not None
    (``-``: to stdout)."""
    if not any(files.values()):
        return
    from circuitx import graph_files, io  # networkx: only when a file is written
    from circuitx.jsonfile import write

    texts = {"out": lambda: json.dumps(io.to_dict(circuit)),
             "graphml": lambda: graph_files.graphml(circuit),
             "dot": lambda: io.to_dot(circuit)}
    for name, path in files.items():
        if path is None:
            continue
        text = texts[name]()
        if path == inputs.STDIN:
            sys.stdout.write(text if text.endswith("\n") else text + "\n")
            sys.stdout.flush()
        else:
            write(path, text, what=WHAT[name])
