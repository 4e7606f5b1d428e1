"""The Turing-machine transformer batched on a GPU (run with ``-m gpu``)."""

from __future__ import annotations

import pytest
import torch

from compilers.constructions import tm
from compilers.runs import generate
from languages.turing import TuringMachine, run, trace

pytestmark = pytest.mark.gpu


@pytest.fixture(scope="module")
def cuda():
    if not torch.cuda.is_available():
        pytest.fail("the gpu suite needs a CUDA device")
    return "cuda"


def machines(count: int, steps: int, seed: int) -> list[str]:
    """Random 5-state, 2-symbol machines that do not halt within `steps`."""
    import random

    rng = random.Random(seed)
    codes: list[str] = []
    while len(codes) < count:
        code = "_".join("".join(rng.choice("01") + rng.choice("LR") + rng.choice("ABCDEZ")
                                for _ in "01") for _ in "ABCDE")
        if not run(TuringMachine.from_bbchallenge(code), max_steps=steps).halted:
            codes.append(code)
    return codes


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_256_machines_batched_on_gpu_equal_the_reference_for_2000_steps(cuda, dtype):
    constructions = [tm.build(code) for code in machines(256, 2000, seed=1)]
    results = generate(constructions[0], [""] * len(constructions), stacked=constructions,
                       backend="torch", dtype=dtype, device=cuda, max_steps=2000)
    for c, result in zip(constructions, results, strict=True):
        assert result.trusted
        assert list(result.trace) == trace(c.machine, max_steps=2000)


def test_bb4_on_gpu_in_float64_halts_after_107_steps(cuda):
    (result,) = generate(tm.build("1RB1LB_1LA0LC_1RZ1LD_1RD0RA"), [""], backend="torch",
                         device=cuda, max_steps=200)
    out = result.as_dict()
    assert (out["halted"], out["steps"], out["ones"]) == (True, 107, 13)
    assert out["agrees_with_reference"]
