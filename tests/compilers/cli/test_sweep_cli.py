"""`circuitx sweep`: the grid from a file, stdin or flags; the results file; resumption;
errors as one line.

The oracle of the merged counts is `compilers.runs.check.check`, run serially
over all the lengths for each construction, options and seed.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from compilers.cli import main
from compilers.constructions import get
from compilers.runs.check import check
from compilers.runs.precision import precision_sweep

TOML = """study = "check"
constructions = ["parity", "first"]
lengths = "0..5"
seeds = [0, 4]
samples = 8
backends = ["exact", "torch"]
"""


def _run(*args, input=None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input)


def test_a_toml_grid_on_stdin_merges_to_serial_checks_and_streams_every_shard(tmp_path):
    out = tmp_path / "s.jsonl"
    result = _run("sweep", "-", "--json", "-o", out, input=TOML)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["shards"], report["ran"], report["resumed"], report["ok"]) == (24, 24, 0, True)
    for group in report["groups"]:
        serial = check(get(group["construction"]).make(), lengths=range(6), samples=8,
                       backends=["exact", "torch"], seed=group["seed"])
        assert group["backends"] == serial.as_dict()["backends"]
        assert group["lengths"] == [0, 1, 2, 3, 4, 5]
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == 24 and len({line["key"] for line in lines}) == 24
    again = _run("sweep", "-", "--json", "-o", out, "--resume", input=TOML)
    resumed = json.loads(again.output)
    assert (resumed["ran"], resumed["resumed"]) == (0, 24)
    assert resumed["groups"] == report["groups"]


def test_flags_replace_the_files_keys(tmp_path):
    grid = tmp_path / "grid.json"
    grid.write_text(json.dumps({"constructions": ["first"], "lengths": [1, 2], "samples": 4}))
    result = _run("sweep", grid, "--constructions", "parity", "--option",
                  "attention=softmax,average-hard", "--lengths", "3", "--seeds", "2..3",
                  "--backends", "exact", "--json")
    assert result.exit_code == 0, result.output
    groups = json.loads(result.output)["groups"]
    assert [(g["construction"], g["options"], g["seed"], g["lengths"]) for g in groups] == [
        ("parity", {"attention": a}, s, [3]) for a in ("softmax", "average-hard") for s in (2, 3)]
    assert all(g["backends"]["exact"]["checked"] == 4 for g in groups)


def test_a_precision_study_prints_each_group(tmp_path):
    result = _run("sweep", "--study", "precision", "--constructions", "parity", "--lengths",
                  "1,2,5", "--dtypes", "float32,float64", "--samples", "4", "--json")
    assert result.exit_code == 0, result.output
    groups = json.loads(result.output)["groups"]
    assert [g["dtype"] for g in groups] == ["float32", "float64"]
    serial = precision_sweep(get("parity").make(), [1, 2, 5], dtype="float32", samples=4)
    assert groups[0]["points"] == [p.as_dict() for p in serial]
    table = _run("sweep", "--study", "precision", "--constructions", "parity", "--lengths",
                 "1,2", "--dtypes", "float32", "--samples", "4")
    assert table.exit_code == 0 and "precision sweep in float32: 2 shards" in table.output
    assert "all right up to n = 2" in table.output


def test_a_refused_shard_exits_one_and_says_so():
    result = _run("sweep", "--constructions", "parity", "--lengths", "2", "--backends",
                  "circuit", "--samples", "2")
    assert result.exit_code == 1
    shown = " ".join(result.output.split())
    assert "refused: parity at n = 2: odd: softmax does not saturate" in shown


@pytest.mark.parametrize(("args", "message"), [
    (("--lengths", "1"), "error: invalid value for '--constructions': name the constructions"),
    (("--constructions", "parity"), "error: parity is checked on words: the grid needs"),
    (("--constructions", "parity", "--lengths", "1", "--option", "attention"),
     "error: invalid value for '--option': 'attention' is not NAME=V1,V2"),
    (("--constructions", "parity", "--lengths", "1", "--option", "bits=3"),
     "error: option 'bits' belongs to none of the constructions parity"),
    (("--constructions", "parity", "--lengths", "1", "--resume"),
     "error: invalid value for '--resume': --resume continues the sweep in --out"),
    (("--constructions", "parity", "--lengths", "1", "-o", "x.json"),
     "error: invalid value for '--out': 'x.json' ends in '.json'; a sweep's results is "
     "written as .jsonl"),
    (("--constructions", "parity", "--lengths", "1", "--ray", "local", "--workers", "2"),
     "--workers"),
    (("--constructions", "parity", "--lengths", "1", "--ray", "nowhere"),
     "error: Ray address 'nowhere' is not host:port, ray://host:port, auto or local"),
    (("--constructions", "parity", "--lengths", "1", "--ray", "127.0.0.1:1"),
     "error: no Ray cluster answers at '127.0.0.1:1'"),
    (("--constructions", "parity", "--lengths", "0..20", "--samples", "1000",
      "--max-seconds", "0.001"), "error: "),
    (("-", "--lengths", "1"), "error: "),
    (("--constructions", "parity", "--lengths", "1", "--backends", "exact", "--dtypes",
      "float32"), "error: --dtypes applies to the torch backend; --backends is exact"),
    (("--constructions", "parity", "--lengths", "1", "--precision", "4.4"),
     "error: --precision applies to the circuit backend of a check"),
])
def test_bad_input_is_one_error_line(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    result = _run("sweep", *args, input="[[x")
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


def test_an_existing_results_file_needs_resume_or_force(tmp_path):
    out = tmp_path / "r.jsonl"
    out.write_text("")
    args = ("sweep", "--constructions", "parity", "--lengths", "1", "-o", out, "--json")
    refused = _run(*args)
    assert refused.exit_code == 2 and "exists; add --force to replace it" in refused.output
    assert _run(*args, "--force").exit_code == 0
    assert len(out.read_text().splitlines()) == 1
