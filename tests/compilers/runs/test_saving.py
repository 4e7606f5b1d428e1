"""Saved models (`compilers.runs.saving`): a saved construction loads back as the same
construction, and its saved float weights run as the construction does."""

from __future__ import annotations

from compilers.constructions import tm
from compilers.runs import generate
from compilers.runs.saving import load, load_with_module, save

BB4 = "1RB1LB_1LA0LC_1RZ1LD_1RD0RA"


def test_save_and_load_round_trip(tmp_path):
    construction = tm.build(BB4, "01")
    load_path = tmp_path / "bb4"
    save(construction, load_path, dtype="float64")
    again = load(load_path)
    assert again.transformer == construction.transformer
    assert (again.machine, again.word) == (construction.machine, construction.word)
    _, module = load_with_module(load_path)
    results = generate(again, [again.word], backend="torch", module=module, max_steps=200)
    assert results[0].agrees_with_reference
