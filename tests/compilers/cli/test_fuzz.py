"""Fuzzing every command: hostile inputs give exit status 0, 1 or 2, no traceback, in time.

For every leaf of the command tree (each verb's subcommand per construction
included), hypothesis draws an argument list from the command's own click
parameters: a random subset of its options (the required ones most of the
time), each with a hostile value for its type (huge, negative and malformed
numbers, unknown choices, odd text, devices torch cannot run), files drawn from
a pool (valid ones, byte-flipped and truncated copies, random bytes, deep
JSON, non-UTF-8 text, folders, missing paths, saved models with a corrupted
tensor file or config), random words and random bytes on stdin, now and then
an unknown flag or an extra argument. Each case runs in-process
(`click.testing.CliRunner`) in a fresh temporary folder (under pytest's
``tmp_path_factory``, made the current folder for the case) and must:

* exit with status 0, 1 or 2;
* raise nothing but `SystemExit` (no traceback);
* finish within `TIME_BOUND` seconds: commands that build get a small budget
  (``--max-seconds`` and friends, unless the draw sets them itself), so that
  anything long must be refused by its estimate, not run.

The default run draws `EXAMPLES` cases per command (well under a second each,
derandomised); ``-m slow`` runs `CAMPAIGN` random ones per command (60, or
``CIRCUITX_FUZZ_CAMPAIGN``). Every run ends with a table, per command, of the
cases run, the clean ones, the exit statuses and the slowest case (pytest's
terminal summary, from ``conftest.py``); ``CIRCUITX_FUZZ_REPORT=path`` writes
it as JSON too. (Under pytest a failing case is shrunk, and the shrinking's
cases are counted.) For figures to quote, run the campaign outside pytest,
where a case that is not clean is counted, not stopped at::

    python -m tests.compilers.cli.test_fuzz --examples 200 [--only run] [--report out.json]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from compilers.cli import COMMANDS, leaves, main
from compilers.constructions import families
from compilers.dtypes import DTYPE_NAMES

EXAMPLES = 10
CAMPAIGN = int(os.environ.get("CIRCUITX_FUZZ_CAMPAIGN", "60"))
TIME_BOUND = 60.0
BUDGET = {"--max-seconds": "3", "--max-gates": "300000", "--max-memory": "1GiB"}
PROGRAMS = Path(__file__).parents[3] / "examples" / "programs"
TALLY: dict[str, dict] = {}  # command -> cases, clean, and the exit statuses seen


LEAVES = leaves()


def _command(path: tuple[str, ...]) -> click.Command:
    ctx = click.Context(main)
    command = main.get_command(ctx, path[0])
    if len(path) > 1:
        command = command.get_command(ctx, path[1])
    return command


# -- the pools of hostile values ---------------------------------------------------------

INTS = st.one_of(st.integers(-3, 40), st.integers(-10**30, 10**30),
                 st.sampled_from(["x", "", "9" * 5000, "-0", "0x1F", " 7", "1e3", "1.5"]))
NUMBERS = st.one_of(INTS, st.sampled_from([
    "1e999999", "1e-999", "nan", "inf", "-inf", "1/0", "0/0", "1/3", "2.5", "1e-10", "1e-18",
    "1e5", "1" + "0" * 300, "5/0", "-2", "0.0", "1e-5"]), st.floats().map(str))
TEXT = st.one_of(st.text(max_size=20), st.sampled_from(
    ["", "-", "--", "\x00", "\udcff", "A" * 5000, "é", "\n", "1RB1LB_1LA1RZ", "--json"]))
WORDS = st.text(alphabet="01()[]ab$ é\t", max_size=10)
DEVICES = st.sampled_from(["cpu", "cpu:0", "cpu:99", "cuda", "cuda:7", "meta", "mps", "xpu:3",
                           "", "tpu", "cpu:-1", "cuda:99999999999999999999"])
PRECISIONS = st.sampled_from(["auto", "2.4", "8.16", "0.0", "4096.4096", "99999.1", "x",
                              "-1.2", "4,8", "", "3.5"])
LENGTHS = st.one_of(st.sampled_from(["0..3", "1..2", "5..2", "-1..3", "0..10000000", "1,2,x",
                                     "", ",", "8,16", "0..100000", "99999999999999999999",
                                     "1..", "0..40", "4096", "1,1000000"]), INTS.map(str))
MACHINES = st.sampled_from(["1RB1LB_1LA1RZ", "1RB1LB_1LA0LC_1RZ1LD_1RD0RA", "1RB0RA_1LA0LA",
                            "1RB---_1LA1RZ", "1RZ", "XYZ", "", "A" * 3000, "0RB1RZ_",
                            "file:machine.tm", "file:random.bin", "file:missing.tm"])
BUDGETS = st.sampled_from(["0", "-1", "x", "1e-9", "2", "1", "5GiB", "1K", "", "1e400"])
FILES = ("circuit.json", "mutated:circuit.json", "random.bin", "empty.json", "deep.json",
         "latin1.txt", "folder", "missing.json", "countdown.subleq", "hello.subleq",
         "multiply.giannou", "mutated:countdown.subleq", "mutated:multiply.giannou",
         "machine.tm", "model", "mutated:model", "bigint.json", "", ".", "..", "/",
         "/nonexistent/x.json", "out.json", "out.graphml", "out.png", "out.dot", "outdir",
         "out.txt", "no/such/out.json")
PATHS = st.sampled_from(FILES)


@pytest.fixture(scope="module")
def pool(tmp_path_factory) -> Path:
    """The files the draws name (see the module docstring), made once."""
    return make_pool(tmp_path_factory.mktemp("fuzz-pool"))


def make_pool(root: Path) -> Path:
    """Write the pool's files into `root`."""
    from circuitx import gadgets, io
    from compilers.constructions import parity
    from compilers.runs.saving import save

    io.save(gadgets.parity(4), root / "circuit.json")
    (root / "random.bin").write_bytes(bytes(range(256)) * 3)
    (root / "empty.json").write_bytes(b"")
    (root / "deep.json").write_text("[" * 50000 + "]" * 50000)
    (root / "latin1.txt").write_bytes("caf\xe9 \xff".encode("latin-1"))
    (root / "bigint.json").write_text('{"format": "circuitx.circuit", "version": 1, '
                                      '"inputs": [], "fanin_ptr": [' + "9" * 40 + "]}")
    (root / "folder").mkdir()
    for name in ("countdown.subleq", "hello.subleq", "multiply.giannou"):
        shutil.copy(PROGRAMS / name, root / name)
    (root / "machine.tm").write_text("    0   1\nA 1RB 1LB\nB 1LA 1RZ\n")
    save(parity.build(attention="average-hard"), root / "model", dtype="float32")
    return root


@st.composite
def mutations(draw) -> tuple:
    """Byte flips and a truncation, applied when a `mutated:` file is made."""
    flips = draw(st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(0, 255)), max_size=4))
    cut = draw(st.one_of(st.none(), st.integers(0, 1 << 20)))
    target = draw(st.sampled_from(["model.safetensors", "config.json"]))
    return flips, cut, target


def _mutate(data: bytes, flips, cut) -> bytes:
    data = bytearray(data)
    for position, value in flips:
        if data:
            data[position % len(data)] = value
    if cut is not None and data:
        data = data[: cut % (len(data) + 1)]
    return bytes(data)


def _materialize(name: str, pool: Path, mutation, serial: list[int]) -> str:
    """The path of pool file `name` in the current (temporary) folder."""
    if name.startswith("file:"):
        name = name[5:]
    if name in ("", ".", "..", "/", "/nonexistent/x.json", "missing.json", "missing.tm",
                "no/such/out.json") or name.startswith("out"):
        return name
    mutated = name.startswith("mutated:")
    base = pool / name.removeprefix("mutated:")
    serial[0] += 1
    target = Path(f"f{serial[0]}_{base.name}")
    if base.is_dir():
        shutil.copytree(base, target)
        if mutated:
            flips, cut, which = mutation
            file = target / which
            file.write_bytes(_mutate(file.read_bytes(), flips, cut))
    elif mutated:
        flips, cut, _ = mutation
        target.write_bytes(_mutate(base.read_bytes(), flips, cut))
    else:
        shutil.copy(base, target)
    return str(target)


PLAUSIBLE = {
    "device": st.just("cpu"),
    "dtype": st.sampled_from(DTYPE_NAMES),
    "save_dtype": st.sampled_from(["float32", "float64", "float16"]),
    "precision": st.sampled_from(["auto", "auto", "8.16", "2.4", "3.5"]),
    "lengths": st.sampled_from(["0..4", "1..3", "8", "2,4", "0..6", "17"]),
    "steps": st.sampled_from(["1..3", "2,4", "8"]),
    "sizes": st.sampled_from(["2,4", "3", "1..3"]),
    "backends": st.sampled_from(["exact", "torch", "exact,torch", "circuit", "exact,circuit",
                                 "exact,torch,circuit"]),
    "machine": st.sampled_from(["1RB1LB_1LA1RZ", "1RB1LB_1LA0LC_1RZ1LD_1RD0RA",
                                "file:machine.tm", "1RB0RA_1LA0LA"]),
    "program": st.sampled_from(["countdown.subleq", "hello.subleq", "multiply.giannou",
                                "mutated:countdown.subleq", "mutated:multiply.giannou"]),
    "model_dir": st.sampled_from(["model", "mutated:model", "mutated:model"]),
    "file": st.sampled_from(["circuit.json", "mutated:circuit.json"]),
    "out_dir": st.sampled_from(["outdir", "model"]),
    "out": st.sampled_from(["out.json", "-"]), "graphml": st.sampled_from(["out.graphml"]),
    "dot": st.sampled_from(["out.dot"]), "plot_path": st.sampled_from(["out.png", "out.svg"]),
    "plot_file": st.sampled_from(["out.png"]),
    "word": st.text(alphabet="01", max_size=4), "words": st.text(alphabet="01", max_size=6),
    "max_gates": st.just("300000"), "max_seconds": st.just("3"), "max_memory": st.just("1GiB"),
    "attention": st.sampled_from(["average-hard", "softmax"]),
    "text": st.text(alphabet="ab1", max_size=3),
    "language": st.sampled_from(["parity", "dyck1", "anbn", "tomita3", "majority"]),
    "name": st.sampled_from(["parity", "exactly", "mod", "iterated-addition", "comparison",
                             "multiplication", "count"]),
    "output_scale": st.sampled_from(["5", "1e-3", "12.5", "1/3", "1e-18"]),
    "epsilon": st.sampled_from(["0", "1e-5", "1e5"]),
    "sharpness": st.sampled_from(["10", "1e-10", "0.5"]),
    "constructions": st.sampled_from(["parity", "parity,majority", "dyck1", "parity,nope"]),
    "seeds": st.sampled_from(["0", "0..2", "1,3"]),
    "dtypes": st.sampled_from(["float64", "float32,float64", "float16"]),
    "option_axes": st.sampled_from(["layernorm=true,false", "attention=softmax", "bits=x"]),
    "workers": st.sampled_from(["1", "2"]),
}
"""Values the commands accept (most of a case), so that hostile ones meet real work."""


def _value(draw, param: click.Parameter, hostile: float):
    """A value for `param`: hostile for its type and name with probability `hostile`, else
    plausible (`PLAUSIBLE`, or small numbers and the valid choices)."""
    name, kind = param.name or "", param.type
    if draw(st.floats(0, 1)) >= hostile:
        if name in PLAUSIBLE:
            return draw(PLAUSIBLE[name])
        if isinstance(kind, click.Choice):
            return draw(st.sampled_from(list(kind.choices)))
        if isinstance(kind, click.types.IntParamType | click.IntRange):
            return str(draw(st.integers(0, 12)))
        if isinstance(kind, click.types.FloatParamType | click.FloatRange):
            return draw(st.sampled_from(["1", "2.5", "3"]))
    return _hostile(draw, param)


def _hostile(draw, param: click.Parameter):
    """A hostile value for `param`, by its type and name (a pool name for files)."""
    name, kind = param.name or "", param.type
    if name in ("device",):
        return draw(DEVICES)
    if name in ("dtype", "save_dtype"):
        return draw(st.sampled_from([*DTYPE_NAMES, "float8", "", "int64"]))
    if name == "precision":
        return draw(PRECISIONS)
    if name in ("lengths", "steps", "sizes"):
        return draw(LENGTHS)
    if name == "backends":
        return draw(st.lists(st.sampled_from(["exact", "torch", "circuit", "tpu", ""]),
                             max_size=3).map(",".join))
    if name in ("max_seconds", "max_gates", "max_memory"):
        return draw(BUDGETS)
    if name == "machine":
        return draw(MACHINES)
    if name in ("program", "model_dir", "file", "out_dir", "out", "graphml", "dot",
                "plot_path", "plot_file") or isinstance(kind, click.Path):
        return draw(PATHS)
    if name in ("word", "text", "words"):
        return draw(st.one_of(WORDS, TEXT))
    if isinstance(kind, click.Choice):
        return draw(st.one_of(st.sampled_from(list(kind.choices)), TEXT))
    if isinstance(kind, click.types.IntParamType | click.IntRange):
        return draw(INTS)
    if isinstance(kind, click.types.FloatParamType | click.FloatRange):
        return draw(NUMBERS)
    return draw(st.one_of(NUMBERS, TEXT))


TOUR_OUTS = ("", ".", "..", "/", "missing/deeper", "circuit.json")
"""The tour's folders: each refused (a usable one would run the whole tour, a minute)."""


@st.composite
def cases(draw, path: tuple[str, ...]):
    """(argv, stdin, file mutation) for the command at `path` (see the module docstring)."""
    command = _command(path)
    args: list = list(path)
    if path == ("tour",):
        args += ["--out", draw(st.sampled_from(TOUR_OUTS))]
        return args, None, draw(mutations())
    chosen: set[str] = set()
    hostile = draw(st.sampled_from([0.0, 0.0, 0.0, 0.15, 0.15, 0.5, 1.0]))  # per value
    # (each draw below is written so that hypothesis's simplest case is a plain command)
    for param in command.params:
        if isinstance(param, click.Argument):
            if param.nargs == -1:
                args += [_value(draw, param, hostile) for _ in range(draw(st.integers(0, 3)))]
            elif (param.required and draw(st.integers(0, 19)) < 19) or (
                    not param.required and draw(st.booleans())):
                args.append(_value(draw, param, hostile))
            continue
        wanted = param.required and draw(st.integers(0, 19)) < 19
        if wanted or (not param.required and draw(st.integers(0, 4)) == 4):
            chosen.add(param.name)
            flag = param.opts[0]
            if getattr(param, "is_flag", False):
                args.append(flag if not param.secondary_opts or draw(st.booleans())
                            else param.secondary_opts[0])
            else:
                args += [flag, _value(draw, param, hostile)]
    names = {p.name for p in command.params}
    if "max_seconds" in names:
        for flag, value in BUDGET.items():
            if flag[2:].replace("-", "_") not in chosen:
                args += [flag, value]
    if draw(st.integers(0, 19)) == 19:
        args.append(draw(st.sampled_from(["--bogus", "extra", "--json", "-h", "--", "-"])))
    stdin = draw(st.one_of(st.none(), st.binary(max_size=40),
                           st.lists(WORDS, max_size=5).map("\n".join)))
    return args, stdin, draw(mutations())


class Hung(BaseException):
    """A case still running at the time bound (a BaseException: no handler swallows it)."""


@contextlib.contextmanager
def _watchdog(seconds: float):
    """Raise `Hung` in the case once it has run `seconds` (SIGALRM; where there is none,
    the time is only measured)."""
    if not hasattr(signal, "setitimer"):
        yield
        return

    def stop(signum, frame):
        raise Hung

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _invoke(path, argv, stdin, mutation, pool: Path) -> tuple[bool, int, float, str]:
    runner = CliRunner()
    serial = [0]
    with tempfile.TemporaryDirectory(dir=pool.parent) as folder, contextlib.chdir(folder):
        argv = [_materialize(value, pool, mutation, serial)
                if isinstance(value, str) and (value in FILES or value.startswith("file:"))
                else value for value in argv]
        start = time.perf_counter()
        try:
            with _watchdog(TIME_BOUND):
                result = runner.invoke(main, [str(a) for a in argv], input=stdin)
        except Hung:
            seconds = time.perf_counter() - start
            return False, -1, seconds, (f"argv={argv!r} stdin={stdin!r}: still running "
                                        f"after {TIME_BOUND:.0f}s (stopped)")
        seconds = time.perf_counter() - start
    error = result.exception
    clean = (result.exit_code in (0, 1, 2)
             and (error is None or isinstance(error, SystemExit))
             and "Traceback" not in result.output and seconds <= TIME_BOUND)
    shown = (f"argv={argv!r} stdin={stdin!r}: exit {result.exit_code} in {seconds:.1f}s, "
             f"{error!r}\n{result.output[-2000:]}")
    return clean, result.exit_code, seconds, shown


def _record(path, clean: bool, status: int, seconds: float, shown: str = "") -> None:
    tally = TALLY.setdefault(" ".join(path), {"cases": 0, "clean": 0, "exit": {},
                                             "slowest": 0.0, "first_unclean": None})
    tally["cases"] += 1
    tally["clean"] += clean
    tally["slowest"] = round(max(tally["slowest"], seconds), 2)
    tally["exit"][str(status)] = tally["exit"].get(str(status), 0) + 1
    if not clean and tally["first_unclean"] is None:
        tally["first_unclean"] = shown[:2000]
    report = os.environ.get("CIRCUITX_FUZZ_REPORT")
    if report:
        Path(report).write_text(json.dumps(TALLY, indent=1, sort_keys=True))


def summary(tally: dict | None = None) -> list[str]:
    """The tally as lines of a table: per command the cases, the clean ones, the exit
    statuses seen and the slowest case; then the totals."""
    tally = TALLY if tally is None else tally
    if not tally:
        return []
    width = max(len(name) for name in tally)
    lines = [f"{'command':<{width}}  cases  clean  exit 0/1/2  slowest",
             *(f"{name:<{width}}  {t['cases']:>5}  {t['clean']:>5}  "
               f"{'/'.join(str(t['exit'].get(k, 0)) for k in '012'):>10}  {t['slowest']:>6.2f}s"
               for name, t in sorted(tally.items()))]
    cases = sum(t["cases"] for t in tally.values())
    clean = sum(t["clean"] for t in tally.values())
    lines.append(f"{'all ' + str(len(tally)) + ' commands':<{width}}  {cases:>5}  {clean:>5}")
    return lines


def _check(path, data, pool) -> None:
    argv, stdin, mutation = data.draw(cases(path))
    clean, status, seconds, shown = _invoke(path, argv, stdin, mutation, pool)
    _record(path, clean, status, seconds, shown)
    assert clean, shown


HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]


@pytest.mark.parametrize("path", LEAVES, ids=" ".join)
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=HEALTH)
@given(data=st.data())
def test_every_command_survives_hostile_input(pool, path, data):
    _check(path, data, pool)


@pytest.mark.slow
@pytest.mark.parametrize("path", LEAVES, ids=" ".join)
@settings(max_examples=CAMPAIGN, deadline=None, database=None, suppress_health_check=HEALTH)
@given(data=st.data())
def test_campaign_every_command_survives_hostile_input(pool, path, data):
    _check(path, data, pool)


def test_the_fuzzer_covers_every_command_of_the_tree():
    assert {path[0] for path in LEAVES} == set(COMMANDS)
    verbs = {path[0] for path in LEAVES if len(path) == 2}
    assert verbs == {"compile", "run", "check", "precision", "circuit", "scaling"}
    assert {path[1] for path in LEAVES if path[0] == "run"} == set(families())


def campaign(examples: int, only: str | None = None) -> dict:
    """Run `examples` random cases per command (those whose path starts with `only`),
    counting the ones that are not clean instead of stopping at them; returns `TALLY`."""
    with tempfile.TemporaryDirectory() as root:
        (Path(root) / "pool").mkdir()
        pool = make_pool(Path(root) / "pool")
        for path in LEAVES:
            if not only or " ".join(path).startswith(only):
                _counted(path, pool, examples)
                print(summary({" ".join(path): TALLY[" ".join(path)]})[1], file=sys.stderr,
                      flush=True)
    return TALLY


def _counted(path: tuple[str, ...], pool: Path, examples: int) -> None:
    """`examples` cases of the command at `path`, recorded, none asserted."""
    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.generate])
    @given(data=st.data())
    def one(data):
        argv, stdin, mutation = data.draw(cases(path))
        clean, status, seconds, shown = _invoke(path, argv, stdin, mutation, pool)
        _record(path, clean, status, seconds, shown)

    one()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="The fuzzing campaign, counted per command.")
    parser.add_argument("--examples", type=int, default=CAMPAIGN, help="cases per command")
    parser.add_argument("--only", help="only the commands whose path starts with this")
    parser.add_argument("--report", help="also write the tally as JSON here")
    arguments = parser.parse_args()
    tally = campaign(arguments.examples, arguments.only)
    print("\n".join(summary(tally)))
    for name, t in sorted(tally.items()):
        if t["first_unclean"]:
            print(f"\nnot clean: {name}: {t['first_unclean']}")
    if arguments.report:
        Path(arguments.report).write_text(json.dumps(tally, indent=1, sort_keys=True))
    sys.exit(0 if all(t["cases"] == t["clean"] for t in tally.values()) else 1)
