"""The command line's input boundary: arguments, paths, devices and stdin, checked before work.

A command parses its arguments with click, hands what click cannot check to
the validators here, and only then calls the run layer; what reaches the run
layer is well-formed. Each validator raises an `InputError` (a
`compilers.errors.CompileError`, so the root group prints it as one line
``error: ...`` with exit status 2), naming the option, the value and what was
allowed:

* `device`: what torch here can run (``cpu``, ``cuda[:N]`` for N below the
  devices it sees, ``mps`` where there is one); ``cpu:99``, ``meta``, ``xpu:3``
  are refused by name;
* `output_file` and `output_folder`: the folder exists and is writable, the
  suffix is one the writer supports, the path is not empty, not the current
  folder, and an existing file or saved model is replaced only with
  ``--force``; `distinct` refuses two outputs at one path and an output at an
  input's path (nothing is lost). Every writer then writes to a temporary
  name and renames it (`circuitx.jsonfile.replacing`);
* `inapplicable`: options given on the command line that the run ignores
  (``--dtype`` with ``--backend exact``, ``--slots`` for an esolang program)
  are refused by name, all at once;
* `words`: words from the arguments, or one per line from stdin, read as
  bytes and decoded as UTF-8: one line is one word, an empty line the empty
  word, and an empty stdin is an error (there is nothing to answer);
* `memory_size`: ``4GiB``, ``512M``, ``1e9`` -> bytes (``--max-memory``);
* `stdin_bytes`, `stdin_text`, `stdin_file`: a FILE argument given as ``-``
  (`STDIN`) is read from stdin, once per command: a second reader (words after
  a program read from stdin, say) is refused by name. Where a reader needs a
  path (a SUBLEQ program), the bytes are written to a file in a temporary
  folder removed when the command ends.

Files the commands read (circuit files, saved models, programs, machines) are
checked by their readers (`circuitx.io`, `compilers.runs.saving`,
`languages.subleq`, `languages.turing`), which read bytes, bound their size
and name the key or line at fault.
"""

from __future__ import annotations

import atexit
import functools
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import click

from compilers.errors import CompileError

MAX_STDIN_BYTES = 1 << 30
STDIN = "-"
"""A FILE argument that means stdin (and an output file that means stdout)."""
SEED = click.IntRange(0, 2**63 - 1)
"""Seeds: what numpy and the language samplers accept."""


class InputError(CompileError):
    """A command-line input that cannot be used; names the option, the value, what is allowed."""

    def __init__(self, message: str, *, option: str | None = None):
        super().__init__(f"invalid value for '{option}': {message}" if option else message)


class DeviceError(InputError):
    """A device that torch on this machine cannot run."""


class OutputError(InputError):
    """An output path that cannot be written, or that would lose a file."""


class InapplicableError(InputError):
    """Options given that the run does not use."""


class WordsError(InputError):
    """Words on stdin that cannot be read (not UTF-8, none at all, too many bytes)."""


# -- devices ------------------------------------------------------------------------------


def device(text: str, *, option: str = "--device") -> str:
    """`text` if torch here can run on it, else `DeviceError` naming it (the run layer's
    `compilers.runs.validate.device`, the option named)."""
    from compilers.runs import validate

    try:
        return validate.device(text)
    except validate.DeviceError as error:
        raise DeviceError(str(error), option=option) from None


# -- paths --------------------------------------------------------------------------------


def _named(text, option: str) -> Path:
    if text is None or not str(text).strip():
        raise OutputError("an empty path; name a file or folder", option=option)
    if "\0" in str(text):
        raise OutputError(f"{str(text)!r} holds a NUL byte", option=option)
    return Path(str(text))


def _writable_folder(folder: Path, option: str) -> None:
    """The folder exists and a file can be made in it: tried, not guessed from its mode
    bits (which say yes to root on a read-only mount)."""
    shown = str(folder)
    if not folder.is_dir():
        raise OutputError(f"folder {shown!r} does not exist", option=option)
    try:
        handle, name = tempfile.mkstemp(prefix=".circuitx-probe.", dir=folder)
        os.close(handle)
        os.unlink(name)
    except OSError as failure:
        raise OutputError(f"folder {shown!r} is not writable "
                          f"({failure.strerror or type(failure).__name__})",
                          option=option) from None


def output_file(text, *, option: str, suffixes: Sequence[str], force: bool,
                what: str = "the file") -> Path:
    """The path of an output file, checked before any work (see the module docstring)."""
    path = _named(text, option)
    shown = str(text)
    if path.suffix.lower() not in suffixes:
        raise OutputError(f"{shown!r} ends in {path.suffix or 'no suffix'!r}; {what} is written "
                          f"as {', '.join(suffixes)}", option=option)
    if path.is_dir():
        raise OutputError(f"{shown!r} is a folder; name a file in it", option=option)
    _writable_folder(path.parent, option)
    if path.exists() and not force:
        raise OutputError(f"{shown!r} exists; add --force to replace it", option=option)
    return path


def output_folder(text, *, option: str, force: bool, holds: Sequence[str]) -> Path:
    """The folder a command writes the files `holds` into (created if absent; its parent
    must exist): not the current folder, and its files replaced only with `force`."""
    path = _named(text, option)
    shown = str(text)
    if path.resolve() == Path.cwd().resolve() or path.resolve() in Path.cwd().resolve().parents:
        raise OutputError(f"{shown!r} is the current folder (or above it); name a folder of "
                          "its own, e.g. -o model", option=option)
    if path.exists() and not path.is_dir():
        raise OutputError(f"{shown!r} exists and is not a folder", option=option)
    if path.is_dir():
        _writable_folder(path, option)
        present = [name for name in holds if (path / name).exists()]
        if present and not force:
            raise OutputError(f"{shown!r} already holds {', '.join(present)}; add --force to "
                              "replace them", option=option)
    else:
        _writable_folder(path.parent, option)
    return path


def _same(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
        return a.resolve() == b.resolve()
    except (OSError, ValueError):
        return False


def distinct(outputs: Mapping[str, Path | None], inputs: Mapping[str, Path | str | None] = {}
             ) -> None:
    """Refuse two outputs at one path, and an output at an input's path."""
    given = [(name, Path(p)) for name, p in outputs.items() if p is not None]
    for k, (name, path) in enumerate(given):
        for other, where in given[k + 1:]:
            if _same(path, where):
                raise OutputError(f"{name} and {other} both name {str(path)!r}; one would "
                                  "overwrite the other")
        for source, read in inputs.items():
            if read is not None and str(read) and _same(path, Path(read)):
                raise OutputError(f"{name} {str(path)!r} is the {source} this command reads; "
                                  "an output never replaces an input")


# -- options that do not apply ----------------------------------------------------------


def given(ctx: click.Context, name: str) -> bool:
    """Whether the parameter `name` was given (on the command line or in the environment)."""
    source = ctx.get_parameter_source(name)
    return source is not None and source not in (click.core.ParameterSource.DEFAULT,
                                                 click.core.ParameterSource.DEFAULT_MAP)


def inapplicable(ctx: click.Context, reasons: Mapping[str, str | None]) -> None:
    """Refuse, all at once, every option given whose reason is not None (the reason says
    why it does not apply)."""
    flags = {p.name: (p.opts[0] if p.opts else p.name) for p in ctx.command.params}
    problems = [f"{flags.get(name, name)} {why}" for name, why in reasons.items()
                if why is not None and given(ctx, name)]
    if problems:
        raise InapplicableError("; ".join(problems) + "; leave it out")


# -- words ------------------------------------------------------------------------------------


def words(arguments: Sequence[str], *, max_bytes: int = MAX_STDIN_BYTES) -> list[str]:
    """The words: the arguments, else one per line from stdin (see the module docstring)."""
    if arguments:
        return list(arguments)
    taken = _stdin_taken()
    if taken is not None:
        raise click.UsageError(f"stdin gave {taken} already; give the words as arguments")
    stream = sys.stdin
    if stream is None or stream.isatty():
        raise click.UsageError("give words as arguments or one per line on stdin")
    _take_stdin("the words")
    source = getattr(stream, "buffer", None)
    data = source.read(max_bytes + 1) if source is not None else stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise WordsError(f"stdin holds more than {max_bytes} bytes of words")
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise WordsError(f"stdin is not UTF-8 text (byte {error.start}: "
                             f"{data[error.start:error.start + 1]!r})") from None
    if not data:
        raise WordsError("stdin is empty: give one word per line (an empty line is the empty "
                         "word)")
    lines = data.split("\n")
    if lines[-1] == "":
        lines.pop()  # the newline that ends the last line
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def _meta() -> dict:
    ctx = click.get_current_context(silent=True)
    return ctx.meta if ctx is not None else {}


def _stdin_taken() -> str | None:
    return _meta().get("circuitx.stdin")


def _take_stdin(what: str) -> None:
    _meta()["circuitx.stdin"] = what


def stdin_bytes(what: str, *, max_bytes: int = MAX_STDIN_BYTES) -> bytes:
    """The bytes on stdin, for `what` (the argument given as ``-``); refused if stdin was
    read already, is a terminal, is empty or holds more than `max_bytes`."""
    taken = _stdin_taken()
    if taken is not None:
        raise InputError(f"{what} is '-', but stdin gave {taken} already; stdin is read once")
    stream = sys.stdin
    if stream is None or stream.isatty():
        raise InputError(f"{what} is '-' (stdin), but stdin is a terminal; pipe it in")
    _take_stdin(what)
    source = getattr(stream, "buffer", None)
    data = source.read(max_bytes + 1) if source is not None else stream.read(max_bytes + 1)
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    if len(data) > max_bytes:
        raise InputError(f"stdin holds more than {max_bytes} bytes for {what}")
    if not data:
        raise InputError(f"stdin is empty, and {what} is '-' (read from stdin)")
    return data


def stdin_text(what: str) -> str:
    """`stdin_bytes` decoded as UTF-8, or `InputError` naming the first bad byte."""
    data = stdin_bytes(what)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(f"stdin ({what}) is not UTF-8 text (byte {error.start}: "
                         f"{data[error.start:error.start + 1]!r})") from None


def stdin_file(what: str, *, name: str = "stdin") -> str:
    """The path of a file holding `stdin_bytes`, in a temporary folder removed when the
    running command ends (for readers that take a path)."""
    data = stdin_bytes(what)
    folder = tempfile.mkdtemp(prefix="circuitx-stdin.")
    remove = functools.partial(shutil.rmtree, folder, ignore_errors=True)
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.call_on_close(remove)
    else:
        atexit.register(remove)
    path = Path(folder) / name
    path.write_bytes(data)
    return str(path)


def text_bytes(text: str, *, option: str) -> bytes:
    """The bytes of a text argument: UTF-8, bytes the shell passed undecoded kept as they
    were (surrogate escapes)."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError as error:
        raise InputError(f"{text[:40]!r} holds {text[error.start]!r}, which is not text",
                         option=option) from None


# -- sizes ---------------------------------------------------------------------------------

_SIZE = re.compile(r"\s*([0-9]+(?:\.[0-9]*)?(?:[eE][0-9]+)?)\s*([kKmMgGtT]?)(i?)[bB]?\s*\Z")
_UNITS = {"": 0, "k": 1, "m": 2, "g": 3, "t": 4}


class MemorySize(click.ParamType):
    """``4GiB``, ``512M``, ``100k``, ``1e9`` (bytes) -> an int number of bytes > 0."""

    name = "size"

    def convert(self, value, param, ctx):
        if isinstance(value, int) and not isinstance(value, bool):
            result = value
        else:
            match = _SIZE.match(str(value))
            if not match:
                self.fail(f"{value!r} is not a size; write e.g. 4GiB, 512M or 1e9", param, ctx)
            number, unit, binary = match.groups()
            base = 1024 if binary else 1000
            try:
                result = int(float(number) * base ** _UNITS[unit.lower()])
            except OverflowError:
                self.fail(f"{value!r} is too large", param, ctx)
        if not 0 < result <= 1 << 50:
            self.fail(f"{value!r} must be between 1 byte and 1 PiB", param, ctx)
        return result


__all__ = ["SEED", "DeviceError", "InapplicableError", "InputError", "MemorySize",
           "OutputError", "STDIN", "WordsError", "device", "distinct", "given", "inapplicable",
           "output_file", "output_folder", "stdin_bytes", "stdin_file", "stdin_text",
           "text_bytes", "words"]
