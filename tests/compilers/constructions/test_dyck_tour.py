"""The tour's Dyck section: both recipes side by side, every backend right, float16 told apart."""

from __future__ import annotations

from rich.console import Console

from compilers.tour import SECTIONS, dyck


def test_dyck_section_shows_both_recipes_and_their_float_guarantees(tmp_path):
    assert "dyck" in [name for name, _ in SECTIONS]
    console = Console(record=True, width=200)
    dyck.show(console, tmp_path)
    text = console.export_text()
    for attention in ("hard", "average-hard"):
        assert (f"{attention}: 48 words of length 6 and 8, half members: exact 0 wrong, "
                "torch 0 wrong, circuit 0 wrong") in text
    assert "hard in float16 on a member of length 124: answer True, trusted True" in text
    assert "average-hard in float16 on a member of length 124: answer True, trusted False" in text
    rows = [line.split("│")[1:-1] for line in text.splitlines() if line.count("│") == 6]
    assert [[c.strip() for c in row] for row in rows] == [
        ["([])[()]", "a member", "True", "True", "True"],
        ["([)]", "crossed pairs", "False", "False", "False"],
        ["(((())))", "depth 4", "False", "False", "False"],
        ["(()", "unbalanced", "False", "False", "False"],
        ["())(", "a negative prefix", "False", "False", "False"]]
