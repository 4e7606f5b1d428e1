"""The run layer's untrusted paths: bad arguments raise the package's own errors, at once.

A caller of `compilers.runs` passes values from its users as the command line
passes them from a shell; each bad one must be refused before any work with a
`compilers.errors.CompileError` (here `RunInputError`) naming the argument, never
a TypeError, AttributeError or IndexError from deep inside, and never a hang
(a length of 10^30 is refused, not compiled).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from compilers.constructions import get
from compilers.errors import CompileError
from compilers.runs import check, circuits, precision, run, saving, scaling, stats, validate
from compilers.runs.generate import generate
from compilers.runs.loop import loop
from compilers.runs.recognise import recognise

PROGRAMS = Path(__file__).parents[3] / "examples" / "programs"
PARITY = get("parity").make()
TM = get("tm").make(machine="1RB1LB_1LA1RZ")
SUBLEQ = get("subleq").make(program=str(PROGRAMS / "countdown.subleq"))
HUGE = 10**30

CALLS = {
    "run: inputs not a list": (lambda: run(PARITY, "0110"), "inputs must be a list"),
    "run: an unknown option": (lambda: run(PARITY, ["0"], max_step=3),
                               "takes no option 'max_step'"),
    "run: not a construction": (lambda: run(None, ["0"]), "is not a construction"),
    "run: a word that is not a string": (lambda: run(PARITY, [1]), "words are strings"),
    "run: an unhashable dtype": (lambda: run(PARITY, ["0"], backend="torch", dtype=["x"]),
                                 "dtype must be one of float64"),
    "run: an unknown dtype": (lambda: run(PARITY, ["0"], backend="torch", dtype="int8"),
                              "dtype must be one of"),
    "run: a device that is not a string": (lambda: run(PARITY, ["0"], backend="torch",
                                                       device=3), "a device is a string"),
    "run: a backend that is not a string": (lambda: run(PARITY, ["0"], backend=["exact"]),
                                            "unknown backend"),
    "run: a junk prebuilt runner": (lambda: run(PARITY, ["0"], runner="x"),
                                    "runner must be what this package builds"),
    "predict: a junk prebuilt runner": (lambda: run(get("ngram").make(), ["ab"], runner=3),
                                        "runner must be what this package builds"),
    "recognise: a machine": (lambda: recognise(TM, ["0"]), "runs as 'generate'"),
    "generate: stacked junk": (lambda: generate(TM, ["0"], stacked=[1]),
                               "expected a construction"),
    "loop: a recogniser": (lambda: loop(PARITY, ["0"], max_steps=1), "runs as 'recognise'"),
    "loop: a huge check_every": (lambda: loop(SUBLEQ, [SUBLEQ.program], max_steps=1,
                                              check_every=-1), "check_every must be >= 1"),
    "check: not a construction": (lambda: check.check("parity", lengths=[1]),
                                  "expected a construction"),
    "check: a length past 10^7": (lambda: check.check(PARITY, lengths=[HUGE]),
                                  "each of lengths must be between 0 and 10000000"),
    "check: a negative seed": (lambda: check.check(PARITY, lengths=[1], seed=-1),
                               "seed must be between 0 and"),
    "precision_sweep: a list as dtype": (lambda: precision.precision_sweep(
        PARITY, [1], dtype=[None]), "dtype must be one of"),
    "length_grid: none": (lambda: precision.length_grid(None), "max_length must be an integer"),
    "length_grid: negative": (lambda: precision.length_grid(-1), "max_length must be between"),
    "loop_departure: a dict as dtype": (lambda: precision.loop_departure(
        SUBLEQ, SUBLEQ.program, dtype={"a": 1}), "dtype must be one of"),
    "loop_departure: not a construction": (lambda: precision.loop_departure(None, None),
                                           "expected a construction"),
    "circuit_of: a huge n": (lambda: circuits.circuit_of(PARITY, n=HUGE),
                             "n must be between 1 and 10000000"),
    "circuit_of: a huge t": (lambda: circuits.circuit_of(TM, t=HUGE),
                             "t must be between 0 and 10000000"),
    "compile_step: a huge n": (lambda: scaling.compile_step(TM, HUGE, 1),
                               "n must be between 0 and 10000000"),
    "measure_steps: a huge n": (lambda: scaling.measure_steps(TM, [1], n=HUGE),
                                "n must be between 0 and 10000000"),
    "measure_sizes: not a family": (lambda: scaling.measure_sizes("subleq", [2]),
                                    "expected a looped construction family"),
    "step_report: a word that is not a string": (lambda: circuits.step_report(TM, 3, 1),
                                                 "word must be a string"),
    "step_report: a huge t": (lambda: circuits.step_report(TM, "0", HUGE), "t must be between"),
    "verification_words: a huge n": (lambda: circuits.verification_words(PARITY, HUGE),
                                     "n must be between 0 and 10000000"),
    "save: no path": (lambda: saving.save(PARITY, None), "directory must be a path"),
    "save: an empty path": (lambda: saving.save(PARITY, ""), "is not a usable path"),
    "save: not a construction": (lambda: saving.save("parity", "x"), "expected a construction"),
    "load: bytes as a path": (lambda: saving.load(b"model"), "directory must be a path"),
    "describe: not a construction": (lambda: stats.describe(3), "expected a construction"),
    "get: a list as a name": (lambda: get(["parity"]), "unknown construction"),
}


@pytest.mark.parametrize("name", list(CALLS))
def test_a_bad_argument_is_refused_with_the_package_s_own_error(name):
    call, message = CALLS[name]
    start = time.perf_counter()
    with pytest.raises(CompileError, match=message):
        call()
    assert time.perf_counter() - start < 5  # refused, not attempted


def test_a_torch_dtype_is_taken_by_its_name():
    import torch

    assert validate.dtype(torch.float32) == "float32"
    with pytest.raises(validate.RunInputError, match="dtype must be one of"):
        validate.dtype(torch.int64)


def test_the_run_layer_s_device_check_is_the_command_line_s():
    from compilers.cli import inputs

    for text in ("cpu:99", "meta", "xpu:3"):
        with pytest.raises(validate.DeviceError) as api:
            validate.device(text)
        with pytest.raises(inputs.DeviceError) as cli:
            inputs.device(text)
        assert str(api.value) in str(cli.value) and "'--device'" in str(cli.value)
