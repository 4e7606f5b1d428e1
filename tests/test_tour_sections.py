"""The tour's sections that have no test of their own run and show what the issues ask:
PARITY compiled, checked and its cross-entropy curve; BB(2) through Pérez et al.'s
transformer; threshold circuits; PARITY's circuit depth and size and the scaling plot."""

from __future__ import annotations

import importlib

import pytest
from rich.console import Console

from compilers.tour import SECTIONS


def _show(module: str, tmp_path) -> str:
    assert module in [name for name, _ in SECTIONS]
    console = Console(record=True, width=200)
    importlib.import_module(f"compilers.tour.{module}").show(console, tmp_path)
    return console.export_text()


@pytest.mark.slow
def test_parity_section_compiles_checks_and_plots_the_cross_entropy(tmp_path):
    text = _show("parity", tmp_path)
    assert "exact: 511 words of length 0..8 (all of them), 0 wrong" in text
    assert "torch: 511 words of length 0..8 (all of them), 0 wrong" in text
    assert (tmp_path / "parity" / "model.safetensors").exists()
    assert (tmp_path / "parity_cross_entropy.png").exists()


def test_tm_section_runs_bb2_through_the_transformer(tmp_path):
    text = _show("tm", tmp_path)
    assert "BB(2), decoded from the transformer's outputs" in text
    cells = [line.replace("│", " ").split() for line in text.splitlines()]
    rows = [r for r in cells if r and r[0] in ("exact", "torch")]
    assert len(rows) == 2 and all(r.count("True") == 3 and "6" in r and "1111" in r
                                  for r in rows), rows


def test_circuits_section_verifies_and_writes_graphml(tmp_path):
    text = _show("circuits", tmp_path)
    assert "addition(4) against x + y on all 256 inputs: equal" in text
    assert "parity(12) equivalent to mod(12, 2, r=1): True" in text
    assert "agrees with sum mod 2: True" in text
    assert (tmp_path / "adder4.graphml").exists()


def test_circuit_backend_section_shows_constant_depth_and_writes_the_plot(tmp_path):
    text = _show("circuit_backend", tmp_path)
    assert "depth [2] at every n" in text
    assert (tmp_path / "parity_circuit_scaling.png").exists()
