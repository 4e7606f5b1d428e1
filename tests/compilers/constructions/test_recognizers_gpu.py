"""The central check batched at large n on a GPU (run with ``-m gpu``)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from compilers.constructions import first, parity
from tests.compilers.constructions.test_recognizers import exact_logits, torch_logits

pytestmark = pytest.mark.gpu


@pytest.fixture(scope="module")
def cuda():
    if not torch.cuda.is_available():
        pytest.fail("the gpu suite needs a CUDA device")
    return "cuda"


def _words(count: int, length: int, seed: int) -> tuple[list[str], np.ndarray]:
    bits = np.random.default_rng(seed).integers(0, 2, size=(count, length))
    return ["".join("01"[b] for b in row) for row in bits], bits


@pytest.mark.parametrize("length", [1024, 8192])
def test_parity_batched_on_gpu_matches_oracle(cuda, length):
    recognizer = parity.build(layernorm=True)
    words, bits = _words(1024, length, seed=length)
    logits, trusted = torch_logits(recognizer, words, dtype="float64", device=cuda)
    assert trusted.all()
    assert np.array_equal(logits > 0, bits.sum(axis=1) % 2 == 1)
    exact = [float(z) for z in exact_logits(recognizer, words[:2])]
    assert exact == pytest.approx(logits[:2].tolist(), rel=1e-12)


def test_first_batched_on_gpu_in_float32(cuda):
    recognizer = first.build(log_scaling=True, layernorm=True)
    words, bits = _words(1024, 20000, seed=1)
    logits, trusted = torch_logits(recognizer, words, dtype="float32", device=cuda)
    assert trusted.all()
    assert np.array_equal(logits > 0, bits[:, 0] == 1)
