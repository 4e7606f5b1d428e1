"""Tracr's lib programs through the torch forward's restricted products (`torch_sparse`,
forced on every product, as a large batch takes them): torch float64 == the RASP
evaluator on every short input, and a batch large enough to take them by default."""

from unittest import mock

import pytest

from compilers.backends import torch_sparse
from languages import rasp_lib as lib
from tests.compilers.programs.test_rasp_compile import LIB, T, assert_runs, every_input


@pytest.mark.parametrize("span", [1, 10**6])
@pytest.mark.parametrize("name", sorted(LIB))
def test_tracr_lib_programs_equal_the_evaluator_through_restricted_products(name, span):
    build, vocab, up_to, causal = LIB[name]
    vocab = set(vocab)
    unique = name == "sort_unique"
    inputs = [xs for xs in every_input(vocab, min(up_to, 4))
              if not unique or len(set(xs)) == len(xs)]
    with mock.patch.multiple(torch_sparse, SPARSE_MACS=0, SPARSE_ROWS=0, WORTH=1.0,
                             SPAN=span):
        assert_runs(build(6), vocab, 6, inputs, causal=causal, backends=("torch",))


def test_a_large_batch_of_sort_takes_restricted_products_and_equals_the_evaluator():
    words = [[(7 * b + 3 * p) % 5 + 1 for p in range(16)] for b in range(64)]
    with mock.patch.object(torch_sparse, "product", wraps=torch_sparse.product) as product:
        assert_runs(lib.make_sort(T, T, max_seq_len=16, min_key=1), {1, 2, 3, 4, 5}, 16,
                    words, backends=("torch",))
    assert product.call_count > 0
