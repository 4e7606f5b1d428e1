"""The torch forward's fast paths compute what the exact backend computes: heads run in
groups, projections fused into one product, products over many rows padded, the last
attention pruned to the read-out row; positional rows cached per (length, n); the
non-finite check and the per-head suspect flags still name the block and the head."""

import itertools
from fractions import Fraction
from unittest import mock

import pytest
import torch
from hypothesis import given, settings

from compilers.backends import torch_attention
from compilers.backends.common import EvaluationError
from compilers.backends.exact import ExactModel
from compilers.backends.torch_module import PAD_ROWS, TorchTransformer
from compilers.constructions import parity
from compilers.ir import (
    MLP,
    Attention,
    AverageHard,
    Head,
    I,
    N,
    PositionalEncoding,
    Readout,
    TokenEmbedding,
    Transformer,
    matrix,
)
from compilers.ir.strategies import transformers
from tests.compilers.backends.exact_oracle import assert_matches_exact, close, with_twins, words


@settings(max_examples=25)
@given(transformers().map(with_twins), words)
def test_grouped_heads_match_the_exact_backend_with_and_without_pruning(model, sequence):
    module = TorchTransformer(model, dtype="float64")
    ids = module.encode_tokens([sequence])
    for most_scores in (torch_attention.GROUPED_SCORES, 0):  # together, then one by one
        with mock.patch.object(torch_attention, "GROUPED_SCORES", most_scores):
            for only_readout in (False, True):
                got = module(ids, n=len(sequence), only_readout=only_readout)
                assert not got.suspect.any()
                assert_matches_exact(model, sequence, got)


@settings(max_examples=10)
@given(transformers().map(with_twins), words)
def test_a_batch_over_many_rows_takes_the_padded_products_and_matches_the_exact_backend(
        model, sequence):
    module = TorchTransformer(model, dtype="float64")
    copies = -(-PAD_ROWS // len(sequence))  # copies * positions >= PAD_ROWS
    got = module(module.encode_tokens([sequence] * copies), n=len(sequence))
    for row in (0, copies - 1):
        assert_matches_exact(model, sequence, got, row=row)


def test_pruned_parity_forward_equals_the_full_pass_and_the_language():
    recognizer = parity.build(layernorm=True, attention="average-hard")
    module = TorchTransformer(recognizer.transformer, dtype="float32")
    for length in (0, 1, 7, 10):
        strings = ["".join(w) for w in itertools.product("01", repeat=length)]
        ids = module.encode_tokens([recognizer.tokens(s) for s in strings])
        full, pruned = module(ids, n=length), module(ids, n=length, only_readout=True)
        assert torch.equal(full.outputs["logit"], pruned.outputs["logit"])
        assert torch.equal(full.stream[:, -1:], pruned.stream)
        assert (pruned.outputs["logit"] > 0).tolist() == [s.count("1") % 2 == 1
                                                          for s in strings]


def test_positional_rows_follow_n_and_the_length_of_each_call():
    """One module, several (length, n): each forward equals the exact backend at its n."""
    model = _positions_model()
    module = TorchTransformer(model, dtype="float64")
    for length, n in ((3, 3), (5, 9), (3, 7), (5, 9), (2, 2)):
        sequence = ["a"] * length
        got = module(module.encode_tokens([sequence]), n=n)
        want = ExactModel(model).forward(sequence, n=n).outputs["y"]
        assert all(close(a, b) for a, b in zip(want, got.outputs["y"][0], strict=True))


def test_only_the_guarded_head_whose_scores_fall_in_its_gap_is_flagged():
    model = _two_guarded_heads()
    module = TorchTransformer(model, dtype="float64")
    ids = module.encode_tokens([list("ab")])
    assert not module(ids).suspect.any()
    module.blocks["att"]["left"].key.data[0, 1] = 0.6  # left's scores now 0 and 0.6
    bad = module(ids)
    assert bad.suspect.tolist() == [True] and set(bad.suspect_heads) == {"left"}


def test_a_non_finite_value_in_a_row_the_read_out_does_not_need_names_its_block():
    """'boom' overflows at position 0 only; the pruned pass still names it, not a later
    block, although only the last position is computed after the last attention."""
    model = _overflow_at_first_position()
    module = TorchTransformer(model, dtype="float32")
    ids = module.encode_tokens([list("baa")])
    with pytest.raises(EvaluationError, match=r"^boom: non-finite values in torch\.float32"):
        module(ids, only_readout=True)


def _positions_model() -> Transformer:
    stream = ("x", "p", "y")
    return Transformer(
        label="positions", stream=stream,
        inputs=TokenEmbedding(label="emb", tokens=("a",),
                              table=matrix({("x", "a"): 1}, rows=stream, cols=("a",))),
        positions=PositionalEncoding(label="pos", features={"p": (I + 1) / (N + 1)}),
        blocks=(MLP(label="copy", hidden=("u",), w_in=matrix({("u", "p"): 3}),
                    w_out=matrix({("y", "u"): 1}), b_in={"u": Fraction(1, 3)}),),
        readout=Readout(label="out", matrix=matrix({("y", "y"): 1}), position="all"))


def _two_guarded_heads() -> Transformer:
    """Two average-hard heads of one group (gap 1) scoring x: 0 for 'a', 1 for 'b'."""
    stream = ("one", "x", "y", "z")
    def head(label: str, writes: str) -> Head:
        return Head(label=label, query=matrix({("d", "one"): 1}),
                    key=matrix({("d", "x"): 1}), value=matrix({(writes, "x"): 1}),
                    kind=AverageHard(gap=1))
    return Transformer(
        label="guarded", stream=stream,
        inputs=TokenEmbedding(label="emb", tokens=("a", "b"),
                              table=matrix({("x", "b"): 1}, rows=stream, cols=("a", "b"))),
        positions=PositionalEncoding(label="pos", features={"one": 1}),
        blocks=(Attention(label="att", heads=(head("left", "y"), head("right", "z"))),),
        readout=Readout(label="out", matrix=matrix({("y", "y"): 1})))


def _overflow_at_first_position() -> Transformer:
    """Token 'b' writes 10^30 to 'big'; 'boom' squares it past float32's range."""
    stream = ("x", "big", "y")
    return Transformer(
        label="overflow", stream=stream,
        inputs=TokenEmbedding(label="emb", tokens=("a", "b"), table=matrix(
            {("x", "a"): 1, ("big", "b"): 10**30}, rows=stream, cols=("a", "b"))),
        positions=None,
        blocks=(MLP(label="boom", hidden=("u",), w_in=matrix({("u", "big"): 10**30}),
                    w_out=matrix({("big", "u"): 1})),
                Attention(label="mean", heads=(Head(
                    label="avg", query=matrix({}, rows=(), cols=stream),
                    key=matrix({}, rows=(), cols=stream), value=matrix({("y", "x"): 1}),
                    kind=AverageHard()),)),
                MLP(label="after", hidden=("v",), w_in=matrix({("v", "y"): 1}),
                    w_out=matrix({("y", "v"): 1}))),
        readout=Readout(label="out", matrix=matrix({("y", "y"): 1})))
