"""The grid of a sweep: what it names, checked, and cut into shards (`compilers.runs.sweep`).

`grid(spec)` checks a mapping (from a JSON or TOML file, `read_grid`, or from
flags) and builds every construction x options combination once, so that a
bad value is one error naming it before any work; `shards(grid)` lists the
shards in grid order, each a JSON object holding everything its result
depends on, and `key(shard)` is that object as canonical JSON. See
`compilers.runs.sweep` for the seeds and the merge.
"""

from __future__ import annotations

import functools
import itertools
import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass

from circuitx import jsonfile
from compilers.constructions import get
from compilers.constructions.base import exact_number
from compilers.errors import CompileError
from compilers.programs import shipped
from compilers.runs import validate

STUDIES = ("check", "precision")
KEYS = ("study", "constructions", "options", "lengths", "seeds", "dtypes", "samples",
        "backends", "max_steps", "precision", "device")
MAX_SHARDS = 100_000


class SweepError(CompileError):
    """A grid, or a results file, that cannot be used; names the value and what is allowed."""


@dataclass(frozen=True)
class Grid:
    """A validated grid (see `grid`): per construction, its option combinations."""

    study: str
    constructions: tuple[tuple[str, tuple[dict, ...]], ...]
    lengths: tuple[int, ...]
    seeds: tuple[int, ...]
    dtypes: tuple[str, ...]
    samples: int
    backends: tuple[str, ...]
    max_steps: int
    precision: str
    device: str


def read_grid(data: bytes, *, what: str = "the grid file") -> dict:
    """A grid file's mapping: JSON when it begins with ``{`` or ``[``, else TOML."""
    text = jsonfile.text(data, what=what, error=SweepError)
    if text.lstrip().startswith(("{", "[")):
        spec = jsonfile.loads(data, what=what, max_bytes=1 << 24, error=SweepError)
    else:
        try:
            spec = tomllib.loads(text)
        except tomllib.TOMLDecodeError as failure:
            raise SweepError(f"{what} is neither JSON nor TOML: {failure}") from None
    if not isinstance(spec, dict):
        raise SweepError(f"{what} holds {type(spec).__name__}; expected an object of "
                         f"{', '.join(KEYS)}")
    return spec


def grid(spec: Mapping) -> Grid:
    """The `Grid` that `spec` describes, every value checked (every construction built once).

    Keys (`KEYS`): ``study`` (``check`` or ``precision``), ``constructions`` (a list
    of names, or name -> {option: value or list of values}), ``options`` (option ->
    value or list, for every construction that has the option), ``lengths``,
    ``seeds`` (lists of integers, or text ``A..B``), ``dtypes`` (a name or a list),
    ``samples``, ``backends`` (check only), ``max_steps``, ``precision``, ``device``.
    """
    unknown = sorted(set(spec) - set(KEYS))
    if unknown:
        raise SweepError(f"grid key {unknown[0]!r} is unknown; allowed: {', '.join(KEYS)}")
    study = spec.get("study", "check")
    if study not in STUDIES:
        raise SweepError(f"study {study!r} is unknown; allowed: {', '.join(STUDIES)}")
    names = spec.get("constructions")
    if not names or not isinstance(names, list | dict):
        raise SweepError(f"grid 'constructions' is {names!r}; expected a non-empty list of "
                         "names or a mapping name -> options")
    per_name = names if isinstance(names, dict) else {name: {} for name in names}
    common = _mapping(spec.get("options", {}), "options")
    used = set()
    constructions = []
    for name, own in per_name.items():
        family = get(str(name))  # an unknown name: RegistryError listing the known ones
        if study == "precision" and family.mode == "loop":
            raise SweepError(f"a precision study takes recognisers, predictors and machines, "
                             f"not {family.name}; for a looped construction run 'circuitx "
                             "precision NAME'")
        axes = {o.name: common[o.name] for o in family.options if o.name in common}
        used |= set(axes)
        axes |= _mapping(own, f"constructions.{name}")
        combos = [dict(zip(axes, values, strict=True)) for values in
                  itertools.product(*(_values(family.option(k), v) for k, v in axes.items()))]
        for options in combos:
            _built(family.name, _key(options))  # every value checked by the family
        constructions.append((family.name, tuple(combos)))
    unused = sorted(set(common) - used)
    if unused:
        raise SweepError(f"option {unused[0]!r} belongs to none of the constructions "
                         f"{', '.join(name for name, _ in constructions)}")
    backends = tuple(_list(spec.get("backends", ["exact", "torch"]), "backends", str))
    allowed = ("exact", "torch", "circuit")
    wrong = [b for b in backends if b not in allowed]
    if wrong or not backends:
        raise SweepError(f"backend {wrong[0] if wrong else ''!r} is unknown; allowed: "
                         f"{', '.join(allowed)}")
    dtypes = tuple(validate.dtype(d) for d in _list(spec.get("dtypes", ["float64"]), "dtypes",
                                                    str))
    result = Grid(
        study=study, constructions=tuple(constructions),
        lengths=tuple(validate.lengths(_list(spec.get("lengths", []), "lengths", int))),
        seeds=tuple(validate.seed(s) for s in _list(spec.get("seeds", [0]), "seeds", int)),
        dtypes=dtypes, samples=validate.integer(
            spec.get("samples", 64), "samples",
            0 if all(_mode(n) == "loop" for n, _ in constructions) else 1, 10**6),
        backends=backends,
        max_steps=validate.integer(spec.get("max_steps", 64), "max_steps", 0, 10**7),
        precision=str(spec.get("precision", "auto")),
        device=validate.device(str(spec.get("device", "cpu"))))
    needs_lengths = [n for n, _ in constructions if _mode(n) != "loop" and not (
        study == "precision" and _mode(n) == "generate")]
    if needs_lengths and not result.lengths:
        raise SweepError(f"{needs_lengths[0]} is checked on words: the grid needs 'lengths'")
    if len(shards(result)) > MAX_SHARDS:
        raise SweepError(f"the grid has more than {MAX_SHARDS} shards")
    return result


def shards(grid: Grid) -> list[dict]:
    """Every shard of `grid`, in grid order (see the module docstring)."""
    out = []
    torch = grid.study == "precision" or "torch" in grid.backends
    for name, combos in grid.constructions:
        mode = _mode(name)
        lengths = (None,) if mode == "loop" or (
            grid.study == "precision" and mode == "generate") else grid.lengths
        seeds = (None,) if grid.study == "precision" and mode == "generate" else grid.seeds
        for options, dtype, seed, length in itertools.product(
                combos, grid.dtypes if torch else (None,), seeds, lengths):
            shard = {"study": grid.study, "construction": name, "options": options,
                     "length": length, "seed": seed}
            if grid.study == "check":
                shard |= {"samples": grid.samples, "backends": list(grid.backends)}
                if "circuit" in grid.backends:
                    shard["precision"] = grid.precision
            elif mode != "generate":
                shard["samples"] = grid.samples
            if mode in ("generate", "loop"):
                shard["max_steps"] = grid.max_steps
            if torch:
                shard |= {"dtype": dtype, "device": grid.device}
            out.append(shard)
    return out


def key(shard: Mapping) -> str:
    """A shard's key: the shard as canonical JSON."""
    return _key(shard)


def construction(name: str, options: Mapping):
    """The construction `name` built with `options` (built once per process)."""
    return _built(name, _key(dict(options)))


def _key(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


@functools.lru_cache(maxsize=64)
def _built(name: str, options: str):
    """The construction `name` built with `options` (canonical JSON), once per process; a
    ``program`` that names no file but a shipped example is read from the package (on each
    node: the shard keeps the name)."""
    values = json.loads(options)
    if isinstance(values.get("program"), str):
        values["program"] = shipped.resolve(values["program"])
    return get(name).make(**values)


def _mode(name: str) -> str:
    return get(name).mode


def _mapping(value, what: str) -> dict:
    if not isinstance(value, dict):
        raise SweepError(f"grid '{what}' is {value!r}; expected a mapping option -> values")
    return dict(value)


def _list(value, what: str, kind: type) -> list:
    """`value` as a list of `kind`: a list, one value, or (integers) text ``A..B`` or
    ``a,b,c``."""
    if kind is int and isinstance(value, str):
        try:
            if ".." in value:
                low, high = (int(p) for p in value.split("..", 1))
                if high - low >= MAX_SHARDS:
                    raise SweepError(f"grid '{what}' {value!r} names {high - low + 1} "
                                     f"values; at most {MAX_SHARDS}")
                return list(range(low, high + 1))
            return [int(p) for p in value.split(",") if p.strip()]
        except ValueError:
            raise SweepError(f"grid '{what}' is {value[:60]!r}; expected A..B or a list of "
                             "integers") from None
    if kind is str and isinstance(value, str):
        return [p.strip() for p in value.split(",") if p.strip()]
    values = value if isinstance(value, list) else [value]
    wrong = [v for v in values if not isinstance(v, kind) or isinstance(v, bool)]
    if wrong:
        raise SweepError(f"grid '{what}' holds {wrong[0]!r}; expected {kind.__name__} values")
    return values


def _values(option, value) -> list:
    """The values of one option axis, JSON-able, each converted from text by the option's
    kind (a number kept as its exact text, ``1/3``); the family checks them."""
    values = value if isinstance(value, list) else [value]
    if not values:
        raise SweepError(f"option {option.name!r} has no values")
    out = []
    for v in values:
        if isinstance(v, str) and option.kind == "flag":
            if v.lower() not in ("true", "false", "yes", "no", "1", "0"):
                raise SweepError(f"option {option.name!r} is a flag; got {v[:60]!r}, allowed: "
                                 "true, false")
            v = v.lower() in ("true", "yes", "1")
        elif isinstance(v, str) and option.kind == "int":
            try:
                v = int(v)
            except ValueError:
                raise SweepError(f"option {option.name!r} must be an integer, got "
                                 f"{v[:60]!r}") from None
        elif option.kind == "number" and not isinstance(v, bool):
            v = str(exact_number(v, name=option.name))
        out.append(v)
    return out
