"""Programs by name, by file or as text: the program library and the one reader of programs.

A program comes from one of three places (`load` tries them in this order:
text, then an existing file, then the library):

* the library (`names`): the files of this package's ``library/`` folder
  (``majority.crasp``, ``tomita4.ltl``, ...), named by their stem, or by
  their file name where a stem is in several languages (``tomita4`` is
  B-RASP and LTL: ``tomita4.ltl``, or ``tomita4`` with ``language="ltl"``);
  and ``knee_deep_K`` for K = 1 .. `MAX_K`, generated (`knee_deep`);
* a file ending in ``.brasp``, ``.crasp`` or ``.ltl`` (the language from the
  suffix unless given), read as bytes within `MAX_BYTES`, decoded as UTF-8;
* program text (anything holding a new line), its language given.

Each becomes a `Source`: the program (`languages.brasp.Program`,
`languages.crasp.Program` or `languages.ltl.Program`), its language, its
name, and the program's own semantics (`vectors`: every vector at every
position; `accepts`), which is the ground truth of a compiled program.
`Source.text` writes the program back (the library name where it came from
the library), so that a construction can be rebuilt from its options.

Every problem is one `ProgramSourceError` naming the source and what was
allowed; syntax and type errors are the parsers' `RaspSyntaxError`, naming
the line and column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from circuitx.jsonfile import read_bytes
from circuitx.jsonfile import text as decoded
from compilers.programs.booleans import ProgramCompileError
from languages import brasp, brasp_text, crasp, crasp_text, ltl, ltl_text

LANGUAGES = ("brasp", "crasp", "ltl")
TITLES = {"brasp": "B-RASP", "crasp": "C-RASP", "ltl": "LTL"}
SUFFIXES = {".brasp": "brasp", ".crasp": "crasp", ".ltl": "ltl"}
PARSERS = {"brasp": brasp_text, "crasp": crasp_text, "ltl": ltl_text}
LIBRARY = Path(__file__).with_name("library")
MAX_BYTES = 1 << 20  # of a program file
MAX_K = 64  # the deepest Knee-Deep program the library generates
ZOO = {"majority": "majority", "dyck1": "dyck1", "first": "first", "tomita1": "tomita1",
       "tomita2": "tomita2", "tomita4": "tomita4", "tomita7": "tomita7", "anbn": "anbn"}
"""Library stem -> the `languages.zoo` language it decides on non-empty words (whose
sampler then draws members and non-members for checks)."""

_KNEE_DEEP = re.compile(r"knee_deep_([0-9]{1,3})\Z")


class ProgramSourceError(ProgramCompileError):
    """A program that cannot be found or read (names the source and what was allowed)."""


@dataclass(frozen=True)
class Source:
    """A loaded program (see the module docstring).

    Attributes:
        name: the library name, the file's stem, or ``text``.
        language: ``brasp``, ``crasp`` or ``ltl``.
        program: the program value.
        library: whether it came from the library (then `text` is its name).
    """

    name: str
    language: str
    program: Any
    library: bool = False

    @property
    def alphabet(self) -> str:
        return self.program.alphabet

    @property
    def title(self) -> str:
        return TITLES[self.language]

    @property
    def depth(self) -> int:
        """The program's depth: attention depth (B-RASP), counting depth (C-RASP, as
        Knee-Deep counts it), temporal depth (LTL)."""
        return self.program.depth

    @property
    def zoo(self) -> str | None:
        """The zoo language a library program decides (None: none named)."""
        return ZOO.get(self.name) if self.library else None

    @property
    def text(self) -> str:
        """What rebuilds this source through `load`: the library name, else the program
        written out in its language's text syntax (ASCII)."""
        if self.library:
            return self.name
        return PARSERS[self.language].to_text(self.program, ascii=True)

    def brasp(self) -> brasp.Program:
        """The B-RASP program of a B-RASP or LTL source (LTL through `ltl.to_brasp`)."""
        return ltl.to_brasp(self.program) if self.language == "ltl" else self.program

    def vectors(self, word: str) -> list[dict]:
        """Every vector at every position of `word`, in program order, each as
        ``{"name", "type" ("bool" or "count"), "depth", "values"}`` (for LTL: every
        subformula, named by its text, with its temporal depth)."""
        if self.language == "ltl":
            values = ltl.run(self.program, word)
            return [{"name": ltl_text.formula_text(node), "type": "bool",
                     "depth": ltl.depth(node), "values": list(column)}
                    for node, column in values.items()]
        module = brasp if self.language == "brasp" else crasp
        values = module.run(self.program, word)
        depths = module.depths(self.program)
        types = self.program.types if self.language == "crasp" else {}
        return [{"name": name, "type": types.get(name, "bool"), "depth": depths[name],
                 "values": list(column)} for name, column in values.items()]

    def accepts(self, word: str) -> bool:
        """Whether the program accepts the non-empty `word` (its output at the last
        position), by the language's own interpreter."""
        module = {"brasp": brasp, "crasp": crasp, "ltl": ltl}[self.language]
        return module.accepts(self.program, word)


def knee_deep(k: int) -> str:
    """The C-RASP text of the Knee-Deep language ``L_k`` (Yang, Cadilhac & Chiang, arXiv
    2506.16055, Sec. 6: ``L_1 = a+``, ``L_{k+1} = L_k b+`` for odd k and ``L_k a+`` for
    even k): words of exactly k blocks, starting with a.

    ``G_2(i) = [#b > 0]`` and ``G_{m+1}(i) = [#[j ≤ i] (Q_s(j) ∧ G_m(j)) > 0]``, s the
    symbol of block m + 1, say that block m + 1 has begun (for a word starting with a),
    at counting depth m; a word is in ``L_k`` iff it starts with a (``#[j ≤ i] (Q_a(j) ∧
    ¬G_2(j)) > 0``, depth 2), ``G_k`` and not ``G_{k+1}``: counting depth k (1 for
    ``L_1 = a+``, which is ``¬G_2``).
    """
    lines = [f"// Knee-Deep L_{k}: a+ b+ a+ ... with exactly {k} blocks, starting with a.",
             'alphabet "ab"', "G2(i) := #[j ≤ i] Q_b(j) > 0"]
    for m in range(2, k + 1):
        symbol = "a" if (m + 1) % 2 else "b"
        lines.append(f"G{m + 1}(i) := #[j ≤ i] (Q_{symbol}(j) ∧ G{m}(j)) > 0")
    if k == 1:
        lines.append("L1(i) := ¬G2(i)")
    else:
        lines.append("starts_a(i) := #[j ≤ i] (Q_a(j) ∧ ¬G2(j)) > 0")
        lines.append(f"L{k}(i) := starts_a(i) ∧ G{k}(i) ∧ ¬G{k + 1}(i)")
    lines.append(f"output L{k}")
    return "\n".join(lines) + "\n"


@cache
def _files() -> dict[tuple[str, str], Path]:
    """(stem, language) -> file, for every file of the library folder."""
    return {(path.stem, SUFFIXES[path.suffix]): path for path in sorted(LIBRARY.iterdir())
            if path.suffix in SUFFIXES}


def names() -> list[str]:
    """The library's names, as `load` takes them (a stem in several languages once per
    language, as its file name), and ``knee_deep_K``."""
    stems: dict[str, list[str]] = {}
    for stem, language in _files():
        stems.setdefault(stem, []).append(language)
    out = []
    for stem, languages in stems.items():
        out += [stem] if len(languages) == 1 else [f"{stem}.{lang}" for lang in languages]
    return [*out, f"knee_deep_K (K = 1..{MAX_K})"]


def _check_language(language) -> None:
    if language is not None and language not in LANGUAGES:
        raise ProgramSourceError(f"language {language!r}; allowed: {', '.join(LANGUAGES)}")


def _library(source: str, language: str | None) -> Source | None:
    """The library program `source` names, or None if it names none."""
    match = _KNEE_DEEP.match(source)
    if match:
        k = int(match.group(1))
        if not 1 <= k <= MAX_K:
            raise ProgramSourceError(f"{source!r}: the library generates knee_deep_K for K = "
                                     f"1..{MAX_K}")
        if language not in (None, "crasp"):
            raise ProgramSourceError(f"{source!r} is a C-RASP program, not {language}")
        return Source(source, "crasp", crasp_text.parse(knee_deep(k)), library=True)
    stem, suffix = source, None
    if Path(source).suffix in SUFFIXES:
        stem, suffix = source[:-len(Path(source).suffix)], SUFFIXES[Path(source).suffix]
        if language not in (None, suffix):
            raise ProgramSourceError(f"{source!r} is {TITLES[suffix]}, and language "
                                     f"{language!r} was given")
    found = [lang for (name, lang) in _files() if name == stem
             and (suffix or language) in (None, lang)]
    if not found:
        others = [lang for (name, lang) in _files() if name == stem]
        if others:
            raise ProgramSourceError(f"the library has {stem!r} in {' and '.join(others)} "
                                     f"only, not in {suffix or language}")
        return None
    if len(found) > 1:
        raise ProgramSourceError(f"the library has {stem!r} in {' and '.join(found)}; name "
                                 f"one: {', '.join(f'{stem}.{lang}' for lang in found)}")
    lang = found[0]
    name = stem if len([1 for (n, _) in _files() if n == stem]) == 1 else f"{stem}.{lang}"
    text = _read(_files()[(stem, lang)])
    return Source(name, lang, PARSERS[lang].parse(text), library=True)


def _read(path: Path) -> str:
    data = read_bytes(path, what="program file", max_bytes=MAX_BYTES,
                      error=ProgramSourceError)
    return decoded(data, what=f"program file {str(path)!r}", error=ProgramSourceError)


def load(source, *, language: str | None = None) -> Source:
    """The program `source` names: a library name, a file, or text (see the module
    docstring); `language` (``brasp``, ``crasp``, ``ltl``) where the source does not say.

    Raises:
        ProgramSourceError: no such library program or file, a file that cannot be read,
            a language that cannot be told.
        RaspSyntaxError: the program text is not well-formed (line and column named).
    """
    _check_language(language)
    if isinstance(source, Path):
        source = str(source)
    if not isinstance(source, str) or not source.strip():
        raise ProgramSourceError(f"a program is a library name, a file or program text, got "
                                 f"{source!r}")
    if "\n" in source:
        if language is None:
            raise ProgramSourceError("program text needs its language: brasp, crasp or ltl")
        return Source("text", language, PARSERS[language].parse(source))
    path = Path(source)
    if "\0" not in source and path.is_file():
        lang = language or SUFFIXES.get(path.suffix)
        if lang is None:
            raise ProgramSourceError(f"program file {source!r} ends in "
                                     f"{path.suffix or 'no suffix'!r}; name its language "
                                     f"(.brasp, .crasp, .ltl) or give it")
        return Source(path.stem, lang, PARSERS[lang].parse(_read(path)))
    found = _library(source, language)
    if found is None:
        shown = source if len(source) <= 80 else source[:77] + "..."
        raise ProgramSourceError(f"program {shown!r} is neither a file nor in the library; "
                                 f"the library: {', '.join(names())}")
    return found


__all__ = ["LANGUAGES", "MAX_K", "ProgramSourceError", "Source", "knee_deep", "load", "names"]
