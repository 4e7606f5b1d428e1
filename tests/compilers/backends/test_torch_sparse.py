"""Restricted products (`torch_sparse`): a weight applied on its nonzero rows and columns
computes what the exact backend computes, reads the weight as it is at each call (an
entry edited in place is never ignored), and is only taken for large products."""

from fractions import Fraction
from unittest import mock

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from compilers.backends import torch_sparse
from compilers.backends.torch_module import TorchTransformer
from compilers.ir import (
    MLP,
    Attention,
    AverageHard,
    Head,
    PositionalEncoding,
    Readout,
    TokenEmbedding,
    Transformer,
    matrix,
)
from compilers.ir.strategies import transformers
from tests.compilers.backends.exact_oracle import assert_matches_exact, with_twins, words


def _always(span: int):
    """Every product restricted, whatever its size; `span` picks slices or gathers."""
    return mock.patch.multiple(torch_sparse, SPARSE_MACS=0, SPARSE_ROWS=0, WORTH=1.0,
                               SPAN=span)


@settings(max_examples=25, deadline=None)
@given(transformers().map(with_twins), words, st.sampled_from([1, 10**6]))
def test_restricted_products_match_the_exact_backend(model, sequence, span):
    module = TorchTransformer(model, dtype="float64")
    ids = module.encode_tokens([sequence, sequence])
    with _always(span):
        for only_readout in (False, True):
            got = module(ids, n=len(sequence), only_readout=only_readout)
            assert not got.suspect.any()
            for row in (0, 1):
                assert_matches_exact(model, sequence, got, row=row)


def _copies() -> Transformer:
    """An average of x into y (one head), then an MLP copying y into z; z is read."""
    stream = ("one", "x", "y", "z", "w")
    return Transformer(
        label="copies", stream=stream,
        inputs=TokenEmbedding(label="emb", tokens=("a", "b"),
                              table=matrix({("x", "b"): 1}, rows=stream, cols=("a", "b"))),
        positions=PositionalEncoding(label="pos", features={"one": 1}),
        blocks=(Attention(label="att", heads=(Head(
                    label="mean", query=matrix({("d", "one"): 1}),
                    key=matrix({("d", "one"): 1}), value=matrix({("y", "x"): 1}),
                    kind=AverageHard(gap=Fraction(1))),)),
                MLP(label="copy", hidden=("u",), w_in=matrix({("u", "y"): 1}),
                    w_out=matrix({("z", "u"): 1}))),
        readout=Readout(label="out", matrix=matrix({("z", "z"): 1, ("w", "w"): 1}),
                        position="all"))


@pytest.mark.parametrize("span", [1, 10**6])
def test_an_entry_edited_in_place_outside_the_support_is_used(span):
    """The supports come from the tensors at each call: entries that are 0 in the IR and
    set afterwards (through `.data`, which no version counter sees) change the result."""
    module = TorchTransformer(_copies(), dtype="float64")
    ids = module.encode_tokens([list("abba")])
    with _always(span):
        before = module(ids, n=4).outputs
        assert before["z"][0].tolist() == [0.5] * 4 and before["w"][0].tolist() == [0] * 4
        index = module.index
        module.blocks["att"]["mean"].value.data[index["w"], index["x"]] = 3.0  # value writes w
        module.blocks["copy"].w_in.data[0, index["w"]] = 1.0  # the MLP reads w too
        after = module(ids, n=4).outputs
    assert after["w"][0].tolist() == [1.5] * 4
    assert after["z"][0].tolist() == [2.0] * 4  # relu(y + w) = 0.5 + 1.5


def test_support_finds_the_nonzero_rows_and_columns_of_a_large_weight():
    weight = torch.zeros(8, 10)
    weight[2, 3] = weight[4, 5] = 1.0
    with mock.patch.multiple(torch_sparse, SPARSE_MACS=1, SPARSE_ROWS=1):
        assert torch_sparse.support(weight, 1)[:2] == (slice(2, 5), slice(3, 6))
        with mock.patch.object(torch_sparse, "SPAN", 1):
            assert torch_sparse.support(weight, 1)[:2] == ([2, 4], [3, 5])
        assert torch_sparse.support(weight, 1, outputs=False)[:2] == (slice(0, 8), slice(3, 6))
        assert torch_sparse.support(torch.ones(8, 10), 1) is None  # nothing to leave out
        assert torch_sparse.support(weight[None], 1) is None  # stacked models: dense
    assert torch_sparse.support(weight, 1) is None  # 80 multiply-adds: not worth a look
    assert torch_sparse.support(weight, torch_sparse.SPARSE_ROWS) is None  # still too few
    assert torch_sparse.support(weight, torch_sparse.SPARSE_MACS)[:2] == (slice(2, 5),
                                                                          slice(3, 6))


def test_a_large_batch_takes_the_restricted_products_by_default():
    module = TorchTransformer(_copies(), dtype="float64")
    positions = torch_sparse.SPARSE_MACS // 5 + 1  # x 5 x 1 multiply-adds: the least
    ids = module.encode_tokens([list("ab")]).repeat(positions // 2 + 1, 1)
    with mock.patch.object(torch_sparse, "product", wraps=torch_sparse.product) as product:
        got = module(ids, n=2).outputs
    assert product.call_count == 6  # query, key, value, the MLP's two weights, read-out
    assert got["z"].tolist() == [[0.5, 0.5]] * ids.shape[0]
