"""`circuitx gadget`: stats as a table or JSON, files written, one-line errors."""

import json

import pytest
from click.testing import CliRunner

from circuitx import io
from compilers.cli import main


def run(*args):
    return CliRunner().invoke(main, ["gadget", *args])


def test_parity_stats_as_json():
    result = run("parity", "--length", "6", "--json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert (data["depth"], data["size"], data["wires"], data["max_weight_bits"]) == (2, 7, 42, 1)


def test_iterated_addition_takes_m_and_writes_files(tmp_path):
    result = run("iterated-addition", "--length", "4", "--m", "3", "--out",
                 str(tmp_path / "c.json"), "--graphml", str(tmp_path / "c.graphml"))
    assert result.exit_code == 0 and "depth" in result.output
    assert io.load(tmp_path / "c.json") == io.from_graphml(tmp_path / "c.graphml")


@pytest.mark.parametrize(("args", "message"), [
    (["nope", "--length", "3"], "error: unknown gadget 'nope'; choose one of addition, "),
    (["parity", "--length", "-2"], "error: --length must be >= 0, got -2"),
    (["exactly", "--length", "4"], "error: gadget 'exactly' needs --k"),
    (["mod", "--length", "4", "--m", "-1"], "error: --m must be >= 0, got -1"),
    (["mod", "--length", "4", "--m", "0"], "error: m must be >= 1, got 0"),
    (["parity", "--length", "4", "--k", "2"], "error: gadget 'parity' takes no --k"),
    (["parity", "--length", "4", "--signed"], "error: gadget 'parity' takes no --signed"),
])
def test_bad_requests_are_one_line_errors_with_status_2(args, message):
    result = run(*args)
    assert result.exit_code == 2
    assert result.output.startswith(message) and result.output.count("\n") == 1


def test_stats_reads_a_saved_circuit_and_writes_dot(tmp_path):
    assert run("parity", "--length", "6", "--out", str(tmp_path / "p.json")).exit_code == 0
    result = CliRunner().invoke(main, ["stats", str(tmp_path / "p.json"), "--json",
                                       "--dot", str(tmp_path / "p.dot")])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert (data["depth"], data["size"], data["inputs"], data["outputs"]) == (2, 7, 6, 1)
    assert (tmp_path / "p.dot").read_text().startswith("digraph circuit {")


@pytest.mark.parametrize(("text", "message"), [
    ("nope", "error: circuit file '{path}' is not JSON: Expecting value"),
    ('{"inputs": 3}', "error: circuit file: 'format' must be 'circuitx.circuit', got None"),
    (None, "error: cannot read circuit file '{path}': No such file or directory"),
])
def test_stats_of_a_malformed_or_missing_file_is_a_one_line_error(tmp_path, text, message):
    path = tmp_path / "c.json"
    if text is not None:
        path.write_text(text)
    result = CliRunner().invoke(main, ["stats", str(path)])
    assert result.exit_code == 2
    assert result.output.startswith(message.format(path=path))
    assert result.output.count("\n") == 1
