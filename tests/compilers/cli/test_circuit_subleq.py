"""`circuitx circuit subleq` and `circuitx scaling subleq`, and `run subleq` on the torch backend.

Oracles: the interpreter (`languages.subleq`) for every state the circuit's
loop reaches, the circuit compiled through the Python API for the file
written, and the factorial of 5.
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from circuitx import io
from compilers.cli import main
from languages import subleq
from tests.compilers.backends.circuit.test_lower_loop import (
    MULTIPLY,
    _multiply,
    _printing_loops,
    _reference,
)

FACTORIAL = Path(__file__).resolve().parents[3] / "examples" / "programs" / "factorial.giannou"


def test_cli_compiles_one_loop_and_runs_multiply_to_its_halt(tmp_path):
    saved = tmp_path / "loop.json"
    result = CliRunner().invoke(main, ["circuit", "subleq", str(MULTIPLY), "--bits", "4",
                                       "--max-steps", "30", "--json", "--out", str(saved)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    program = _multiply(4)[0]
    (pc, memory), = _reference(program, 30)[-1:]
    assert report["run"] == {"loops": 21, "halted": True, "fault": False, "pc": pc,
                             "memory": list(memory), "output": "", "promise_broken": [],
                             "agrees_with_reference": True}
    assert (report["columns"], report["depth"]) == (13, _multiply(4)[2].circuit.depth)
    assert io.load(saved) == _multiply(4)[2].circuit


def test_cli_scaling_subleq_has_a_flat_depth_in_the_columns():
    result = CliRunner().invoke(main, ["scaling", "subleq", "--sizes", "2,4,8", "--bits", "4",
                                       "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert [p["columns"] for p in report["points"]] == [7, 11, 19]
    assert len(report["depths"]) == 1
    assert 0.5 < report["size_exponent"] < 3


def test_cli_runs_countdown_on_the_esolang_loop_circuit_with_every_loop_proved():
    path = MULTIPLY.parent / "countdown.subleq"
    result = CliRunner().invoke(main, ["circuit", "subleq", str(path), "--max-steps", "100",
                                       "--json"])
    assert result.exit_code == 0, result.output
    run_report = json.loads(result.output)["run"]
    program = subleq.parse_program(path.read_text(), semantics="esolang")
    final = subleq.run(program, max_steps=100, bits=8)
    assert run_report["output"] == final.output.decode() == "9876543210\n"
    assert (run_report["loops"], run_report["pc"]) == (final.steps, final.pc)
    assert run_report["memory"] == list(final.memory) and run_report["agrees_with_reference"]
    # the 11 printing loops (instruction "a -1 c") keep the promise like every other
    assert len(_printing_loops(program, 100)) == 11
    assert run_report["promise_broken"] == []


def test_run_subleq_on_the_torch_float64_transformer_prints_the_reference_json():
    result = CliRunner().invoke(main, ["run", "subleq", str(FACTORIAL), "--bits", "8",
                                       "--backend", "torch", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["memory"][0] == 120 and data["halted"] and data["agrees_with_reference"]
