"""The example programs shipped in the package, so that the README's commands run from a wheel.

The programs live in this package's ``examples/`` folder (`FOLDER`), which the
wheel carries as package data; a checkout's ``examples/programs/`` is a symbolic
link to it (one copy; ``tests/compilers/programs/test_shipped.py`` keeps it so).
`resolve` turns what a user typed into a path that exists:

* a path to an existing file is itself (a checkout's ``examples/programs/...``
  and the user's own files are read where they are);
* else the shipped copy, found by the path inside ``examples/programs/``
  (``countdown.subleq``, ``rasp/...``), by the README's path
  ``examples/programs/countdown.subleq`` (from any folder), or by the file name
  alone where exactly one shipped program has it;
* else the text unchanged, so that the reader reports the missing file as before.

What is not done: anything that looks like program text (a new line), ``-``
(standard input) and absolute paths are never replaced.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path, PurePosixPath

FOLDER = Path(__file__).with_name("examples")
CHECKOUT = PurePosixPath("examples/programs")
"""Where the examples live in a checkout, relative to the repository root."""


@cache
def names() -> tuple[str, ...]:
    """The shipped programs, as posix paths inside `FOLDER` (``rasp/x.crasp``), sorted."""
    if not FOLDER.is_dir():
        return ()
    return tuple(sorted(path.relative_to(FOLDER).as_posix() for path in FOLDER.rglob("*")
                        if path.is_file() and "__pycache__" not in path.parts))


def resolve(text: str) -> str:
    """The file `text` names: itself if it exists, else a shipped example (see the module
    docstring), else `text` unchanged."""
    if not isinstance(text, str) or not text or "\n" in text or "\0" in text or text == "-":
        return text
    try:
        if Path(text).is_file():
            return text
    except (OSError, ValueError):  # a name too long, say: the reader reports it
        return text
    found = shipped(text)
    return str(found) if found is not None else text


def shipped(text: str) -> Path | None:
    """The shipped program `text` names, or None."""
    posix = PurePosixPath(text.replace("\\", "/"))
    if posix.is_absolute() or ".." in posix.parts:
        return None
    parts = posix.parts
    prefix = CHECKOUT.parts
    if parts[:len(prefix)] == prefix:
        parts = parts[len(prefix):]
    inside = "/".join(parts)
    if inside in names():
        return FOLDER / inside
    by_name = [name for name in names() if PurePosixPath(name).name == inside]
    return FOLDER / by_name[0] if len(by_name) == 1 else None
