"""`circuitx circuit tm` and `circuitx scaling tm`: one decoding step of a Turing machine.

Oracles: the reference machine (`languages.turing.trace`) for the decoded next
state, the exact backend for the whole read-out, and the circuit files loaded
back.
"""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
from click.testing import CliRunner

from circuitx import io
from compilers.cli import main
from languages.turing import parse_machine, trace

MACHINE = "1RB1LB_1LA1RZ"  # the 2-state busy beaver: halts after 6 steps on the blank tape


def _run(*args):
    return CliRunner().invoke(main, list(args))


@pytest.mark.parametrize("word", ["", "1"])
def test_circuit_tm_decodes_the_reference_machines_next_state_at_every_step(word):
    steps = trace(parse_machine(MACHINE), word, max_steps=6)
    for t in range(1, len(steps) + 1):
        result = _run("circuit", "tm", MACHINE, "--step", str(t), "--input", word, "--json")
        assert result.exit_code == 0, result.output
        report = json.loads(result.output)
        assert (report["step"], report["n"]) == (t, len(word))
        assert report["depth"] <= 8
        run = report["run"]
        assert run["circuit"]["state"] == steps[t - 1].next_state
        assert run["circuit"] == run["exact"]
        assert run["agrees_with_exact"] and run["agrees_with_reference"]


def test_circuit_tm_writes_files_that_load_back_with_the_step_inputs(tmp_path):
    saved, graph = tmp_path / "step.json", tmp_path / "step.graphml"
    result = _run("circuit", "tm", MACHINE, "--step", "2", "--length", "1", "--out", str(saved),
                  "--graphml", str(graph))
    assert result.exit_code == 0, result.output
    assert "step t = 2" in result.output and "depth" in result.output
    circuit = io.load(saved)
    names = set(circuit.input_names)
    assert {"e0_0", "e0_1", "d1_q_A", "d2_m_R"} <= names
    assert not any(name.startswith("d3_") for name in names)
    assert "st_B>0" in circuit.output_names and "mv_in<0" in circuit.output_names
    assert io.from_graphml(graph) == circuit


def test_scaling_tm_reports_a_flat_depth_and_a_polynomial_size_in_t(tmp_path):
    plot = tmp_path / "tm.png"
    result = _run("scaling", "tm", MACHINE, "--steps", "2,4,8,16", "--json", "--plot", str(plot))
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert [p["t"] for p in report["points"]] == [2, 4, 8, 16]
    assert report["depths"] == [8]
    sizes = [p["size"] for p in report["points"]]
    # polynomial: each doubling of t at most quadruples the size (the last-write
    # head compares pairs of positions), and the reported exponent is the log-log fit
    assert all(2 <= b / a <= 4 for a, b in itertools.pairwise(sizes))
    fitted = np.polyfit(np.log([2, 4, 8, 16]), np.log(sizes), 1)[0]
    assert report["size_exponent"] == pytest.approx(fitted, abs=1e-4)
    assert plot.stat().st_size > 0


@pytest.mark.parametrize(("args", "message"), [
    (("circuit", "tm", MACHINE, "--step", "1", "--length", "3", "--input", "01"),
     "error: --length 3 and --input '01' (length 2) disagree"),
    (("circuit", "tm", "nonsense", "--step", "1"), "error: 'nonsense' is neither a bbchallenge"),
    (("circuit", "tm", MACHINE, "--step", "1", "--input", "012"),
     "error: input word '012' has the symbol '2' at position 2"),
    (("scaling", "tm", MACHINE, "--steps", "0,4"),
     "error: step 0: scaling needs decoding steps t >= 1"),
])
def test_bad_tm_input_is_a_one_line_error_with_status_2(args, message):
    result = _run(*args)
    assert result.exit_code == 2
    assert result.output.startswith(message)
    assert result.output.count("\n") == 1
