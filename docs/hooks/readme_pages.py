"""MkDocs hook: the README's sections as pages of the docs site.

README.md is split at its level-2 headings (``## ``, outside fenced code):
the text before the first is the page ``guide/index.md`` ("Overview"), each
section the page ``guide/<slug>.md``, the slug being the heading's toc anchor
(``## Five commands`` -> ``guide/five-commands.md``). Headings move up one
level (the section's ``##`` is the page's title). The nav entry whose value
is ``README.md`` (mkdocs.yml) becomes the list of these pages, in the
README's order, so a section added to the README is a page without touching
mkdocs.yml.

Links are rewritten for the page's place: ``docs/X`` -> ``../X``; ``#anchor``
-> the page of the section that holds that heading; a link to another file
of the repository (``LICENSE``, ``examples/...``) -> its text with the path as
code, since the site does not hold it. Any other link is left as written, and
``mkdocs build --strict`` reports it if it is broken.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

from markdown.extensions.toc import slugify
from mkdocs.structure.files import File

PLACEHOLDER = "README.md"
FOLDER = "guide"
LINK = re.compile(r"(?<!!)\[(?P<text>[^\]]*)\]\((?P<target>[^)\s]+)\)")
SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)


class Section(NamedTuple):
    title: str
    slug: str
    lines: tuple[str, ...]

    @property
    def uri(self) -> str:
        return f"{FOLDER}/{self.slug}.md"


def split(text: str) -> list[Section]:
    """The README's intro (``index``, titled "Overview") and its ``##`` sections."""
    sections: list[Section] = []
    title, slug, lines = "Overview", "index", []
    fenced = False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        if not fenced and line.startswith("## "):
            sections.append(Section(title, slug, tuple(lines)))
            title = line[3:].strip()
            slug, lines = slugify(title, "-"), []
            continue
        if not fenced and line.startswith("# ") and slug == "index":
            continue  # the README's own title: the site's name already says it
        if not fenced and line.startswith("###"):
            line = line[1:]
        lines.append(line)
    sections.append(Section(title, slug, tuple(lines)))
    return sections


def page(section: Section, sections: list[Section], root: Path) -> str:
    """The markdown of `section`'s page, its links rewritten for ``guide/``."""
    anchors = {}
    for other in sections:
        anchors[other.slug] = other
        for line in other.lines:
            if line.startswith("#"):
                anchors.setdefault(slugify(line.lstrip("#").strip(), "-"), other)

    def rewrite(match: re.Match[str]) -> str:
        text, target = match["text"], match["target"]
        if SCHEME.match(target):
            return match[0]
        if target.startswith("#"):
            holder = anchors.get(target[1:])
            if holder is None or holder is section:
                return match[0]
            name = Path(holder.uri).name
            return f"[{text}]({name})" if holder.slug == target[1:] else f"[{text}]({name}{target})"
        path = target.split("#", 1)[0]
        if path.startswith("docs/"):
            return f"[{text}](../{target[len('docs/'):]})"
        if (root / path).exists():
            return f"{text} (`{path}`)" if text.strip("`") != path else f"`{path}`"
        return match[0]

    body, fenced = [], False
    for line in section.lines:
        if line.lstrip().startswith("```"):
            fenced = not fenced
        body.append(line if fenced else LINK.sub(rewrite, line))
    return f"# {section.title}\n" + "\n".join(body).rstrip() + "\n"


def _readme(config) -> tuple[Path, list[Section]]:
    root = Path(config.config_file_path).resolve().parent
    return root, split((root / "README.md").read_text(encoding="utf-8"))


def _expand(nav, sections: list[Section]):
    """`nav` with the ``README.md`` entry replaced by the sections' pages."""
    if isinstance(nav, list):
        return [_expand(item, sections) for item in nav]
    if isinstance(nav, dict):
        return {key: _expand(value, sections) for key, value in nav.items()}
    if nav == PLACEHOLDER:
        return [{section.title: section.uri} for section in sections]
    return nav


def on_config(config):
    root, sections = _readme(config)
    if config.nav is not None:
        config.nav = _expand(config.nav, sections)
    config.watch.append(str(root / "README.md"))
    return config


def on_files(files, config):
    root, sections = _readme(config)
    for section in sections:
        files.append(File.generated(config, section.uri, content=page(section, sections, root)))
    return files
