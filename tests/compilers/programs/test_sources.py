"""Where programs come from: the library, files and text (`compilers.programs.sources`)."""

from __future__ import annotations

import pytest

from compilers.programs import sources
from compilers.programs.sources import ProgramSourceError, knee_deep, load
from languages import crasp_text
from languages.brasp_text import RaspSyntaxError


def test_library_names_resolve_by_stem_or_file_name():
    assert load("majority").language == "crasp"
    assert load("tomita4.ltl").language == "ltl"
    assert load("tomita4", language="brasp").name == "tomita4.brasp"
    assert load("knee_deep_5").depth == 5
    assert all(load(name).library for name in sources.names()[:-1])


def test_a_source_rebuilds_from_its_text():
    for name in ("majority", "knee_deep_2", "first.ltl"):
        assert load(name).text == name
    text = load("tomita7.brasp").program
    again = load(sources.Source("x", "brasp", text).text, language="brasp")
    assert again.program == text and not again.library


def test_a_file_wins_over_the_library_and_its_suffix_names_the_language(tmp_path,
                                                                        monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "majority").write_text('alphabet "ab"\nx(i) := Q_a(i)\n')
    assert load("majority", language="brasp").name == "majority"
    with pytest.raises(ProgramSourceError, match="ends in 'no suffix'; name its language"):
        load("majority")
    (tmp_path / "p.ltl").write_text('alphabet "ab"\nH Q_a\n')
    assert load("p.ltl").language == "ltl" and load("p.ltl").name == "p"


def test_unreadable_files_are_refused_by_name(tmp_path):
    path = tmp_path / "latin.crasp"
    path.write_bytes(b'alphabet "\xe9"\n')
    with pytest.raises(ProgramSourceError, match=r"is not UTF-8 text \(byte 10"):
        load(str(path))
    big = tmp_path / "big.brasp"
    big.write_text("//" + "x" * sources.MAX_BYTES)
    with pytest.raises(ProgramSourceError, match="bytes; at most 1048576 are read"):
        load(str(big))
    with pytest.raises(ProgramSourceError, match="language 'c'; allowed: brasp, crasp, ltl"):
        load("majority", language="c")
    with pytest.raises(RaspSyntaxError, match="C-RASP text, line 2"):
        load('alphabet "ab"\nx(i) := ', language="crasp")


def test_the_knee_deep_text_parses_with_the_stated_depth():
    for k in (1, 2, 7):
        program = crasp_text.parse(knee_deep(k))
        assert program.depth == k and program.output == f"L{k}"
