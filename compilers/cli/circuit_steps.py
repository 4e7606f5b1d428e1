"""`circuitx circuit|scaling tm` and `... subleq`: one step of a generating or looped model.

The circuit and scaling groups of `compilers.cli.circuit` hold one subcommand
per recognizer, compiled at a word length n; this module adds the generating
constructions, whose "length" is the decoding step t:

* ``circuitx circuit tm MACHINE --step T [--length N | --input WORD]``: compile
  step t of Pérez et al.'s transformer for MACHINE (bbchallenge code, table or
  file) on words of length n (default 0, or the length of WORD); print the
  circuit's measures. With ``--input`` the circuit is also evaluated on the
  real run's decoder inputs and its decoded next state, symbol and move are
  printed beside the exact backend's and the reference machine's.
* ``circuitx scaling tm MACHINE --steps 4,8,16,32 [--length N]``: depth and size
  against t, with the fitted exponent of t (depth flat, size polynomial).
* ``circuitx circuit subleq FILE [--bits N] [--memory M] [--slots S] [--input TEXT]
  [--run STEPS]``: compile one loop of Giannou et al.'s SUBLEQ computer (either
  semantics) for the program's sizes (`compilers.backends.circuit.subleq_loop`);
  with ``--run`` iterate the circuit on its own outputs, compare every state
  with the reference interpreter, and list the loops whose promise bit is 0
  (none on a run that stays in range; esolang: a faulting loop may break it).
* ``circuitx scaling subleq --sizes 4,8,16 [--bits N]``: depth and size of one loop
  against the punchcard's columns (M memory words and M slots each).
"""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from compilers.cli.circuit import (
    circuit_group,
    precision_option,
    print_scaling,
    scaling_group,
    write_circuit,
)
from compilers.cli.common import json_option, parse_lengths, print_json

_KEYS = ("depth", "size", "wires", "inputs", "max_fan_in", "max_weight_bits", "gates_per_layer")


@circuit_group.command(name="tm", help="Compile decoding step T of Pérez et al.'s Turing-"
                                       "machine transformer into a threshold circuit.")
@click.argument("machine")
@click.option("--step", "t", required=True, type=click.IntRange(0, 4096),
              help="The decoding step t (the decoder position computed).")
@click.option("--length", "n", type=click.IntRange(0, 4096), default=None,
              help="The encoder word's length n (default: the length of --input, else 0).")
@click.option("--input", "word", default=None,
              help="An input word: n is its length, and the circuit is run on its real run.")
@precision_option
@json_option
@click.option("--graphml", type=click.Path(dir_okay=False), help="Write GraphML here.")
@click.option("--save", type=click.Path(dir_okay=False), help="Write the circuit's JSON here.")
def circuit_tm(machine, t, n, word, precision, as_json, graphml, save):
    from compilers.backends.circuit import UnsupportedError
    from compilers.backends.circuit.tm_step import compile_tm_step, decode, run_inputs
    from compilers.constructions import tm
    from languages.turing import trace

    if word is not None and n is not None and n != len(word):
        raise UnsupportedError(f"--length {n} and --input {word!r} (length {len(word)}) "
                               "disagree; give one of them")
    n = len(word) if word is not None else (n or 0)
    construction, model = compile_tm_step(machine, n, t, precision=precision)
    stats = model.circuit.stats().to_dict()
    report = {"construction": "tm", "machine": construction.options["machine"], "step": t,
              "n": n, "precision": str(model.precision), "precision_auto": precision == "auto",
              **stats}
    if word is not None:
        built = tm.build(construction.machine, word)
        history, exact = run_inputs(built, t)
        got = decode(built.layout, model.outputs(word, history))
        want = decode(built.layout, {f"{k}{s}": (v > 0 if s == ">0" else v < 0)
                                     for k, v in exact.items() for s in (">0", "<0")})
        steps = trace(built.machine, word, max_steps=t) if t >= 1 else []
        reference = steps[t - 1].next_state if 1 <= t <= len(steps) else None
        report["run"] = {"input": word, "circuit": got, "exact": want,
                         "agrees_with_exact": got == want, "reference_state": reference,
                         "agrees_with_reference": None if reference is None
                         else got["state"] == reference}
    write_circuit(model.circuit, graphml=graphml, save=save)
    if as_json:
        print_json(report)
        return
    table = Table(title=f"tm {report['machine']} at step t = {t}, n = {n}, precision "
                        f"{model.precision}", show_header=False)
    for key in _KEYS:
        table.add_row(key, str(stats[key]))
    if word is not None:
        run = report["run"]
        table.add_row("circuit says", _describe(run["circuit"]))
        table.add_row("exact backend", _describe(run["exact"]))
        table.add_row("reference state", str(run["reference_state"] or "- (past the halt)"))
    Console().print(table)


def _describe(decoded: dict) -> str:
    return f"state {decoded['state']}, symbol {decoded['symbol']}, move {decoded['move']}"


@scaling_group.command(name="tm", help="Depth and size of a Turing machine's decoding step "
                                       "against t.")
@click.argument("machine")
@click.option("--steps", required=True, help="Decoding steps, a list such as 4,8,16,32 (or A..B).")
@click.option("--length", "n", type=click.IntRange(0, 4096), default=0, show_default=True,
              help="The encoder word's length n.")
@precision_option
@json_option
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False),
              help="Write a PNG of depth and size against t (needs matplotlib).")
def scaling_tm(machine, steps, n, precision, as_json, plot_path):
    from compilers.backends.circuit import parse_precision
    from compilers.backends.circuit.tm_step import measure_steps
    from compilers.constructions import tm

    parse_precision(precision)
    code = tm.build(machine, "").options["machine"]
    points = measure_steps(machine, parse_lengths(steps), n=n, precision=precision)
    print_scaling(points, {"construction": "tm", "machine": code, "n": n,
                           "precision": precision},
                  key="t", symbol="t", xlabel="decoding step t", as_json=as_json,
                  plot_path=plot_path, plot_title=f"tm {code}: one decoding step",
                  table_title=f"tm {code}: circuit of one decoding step against t (n = {n})")


@circuit_group.command(name="subleq", help="Compile one loop of Giannou et al.'s SUBLEQ computer "
                                           "for FILE's sizes into a threshold circuit.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--semantics", type=click.Choice(["giannou", "esolang"]), default=None,
              help="Default: giannou for a .giannou file, else esolang.")
@click.option("--bits", type=click.IntRange(2, 64), default=None,
              help="Word width N (default: the program's).")
@click.option("--memory", type=click.IntRange(1, 1 << 12), default=None,
              help="Memory words M (at least the program's).")
@click.option("--slots", type=click.IntRange(1, 1 << 12), default=None,
              help="giannou: instruction slots S (at least the program's K).")
@click.option("--input", "text", default="", help="esolang: the input bytes (UTF-8 text).")
@click.option("--run", "max_steps", type=click.IntRange(0, 10**6), default=0, show_default=True,
              help="Also iterate the circuit on its own outputs for up to this many loops and "
                   "compare every state with the reference interpreter.")
@precision_option
@json_option
@click.option("--graphml", type=click.Path(dir_okay=False), help="Write GraphML here.")
@click.option("--save", type=click.Path(dir_okay=False), help="Write the circuit's JSON here.")
def circuit_subleq(file, semantics, bits, memory, slots, text, max_steps, precision, as_json,
                   graphml, save):
    from pathlib import Path

    from compilers.backends.circuit.subleq_loop import compile_subleq_loop
    from compilers.cli.run_subleq import read_program
    from compilers.cli.subleq import _build

    semantics = semantics or ("giannou" if Path(file).suffix == ".giannou" else "esolang")
    program = read_program(file, semantics, bits if semantics == "giannou" else None)
    data = text.encode()
    construction = _build(program, bits=bits, memory=memory, slots=slots, input_size=len(data))
    model = compile_subleq_loop(construction, precision=precision)
    stats = model.circuit.stats().to_dict()
    layout = construction.layout
    sizes = {"bits": layout.bits, "memory": layout.memory, "columns": layout.columns}
    sizes |= ({"slots": layout.slots} if layout.semantics == "giannou"
              else {"input_size": layout.input_size})
    report = {"construction": "subleq", "semantics": layout.semantics, **sizes,
              "precision": str(model.precision), "precision_auto": precision == "auto", **stats}
    if max_steps:
        report["run"] = _subleq_run(model, construction, program, data, max_steps)
    write_circuit(model.circuit, graphml=graphml, save=save)
    if as_json:
        print_json(report)
        return
    table = Table(title=f"subleq ({layout.semantics}): one loop, {layout.bits}-bit words, "
                        f"{layout.memory} memory words, {layout.columns} columns, precision "
                        f"{model.precision}", show_header=False)
    for key in _KEYS:
        table.add_row(key, str(stats[key]))
    if max_steps:
        run = report["run"]
        table.add_row("loops run", f"{run['loops']} (halted: {run['halted']})")
        table.add_row("pc, memory", f"{run['pc']}, {run['memory']}")
        if layout.semantics == "esolang":
            table.add_row("output", repr(run["output"]))
        table.add_row("agrees with reference", str(run["agrees_with_reference"]))
        broken = run["promise_broken"]
        table.add_row("promise", "kept on every loop" if not broken else
                      f"broken on {len(broken)} loops (first: loop {broken[0]['loop']}, "
                      f"{', '.join(broken[0]['heads'])}): those loops are tested, not proved")
    Console().print(table)


def _subleq_run(model, construction, program, data: bytes, max_steps: int) -> dict:
    """Iterate the loop circuit and compare with the reference interpreter (see --run)."""
    from compilers.backends.circuit.subleq_loop import run
    from languages import subleq as reference

    esolang = construction.layout.semantics == "esolang"
    loops = list(run(model, construction, program, max_steps=max_steps, input=data))
    output, got = b"", []
    for loop in loops:
        if loop.state.byte is not None:
            output += bytes([loop.state.byte])
        got.append((loop.state.pc, loop.state.memory, output))
    want = [(pc, memory, out) for pc, memory, out in reference.states(
        program, max_steps=max_steps, input=data,
        bits=construction.layout.bits if esolang else None)]
    last = loops[-1].state if loops else None
    return {"loops": len(loops), "halted": bool(last and last.halted),
            "fault": bool(last and last.fault),
            "pc": last.pc if last else 0, "memory": list(last.memory) if last else [],
            "output": output.decode("utf-8", "replace"),
            "agrees_with_reference": got == want,
            "promise_broken": [{"loop": k, "heads": list(loop.broken)}
                               for k, loop in enumerate(loops, start=1) if not loop.promise]}


@scaling_group.command(name="subleq", help="Depth and size of one SUBLEQ loop (giannou) against "
                                           "the punchcard's columns.")
@click.option("--sizes", required=True, help="Memory words = instruction slots, a list such as "
                                             "4,8,16,32 (or A..B).")
@click.option("--bits", type=click.IntRange(2, 64), default=8, show_default=True,
              help="Word width N.")
@precision_option
@json_option
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False),
              help="Write a PNG of depth and size against the columns (needs matplotlib).")
def scaling_subleq(sizes, bits, precision, as_json, plot_path):
    from compilers.backends.circuit import parse_precision
    from compilers.backends.circuit.subleq_loop import measure_sizes

    parse_precision(precision)
    points = measure_sizes(parse_lengths(sizes), bits=bits, precision=precision)
    print_scaling(points, {"construction": "subleq", "semantics": "giannou", "bits": bits,
                           "precision": precision},
                  key="columns", symbol="n", xlabel="punchcard columns n", as_json=as_json,
                  plot_path=plot_path, plot_title=f"subleq ({bits}-bit words): one loop",
                  table_title=f"subleq ({bits}-bit words): circuit of one loop against "
                              "the columns")


def register(group: click.Group) -> None:
    """The commands attach to the `circuit` and `scaling` groups of `compilers.cli.circuit`."""
