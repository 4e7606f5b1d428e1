"""`circuitx circuit` and `circuitx scaling`: JSON contracts, files written, one-line errors."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from circuitx import gadgets, io
from compilers.cli import main


def _run(*args):
    return CliRunner().invoke(main, list(args))


def test_circuit_json_reports_the_measures_of_the_compiled_parity_circuit():
    result = _run("circuit", "parity", "--attention", "average-hard", "--length", "16", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    hand_built = gadgets.parity(16).stats()
    assert (report["depth"], report["size"]) == (hand_built.depth, hand_built.size) == (2, 17)
    assert report["wires"] == 16 * 16 + 16
    assert report["max_fan_in"] == 16 and report["max_weight_bits"] == 1
    assert report["precision_auto"] is True


def test_circuit_writes_graphml_and_json_that_load_back(tmp_path):
    saved, graph = tmp_path / "c.json", tmp_path / "c.graphml"
    result = _run("circuit", "parity", "--attention", "average-hard", "--layernorm",
                  "--length", "5", "--out", str(saved), "--graphml", str(graph))
    assert result.exit_code == 0, result.output
    assert "depth" in result.output
    circuit = io.load(saved)
    assert list(circuit.input_names[:2]) == ["x0_0", "x0_1"]
    assert circuit.size == 6
    assert io.from_graphml(graph) == circuit


def test_scaling_reports_constant_depth_and_a_linear_size_for_parity(tmp_path):
    plot = tmp_path / "scaling.png"
    result = _run("scaling", "parity", "--attention", "average-hard", "--lengths", "4,8,16,32",
                  "--json", "--plot", str(plot))
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["depths"] == [2]
    assert [p["size"] for p in report["points"]] == [5, 9, 17, 33]
    assert 0.8 < report["size_exponent"] < 1.1
    assert plot.stat().st_size > 0


@pytest.mark.parametrize(("args", "message"), [
    (("circuit", "nosuch", "--length", "4"), "error: unknown construction 'nosuch'; known: "),
    (("circuit", "parity", "--attention", "average-hard", "--length", "0"),
     "error: input length n must be an integer >= 1, got 0"),
    (("circuit", "parity", "--length", "4", "--precision", "4,8"),
     "error: precision '4,8'; expected 'auto' or INT.FRAC"),
    (("scaling", "parity", "--lengths", "0,4", "--attention", "average-hard"),
     "error: length 0: circuits are compiled for lengths >= 1"),
    (("circuit", "parity", "--length", "4"), "error: odd: softmax does not saturate"),
])
def test_bad_input_is_a_one_line_error_with_status_2(args, message):
    result = _run(*args)
    assert result.exit_code == 2
    assert result.output.startswith(message)
    assert result.output.count("\n") == 1
