"""The docs site builds strictly: no broken link, anchor or API reference.

`mkdocs build --strict` (mkdocs.yml) turns every warning into a failure:
a link to a page or anchor that does not exist, a page outside the nav, a
docstring that documents a parameter its function lacks, a `:::` reference
to a name that does not exist. The API pages must hold every public name of
`compilers.api` and `circuitx` (their ``__all__``), and the README must come
out as one page per ``##`` section (the hook `docs/hooks/readme_pages.py`).
A second, small site built with the same settings and hook checks that a
broken link does fail, and how the hook rewrites the README's links.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

import circuitx
import compilers.api

ROOT = Path(__file__).resolve().parents[1]
HOOK = ROOT / "docs" / "hooks" / "readme_pages.py"


def build(config: Path, site: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(config),
         "--site-dir", str(site)],
        cwd=config.parent, capture_output=True, text=True, timeout=300, check=False)


def hook():
    spec = importlib.util.spec_from_file_location("readme_pages", HOOK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_site_builds_strictly_with_the_api_and_the_readme(tmp_path):
    done = build(ROOT / "mkdocs.yml", tmp_path / "site")
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "WARNING" not in output, output
    site = tmp_path / "site"

    api = (site / "api" / "compilers_api" / "index.html").read_text(encoding="utf-8")
    for name in compilers.api.__all__:
        if name != "__version__":
            assert f'id="compilers.api.{name}"' in api, name
    circuits = (site / "api" / "circuitx" / "index.html").read_text(encoding="utf-8")
    for name in circuitx.__all__:
        # `evaluate` is shown in its module of the same name
        shown = (f'id="circuitx.{name}"', f'id="circuitx.{name}.{name}"')
        assert any(anchor in circuits for anchor in shown), name
    runs = (site / "api" / "runs" / "index.html").read_text(encoding="utf-8")
    assert 'id="compilers.runs.run"' in runs and 'id="compilers.runs.Result"' in runs
    protocol = (site / "api" / "constructions" / "index.html").read_text(encoding="utf-8")
    assert 'id="compilers.constructions.base.Construction"' in protocol

    # every "## " heading of the README outside code is a page, its title the heading
    readme, fenced, headings = (ROOT / "README.md").read_text(encoding="utf-8"), False, []
    for line in readme.splitlines():
        fenced ^= line.startswith("```")
        if not fenced and line.startswith("## "):
            headings.append(line[3:].strip())
    assert headings
    for heading in headings:
        slug = re.sub(r"[^\w\s-]", "", heading).strip().lower().replace(" ", "-")
        text = (site / "guide" / slug / "index.html").read_text(encoding="utf-8")
        assert f"<title>{heading} - circuitx</title>" in text, heading
    assert (site / "benchmarks" / "index.html").exists()


def small_site(tmp_path: Path, readme: str) -> Path:
    """A site with mkdocs.yml's own settings and hook, without the API pages."""
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    config["hooks"] = [str(HOOK)]
    config["plugins"] = ["search"]
    config["nav"] = [{"Home": "index.md"}, {"The README": "README.md"}, {"Page": "page.md"}]
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# Home\n", encoding="utf-8")
    (tmp_path / "docs" / "page.md").write_text("# Page\n\n## Some part\n", encoding="utf-8")
    (tmp_path / "LICENSE").write_text("MIT\n", encoding="utf-8")
    (tmp_path / "README.md").write_text(readme, encoding="utf-8")
    (tmp_path / "mkdocs.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return tmp_path / "mkdocs.yml"


README = """# tool

Intro, see [usage](#usage) and [the page](docs/page.md#some-part).

## Usage

```bash
## not a heading: inside code
```

### Detail

[License](LICENSE), [part two](#part-two).

## Part two

Back to [the intro's page](docs/index.md).
"""


def test_the_hook_rewrites_the_readme_links(tmp_path):
    done = build(small_site(tmp_path, README), tmp_path / "site")
    assert done.returncode == 0, done.stdout + done.stderr
    site = tmp_path / "site" / "guide"
    assert sorted(p.name for p in site.iterdir()) == ["index.html", "part-two", "usage"]
    intro = (site / "index.html").read_text(encoding="utf-8")
    assert 'href="usage/"' in intro and 'href="../page/#some-part"' in intro
    usage = (site / "usage" / "index.html").read_text(encoding="utf-8")
    assert "## not a heading: inside code" in usage
    assert re.search(r"<h2 id=\"detail\">Detail", usage)
    assert "License (<code>LICENSE</code>)" in usage and 'href="../part-two/"' in usage
    assert 'href="../../"' in (site / "part-two" / "index.html").read_text(encoding="utf-8")


def test_a_broken_readme_link_fails_the_strict_build(tmp_path):
    readme = README + "\nSee [gone](docs/gone.md) and [no anchor](docs/page.md#nowhere).\n"
    done = build(small_site(tmp_path, readme), tmp_path / "site")
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert "gone.md" in output and "nowhere" in output, output


def test_split_keeps_code_and_orders_the_sections():
    sections = hook().split(README)
    assert [(s.title, s.slug) for s in sections] == [
        ("Overview", "index"), ("Usage", "usage"), ("Part two", "part-two")]
    assert "## not a heading: inside code" in sections[1].lines
    assert "## Detail" in sections[1].lines
    assert not any(line.startswith("# tool") for line in sections[0].lines)


def test_shell_completion_as_the_site_documents_it():
    """docs/index.md: click's script for bash, and the choices of a flag complete."""
    program = Path(sys.executable).parent / "circuitx"
    source = subprocess.run([str(program)], env={**os.environ, "_CIRCUITX_COMPLETE": "bash_source"},
                            capture_output=True, text=True, timeout=120, check=True).stdout
    assert "complete -o nosort -F _circuitx_completion circuitx" in source
    words = {"COMP_WORDS": "circuitx check parity --attention ", "COMP_CWORD": "4",
             "_CIRCUITX_COMPLETE": "bash_complete"}
    answer = subprocess.run([str(program)], env={**os.environ, **words}, capture_output=True,
                            text=True, timeout=120, check=True).stdout.split()
    assert answer == ["plain,softmax", "plain,average-hard"]
