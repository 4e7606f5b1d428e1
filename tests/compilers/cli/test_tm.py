"""The Turing-machine transformer on the command line: run, compile, precision."""

from __future__ import annotations

import json

from click.testing import CliRunner

from compilers.cli import main
from compilers.runs.saving import load
from languages.turing import TuringMachine, run

BB2 = "1RB1LB_1LA1RZ"
BB4 = "1RB1LB_1LA0LC_1RZ1LD_1RD0RA"
BB5 = "1RB1LC_1RC1RB_1RD0LE_1LA1LD_1RZ0LA"


def _run(*args):
    return CliRunner().invoke(main, list(args))


def test_run_tm_exact_and_torch_print_the_reference_json_and_agree():
    reference = run(TuringMachine.from_bbchallenge(BB2), "11", max_steps=100).as_dict()
    for backend in ("exact", "torch"):
        result = _run("run", "tm", BB2, "--input", "11", "--backend", backend, "--json")
        assert result.exit_code == 0, result.output
        out = json.loads(result.output)
        assert {k: out[k] for k in reference} == reference
        assert out["agrees_with_reference"] is True and out["trusted"] is True


def test_run_tm_bb4_through_torch_float64_halts_after_107_steps():
    result = _run("run", "tm", BB4, "--backend", "torch", "--dtype", "float64", "--json")
    out = json.loads(result.output)
    assert (out["halted"], out["steps"], out["ones"], out["dtype"]) == (True, 107, 13, "float64")


def test_a_machine_that_never_halts_stops_at_max_steps_with_a_clear_message():
    result = _run("run", "tm", BB5, "--backend", "exact", "--max-steps", "30")
    assert result.exit_code == 2
    assert "did not halt within 30 steps" in result.output


def test_an_untrusted_float_run_warns_and_exits_1():
    result = _run("run", "tm", BB2, "--backend", "torch", "--dtype", "bfloat16", "--json")
    assert result.exit_code == 1
    assert "guaranteed for 0 steps only" in result.output
    assert '"trusted": false' in result.output


def test_compile_tm_saves_a_model_that_loads_back(tmp_path):
    result = _run("compile", "tm", BB2, "--input", "01", "-o", str(tmp_path / "bb2"))
    assert result.exit_code == 0, result.output
    assert "decoder width" in result.output and "decoder heads" in result.output
    loaded = load(tmp_path / "bb2")
    assert (loaded.machine.to_bbchallenge(), loaded.word) == (BB2, "01")


def test_compile_tm_refuses_a_bad_machine_with_exit_status_2(tmp_path):
    result = _run("compile", "tm", "1RB1XB", "-o", str(tmp_path / "x"))
    assert result.exit_code == 2
    assert result.output.startswith("error: ")


def test_precision_tm_reports_no_departure_for_bb2_in_float32():
    result = _run("precision", "tm", BB2, "--dtype", "float32", "--max-steps", "20", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["first_departure"] is None and report["silent"] is False
    assert report["guaranteed_steps"] == 2**24 // 256 - 2


def test_check_tm_on_every_backend_compares_every_trace_with_the_interpreter():
    result = _run("check", "tm", BB2, "--lengths", "0..2", "--backends", "exact,torch,circuit",
                  "--max-steps", "10", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["ok"] is True and report["lengths"] == [0, 1, 2]
    for tally in report["backends"].values():
        assert (tally["checked"], tally["failed"], tally["silent_failures"]) == (7, 0, 0)


def test_run_tm_on_the_circuit_backend_agrees_with_the_interpreter():
    reference = run(TuringMachine.from_bbchallenge(BB2), "1", max_steps=100).as_dict()
    result = _run("run", "tm", BB2, "--input", "1", "--backend", "circuit", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert {k: out[k] for k in reference} == reference
    assert (out["backend"], out["agrees_with_reference"], out["trusted"]) == (
        "circuit", True, True)
