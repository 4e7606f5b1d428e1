"""A saved model is verified when loaded: every corruption is refused, naming what differs.

`compilers.runs.saving.load` reads both files as bytes within limits, checks
the config against its schema and the safetensors header against its format,
rebuilds the construction from its options, and requires the saved IR, the
exact weights and the float weights (the exact ones rounded to the saved
dtype) to be what those options build. Each case below corrupts one thing.
"""

from __future__ import annotations

import json
import struct

import pytest
import torch
from safetensors.torch import load_file, save_file

from compilers.constructions import parity
from compilers.runs.saving import SavedModelError, load, load_with_module, save


@pytest.fixture
def saved(tmp_path):
    save(parity.build(layernorm=True), tmp_path, dtype="float32")
    return tmp_path


def _config(path):
    return json.loads((path / "config.json").read_text())


def _write_config(path, config):
    (path / "config.json").write_text(json.dumps(config))


def _edit_tensors(path, edit):
    tensors = load_file(str(path / "model.safetensors"))
    edit(tensors)
    save_file(tensors, str(path / "model.safetensors"),
              metadata={"format": "circuitx", "dtype": "float32"})


def test_an_untouched_model_loads(saved):
    construction, _module = load_with_module(saved)
    assert construction == parity.build(layernorm=True)


@pytest.mark.parametrize(("data", "message"), [
    (b"", "0 bytes, too short for a safetensors file"),
    (b"\x00" * 5, "5 bytes, too short"),
    (struct.pack("<Q", 10**9) + b"{}", "its header claims 1000000000 bytes"),
    (struct.pack("<Q", 4) + b"junk", r"\(header\) is not JSON"),
    (struct.pack("<Q", 2) + b"[]", "the header is not a JSON object"),
    (struct.pack("<Q", 2) + b"{}", "not written by circuitx"),
    (bytes(range(256)) * 4, "header claims"),
])
def test_a_junk_truncated_or_empty_weights_file_is_refused(saved, data, message):
    (saved / "model.safetensors").write_bytes(data)
    with pytest.raises(SavedModelError, match=message):
        load(saved)


def test_a_truncated_weights_file_is_refused(saved):
    data = (saved / "model.safetensors").read_bytes()
    (saved / "model.safetensors").write_bytes(data[:-16])
    with pytest.raises(SavedModelError, match=r"outside the \d+ bytes of data \(truncated\)"):
        load(saved)


def test_float_weights_that_differ_from_the_exact_ones_rounded_are_refused(saved):
    def edit(tensors):
        tensors["blocks.l2.odd.value"] = tensors["blocks.l2.odd.value"] * 1.0001
    _edit_tensors(saved, edit)
    with pytest.raises(SavedModelError, match=r"float weights 'blocks.l2.odd.value' differ from "
                                              r"the exact weights rounded to float32"):
        load(saved)


def test_float_weights_of_another_dtype_are_refused(saved):
    def edit(tensors):
        tensors["readout.matrix"] = tensors["readout.matrix"].double()
    _edit_tensors(saved, edit)
    with pytest.raises(SavedModelError, match=r"float weights 'readout.matrix' differ"):
        load(saved)


def test_exact_weights_edited_to_disagree_with_the_floats_are_refused(saved):
    def edit(tensors):
        tensors["exact.readout.matrix.num"] = tensors["exact.readout.matrix.num"] + 1
    _edit_tensors(saved, edit)
    with pytest.raises(SavedModelError, match=r"its exact weights 'exact.readout.matrix.num' "
                                              r"differ"):
        load(saved)


def test_exact_and_float_weights_edited_together_still_differ_from_the_options(saved):
    def edit(tensors):  # output scale 5 -> 6 in both copies: consistent, but not what 5 builds
        tensors["exact.readout.matrix.num"] = tensors["exact.readout.matrix.num"] * 6 // 5
        tensors["readout.matrix"] = tensors["readout.matrix"] * 6 / 5
    _edit_tensors(saved, edit)
    with pytest.raises(SavedModelError, match=r"exact weights 'exact.readout.matrix.num' differ"):
        load(saved)


def test_a_missing_or_extra_tensor_is_named(saved):
    _edit_tensors(saved, lambda t: t.pop("blocks.l2.odd.value"))
    with pytest.raises(SavedModelError, match=r"missing \['blocks.l2.odd.value'\]"):
        load(saved)
    save(parity.build(layernorm=True), saved, dtype="float32")
    _edit_tensors(saved, lambda t: t.update(extra=torch.zeros(2)))
    with pytest.raises(SavedModelError, match=r"unexpected \['extra'\]"):
        load(saved)


def test_an_exact_denominator_of_zero_is_refused_not_divided_by(saved):
    def edit(tensors):
        tensors["exact.readout.matrix.den"] = torch.zeros_like(tensors["exact.readout.matrix.den"])
    _edit_tensors(saved, edit)
    with pytest.raises(SavedModelError, match=r"'exact.readout.matrix.den' differ"):
        load(saved)


def test_an_exact_index_out_of_range_is_refused(saved):
    def edit(tensors):
        tensors["exact.readout.matrix.index"] = tensors["exact.readout.matrix.index"] + 10**6
    _edit_tensors(saved, edit)
    with pytest.raises(SavedModelError, match=r"'exact.readout.matrix.index' differ"):
        load(saved)


@pytest.mark.parametrize(("text", "message"), [
    ("[]", "expected a JSON object, got list"),
    ("null", "expected a JSON object, got null"),
    ('"model"', "expected a JSON object, got str"),
    ("{nope", "is not JSON"),
    ("[" * 200 + "]" * 200, "nests arrays and objects 200 deep"),
    ('{"a": ' + "9" * 5000 + "}", "an integer has more than 4300 digits"),
])
def test_a_config_that_is_not_a_json_object_is_refused(saved, text, message):
    (saved / "config.json").write_text(text)
    with pytest.raises(SavedModelError, match=message):
        load(saved)


def test_a_binary_config_is_refused_naming_the_byte(saved):
    (saved / "config.json").write_bytes(b"\x89PNG\r\n\x1a\n")
    with pytest.raises(SavedModelError, match=r"is not UTF-8 text \(byte 0"):
        load(saved)


@pytest.mark.parametrize(("key", "message"), [
    ("ir", "missing key 'ir' \\(the transformer\\)"),
    ("construction", "missing key 'construction'"),
    ("dtype", "missing key 'dtype'"),
])
def test_a_config_missing_a_key_names_it(saved, key, message):
    config = _config(saved)
    del config[key]
    _write_config(saved, config)
    with pytest.raises(SavedModelError, match=message):
        load(saved)


@pytest.mark.parametrize(("edit", "message"), [
    (lambda c: c.update(dtype="float8"), "'dtype' is 'float8'; allowed: 'float64'"),
    (lambda c: c.update(ir=[]), "'ir' must be an object \\(the transformer\\), got list"),
    (lambda c: c["construction"].update(options=[1]), "'construction.options' must be an object"),
    (lambda c: c["construction"]["options"].update(epsilon="5/0"),
     "options .* do not build parity: --epsilon must be a number"),
    (lambda c: c["construction"]["options"].update(output_scale="1e999999"),
     "do not build parity: --output-scale must be a number between"),
    (lambda c: c["construction"]["options"].update(output_scale=[5]),
     "'construction.options.output_scale' must be a string or an integer or a boolean or null"),
    (lambda c: c["construction"].update(name="first"), "construction.name 'first' is not the kind"),
    (lambda c: c["ir"]["positions"]["features"].update(pos="2**2**2**2**2**2**2**2"),
     r"at ir.positions.features.pos the file has '2\*\*2"),
    (lambda c: c["ir"]["blocks"][0]["heads"][0].update(mask="none!"),
     "at ir.blocks\\[0\\].heads\\[0\\].mask"),
    (lambda c: c["construction"]["limits"].update(float16=10**6),
     "the saved construction is not the one that parity builds"),
])
def test_an_edited_config_is_refused_naming_the_key(saved, edit, message):
    config = _config(saved)
    edit(config)
    _write_config(saved, config)
    with pytest.raises(SavedModelError, match=message):
        load(saved)


def test_weights_whose_metadata_dtype_disagrees_with_the_config_are_refused(saved):
    tensors = load_file(str(saved / "model.safetensors"))
    save_file(tensors, str(saved / "model.safetensors"),
              metadata={"format": "circuitx", "dtype": "float64"})
    with pytest.raises(SavedModelError, match="metadata says dtype 'float64', the config "
                                              "'float32'"):
        load(saved)


def test_a_model_past_the_memory_limit_is_refused_before_it_is_read(saved):
    with pytest.raises(SavedModelError, match="; at most 100"):
        load(saved, max_bytes=100)


def test_a_failed_save_leaves_the_old_model_whole(saved, monkeypatch):
    before = {p.name: p.read_bytes() for p in saved.iterdir()}

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("compilers.runs.saving.save_file", broken)
    with pytest.raises(SavedModelError, match=r"cannot write model weights .*: disk full"):
        save(parity.build(), saved, dtype="float32")
    assert {p.name: p.read_bytes() for p in saved.iterdir()} == before
    load(saved)


def test_a_model_folder_that_cannot_be_made_is_refused_naming_it(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    with pytest.raises(SavedModelError, match="cannot create the model folder"):
        save(parity.build(), tmp_path / "file" / "model")
