"""Every user mistake on the command line is one line ``error: ...`` and exit status 2.

Both kinds: the packages' own errors (a bad machine, a bad program) and what
click itself rejects (an unknown choice, a missing option, a number out of
range), which `compilers.cli` reformats to the same one line.
"""

from __future__ import annotations

import pytest
import torch
from click.testing import CliRunner

from compilers.cli import main

TM = "1RB1LB_1LA1RZ"
NO_CUDA = pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")


def _run(*args: str):
    return CliRunner().invoke(main, list(args), prog_name="circuitx")


@pytest.mark.parametrize(("args", "message"), [
    (("nosuch",), "error: no such command 'nosuch'; see 'circuitx --help'"),
    (("run", "tm"), "error: missing argument 'MACHINE'; see 'circuitx run tm --help'"),
    (("run", "tm", TM, "--zzz"), "error: no such option '--zzz'; see 'circuitx run tm --help'"),
    (("sample", "parity", "--lenght", "3"), "error: no such option '--lenght' (did you mean "
                                            "'--length'?); see 'circuitx sample --help'"),
    (("sample", "parity", "--cont", "3"), "error: no such option '--cont' (did you mean "
                                          "'--json'?); see 'circuitx sample --help'"),
    (("run", "tm", TM, "--backend", "torch", "--dtype", "float8"),
     "error: invalid value for '--dtype': 'float8' is not one of 'float64', 'float32', "
     "'bfloat16', 'float16'"),
    (("run", "tm", TM, "--backend", "torch", "--device", "tpu"),
     "error: invalid value for '--device': unknown device 'tpu'; expected cpu, cuda or cuda:N"),
    (("run", "tm", TM, "--backend", "nope"),
     "error: invalid value for '--backend': 'nope' is not one of 'reference', 'exact', 'torch', "
     "'circuit'"),
    (("run", "subleq", "examples/programs/hello.subleq", "--max-steps", "-1"),
     "error: invalid value for '--max-steps': -1 is not in the range 0<=x<=1000000000"),
    (("run", "subleq", "examples/programs/multiply.giannou", "--semantics", "esolang"),
     "error: examples/programs/multiply.giannou (esolang): line 11: ';' is not an integer"),
    (("compile", "subleq", "no-such.subleq", "-o", "unused"),
     "error: cannot read program file 'no-such.subleq': No such file or directory"),
    (("precision", "tm", TM),
     "error: missing option '--dtype'. Choose from: float64, float32, bfloat16, float16; "
     "see 'circuitx precision tm --help'"),
    (("precision", "tm", TM, "--dtype", "float32", "--max-steps", "-1"),
     "error: invalid value for '--max-steps': -1 is not in the range 0<=x<=10000000"),
    (("check", "parity", "--lengths", "1..x"),
     "error: invalid value for '--lengths': '1..x' is not a length range; expected A..B or "
     "a comma-separated list of integers"),
    (("check", "parity", "--lengths", "-1..3"),
     "error: invalid value for '--lengths': length -1 is out of range; lengths must be "
     "between 0 and 10^7"),
    (("scaling", "tm", TM, "--steps", "1..x"),
     "error: invalid value for '--steps': '1..x' is not a length range; expected A..B or "
     "a comma-separated list of integers"),
    (("sample", "parity", "--length", "x"),
     "error: invalid value for '--length': 'x' is not a valid integer"),
    (("languages", "extra"),
     "error: got unexpected extra argument (extra); see 'circuitx languages --help'"),
])
def test_a_user_mistake_is_one_line_naming_the_value_and_exit_status_two(args, message):
    result = _run(*args)
    assert result.exit_code == 2
    assert result.output == message + "\n"


@NO_CUDA
@pytest.mark.parametrize("args", [
    ("run", "tm", TM, "--backend", "torch", "--device", "cuda"),
    ("precision", "tm", TM, "--dtype", "float32", "--device", "cuda"),
    ("check", "parity", "--lengths", "1..3", "--device", "cuda"),
    ("precision", "parity", "--dtype", "float32", "--device", "cuda"),
])
def test_asking_for_cuda_without_it_is_one_line(args):
    result = _run(*args)
    assert result.exit_code == 2
    assert result.output == ("error: invalid value for '--device': device 'cuda' asked for, "
                             "but torch sees no CUDA device here\n")
