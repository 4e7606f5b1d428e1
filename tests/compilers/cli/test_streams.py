"""stdin, stdout and stderr: ``-`` for files, ``--json`` that parses, progress only on stderr
(``--quiet``: none), ``--dot`` that a DOT parser reads.

The oracles are independent of the code under test: a circuit read from stdin
or written to stdout is compared with the same circuit through a file; a
program read from stdin with the same program read from its file; DOT is
parsed by pydot and its gates and edges counted against the circuit's own
arrays.
"""

from __future__ import annotations

import json
from pathlib import Path

import pydot
import pytest
from click.testing import CliRunner

from circuitx import gadgets, io
from compilers.cli import main
from compilers.cli.common import progress, working

PROGRAMS = Path(__file__).parents[3] / "examples" / "programs"
CRASP = Path(__file__).parents[3] / "compilers" / "programs" / "library" / "majority.crasp"
PARITY = ("parity", "--attention", "average-hard")


def _run(*args, input=None, **kwargs):
    return CliRunner().invoke(main, [str(a) for a in args], input=input, **kwargs)


# -- --json parses, on every kind of command --------------------------------------------

JSON_CASES = [
    ("languages",),
    ("constructions",),
    ("sample", "dyck1", "--length", "6", "--samples", "3"),
    ("contains", "parity", "0110", "1"),
    ("interpret", "majority", "0011"),
    ("run", *PARITY, "0110", "--backend", "exact"),
    ("check", *PARITY, "--lengths", "1..3", "--samples", "4", "--backends", "exact"),
    ("precision", "parity", "--dtype", "float64", "--lengths", "2,5", "--samples", "4"),
    ("circuit", *PARITY, "--length", "4"),
    ("scaling", *PARITY, "--lengths", "2,3"),
    ("gadget", "parity", "--length", "5"),
]


@pytest.mark.parametrize("args", JSON_CASES, ids=lambda a: " ".join(a[:2]))
def test_json_output_is_one_json_value(args):
    result = _run(*args, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) is not None


def test_sample_json_holds_the_words_it_prints():
    words = _run("sample", "tomita3", "--length", "7", "--samples", "5", "--seed", "2").stdout
    shown = json.loads(_run("sample", "tomita3", "--length", "7", "--samples", "5", "--seed",
                            "2", "--json").stdout)
    assert shown["words"] == words.splitlines() and shown["language"] == "tomita3"


def test_compile_json_names_the_model_it_saved(tmp_path):
    result = _run("compile", *PARITY, "-o", tmp_path / "m", "--json")
    report = json.loads(result.stdout)
    assert report["out"] == str(tmp_path / "m") and report["dtype"] == "float32"
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    assert config["dtype"] == "float32"
    assert report["options"] == config["construction"]["options"]
    assert report["options"]["attention"] == "average-hard"


# -- '-' for stdin ---------------------------------------------------------------------------


def test_stats_reads_a_circuit_from_stdin(tmp_path):
    path = tmp_path / "c.json"
    io.save(gadgets.majority(7), path)
    from_file = json.loads(_run("stats", path, "--json").stdout)
    from_stdin = json.loads(_run("stats", "-", "--json", input=path.read_bytes()).stdout)
    assert {k: v for k, v in from_stdin.items() if k != "file"} == {
        k: v for k, v in from_file.items() if k != "file"}
    bad = _run("stats", "-", input=b"{")
    assert bad.exit_code == 2 and bad.output.startswith("error: ")


def test_a_subleq_program_from_stdin_runs_as_its_file_does():
    program = PROGRAMS / "countdown.subleq"
    from_file = json.loads(_run("run", "subleq", program, "--json").stdout)
    from_stdin = json.loads(_run("run", "subleq", "-", "--json",
                                 input=program.read_bytes()).stdout)
    assert from_stdin == from_file and from_file["output"] == "9876543210\n"


def test_a_machine_and_a_rasp_program_from_stdin():
    machine = json.loads(_run("run", "tm", "-", "--input", "1", "--json",
                              input="1RB1LB_1LA1RZ\n").stdout)
    by_code = json.loads(_run("run", "tm", "1RB1LB_1LA1RZ", "--input", "1", "--json").stdout)
    assert machine == by_code and machine["halted"]
    text = CRASP.read_text()
    piped = json.loads(_run("run", "program", "-", "--language", "crasp", "0011", "0111",
                            "--json", input=text).stdout)
    named = json.loads(_run("run", "program", CRASP, "0011", "0111", "--json").stdout)
    assert [r["accept"] for r in piped] == [r["accept"] for r in named]
    interpreted = json.loads(_run("interpret", "-", "--language", "crasp", "0111", "--json",
                                  input=text).stdout)
    assert interpreted[0]["accepts"] == named[1]["accept"]


def test_stdin_is_read_once_and_never_empty():
    both = _run("run", "program", "-", "--language", "crasp", input=CRASP.read_text())
    assert both.exit_code == 2 and "stdin gave PROGRAM already" in both.output
    empty = _run("run", "subleq", "-", input=b"")
    assert empty.exit_code == 2 and "stdin is empty" in empty.output


# -- '-' for stdout ------------------------------------------------------------------------


def test_a_circuit_written_to_stdout_is_the_circuit_written_to_a_file(tmp_path):
    result = _run("gadget", "addition", "--length", "3", "-o", "-")
    assert result.exit_code == 0 and "depth" in result.stderr  # the table: on stderr
    _run("gadget", "addition", "--length", "3", "-o", tmp_path / "a.json")
    assert json.loads(result.stdout) == json.loads((tmp_path / "a.json").read_text())
    piped = _run("circuit", *PARITY, "--length", "3", "--graphml", "-")
    assert piped.stdout.lstrip().startswith("<?xml") and "<graphml" in piped.stdout


def test_one_output_at_most_goes_to_stdout_and_never_beside_json():
    two = _run("gadget", "parity", "--length", "3", "-o", "-", "--dot", "-")
    assert two.exit_code == 2 and "both name '-'" in two.output
    with_json = _run("circuit", *PARITY, "--length", "3", "--dot", "-", "--json")
    assert with_json.exit_code == 2 and "--json prints too" in with_json.output


# -- --dot wherever --graphml is offered ---------------------------------------------------


def _dot_matches(text: str, circuit) -> None:
    """pydot reads `text`, and it holds `circuit`: a node per input, gate and output, an
    edge per wire a gate reads (labelled with its weight) and per output."""
    (graph,) = pydot.graph_from_dot_data(text)
    nodes = [n for n in graph.get_nodes() if n.get_name() not in ("node", "edge", "graph")]
    edges = graph.get_edges()
    outputs = len(circuit.output_names)
    assert len(edges) == len(circuit.fanin_wires) + outputs
    weighted = sorted(int(e.get_label().strip('"')) for e in edges if e.get_label())
    assert weighted == sorted(circuit.weights.tolist())
    assert len(nodes) - circuit.n_gates - len(circuit.input_names) - outputs in (0, 1, 2)


@pytest.mark.parametrize("args", [
    ("circuit", *PARITY, "--length", "4"),
    ("circuit", "tm", "1RB1LB_1LA1RZ", "--step", "1", "--length", "1"),
    ("gadget", "comparison", "--length", "3"),
], ids=lambda a: " ".join(a[:2]))
def test_dot_files_parse_and_hold_every_gate_and_wire(tmp_path, args):
    dot, saved = tmp_path / "c.dot", tmp_path / "c.json"
    result = _run(*args, "--dot", dot, "-o", saved)
    assert result.exit_code == 0, result.output
    _dot_matches(dot.read_text(), io.load(saved))


def test_a_loop_circuit_gets_its_dot_file_too(tmp_path):
    """One loop of SUBLEQ (thousands of wires: too many for pydot's parser in a quick
    test): the DOT written is the DOT of the circuit written beside it, an edge per wire."""
    program = tmp_path / "halt.subleq"
    program.write_text("0 0 -1\n")
    dot, saved = tmp_path / "loop.gv", tmp_path / "loop.json"
    result = _run("circuit", "subleq", program, "--bits", "4", "--dot", dot, "-o", saved)
    assert result.exit_code == 0, result.output
    circuit = io.load(saved)
    text = dot.read_text()
    assert text == io.to_dot(circuit) and text.startswith("digraph circuit {")
    assert text.count(" -> ") == len(circuit.fanin_wires) + len(circuit.output_names)


def test_dot_to_stdout_parses():
    result = _run("gadget", "parity", "--length", "4", "--dot", "-")
    _dot_matches(result.stdout, gadgets.parity(4))


# -- progress: on stderr only, silenced by --quiet ------------------------------------------


@pytest.fixture
def terminal(monkeypatch):
    """stderr counted as a terminal by rich (``TTY_COMPATIBLE=1``), as in a user's shell."""
    monkeypatch.setenv("TTY_COMPATIBLE", "1")


@pytest.mark.parametrize(("args", "bar"), [
    (("check", *PARITY, "--lengths", "1..3", "--samples", "4", "--backends", "exact"),
     "checking parity"),
    (("precision", "parity", "--dtype", "float64", "--lengths", "2,5", "--samples", "4"),
     "parity in float64"),
    (("scaling", *PARITY, "--lengths", "2,3"), "compiling parity"),
], ids=lambda a: a[0] if isinstance(a, tuple) else None)
def test_progress_goes_to_stderr_and_quiet_silences_it(terminal, args, bar):
    shown = _run(*args, "--json")
    assert bar in shown.stderr and bar not in shown.stdout
    assert json.loads(shown.stdout)  # stdout: the JSON alone
    quiet = _run(*args, "--json", "--quiet")
    assert quiet.exit_code == 0 and quiet.stderr == "" and json.loads(quiet.stdout)


def test_the_spinner_shows_past_two_seconds_only_and_never_when_quiet(terminal, capsys):
    with working("a long thing", 10.0):
        pass
    assert "a long thing" in capsys.readouterr().err
    with working("a long thing", 10.0, quiet=True), working("a short thing", 0.5):
        pass
    with progress(quiet=True) as bar:
        bar.add_task("silent", total=1)
    assert capsys.readouterr().err == ""


@pytest.mark.slow
def test_the_tour_prints_one_json_summary_and_its_files(tmp_path, terminal):
    from compilers.tour import SECTIONS

    result = _run("tour", "-o", tmp_path / "tour", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)  # the sections printed nothing to stdout
    assert [s["section"] for s in report["sections"]] == [m for m, _ in SECTIONS]
    written = sorted(p.relative_to(tmp_path / "tour").as_posix()
                     for p in (tmp_path / "tour").rglob("*") if p.is_file())
    assert report["files"] == written and written
    assert "tour:" in result.stderr  # the bar, on stderr
