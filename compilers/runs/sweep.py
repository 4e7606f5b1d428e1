"""Sweeps: a property check or a precision study over a grid, as independent shards.

A grid (`compilers.runs.sweep_grid`) names a study (``check``:
`compilers.runs.check.check`; ``precision``:
`compilers.runs.precision.precision_sweep`, `prediction_sweep` or, for a
machine, `departure`), constructions, for each a set of option values (every
combination is built), input lengths, seeds and dtypes. `shards(grid)` cuts it
into one shard per construction x options x length x seed x dtype (a looped
construction has no length; a machine's precision study neither length nor
seed). A shard is a JSON object that says everything its result depends on;
its *key* is that object as canonical JSON (sorted keys, no spaces).

Seeds. A shard of length n and seed s draws its inputs from
``SeedSequence(s, spawn_key=(n,))`` (`compilers.runs.check.length_seed`): every
(seed, length) pair has its own stream, independent of the others (``seed +
length`` would give seed 1 at n = 4 and seed 0 at n = 5 the same words), and a
shard draws exactly what `check(construction, lengths=[..., n, ...], seed=s)`
draws at n. Shards that differ only in the construction, its options or the
dtype draw the same inputs (paired comparisons). A looped construction's
shard draws its random programs from the seed itself (`random_programs`).
Hence the merged counts of a sweep equal those of one serial `check` per
construction, options, seed and dtype, whatever the order, the executor
(`in_process`, `processes`, `compilers.runs.sweep_ray.on_ray`) or the number
of resumptions.

Results stream to a JSON-lines file, one line per finished shard (``key``,
``shard``, ``result``, ``seconds``), written and flushed as the shard ends.
`sweep(..., resume=True)` reads the file, keeps the shards it has, and runs
only the others; a last line cut short by a crash is dropped (and the file cut
back to the line before it: a last line without its newline, beginning as ours
do, that is not JSON); any other unreadable line, or a line of a shard
that is not in this grid, is an error naming the line. A shard whose
construction refuses its input (one of the packages' own errors) is finished:
its line holds ``{"error": ...}`` instead of counts.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from circuitx import jsonfile
from circuitx.errors import CircuitError
from compilers.errors import CompileError
from compilers.runs import validate
from compilers.runs.check import check
from compilers.runs.precision import departure, largest_correct_length, precision_sweep
from compilers.runs.predict_precision import prediction_sweep
from compilers.runs.sweep_grid import (
    KEYS,
    STUDIES,
    Grid,
    SweepError,
    construction,
    grid,
    key,
    read_grid,
    shards,
)
from languages.errors import LanguageError

MAX_FILE_BYTES = 1 << 30
PACKAGE_ERRORS = (CompileError, LanguageError, CircuitError)


def run_shard(shard: Mapping) -> dict:
    """Run one shard; its line of the results file (``key``, ``shard``, ``result``,
    ``seconds``). A package error becomes ``result: {"error": message}``."""
    start = time.perf_counter()
    try:
        result = _result(shard)
    except PACKAGE_ERRORS as error:
        result = {"error": str(error)}
    return {"key": key(shard), "shard": dict(shard), "result": result,
            "seconds": round(time.perf_counter() - start, 4)}


def _result(shard: Mapping) -> dict:
    built = construction(shard["construction"], shard["options"])
    length, seed = shard["length"], shard["seed"]
    dtype, device = shard.get("dtype") or "float64", shard.get("device", "cpu")
    if shard["study"] == "check":
        report = check(built, lengths=() if length is None else [length],
                       samples=shard["samples"], backends=shard["backends"], dtype=dtype,
                       device=device, seed=seed, max_steps=shard.get("max_steps", 64),
                       precision=shard.get("precision", "auto"))
        return {"backends": {b: t.as_dict() for b, t in report.backends.items()}}
    if built.mode == "generate":
        return departure(built, built.word, dtype=dtype, max_steps=shard["max_steps"],
                         device=device)
    measure = prediction_sweep if built.mode == "predict" else precision_sweep
    (point,) = measure(built, [length], dtype=dtype, samples=shard["samples"], device=device,
                       seed=seed)
    return point.as_dict()


# -- executors: (function, shards) -> each shard's line, in the order they finish ---------

Executor = Callable[[Callable[[Mapping], dict], Sequence[dict]], Iterable[dict]]


def in_process(function: Callable[[Mapping], dict], todo: Sequence[dict]) -> Iterator[dict]:
    """Run the shards one after the other in this process."""
    for shard in todo:
        yield function(shard)


def processes(workers: int) -> Executor:
    """Run the shards in `workers` processes forked from a fresh server process that has
    imported this module once (``forkserver``: no torch thread state is forked; ``spawn``
    where there is no forkserver). As with any multiprocessing, a script that calls it
    guards its work with ``if __name__ == "__main__":`` (its main module is imported again)."""
    workers = validate.integer(workers, "workers", 1, 1024)

    def execute(function, todo):
        if "forkserver" in multiprocessing.get_all_start_methods():
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload([__name__, "torch", "compilers.backends.torch_backend"])
        else:
            context = multiprocessing.get_context("spawn")
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
        try:
            for future in as_completed([pool.submit(function, shard) for shard in todo]):
                yield future.result()
        except BrokenProcessPool:
            raise SweepError("a worker process stopped abruptly (killed, out of memory, or "
                             "its main module cannot be imported again); the finished shards "
                             "are in the results file: resume to go on") from None
        finally:  # stopped early (a crash, Ctrl-C): the shards not started are dropped
            pool.shutdown(wait=True, cancel_futures=True)
    return execute


# -- the sweep ------------------------------------------------------------------------


@dataclass
class SweepReport:
    """The merged outcome of a sweep (``as_dict`` is the JSON of ``circuitx sweep``)."""

    study: str
    shards: int
    ran: int
    resumed: int
    groups: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(group["ok"] for group in self.groups)

    def as_dict(self) -> dict:
        return {"study": self.study, "shards": self.shards, "ran": self.ran,
                "resumed": self.resumed, "ok": self.ok, "groups": self.groups}


def sweep(grid: Grid, *, out: str | Path | None = None, resume: bool = False,
          executor: Executor = in_process,
          progress: Callable[[int], None] | None = None) -> SweepReport:
    """Run every shard of `grid` not already in `out` (with `resume`), stream each line to
    `out`, and merge (see the module docstring)."""
    every = shards(grid)
    keys = {key(s) for s in every}
    done = read_results(out, keys) if out is not None and resume else {}
    todo = [s for s in every if key(s) not in done]
    if out is not None and not resume:
        Path(out).write_bytes(b"")
    handle = open(out, "a", encoding="utf-8") if out is not None else None  # noqa: SIM115
    try:
        for line in executor(run_shard, todo):
            done[line["key"]] = line
            if handle is not None:
                handle.write(json.dumps(line, sort_keys=True, default=str) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            if progress is not None:
                progress(1)
    finally:
        if handle is not None:
            handle.close()
    report = SweepReport(grid.study, len(every), len(todo), len(every) - len(todo))
    report.groups = merge(grid, [done[key(s)] for s in every])
    return report


def read_results(path: str | Path, keys: set[str]) -> dict[str, dict]:
    """The finished shards in the results file at `path` (absent: none), by key; a last
    line cut short is dropped and the file cut back to the line before it."""
    path = Path(path)
    if not path.exists():
        return {}
    data = jsonfile.read_bytes(path, what="the results file", max_bytes=MAX_FILE_BYTES,
                               error=SweepError)
    lines, done, offset = data.split(b"\n"), {}, 0
    for number, raw in enumerate(lines, 1):
        last = number == len(lines)
        if not raw.strip():
            offset += len(raw) + 1
            continue
        what = f"line {number} of {str(path)!r}"
        try:
            line = jsonfile.loads(raw, what=what, max_bytes=1 << 26, error=SweepError)
            if not (isinstance(line, dict) and isinstance(line.get("key"), str)
                    and isinstance(line.get("result"), dict)):
                raise SweepError(f"{what} is not a shard's line (key, shard, result)")
        except SweepError:
            if last and raw.startswith(b'{"key": ') and not _parses(raw):
                # a line of ours cut short by a crash while it was written: run it again
                with open(path, "r+b") as handle:
                    handle.truncate(offset)
                break
            raise
        if line["key"] not in keys:
            raise SweepError(f"{what} holds a shard of another grid ({line['key'][:200]}); "
                             "resume a sweep with the grid that wrote the file")
        done[line["key"]] = line
        offset += len(raw) + 1
    if data and not data.endswith(b"\n") and offset >= len(data):  # a whole last line
        with open(path, "ab") as handle:
            handle.write(b"\n")
    return done


def _parses(raw: bytes) -> bool:
    try:
        json.loads(raw)
    except (ValueError, RecursionError):
        return False
    return True


def merge(grid: Grid, lines: Sequence[dict]) -> list[dict]:
    """One group per construction, options, seed and dtype: counts summed over its shards
    in grid order (check), or its points in order (precision)."""
    groups: dict[str, dict] = {}
    for line in lines:
        shard, result = line["shard"], line["result"]
        head = {k: shard.get(k) for k in ("construction", "options", "seed", "dtype")}
        group = groups.setdefault(key(head), {**head, "lengths": [], "errors": []})
        if shard["length"] is not None:
            group["lengths"].append(shard["length"])
        if "error" in result:
            group["errors"].append({"length": shard["length"], "error": result["error"]})
        elif grid.study == "check":
            _add_tallies(group.setdefault("backends", {}), result["backends"])
        elif shard["length"] is None:
            group["departure"] = result
        else:
            group.setdefault("points", []).append(result)
    for group in groups.values():
        _finish(group, grid.study)
    return list(groups.values())


def _add_tallies(total: dict, tallies: Mapping) -> None:
    for backend, tally in tallies.items():
        into = total.setdefault(backend, {"checked": 0, "failed": 0, "untrusted": 0,
                                          "silent_failures": 0, "first_counterexample": None})
        for count in ("checked", "failed", "untrusted", "silent_failures"):
            into[count] += tally[count]
        if into["first_counterexample"] is None:
            into["first_counterexample"] = tally["first_counterexample"]


def _finish(group: dict, study: str) -> None:
    ok = not group["errors"]
    if study == "check":
        ok = ok and all(t["failed"] == 0 for t in group.get("backends", {}).values())
    elif "points" in group:
        points = group["points"]
        group["contradicted"] = [p["length"] for p in points
                                 if p["guaranteed"] and p["correct"] != p["words"]]
        group["largest_correct_length"] = largest_correct_length(
            [_Point(p["length"], p["correct"], p["words"]) for p in points])
        ok = ok and not group["contradicted"]
    elif "departure" in group:
        ok = ok and not group["departure"].get("silent", False)
    group["ok"] = ok


@dataclass
class _Point:
    length: int
    correct: int
    words: int


__all__ = ["KEYS", "STUDIES", "Grid", "SweepError", "SweepReport", "construction", "grid",
           "in_process", "key", "merge", "processes", "read_grid", "read_results",
           "run_shard", "shards", "sweep"]
