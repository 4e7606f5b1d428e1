"""The public API (`compilers.api`, `circuitx.__version__`): what it does, and that it types.

The mypy test runs mypy, with the project's configuration (``[tool.mypy]`` in
pyproject.toml: strict, the imported modules followed silently), on the API
modules and on a user's script that calls every function: the script must
type-check, and a script that misuses the API must not.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest
import torch

import circuitx
import compilers.api as cx
from compilers.errors import CompileError, EvaluationError

ROOT = Path(__file__).resolve().parents[2]


def test_the_version_is_the_installed_distributions_and_pyprojects():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert circuitx.__version__ == cx.__version__ == version("circuitx") == project
    assert "__version__" in circuitx.__all__


def test_build_run_and_check_a_construction():
    assert {"parity", "first", "tm", "subleq"} <= set(cx.constructions())
    parity = cx.build("parity")
    results = cx.run(parity, ["0110", "111", ""], backend="torch")
    assert [r.answer for r in results] == [False, True, False]
    assert all(r.agrees_with_reference and r.trusted for r in results)
    report = cx.check(parity, lengths=[0, 1, 2, 3], samples=8)
    assert report.ok and report.backends["torch"].checked == 15
    with pytest.raises(CompileError, match="a construction's name is a string, got 3"):
        cx.build(3)  # type: ignore[arg-type]


def test_to_torch_states_n_from_the_tokens_and_has_hook_points():
    parity = cx.build("parity")
    model = cx.to_torch(parity)
    ids = model.encode_tokens([parity.tokens("0111"), parity.tokens("0110")])
    out, cache = model.run_with_cache(ids)  # no n=: a recogniser's n is the tokens less '$'
    assert (out.outputs["logit"] > 0).tolist() == [True, False]
    assert torch.allclose(out.outputs["logit"], model(ids, n=4).outputs["logit"], rtol=1e-12)
    assert "blocks.1.attn.hook_pattern" in cache
    bare = cx.to_torch(cx.build("subleq", program=str(ROOT / "examples/programs/hello.subleq")))
    assert bare.word_length is None  # a looped model's n is its punchcard's, stated by runs


def test_to_circuit_save_load_and_to_transformer_lens(tmp_path):
    hard = cx.build("parity", attention="average-hard")
    lowered = cx.to_circuit(hard, n=4)
    assert lowered.circuit.stats().depth == 2
    cx.save(hard, tmp_path / "m")
    assert cx.load(tmp_path / "m").options == hard.options
    written = cx.to_transformer_lens(cx.build("parity"), tmp_path / "tl", n=3)
    assert json.loads((written / "config.json").read_text())["cfg"]["n_ctx"] == 4
    with pytest.raises(CompileError, match="head odd is average-hard"):
        cx.to_transformer_lens(hard, tmp_path / "tl2", n=3)


def test_a_module_not_told_how_n_follows_refuses_to_guess_it():
    from compilers.backends.torch_module import TorchTransformer

    parity = cx.build("parity")
    module = TorchTransformer(parity.transformer)
    with pytest.raises(EvaluationError, match="parity: pass n=, the input length its "
                                              "formulas see; it is not guessed"):
        module(module.encode_tokens([parity.tokens("0110")]))


USAGE = '''
import circuitx
import compilers.api as cx

version: str = circuitx.__version__
parity = cx.build("parity", layernorm=True)
results = cx.run(parity, ["0110"], backend="torch", dtype="float32")
agrees: bool | None = results[0].agrees_with_reference
ok: bool = cx.check(parity, lengths=[1, 2], samples=4).ok
model = cx.to_torch(parity)
lowered = cx.to_circuit(cx.build("parity", attention="average-hard"), n=4)
depth: int = lowered.circuit.stats().depth
cx.save(parity, "model")
again = cx.load("model")
names: list[str] = cx.constructions()
'''
MISUSE = '''
import compilers.api as cx

parity = cx.build(3)
answer = cx.run(parity, ["0"]).answer
'''


def _mypy(tmp_path: Path, source: str) -> subprocess.CompletedProcess:
    script = tmp_path / "usage.py"
    script.write_text(textwrap.dedent(source))
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"),
         "--cache-dir", str(tmp_path / "cache"), "compilers/api.py", "circuitx/__init__.py",
         str(script)], cwd=ROOT, capture_output=True, text=True, check=False)


def test_the_public_api_and_a_script_using_it_type_check_and_a_misuse_does_not(tmp_path):
    done = _mypy(tmp_path, USAGE)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Success: no issues found in 3 source files" in done.stdout
    wrong = _mypy(tmp_path, MISUSE)
    assert wrong.returncode == 1
    assert 'Argument 1 to "build" has incompatible type "int"; expected "str"' in wrong.stdout
    assert '"list[Result]" has no attribute "answer"' in wrong.stdout


def test_every_package_ships_its_py_typed_marker():
    for package in ("languages", "circuitx", "compilers"):
        assert (ROOT / package / "py.typed").is_file()
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert "py.typed" in data["package-data"]["*"]
