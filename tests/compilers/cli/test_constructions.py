"""`circuitx constructions`, and a construction that an installed package registers.

The package is installed the way pip leaves one: a ``*.dist-info`` folder on
the path whose ``entry_points.txt`` names `examples/majority.py`'s `FAMILY` in
the group ``circuitx.constructions``; every command then offers it, and its
answers are checked against the language's own oracle.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from compilers.cli import main
from compilers.constructions import RegistryError, families, get

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def _run(*args, input=None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input)


def test_constructions_json_lists_every_family_with_its_paper_and_options():
    result = _run("constructions", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["name"] for r in rows] == list(families())
    assert [r["name"] for r in rows][:4] == ["parity", "first", "tm", "subleq"]
    assert {"induction", "ngram", "modcount", "compare_counts"} <= set(families())
    by_name = {r["name"]: r for r in rows}
    assert by_name["parity"]["paper"].startswith("Chiang & Cholak 2022, Sec. 4.1")
    assert (by_name["tm"]["mode"], by_name["tm"]["circuit"]) == ("generate", "step")
    assert (by_name["subleq"]["mode"], by_name["subleq"]["circuit"]) == ("loop", "loop")
    assert (by_name["ngram"]["mode"], by_name["ngram"]["circuit"]) == ("predict", "predictor")
    flags = [o["flag"] for o in by_name["parity"]["options"]]
    assert flags == ["--layernorm", "--output-scale", "--epsilon", "--attention"]


@pytest.fixture
def majority_installed(tmp_path, monkeypatch):
    dist = tmp_path / "circuitx_majority-0.1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: circuitx-majority\n"
                                   "Version: 0.1.0\n")
    (dist / "entry_points.txt").write_text("[circuitx.constructions]\n"
                                           "majority = majority:FAMILY\n")
    monkeypatch.syspath_prepend(str(EXAMPLES))
    monkeypatch.syspath_prepend(str(tmp_path))
    families.cache_clear()
    yield
    families.cache_clear()


def test_an_installed_package_adds_a_construction_that_every_command_offers(
        majority_installed, tmp_path):
    listed = json.loads(_run("constructions", "--json").output)
    assert [r["name"] for r in listed][-1] == "majority"
    result = _run("check", "majority", "--lengths", "0..8", "--samples", "256",
                  "--backends", "exact,torch,circuit", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["language"] == "majority" and report["ok"] is True
    assert all(t["checked"] == 511 for t in report["backends"].values())
    rows = json.loads(_run("run", "majority", "110", "100", "--backend", "torch",
                           "--json").output)
    assert [(r["word"], r["accept"], r["agrees_with_reference"]) for r in rows] == [
        ("110", True, True), ("100", False, True)]
    circuit = json.loads(_run("circuit", "majority", "--length", "8", "--json").output)
    assert circuit["depth"] >= 1
    scaling = json.loads(_run("scaling", "majority", "--lengths", "4,8", "--json").output)
    assert [p["n"] for p in scaling["points"]] == [4, 8]
    precision = json.loads(_run("precision", "majority", "--dtype", "float16",
                                "--lengths", "1,2,5,10,20", "--samples", "8", "--json").output)
    assert precision["largest_correct_length"] == 20
    out = tmp_path / "m"
    assert _run("compile", "majority", "--scale", "3", "-o", out).exit_code == 0
    rows = json.loads(_run("eval", out, "--json", input="1\n0\n").output)
    assert [r["accept"] for r in rows] == [True, False]


def test_an_unknown_construction_is_one_line_naming_the_known_ones():
    with pytest.raises(RegistryError, match="unknown construction 'majority'; known: parity"):
        get("majority")
    result = _run("run", "majority", "1")
    assert result.exit_code == 2
    assert result.output == ("error: unknown construction 'majority'; known: "
                             f"{', '.join(families())}\n")
