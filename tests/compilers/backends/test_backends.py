"""The exact and torch backends agree on random transformers; cached generation
agrees with recomputing the prefix; stacked weights run one model per example."""

from fractions import Fraction

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from compilers.backends.common import EvaluationError
from compilers.backends.exact import ExactModel
from compilers.backends.torch_module import TorchTransformer
from compilers.ir import AverageHard, Head, LayerNorm, Matrix, matrix
from compilers.ir.strategies import TOKENS, transformers

words = st.lists(st.sampled_from(TOKENS), min_size=1, max_size=6)


def _close(exact, value) -> bool:
    return abs(float(exact) - float(value)) <= 1e-9 * (1 + abs(float(exact)))


@given(transformers(), st.lists(words, min_size=1, max_size=3))
def test_torch_float64_matches_exact_on_random_transformers(model, sequences):
    exact = ExactModel(model)
    torch_model = TorchTransformer(model, dtype="float64")
    for sequence in sequences:
        want = exact.forward(sequence, n=len(sequence))
        got = torch_model(torch_model.encode_tokens([sequence]), n=len(sequence))
        assert not got.suspect.any()
        for name, value in want.outputs.items():
            values = value if isinstance(value, list) else [value]
            found = got.outputs[name][0].reshape(-1).tolist()
            assert all(_close(a, b) for a, b in zip(values, found, strict=True)), name


@given(transformers(causal_only=True, layer_norm=False), words)
def test_cached_generation_matches_the_full_causal_pass(model, sequence):
    exact = ExactModel(model)
    generator = exact.generator(n=len(sequence))
    torch_model = TorchTransformer(model, dtype="float64")
    torch_generator = torch_model.generator(n=len(sequence), batch=1)
    ids = torch_model.encode_tokens([sequence])[0]
    for t, token in enumerate(sequence):
        step = generator.push(token)
        full = exact.forward(sequence[:t + 1], n=len(sequence)).stream[-1]
        again = {o: sum((v * full[exact.index[c]] for (r, c), v in
                         model.readout.matrix.entries.items() if r == o), Fraction(0))
                 for o in model.readout.outputs}
        assert step == again
        torch_step = torch_generator.push(ids[t:t + 1])
        assert all(_close(step[o], torch_step[o][0]) for o in step)


def test_stacked_models_run_one_model_per_example():
    a, b = _count(1), _count(-3)
    stacked = TorchTransformer([a, b], dtype="float64")
    ids = stacked.encode_tokens([list("aab"), list("aab")])
    out = stacked(ids).outputs["y"]
    single = [TorchTransformer(m, dtype="float64")(ids[:1]).outputs["y"][0] for m in (a, b)]
    assert out.tolist() == [float(s) for s in single] == [2 / 3, -2.0]


def test_stacking_refuses_models_of_different_structure():
    other = _count(1, label="other")
    with pytest.raises(EvaluationError, match="cannot stack other: its structure differs"):
        TorchTransformer([_count(1), other])


def test_unknown_tokens_are_named():
    with pytest.raises(EvaluationError, match=r"unknown token 'z' at position 1; allowed"):
        ExactModel(_count(1)).forward(["a", "z"])


def test_layer_norm_with_zero_epsilon_fails_loudly_on_zero_variance():
    from compilers.ir import Transformer

    base = _count(1)
    model = Transformer(label="ln", stream=base.stream, inputs=base.inputs,
                        positions=base.positions,
                        blocks=(LayerNorm(label="norm", dims=("x", "y"), epsilon=0),),
                        readout=base.readout)
    with pytest.raises(EvaluationError, match="norm: variance \\+ epsilon is 0 at position 0"):
        ExactModel(model).forward(["b"])
    with pytest.raises(EvaluationError, match="norm: non-finite values"):
        TorchTransformer(model)(torch.tensor([[1]]))


def test_guarded_hard_attention_flags_scores_inside_the_gap():
    """A score 0.4 below the maximum cannot happen when gap = 1: the run is suspect."""
    from compilers.ir import PositionalEncoding, Transformer

    base = _count(1)
    head = Head(label="pick", query=matrix({("d", "one"): 1}), key=matrix({("d", "x"): 1}),
                value=matrix({("y", "x"): 1}), kind=AverageHard(gap=1))
    model = Transformer(label="g", stream=base.stream, inputs=base.inputs,
                        positions=PositionalEncoding(label="pos", features={"one": 1}),
                        blocks=(base.blocks[0],), readout=base.readout)
    model = Transformer(**{**model.__dict__, "blocks": (type(base.blocks[0])(
        label="att", heads=(head,)),)})
    torch_model = TorchTransformer(model, dtype="float64")
    ok = torch_model(torch_model.encode_tokens([list("ab")]))
    assert not ok.suspect.any()
    torch_model.embedding.table.data[base.stream.index("x"), 1] = 0.6  # 'b' now scores 0.6
    bad = torch_model(torch_model.encode_tokens([list("ab")]))
    assert bad.suspect.tolist() == [True] and "pick" in bad.suspect_heads


def _count(weight: int, label: str = "count"):
    """y = weight * (fraction of 'a' tokens), by uniform average-hard attention."""
    from compilers.ir import Attention, PositionalEncoding, TokenEmbedding, Transformer

    stream = ("one", "x", "y")
    return Transformer(
        label=label, stream=stream,
        inputs=TokenEmbedding(label="emb", tokens=("a", "b"),
                              table=matrix({("x", "a"): 1}, rows=stream, cols=("a", "b"))),
        positions=PositionalEncoding(label="pos", features={"one": 1}),
        blocks=(Attention(label="att", heads=(Head(
            label="mean", query=Matrix(rows=(), cols=()), key=Matrix(rows=(), cols=()),
            value=matrix({("y", "x"): weight}), kind=AverageHard()),)),),
        readout=_readout())


def _readout():
    from compilers.ir import Readout

    return Readout(label="out", matrix=matrix({("y", "y"): 1}))


def test_numpy_is_not_needed_for_inputs():
    assert np.asarray([1]).tolist() == [1]
