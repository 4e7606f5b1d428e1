"""Untrusted JSON files: read as bytes, loaded within limits, checked against a schema.

`read_bytes(path, ...)` reads a file whole, refusing one larger than a limit
and naming the file in every error (a missing file, a folder, no permission).
`loads(data, ...)` decodes UTF-8 (a bad byte is named by its offset) and
parses JSON within limits: the size, the nesting depth, the digits of an
integer. `check(value, spec, ...)` checks the parsed value against a `Spec`, a
small schema (types, integer ranges, string lengths, list items, the keys of
an object), and names the key at fault and what was expected::

    circuit file: 'inputs' must be a list (input names), got str
    config.json: missing key 'ir' (the transformer)

`replacing(path)` is how every output is written: to a temporary name in the
same folder, renamed over `path` only once the write succeeded, so a failed
write leaves the old file whole.

Every error is raised as the caller's error class (a `FormatError` for
circuit files, the saved-model error of `compilers`), so each package reports
its own files. Not checked here: what the values mean (that a wire exists, a
weight is right); the readers check that after the schema.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from circuitx.errors import FormatError

MAX_DEPTH = 64  # nesting of arrays and objects
MAX_DIGITS = 4300  # digits of one JSON integer (Python's own limit for int(str))


def _bound(value: int | None) -> str:
    """A range bound as written in messages: 2^62 rather than its 19 digits."""
    if value is not None and abs(value) >= 1 << 32 and abs(value) & (abs(value) - 1) == 0:
        return f"{'-' if value < 0 else ''}2^{abs(value).bit_length() - 1}"
    return str(value)

_TYPES = {bool: "a boolean", int: "an integer", str: "a string", list: "a list",
          dict: "an object", float: "a number", type(None): "null"}


def read_bytes(path: str | Path, *, what: str, max_bytes: int,
               error: type[Exception] = FormatError) -> bytes:
    """The bytes of the file at `path`, or `error` naming it (absent, unreadable, too big)."""
    shown = str(path)
    try:
        size = os.stat(shown).st_size
        if size > max_bytes:
            raise error(f"{what} {shown!r} is {size} bytes; at most {max_bytes} are read")
        with open(shown, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as failure:
        raise error(f"cannot read {what} {shown!r}: "
                    f"{failure.strerror or type(failure).__name__}") from None
    except ValueError as failure:  # an embedded NUL byte in the path
        raise error(f"cannot read {what} {shown!r}: {failure}") from None
    if len(data) > max_bytes:
        raise error(f"{what} {shown!r} is more than {max_bytes} bytes")
    return data


def text(data: bytes, *, what: str, error: type[Exception] = FormatError) -> str:
    """`data` decoded as UTF-8, or `error` naming the first bad byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as failure:
        raise error(f"{what} is not UTF-8 text (byte {failure.start}: "
                    f"{data[failure.start:failure.start + 1]!r})") from None


def loads(data: bytes | str, *, what: str, max_bytes: int, max_depth: int = MAX_DEPTH,
          error: type[Exception] = FormatError) -> Any:
    """JSON from `data` within the limits (see the module docstring), or `error`."""
    if len(data) > max_bytes:
        raise error(f"{what} is {len(data)} bytes; at most {max_bytes} are read")
    source = text(data, what=what, error=error) if isinstance(data, bytes) else data
    depth = _depth(source)
    if depth > max_depth:
        raise error(f"{what} nests arrays and objects {depth} deep; at most {max_depth}")
    try:
        return json.loads(source, parse_constant=_no_constant)
    except json.JSONDecodeError as failure:
        raise error(f"{what} is not JSON: {failure}") from None
    except RecursionError:
        raise error(f"{what} nests too deep to read") from None
    except ValueError as failure:  # NaN, Infinity, or an integer past Python's digit limit
        why = (f"an integer has more than {MAX_DIGITS} digits" if "digits" in str(failure)
               else str(failure))
        raise error(f"{what} is not JSON this reader accepts: {why}") from None


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _depth(source: str) -> int:
    """The deepest nesting of brackets outside strings (a cheap scan before parsing)."""
    if "[" not in source and "{" not in source:
        return 0
    deepest = depth = 0
    in_string = escaped = False
    for char in source:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


# -- the schema -------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Spec:
    """What one JSON value must be.

    Attributes:
        kind: the Python type (``dict``, ``list``, ``str``, ``int``, ``bool``), or a tuple
            of them; ``None`` in the tuple allows null.
        what: what the value is, for messages (``"input names"``).
        low, high: an integer's range (inclusive).
        choices: the values allowed (a string's or an integer's).
        max_length: the most characters of a string, items of a list, keys of an object.
        items: every item of a list.
        keys: an object's required keys; `optional`: keys it may have. With neither,
            any keys, each value checked by `values`.
        values: the value of every key of an object without `keys`.
        extra: an object with `keys` may have other keys.
    """

    kind: type | tuple
    what: str = ""
    low: int | None = None
    high: int | None = None
    choices: tuple = ()
    max_length: int | None = None
    items: Spec | None = None
    keys: dict = field(default_factory=dict)
    optional: dict = field(default_factory=dict)
    values: Spec | None = None
    extra: bool = False


def check(value: Any, spec: Spec, *, what: str, error: type[Exception] = FormatError,
          path: str = "") -> Any:
    """`value` if it fits `spec`, else `error` naming the key path and what was expected."""
    _check(value, spec, what, error, path)
    return value


def _shown(path: str) -> str:
    return repr(path) if path else "the file"


def _kind_ok(value, kind) -> bool:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    for k in kinds:
        if k is None and value is None:
            return True
        if k is int and isinstance(value, int) and not isinstance(value, bool):
            return True
        if k is not None and k is not int and type(value) is k:
            return True
    return False


def _kind_name(kind) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join("null" if k is None else _TYPES.get(k, str(k)) for k in kinds)


def _check(value, spec: Spec, what: str, error, path: str) -> None:
    about = f" ({spec.what})" if spec.what else ""
    if not _kind_ok(value, spec.kind):
        got = type(value).__name__ if value is not None else "null"
        raise error(f"{what}: {_shown(path)} must be {_kind_name(spec.kind)}{about}, got {got}")
    if value is None:
        return
    if spec.choices and value not in spec.choices:
        raise error(f"{what}: {_shown(path)} is {_short(value)}; allowed: "
                    f"{', '.join(repr(c) for c in spec.choices)}")
    if isinstance(value, int) and not isinstance(value, bool) and (
            (spec.low is not None and value < spec.low)
            or (spec.high is not None and value > spec.high)):
        raise error(f"{what}: {_shown(path)} is {_short(value)}, outside "
                    f"[{_bound(spec.low)}, {_bound(spec.high)}]{about}")
    if isinstance(value, str | list | dict) and spec.max_length is not None and (
            len(value) > spec.max_length):
        raise error(f"{what}: {_shown(path)} has {len(value)} "
                    f"{'characters' if isinstance(value, str) else 'items'}; at most "
                    f"{spec.max_length}{about}")
    if isinstance(value, list) and spec.items is not None:
        items = spec.items
        if items.kind is int and not items.choices:  # long integer arrays: one pass, then bounds
            for item in value:
                if type(item) is not int:
                    raise error(f"{what}: {_shown(path)} must hold integers, found "
                                f"{_short(item)}")
            if value and ((items.low is not None and min(value) < items.low) or (
                    items.high is not None and max(value) > items.high)):
                worst = min(value) if items.low is not None and min(value) < items.low else (
                    max(value))
                raise error(f"{what}: {_shown(path)} holds {_short(worst)}, outside "
                            f"[{_bound(items.low)}, {_bound(items.high)}]")
            return
        simple = items.kind is str and items.max_length is None
        for k, item in enumerate(value):
            if simple and type(item) is str:
                continue
            if not _kind_ok(item, items.kind):
                raise error(f"{what}: {_shown(path)} must hold {_plural(items)}, found "
                            f"{_short(item)}")
            _check(item, items, what, error, f"{path}[{k}]")
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):  # json gives str keys; a caller's dict may not
                raise error(f"{what}: {_shown(path)} has a key {key!r} that is not a string")
        if spec.keys or spec.optional:
            for key, sub in spec.keys.items():
                if key not in value:
                    where = f" in {path!r}" if path else ""
                    raise error(f"{what}: missing key {key!r}{where} ({sub.what or 'required'})")
            if not spec.extra:
                unknown = sorted(set(value) - set(spec.keys) - set(spec.optional))
                if unknown:
                    raise error(f"{what}: {_shown(path)} has an unknown key {unknown[0]!r}; "
                                f"allowed: {', '.join(sorted({*spec.keys, *spec.optional}))}")
            for key, sub in (*spec.keys.items(), *spec.optional.items()):
                if key in value:
                    _check(value[key], sub, what, error, f"{path}.{key}" if path else key)
        elif spec.values is not None:
            for key, item in value.items():
                _check(item, spec.values, what, error, f"{path}.{key}" if path else key)


def _plural(spec: Spec) -> str:
    names = {int: "integers", str: "strings", bool: "booleans", list: "lists", dict: "objects"}
    kinds = spec.kind if isinstance(spec.kind, tuple) else (spec.kind,)
    return " or ".join(names.get(k, "null") for k in kinds)


def _short(value) -> str:
    """`repr(value)`, cut short (a huge integer shows its digit count)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return f"an integer of {value.bit_length()} bits"
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


# -- writing ------------------------------------------------------------------------------


@contextlib.contextmanager
def replacing(path: str | Path, *, what: str = "the file",
              error: type[Exception] = FormatError) -> Iterator[Path]:
    """A temporary path beside `path`, renamed over it when the block succeeds.

    The temporary file keeps `path`'s suffix (writers such as matplotlib read
    the format from it). On an error the temporary file is removed and `path`
    is left as it was; an `OSError` (a folder that is gone or read-only, a full
    disk) becomes `error` naming `what` and `path`.
    """
    target = Path(path)

    def failed(failure: OSError) -> Exception:
        why = failure.strerror or str(failure) or type(failure).__name__
        shown = str(target) if len(str(target)) <= 240 else str(target)[:237] + "..."
        return error(f"cannot write {what} {shown!r}: {why}")

    try:
        handle, name = tempfile.mkstemp(prefix=f".{target.name}.",
                                        suffix=f".part{target.suffix}",
                                        dir=str(target.parent) if str(target.parent) else ".")
        os.close(handle)
    except OSError as failure:
        raise failed(failure) from None
    temporary = Path(name)
    try:
        yield temporary
        os.replace(temporary, target)
    except BaseException as failure:
        with contextlib.suppress(OSError):
            temporary.unlink()
        if isinstance(failure, OSError):
            raise failed(failure) from None
        raise


def write(path: str | Path, data: bytes | str, *, what: str = "the file",
          error: type[Exception] = FormatError) -> None:
    """Write `data` to `path` through `replacing` (never a half-written file)."""
    with replacing(path, what=what, error=error) as temporary:
        temporary.write_bytes(data.encode() if isinstance(data, str) else data)


__all__ = ["MAX_DEPTH", "Spec", "check", "loads", "read_bytes", "replacing", "text", "write"]
