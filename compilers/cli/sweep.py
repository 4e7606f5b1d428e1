"""`circuitx sweep [GRID]`: a property check or a precision study over a grid, in shards.

The grid (`compilers.runs.sweep.grid`) comes from a JSON or TOML file (GRID;
``-`` reads it from stdin) and from flags, a flag replacing the file's key:
``--study``, ``--constructions a,b``, ``--option NAME=V1,V2`` (repeatable; the
option of every construction that has it), ``--lengths``, ``--seeds``,
``--dtypes``, ``--samples``, ``--backends``, ``--max-steps``, ``--precision``,
``--device``. Each construction x options x length x seed x dtype is one shard
with its own seed stream (see `compilers.runs.sweep`). Shards run in this
process by default, in ``--workers N`` processes, or as Ray tasks with ``--ray
ADDRESS`` (``host:port``, ``ray://host:port``, ``auto`` or ``local``;
``pip install circuitx[distributed]``).

``-o/--out FILE.jsonl`` streams one line per finished shard; ``--resume``
continues a sweep that stopped (the finished shards are not run again),
``--force`` starts the file over. The whole sweep is estimated first (every
shard, `compilers.runs.budget`; the time divided among ``--workers``) and
refused past the budget. Prints one row per construction, options, seed and
dtype with the merged counts (``--json``: `SweepReport.as_dict`); exit status
1 when a check failed, a guarantee was contradicted, or a shard was refused.
"""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from compilers.cli import inputs
from compilers.cli.common import (
    budget_options,
    check_device,
    json_option,
    parse_lengths,
    print_json,
    progress,
)

KEYS_OF_FLAGS = {"study": "--study", "constructions": "--constructions", "options": "--option",
                 "lengths": "--lengths", "seeds": "--seeds", "dtypes": "--dtypes",
                 "samples": "--samples", "backends": "--backends", "max_steps": "--max-steps",
                 "precision": "--precision", "device": "--device"}


@click.command(name="sweep", help="A property check or a precision study over a grid "
                                  "(constructions x options x lengths x seeds), in shards.")
@click.argument("grid_file", metavar="[GRID]", required=False)
@click.option("--study", type=click.Choice(["check", "precision"]),
              help="check (every backend against the reference; the default) or precision "
                   "(the torch backend in each dtype).")
@click.option("--constructions", help="Comma-separated construction names.")
@click.option("--option", "option_axes", multiple=True, metavar="NAME=V1,V2",
              help="Values of a construction option; every combination is swept.")
@click.option("--lengths", help="Input lengths: A..B, or a list 8,16,32.")
@click.option("--seeds", help="Seeds: A..B, or a list 0,1,2 (default 0).")
@click.option("--dtypes", help="Float types of the torch backend, comma-separated "
                               "(default float64).")
@click.option("--samples", type=click.IntRange(0, 10**6),
              help="Inputs per shard (all when fewer; default 64).")
@click.option("--backends", help="check: comma-separated exact, torch, circuit "
                                 "(default exact,torch).")
@click.option("--max-steps", type=click.IntRange(0, 10**7),
              help="Steps (a machine) or loops (a program) of each run (default 64).")
@click.option("--precision", help="The circuit backend's precision (default auto).")
@click.option("--device", help="Torch device (default cpu).")
@click.option("-o", "--out", "out", type=click.Path(dir_okay=False),
              help="Stream one JSON line per finished shard into this file (.jsonl).")
@click.option("--resume", is_flag=True, help="Continue the sweep in --out: run only the "
                                             "shards it does not hold.")
@click.option("--force", is_flag=True, help="Replace --out if it exists.")
@click.option("--workers", type=click.IntRange(1, 1024), help="Run the shards in N processes.")
@click.option("--ray", "ray_address", metavar="ADDRESS",
              help="Run the shards on the Ray cluster at ADDRESS (host:port, auto, local).")
@json_option
@click.option("-q", "--quiet", is_flag=True, help="No progress bar on stderr.")
@budget_options
@click.pass_context
def sweep_command(ctx, grid_file, option_axes, out, resume, force, workers, ray_address,
                  as_json, quiet, budget, **flags):
    from compilers.runs import sweep as sweeps

    spec = _spec(grid_file, option_axes, flags)
    if flags["device"] is not None:
        spec["device"] = check_device(flags["device"])
    inputs.inapplicable(ctx, {"workers": "runs the shards in local processes; --ray runs them "
                                         "on the cluster" if ray_address else None,
                              "force": "starts --out over; --resume continues it"
                                       if resume else None})
    if resume and not out:
        raise inputs.InputError("--resume continues the sweep in --out; name it with -o",
                                option="--resume")
    path = None
    if out:
        path = inputs.output_file(out, option="--out", suffixes=(".jsonl",),
                                  force=force or resume, what="a sweep's results")
    grid = sweeps.grid(spec)
    torch = grid.study == "precision" or "torch" in grid.backends
    inputs.inapplicable(ctx, {
        "dtypes": None if torch else f"applies to the torch backend; --backends is "
                                     f"{','.join(grid.backends)}",
        "device": None if torch else "applies to the torch backend",
        "precision": None if "circuit" in grid.backends and grid.study == "check" else
        "applies to the circuit backend of a check"})
    if "circuit" in grid.backends and grid.study == "check":
        from compilers.backends.circuit import parse_precision

        parse_precision(grid.precision)
    todo = sweeps.shards(grid)
    executor = sweeps.in_process
    if ray_address:
        from compilers.runs import sweep_ray

        executor = sweep_ray.on_ray(ray_address)
    elif workers and workers > 1:
        executor = sweeps.processes(workers)
    estimate(grid, workers or 1).check(budget)
    with progress(quiet) as bar:
        task = bar.add_task(f"{grid.study}: {len(todo)} shards", total=len(todo))
        report = sweeps.sweep(grid, out=path, resume=resume, executor=executor,
                              progress=lambda k: bar.advance(task, k))
    if as_json:
        print_json({**report.as_dict(), **({"out": str(path)} if path else {})})
    else:
        _print(report, path)
    if not report.ok:
        raise SystemExit(1)


def _spec(grid_file, option_axes, flags) -> dict:
    """The grid's mapping: the file's (if any), each flag given replacing its key."""
    from circuitx import jsonfile
    from compilers.runs import sweep as sweeps

    spec: dict = {}
    if grid_file is not None:
        data = (inputs.stdin_bytes("the grid") if grid_file == "-" else
                jsonfile.read_bytes(grid_file, what="the grid file", max_bytes=1 << 24,
                                    error=sweeps.SweepError))
        spec = sweeps.read_grid(data)
    for name in ("study", "samples", "max_steps", "precision", "device"):
        if flags.get(name) is not None:
            spec[name] = flags[name]
    for name in ("constructions", "backends", "dtypes"):
        if flags.get(name) is not None:
            spec[name] = [part.strip() for part in flags[name].split(",") if part.strip()]
    for name in ("lengths", "seeds"):
        if flags.get(name) is not None:
            spec[name] = parse_lengths(flags[name], f"--{name}")
    if option_axes:
        axes = {}
        for text in option_axes:
            name, equals, values = text.partition("=")
            if not equals or not name.strip() or not values.strip():
                raise click.BadParameter(f"{text[:60]!r} is not NAME=V1,V2",
                                         param_hint="'--option'")
            axes[name.strip().replace("-", "_")] = [v.strip() for v in values.split(",")]
        spec["options"] = axes
    if "constructions" not in spec:
        raise inputs.InputError("name the constructions to sweep (--constructions a,b, or "
                                "'constructions' in the grid file)", option="--constructions")
    return spec


def estimate(grid, workers: int):
    """The budget estimate of the whole sweep: per construction, options and dtype, a check
    of every length (`compilers.cli.check.estimate`), times the seeds; the seconds shared
    among `workers`."""
    from compilers.cli.check import estimate as check_estimate
    from compilers.runs import budget as estimates
    from compilers.runs import sweep as sweeps

    total = estimates.Estimate(f"a {grid.study} sweep")
    check = grid.study == "check"
    for name, combos in grid.constructions:
        for options in combos:
            built = sweeps.construction(name, options)
            machine = not check and built.mode == "generate"
            sizes = ([len(built.word)] if machine else list(grid.lengths)
                     if built.mode != "loop" else [0])
            times = 1 if machine else len(grid.seeds)
            torch = not check or "torch" in grid.backends
            for dtype in grid.dtypes if torch else grid.dtypes[:1]:
                one = check_estimate(built, sizes, 1 if machine else grid.samples,
                                     list(grid.backends) if check else ["torch"],
                                     grid.max_steps, dtype=dtype, device=grid.device,
                                     precision=grid.precision)
                total = total + estimates.Estimate("", one.gates * times, one.memory,
                                                   one.seconds * times)
    return estimates.Estimate(f"a {grid.study} sweep of {len(sweeps.shards(grid))} shards",
                              total.gates, total.memory, total.seconds / workers)


def _print(report, path) -> None:
    """One row per group: for a check, each backend's failed/checked and the silent
    failures; for a precision study, the largest length all right and the contradictions."""
    console = Console()
    dtypes = sorted({str(g["dtype"]) for g in report.groups if g["dtype"]})
    backends = list(dict.fromkeys(b for g in report.groups for b in g.get("backends", {})))
    table = Table(title=f"{report.study} sweep{' in ' + dtypes[0] if len(dtypes) == 1 else ''}"
                        f": {report.shards} shards, {report.ran} run, {report.resumed} resumed")
    columns = ["construction", "seed", *(["dtype"] if len(dtypes) > 1 else []), "n"]
    columns += ([f"{b} failed/checked" for b in backends] + ["silent"] if report.study ==
                "check" else ["result", "contradicted"])
    for column in [*columns, "ok"]:
        table.add_column(column)
    for group in report.groups:
        options = " ".join(f"{k}={v}" for k, v in group["options"].items())
        seed = "-" if group["seed"] is None else str(group["seed"])
        row = [f"{group['construction']} {options}".strip(), seed,
               *([str(group["dtype"])] if len(dtypes) > 1 else []), _span(group["lengths"])]
        if report.study == "check":
            tallies = group.get("backends", {})
            row += [f"{tallies[b]['failed']}/{tallies[b]['checked']}" if b in tallies else "-"
                    for b in backends]
            row.append(str(sum(t["silent_failures"] for t in tallies.values())))
        elif "departure" in group:
            found = group["departure"]
            departs = found["first_departure"]
            row += [f"departs at step {departs}" if departs is not None else
                    f"no departure in {found['steps_run']} steps",
                    "yes" if found["silent"] else "-"]
        else:
            right = group.get("largest_correct_length")
            row += [f"all right up to n = {right}" if right is not None else "wrong at the "
                    "first n",
                    ", ".join(map(str, group.get("contradicted", []))) or "-"]
        table.add_row(*row, "yes" if group["ok"] else ("refused" if group["errors"] else "no"))
    console.print(table)
    for group in report.groups:
        for error in group["errors"]:
            where = "" if error["length"] is None else f" at n = {error['length']}"
            click.echo(f"refused: {group['construction']}{where}: {error['error']}")
    if path is not None:
        console.print(f"shards written to {path}")


def _span(lengths) -> str:
    if not lengths:
        return "-"
    if lengths == list(range(lengths[0], lengths[-1] + 1)) and len(lengths) > 2:
        return f"{lengths[0]}..{lengths[-1]}"
    return ",".join(map(str, lengths))
