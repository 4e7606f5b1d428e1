"""Saving, loading and the recognizer commands: compile, eval, check, precision, run."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner
from safetensors import safe_open

from compilers.cli import main
from compilers.constructions import parity
from compilers.runs import recognise
from compilers.runs.backends import backend_for
from compilers.runs.saving import SavedModelError, load, load_with_module, save

WORDS = ["", "0", "1", "0110", "10101", "1" * 17, "0" * 30 + "1"]


def _run(*args, input=None):
    return CliRunner().invoke(main, list(args), input=input)


@pytest.mark.parametrize("options", [{"layernorm": True}, {"attention": "average-hard"}])
def test_save_load_gives_identical_outputs(tmp_path, options):
    recognizer = parity.build(**options)
    save(recognizer, tmp_path, dtype="float64")
    loaded, module = load_with_module(tmp_path)
    assert loaded == recognizer
    assert _logits(recognise(loaded, WORDS)) == _logits(recognise(recognizer, WORDS))
    before = _logits(recognise(recognizer, WORDS, backend="torch", dtype="float64"))
    after = _logits(recognise(loaded, WORDS, runner=backend_for(loaded, "torch", module=module)))
    assert np.array_equal(before, after)


def _logits(results) -> list:
    return [r.values["logit"] for r in results]


def test_safetensors_file_opens_with_safetensors_alone(tmp_path):
    save(parity.build(layernorm=True), tmp_path)
    with safe_open(str(tmp_path / "model.safetensors"), framework="np") as f:
        names = set(f.keys())
        assert f.metadata()["format"] == "circuitx"
        assert "blocks.l2.odd.value" in names
        assert f.get_tensor("blocks.l2.odd.value").dtype == np.float32
        assert any(name.startswith("exact.") for name in names)


def test_loading_a_tampered_model_is_refused(tmp_path):
    save(parity.build(), tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    config["kind"] = "mystery"
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(SavedModelError, match="kind 'mystery'; known:"):
        load(tmp_path)


def test_a_model_whose_options_were_edited_is_refused(tmp_path):
    save(parity.build(layernorm=True), tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    config["construction"]["options"]["output_scale"] = "7"
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(SavedModelError, match=r"not the transformer that parity builds with "
                                              r"options .*'output_scale': '7'"):
        load(tmp_path)
    config["construction"]["options"]["output_scale"] = "seven"
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(SavedModelError, match=r"options .* do not build parity"):
        load(tmp_path)


def test_compile_then_eval_json(tmp_path):
    out = tmp_path / "parity"
    result = _run("compile", "parity", "--layernorm", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "guaranteed n (float32)" in result.output
    result = _run("eval", str(out), "--json", input="1\n0110\n\n")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [(r["word"], r["accept"]) for r in rows] == [("1", True), ("0110", False),
                                                        ("", False)]
    assert all(abs(r["p_accept"] - (r["accept"] * 1.0)) < 0.01 for r in rows)


def test_eval_names_a_bad_symbol(tmp_path):
    _run("compile", "first", "-o", str(tmp_path))
    result = _run("eval", str(tmp_path), "0120")
    assert result.exit_code == 2
    assert "word '0120' has symbol '2'; the alphabet of first is '01'" in result.output


def test_check_json_contract():
    result = _run("check", "first", "--log-scaling", "--lengths", "0..6", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["ok"] is True
    for backend in ("exact", "torch"):
        tally = report["backends"][backend]
        assert tally["checked"] == 127 and tally["failed"] == 0
        assert tally["first_counterexample"] is None


def test_check_rejects_unknown_backend():
    result = _run("check", "parity", "--lengths", "1..3", "--backends", "exact,tpu")
    assert result.exit_code == 2
    assert "unknown backend 'tpu'; allowed: exact, torch" in result.output


def test_check_rejects_bad_lengths():
    result = _run("check", "parity", "--lengths", "5..2")
    assert result.exit_code == 2
    assert "5..2" in result.output


def test_precision_json_and_plot(tmp_path):
    plot = tmp_path / "ce.png"
    result = _run("precision", "parity", "--layernorm", "--dtype", "float16",
                  "--lengths", "1,2,5,10,20,50", "--samples", "8", "--json", "--plot", str(plot))
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["guaranteed_up_to"] == parity.guaranteed_length("float16")
    assert [p["length"] for p in report["points"]] == [1, 2, 5, 10, 20, 50]
    assert plot.stat().st_size > 1000
    for point in report["points"]:
        assert point["guaranteed"] == (point["length"] <= report["guaranteed_up_to"])


def test_check_on_the_circuit_backend_counts_its_words_beside_exact_and_torch():
    result = _run("check", "parity", "--attention", "average-hard", "--lengths", "0..6",
                  "--backends", "exact,torch,circuit", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert list(report["backends"]) == ["exact", "torch", "circuit"]
    for tally in report["backends"].values():
        assert (tally["checked"], tally["failed"], tally["silent_failures"]) == (127, 0, 0)


def test_run_prints_each_words_decision_beside_the_languages():
    result = _run("run", "parity", "0110", "111", "", "--backend", "exact", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [(r["word"], r["accept"], r["agrees_with_reference"], r["trusted"]) for r in rows] == [
        ("0110", False, True, True), ("111", True, True, True), ("", False, True, True)]
    reference = json.loads(_run("run", "parity", "0110", "111", "--json").output)
    assert reference == [{"word": "0110", "accept": False}, {"word": "111", "accept": True}]


def test_check_refuses_the_circuit_backend_where_softmax_does_not_saturate():
    result = _run("check", "parity", "--lengths", "4", "--backends", "circuit")
    assert result.exit_code == 2
    assert result.output.startswith("error: odd: softmax does not saturate")
