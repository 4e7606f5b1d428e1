"""The tour's language-zoo section runs and shows every language with sampled words."""

from __future__ import annotations

from rich.console import Console

from compilers.tour import SECTIONS
from compilers.tour import languages as section
from languages import zoo


def test_language_zoo_is_the_first_tour_section(tmp_path):
    assert SECTIONS[0] == ("languages", "The language zoo")
    console = Console(record=True, width=200)
    section.show(console, tmp_path)
    text = console.export_text()
    for name in zoo.names():
        assert name in text
    assert "aaaaabbbbb" in text  # the only member of anbn of length 10
    assert "1010101010" in text  # the only member of tomita2 of length 10
