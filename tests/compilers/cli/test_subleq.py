"""`circuitx compile subleq` and the exact/torch backends of `circuitx run subleq`."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from compilers.cli import main
from languages import subleq as reference

PROGRAMS = Path(__file__).parents[3] / "examples" / "programs"


def _invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_run_subleq_on_the_torch_transformer_prints_hello_world():
    result = _invoke("run", "subleq", PROGRAMS / "hello.subleq", "--backend", "torch")
    assert result.exit_code == 0, result.output
    assert result.output == "Hello, world!\n"


def test_run_subleq_json_on_the_exact_backend_agrees_with_the_reference(tmp_path):
    source = tmp_path / "twice.giannou"
    source.write_text("0 1 2\n0 1 0\n;\n3 5\n")  # 2 > 0; -1 -> pc 0; -4 -> halt
    result = _invoke("run", "subleq", source, "--bits", "4", "--backend", "exact",
                     "--max-steps", "5", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    program = reference.parse_program(source.read_text(), semantics="giannou", bits=4)
    expected = reference.run(program, max_steps=5).as_dict()
    assert {k: data[k] for k in expected} == expected
    assert data["agrees_with_reference"] is True


def test_run_subleq_refuses_half_precision_naming_the_limit():
    result = _invoke("run", "subleq", PROGRAMS / "countdown.subleq", "--backend", "torch",
                     "--dtype", "float16")
    assert result.exit_code == 2
    assert "float16 cannot guarantee" in result.output and "allows W <= 3" in result.output


def test_run_subleq_torch_reports_an_address_error_like_the_interpreter(tmp_path):
    source = tmp_path / "bad.subleq"
    source.write_text("3 10 0 5\n")
    expected = _invoke("run", "subleq", source)
    got = _invoke("run", "subleq", source, "--backend", "torch")
    assert expected.exit_code == got.exit_code == 2
    assert "address 10 is outside the memory [0, 4)" in got.output
    assert got.output == expected.output


def test_compile_subleq_saves_the_loop_and_prints_its_size(tmp_path):
    result = _invoke("compile", "subleq", PROGRAMS / "multiply.giannou", "--bits", "8",
                     "-o", tmp_path / "m")
    assert result.exit_code == 0, result.output
    for needle in ("layers", "heads", "width", "punchcard (columns x rows)", "13 x 80"):
        assert needle in result.output
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    assert config["kind"] == "subleq" and config["ir"]["looped"] is True


def test_tour_section_shows_the_transformer_output_beside_the_interpreter(tmp_path):
    from rich.console import Console

    from compilers.tour import SECTIONS
    from compilers.tour import subleq as section

    assert ("subleq", "Giannou et al.: a looped SUBLEQ computer") in SECTIONS
    console = Console(record=True, width=200)
    section.show(console, tmp_path)
    text = console.export_text()
    assert text.count("'9876543210\\n'") == 2  # transformer row and interpreter row
    assert "as the interpreter: True" in text


def test_check_subleq_on_every_backend_compares_every_loop_with_the_interpreter():
    result = _invoke("check", "subleq", PROGRAMS / "multiply.giannou", "--bits", "8",
                     "--backends", "exact,torch,circuit", "--samples", "2", "--max-steps", "30",
                     "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["ok"], report["programs"]) == (True, 3)
    for tally in report["backends"].values():
        assert (tally["checked"], tally["failed"], tally["silent_failures"]) == (3, 0, 0)


def test_run_subleq_on_the_circuit_backend_prints_what_the_interpreter_prints():
    result = _invoke("run", "subleq", PROGRAMS / "countdown.subleq", "--backend", "circuit")
    assert (result.exit_code, result.output) == (0, "9876543210\n")


def test_precision_subleq_refuses_a_dtype_by_name_and_runs_one_that_fits():
    refused = json.loads(_invoke("precision", "subleq", PROGRAMS / "countdown.subleq",
                                 "--dtype", "float16", "--json").output)
    assert refused["guaranteed"] is False and "float16 cannot guarantee" in refused["refused"]
    result = _invoke("precision", "subleq", PROGRAMS / "multiply.giannou", "--bits", "8",
                     "--dtype", "float32", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["guaranteed"] is True and report["first_departure"] is None
    assert report["loops_run"] == 21
