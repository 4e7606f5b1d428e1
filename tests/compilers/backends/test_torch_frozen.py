"""The frozen forward (`torch_frozen`) computes what the exact backend and the RASP evaluator
compute, flags what the eager forward flags, and is a snapshot: later edits to the module
do not reach it."""

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compilers.backends.common import EvaluationError
from compilers.backends.torch_frozen import freeze, refusals
from compilers.backends.torch_module import TorchTransformer
from compilers.constructions import parity
from compilers.ir import (
    MLP,
    Attention,
    AverageHard,
    Hard,
    Head,
    Readout,
    TokenEmbedding,
    Transformer,
    matrix,
)
from compilers.ir.strategies import transformers
from compilers.programs.rasp_compile import compile_rasp
from languages.rasp_strategies import rasp_inputs, rasp_programs
from tests.compilers.backends.exact_oracle import assert_matches_exact, with_twins, words
from tests.compilers.programs.test_rasp_compile import LIB, assert_decodes, every_input


@settings(max_examples=40, deadline=None)
@given(transformers().map(with_twins), words)
def test_drawn_transformers_match_the_exact_backend(model, sequence):
    """Every kind, score and mask of head, MLPs and layer norms (`ir.strategies`)."""
    module = TorchTransformer(model, dtype="float64")
    got = freeze(module)(module.encode_tokens([sequence]), n=len(sequence))
    assert not got.suspect.any()
    assert_matches_exact(model, sequence, got)


@settings(max_examples=10, deadline=None)
@given(transformers(), st.lists(words, min_size=2, max_size=5), st.data())
def test_a_batch_equals_the_eager_forward_row_by_row(model, batch, data):
    length = data.draw(st.integers(1, 6))
    batch = [(w * length)[:length] for w in batch]
    module = TorchTransformer(model, dtype="float64")
    ids = module.encode_tokens(batch)
    eager, frozen = module(ids, n=length), freeze(module)(ids, n=length)
    for name, value in eager.outputs.items():
        assert torch.allclose(frozen.outputs[name], value, atol=1e-9, rtol=1e-9), name
    assert torch.allclose(frozen.stream, eager.stream, atol=1e-9, rtol=1e-9)
    assert torch.equal(frozen.suspect, eager.suspect)


def _run_rasp(program, vocab, n, inputs, *, causal=False, attention="average-hard"):
    compiled = compile_rasp(program, vocab=vocab, max_seq_len=n, causal=causal,
                            attention=attention)
    for dtype in ("float64", "float32"):
        frozen = freeze(TorchTransformer(compiled.transformer, dtype=dtype))

        def forward(rows, length, frozen=frozen):
            result = frozen(frozen.module.encode_tokens(rows), n=length)
            assert not result.suspect.any()
            return {o: v.double().tolist() for o, v in result.outputs.items()}
        assert_decodes(program, compiled, inputs, forward, causal=causal, rounded=True,
                       nearest=attention == "softmax", tolerance=1e-5, where=dtype)


@pytest.mark.parametrize("name", sorted(LIB))
def test_tracr_lib_programs_equal_the_evaluator_on_every_short_input(name):
    build, vocab, up_to, causal = LIB[name]
    vocab = set(vocab)
    unique = name == "sort_unique"
    inputs = [xs for xs in every_input(vocab, min(up_to, 4))
              if not unique or len(set(xs)) == len(xs)]
    _run_rasp(build(6), vocab, 6, inputs, causal=causal)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program=rasp_programs(vocab="abc", max_seq_len=5, max_operations=5), data=st.data())
def test_drawn_rasp_programs_equal_the_evaluator(program, data):
    inputs = data.draw(st.lists(rasp_inputs("abc", max_seq_len=5), min_size=1, max_size=4))
    _run_rasp(program, set("abc"), 5, inputs)


def test_softmax_heads_equal_the_evaluator():
    build, vocab, _, _ = LIB["frac_prevs"]
    _run_rasp(build(6), set(vocab), 6, every_input(set(vocab), 4), attention="softmax")


def test_parity_with_layer_norm_recognises_parity():
    recognizer = parity.build(layernorm=True, attention="average-hard")
    module = TorchTransformer(recognizer.transformer, dtype="float32")
    frozen = freeze(module)
    for length in (0, 1, 5, 9):
        strings = [format(k, f"0{length}b") if length else "" for k in range(2 ** length)]
        ids = module.encode_tokens([recognizer.tokens(s) for s in strings])
        got = frozen(ids, n=length)
        assert (got.outputs["logit"] > 0).tolist() == [s.count("1") % 2 == 1 for s in strings]


def _one_head(kind) -> Transformer:
    """x reads the mean (or argmax) of v over keys scored query * key * s(position)."""
    stream = ("s", "v", "y")
    head = Head(label="h", kind=kind, query=matrix({("d", "s"): 1}, rows=("d",), cols=stream),
                key=matrix({("d", "s"): 1}, rows=("d",), cols=stream),
                value=matrix({("y", "v"): 1}, rows=stream, cols=stream))
    table = {("s", "a"): 0, ("s", "b"): 1, ("v", "a"): 0, ("v", "b"): 1}
    return Transformer(label="one", stream=stream,
                       inputs=TokenEmbedding(label="emb", tokens=("a", "b"),
                                             table=matrix(table, rows=stream, cols=("a", "b"))),
                       blocks=(Attention(label="att", heads=(head,)),),
                       readout=Readout(label="out", matrix=matrix({("y", "y"): 1}, rows=("y",),
                                                                  cols=stream),
                                       position="all"))


def test_a_score_in_the_suspect_band_marks_the_example_and_names_the_head():
    module = TorchTransformer(_one_head(AverageHard(gap=1)), dtype="float64")
    module.blocks["att"]["h"].query.data[0, 0] = 0.5  # scores 0.5 apart: a quarter to 3/4
    ids = module.encode_tokens([["a", "b"], ["a", "a"]])
    eager, frozen = module(ids, n=2), freeze(module)(ids, n=2)
    assert frozen.suspect.tolist() == eager.suspect.tolist() == [True, False]
    assert set(frozen.suspect_heads) == set(eager.suspect_heads) == {"h"}
    assert frozen.suspect_heads["h"].tolist() == [True, False]


def test_a_hard_head_without_a_tie_rule_refuses_a_tie_by_name():
    module = TorchTransformer(_one_head(Hard(tie=None)), dtype="float64")
    ids = module.encode_tokens([["b", "b"]])
    with pytest.raises(EvaluationError, match="h") as eager:
        module(ids, n=2)
    with pytest.raises(EvaluationError) as frozen:
        freeze(module)(ids, n=2)
    assert str(frozen.value) == str(eager.value)


def test_it_is_a_snapshot_edits_after_freezing_do_not_reach_it():
    model = _one_head(AverageHard(gap=1))
    module = TorchTransformer(model, dtype="float64")
    ids = module.encode_tokens([["a", "b", "b"]])
    frozen = freeze(module)
    before = frozen(ids, n=3).outputs["y"].clone()
    module.blocks["att"]["h"].value.data[2, 1] = 5.0  # in place: no version bump
    assert torch.equal(frozen(ids, n=3).outputs["y"], before)
    assert torch.allclose(freeze(module)(ids, n=3).outputs["y"], module(ids, n=3).outputs["y"],
                          rtol=1e-12, atol=0)
    assert not torch.equal(module(ids, n=3).outputs["y"], before)


def test_non_finite_values_name_the_block():
    module = TorchTransformer(_one_head(AverageHard(gap=1)), dtype="float32")
    module.blocks["att"]["h"].value.data[2, 1] = float("inf")
    ids = module.encode_tokens([["a", "b"]])
    with pytest.raises(EvaluationError, match="att: non-finite"):
        freeze(module)(ids, n=2)


def test_a_finite_stream_whose_sum_overflows_is_not_refused():
    # the one check after the last block sums the stream; an overflow of that sum alone
    # runs the twin that checks every block, which finds each finite: the pass as eager
    module = TorchTransformer(_one_head(AverageHard(gap=1)), dtype="float32")
    module.embedding.table.data[module.index["v"], 1] = 3e38  # token b's v, near the top
    ids = module.encode_tokens([["a", "b"]])
    frozen = freeze(module)
    stream = frozen(ids, n=2).stream
    assert torch.isfinite(stream).all() and not torch.isfinite(stream.sum())
    assert torch.equal(frozen(ids, n=2).outputs["y"], module(ids, n=2).outputs["y"])


def test_bad_token_ids_and_bad_inputs_are_refused_by_name():
    module = TorchTransformer(_one_head(AverageHard(gap=1)), dtype="float32")
    frozen = freeze(module)
    for run in (frozen, module):  # the eager forward too: its table would read another row
        with pytest.raises(EvaluationError, match=r"token ids 0 \.\. 2; allowed: 0 \.\. 1"):
            run(torch.tensor([[0, 2]] * 3), n=2)
        with pytest.raises(EvaluationError, match=r"token ids -1 \.\. 1; allowed: 0 \.\. 1"):
            run(torch.tensor([[-1, 1]]), n=2)
    with pytest.raises(EvaluationError, match="long tensor"):
        frozen(torch.tensor([[0.0, 1.0]]), n=2)


def test_what_cannot_be_frozen_is_refused_with_every_reason():
    model = _one_head(AverageHard(gap=1))
    assert refusals(TorchTransformer(model)) == []
    stacked = TorchTransformer([model, model])
    assert "it runs stacked weights" in refusals(stacked)
    half = TorchTransformer(model, dtype="bfloat16")
    with pytest.raises(EvaluationError, match=r"dtype is torch.bfloat16 \(allowed: float32"):
        freeze(half)
    hooked = TorchTransformer(model)
    hooked.hook_dict["hook_embed"].add_hook(lambda x, hook: x)
    with pytest.raises(EvaluationError, match="hooks are registered"):
        freeze(hooked)


def test_an_mlp_that_writes_nothing_and_one_that_writes_only_its_bias():
    stream = ("s", "y")
    table = matrix({("s", "a"): 1}, rows=stream, cols=("a",))
    silent = MLP(label="silent", hidden=("u",), w_in=matrix({("u", "s"): 1}, rows=("u",),
                                                             cols=stream),
                 w_out=matrix({}, rows=stream, cols=("u",)))
    biased = MLP(label="biased", hidden=("u",), w_in=matrix({}, rows=("u",), cols=stream),
                 w_out=matrix({}, rows=stream, cols=("u",)), b_out={"y": 3})
    model = Transformer(label="m", stream=stream,
                        inputs=TokenEmbedding(label="emb", tokens=("a",), table=table),
                        blocks=(silent, biased),
                        readout=Readout(label="out", matrix=matrix({("y", "y"): 1}, rows=("y",),
                                                                   cols=stream),
                                        position="last"))
    module = TorchTransformer(model, dtype="float64")
    got = freeze(module)(module.encode_tokens([["a", "a"]]), n=2)
    assert got.outputs["y"].tolist() == [3.0]


def test_an_empty_batch_and_no_positions_give_what_the_eager_forward_gives():
    module = TorchTransformer(_one_head(AverageHard(gap=1)), dtype="float64")
    frozen = freeze(module)
    empty = frozen(torch.zeros(0, 3, dtype=torch.long), n=3)
    assert empty.outputs["y"].shape == module(torch.zeros(0, 3, dtype=torch.long),
                                              n=3).outputs["y"].shape == (0, 3)
    none = frozen(torch.zeros(2, 0, dtype=torch.long), n=0)
    assert none.outputs["y"].shape == (2, 0)
