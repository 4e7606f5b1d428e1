"""Saving, loading and the recognizer commands: compile, eval, check, precision."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner
from safetensors import safe_open

from compilers.cli import main
from compilers.constructions import parity
from compilers.constructions.recognizer import exact_logits, torch_logits
from compilers.saving import SavedModelError, load, load_with_module, save

WORDS = ["", "0", "1", "0110", "10101", "1" * 17, "0" * 30 + "1"]


def _run(*args, input=None):
    return CliRunner().invoke(main, list(args), input=input)


@pytest.mark.parametrize("options", [{"layernorm": True}, {"attention": "average-hard"}])
def test_save_load_gives_identical_outputs(tmp_path, options):
    recognizer = parity.build(**options)
    save(recognizer, tmp_path, dtype="float64")
    loaded, module = load_with_module(tmp_path)
    assert loaded == recognizer
    assert exact_logits(loaded, WORDS) == exact_logits(recognizer, WORDS)
    before = torch_logits(recognizer, WORDS, dtype="float64").logits
    after = torch_logits(loaded, WORDS, module=module).logits
    assert np.array_equal(before, after)


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
    assert [(r["word"], r["accept"]) for r in rows] == [("1", True), ("0110", False)]
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
                  "--max-length", "50", "--samples", "8", "--json", "--plot", str(plot))
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["guaranteed_up_to"] == parity.guaranteed_length("float16")
    assert [p["length"] for p in report["points"]] == [1, 2, 5, 10, 20, 50]
    assert plot.stat().st_size > 1000
    for point in report["points"]:
        assert point["guaranteed"] == (point["length"] <= report["guaranteed_up_to"])
