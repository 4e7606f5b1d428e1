"""docs/cookbook.md runs: its ``python`` code blocks, top to bottom, in one namespace.

Each example asserts what its blocks compute, so the page cannot drift from
the library.
"""

from __future__ import annotations

import re
from pathlib import Path

PAGE = Path(__file__).resolve().parents[3] / "docs" / "cookbook.md"
BLOCK = re.compile(r"^```python\n(.*?)^```$", re.DOTALL | re.MULTILINE)


def test_every_example_of_the_cookbook_page_runs():
    blocks = BLOCK.findall(PAGE.read_text(encoding="utf-8"))
    assert len(blocks) >= 15
    namespace: dict = {}
    for k, code in enumerate(blocks):
        exec(compile(code, f"{PAGE.name} block {k}", "exec"), namespace)
