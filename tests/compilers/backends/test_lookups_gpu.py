"""Indexed lookups on a GPU (run with ``-m gpu``): the looped SUBLEQ computer and the
Turing-machine decoder with ``lookups='index'`` on CUDA, in float32 and float64.

Oracles: the plain interpreters (`languages.subleq`, `languages.turing.trace`), which
share no code with the transformer, and the dense loop from every loop's input
(``dense_every``), which shares none with the index.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from compilers.constructions import subleq, tm
from compilers.runs import generate, loop
from compilers.runs.backends import backend_for
from languages import subleq as reference

pytestmark = pytest.mark.gpu

PROGRAMS = Path(__file__).parents[3] / "examples" / "programs"
BB2_4 = "1RB2LA1RA1RA_1LB1LA3RB1RZ"


@pytest.fixture(scope="module")
def cuda():
    if not torch.cuda.is_available():
        pytest.fail("the gpu suite needs a CUDA device")
    return "cuda"


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_indexed_subleq_loops_on_the_gpu_equal_the_dense_loop_and_the_interpreter(cuda, dtype):
    program = reference.load_program(str(PROGRAMS / "hello.subleq"))
    construction = subleq.build(program, dtype=dtype)
    runner = backend_for(construction, "torch", dtype=dtype, device=cuda, lookups="index",
                         dense_every=8)
    (result,) = loop(construction, [program], runner=runner, max_steps=1000, trace=True)
    assert result.agrees_with_reference and result.trace == result.reference_trace
    assert result.answer.output == b"Hello, world!\n"
    assert runner._runs[0].broken == []


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_indexed_decoder_on_the_gpu_equals_the_dense_decoder_and_the_machine(cuda, dtype):
    construction = tm.build(BB2_4)
    options = {"backend": "torch", "dtype": dtype, "device": cuda, "max_steps": 2000}
    (dense,) = generate(construction, [""], lookups="dense", **options)
    (indexed,) = generate(construction, [""], lookups="index", **options)
    assert indexed.trace == dense.trace and indexed.answer == dense.answer
    assert indexed.agrees_with_reference
