"""`circuitx export DIR --to transformer-lens`: a saved model in TransformerLens's format.

The written files are read back with safetensors alone and run through the
numpy transcription of TransformerLens's forward
(`tests.compilers.backends.test_to_transformer_lens.hooked_transformer_forward`).
"""

from __future__ import annotations

import itertools
import json

import numpy as np
from click.testing import CliRunner
from safetensors.numpy import load_file

from compilers.backends.torch_module import TorchTransformer
from compilers.cli import main
from compilers.constructions import parity
from tests.compilers.backends.test_to_transformer_lens import hooked_transformer_forward


def _run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def _one_line_error(result, message: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: ") and result.output.count("\n") == 1, result.output
    assert message in result.output, result.output


def test_an_exported_parity_decides_every_word_of_its_length_as_the_torch_module(tmp_path):
    assert _run("compile", "parity", "--output-scale", "3", "-o", tmp_path / "m").exit_code == 0
    done = _run("export", tmp_path / "m", "--to", "transformer-lens", "--length", 5,
                "-o", tmp_path / "tl", "--json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["positions"] == 6
    config = json.loads((tmp_path / "tl" / "config.json").read_text())
    assert config["construction"] == {"name": "parity", "options": {
        "layernorm": False, "output_scale": "3", "epsilon": "0", "attention": "softmax"}}
    assert config["tokens"] == ["0", "1", "$"] and config["read_position"] == "last"
    weights = load_file(str(tmp_path / "tl" / "model.safetensors"))
    recognizer = parity.build(output_scale=3)
    words = ["".join(w) for w in itertools.product("01", repeat=5)]
    module = TorchTransformer(recognizer.transformer, dtype="float64")
    ids = module.encode_tokens([recognizer.tokens(w) for w in words])
    logits = hooked_transformer_forward(config["cfg"], weights, ids.numpy())[:, -1, 0]
    ours = module(ids, n=5).outputs["logit"].numpy()
    assert np.all(np.abs(logits - ours) <= 1e-12 * np.maximum(1, np.abs(ours)))
    assert [bool(x > 0) for x in logits] == [recognizer.reference(w) for w in words]


def test_what_transformer_lens_cannot_express_is_refused_before_anything_is_written(tmp_path):
    assert _run("compile", "parity", "--attention", "average-hard", "-o",
                tmp_path / "m").exit_code == 0
    result = _run("export", tmp_path / "m", "--to", "transformer-lens", "--length", 4,
                  "-o", tmp_path / "tl")
    _one_line_error(result, "parity cannot be exported to TransformerLens: head odd is "
                            "average-hard (TransformerLens's heads are softmax); head even")
    assert not (tmp_path / "tl").exists()


def test_export_never_writes_over_its_input_or_an_earlier_export(tmp_path):
    assert _run("compile", "parity", "-o", tmp_path / "m").exit_code == 0
    _one_line_error(_run("export", tmp_path / "m", "--to", "transformer-lens", "--length", 2,
                         "-o", tmp_path / "m", "--force"), "is the MODEL_DIR this command reads")
    assert _run("export", tmp_path / "m", "--to", "transformer-lens", "--length", 2,
                "-o", tmp_path / "tl").exit_code == 0
    _one_line_error(_run("export", tmp_path / "m", "--to", "transformer-lens", "--length", 2,
                         "-o", tmp_path / "tl"), "add --force to replace them")
    _one_line_error(_run("export", tmp_path / "nothing", "--to", "transformer-lens",
                         "--length", 2, "-o", tmp_path / "tl2"), "no config.json")
