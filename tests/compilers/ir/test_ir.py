"""The IR: nodes validate when built, the checker names the block, configs round-trip."""

from fractions import Fraction

import pytest
import sympy

from compilers.ir import (
    MLP,
    Attention,
    AverageHard,
    Hard,
    Head,
    I,
    IRError,
    LayerNorm,
    Matrix,
    N,
    PositionalEncoding,
    Readout,
    Softmax,
    TokenEmbedding,
    Transformer,
    VectorInput,
    check,
    matrix,
)
from compilers.ir.serialize import from_config, to_config

STREAM = ("one", "x", "avg", "h", "y")


def _toy(**changes) -> Transformer:
    """Average of the 1s, then relu(2 avg - 1): a small model touching every node type."""
    parts = dict(
        label="toy",
        stream=STREAM,
        inputs=TokenEmbedding(label="emb", tokens=("0", "1"),
                              table=matrix({("x", "1"): 1}, cols=("0", "1"))),
        positions=PositionalEncoding(label="pos",
                                     features={"one": 1, "y": sympy.cos(sympy.pi * I)}),
        blocks=(
            Attention(label="l1", heads=(Head(
                label="mean", query=Matrix(rows=(), cols=()), key=Matrix(rows=(), cols=()),
                value=matrix({("avg", "x"): 1}), kind=AverageHard()),)),
            MLP(label="m1", hidden=("u",), w_in=matrix({("u", "avg"): 2, ("u", "one"): -1}),
                w_out=matrix({("h", "u"): 1})),
            LayerNorm(label="ln", dims=("h", "y"), epsilon=Fraction(1, 10)),
        ),
        readout=Readout(label="out", matrix=matrix({("logit", "h"): 1}), bias={"logit": "-1/2"}),
    )
    parts.update(changes)
    return Transformer(**parts)


def test_a_well_formed_model_passes_the_checker():
    assert check(_toy()).label == "toy"


def test_float_weights_are_refused_with_the_entry_named():
    with pytest.raises(IRError, match=r"w\['a', 'b'\]: float 0.1 is not an exact weight"):
        Matrix(rows=("a",), cols=("b",), entries={("a", "b"): 0.1}, where="w")


def test_matrix_entries_must_name_listed_rows():
    with pytest.raises(IRError, match="names unknown row 'z'"):
        Matrix(rows=("a",), cols=("b",), entries={("z", "b"): 1})


def test_labels_must_be_identifiers():
    with pytest.raises(IRError, match="mlp label 'layer 1' must be a Python identifier"):
        MLP(label="layer 1", hidden=("u",), w_in=matrix({("u", "x"): 1}),
            w_out=matrix({("x", "u"): 1}))


def test_query_and_key_must_share_head_dimensions():
    with pytest.raises(IRError, match=r"bad: query rows .* and key rows .* must be the same"):
        Head(label="bad", query=matrix({("q0", "x"): 1}), key=matrix({("k0", "x"): 1}),
             value=matrix({("h", "x"): 1}), kind=Hard(tie="last"))


def test_hard_attention_names_its_tie_rules():
    with pytest.raises(IRError, match="tie rule 'middle'; allowed: 'first', 'last'"):
        Hard(tie="middle")


def test_formulas_may_use_only_i_and_n():
    t = sympy.Symbol("t")
    with pytest.raises(IRError, match=r"uses \['t'\]; allowed: i, n"):
        PositionalEncoding(label="pos", features={"x": t / 2})
    with pytest.raises(IRError, match=r"softmax scale: formula .* allowed: n"):
        Softmax(scale=I)


def test_checker_names_a_block_reading_an_unwritten_direction():
    blocks = _toy().blocks
    late = MLP(label="early", hidden=("u",), w_in=matrix({("u", "h"): 1}),
               w_out=matrix({("avg", "u"): 1}))
    with pytest.raises(IRError, match=r"early: reads \['h'\] before anything writes them"):
        check(_toy(blocks=(late, *blocks)))


def test_checker_names_directions_outside_the_stream():
    mlp = MLP(label="m2", hidden=("u",), w_in=matrix({("u", "ghost"): 1}),
              w_out=matrix({("h", "u"): 1}))
    with pytest.raises(IRError, match=r"m2: reads \['ghost'\] not in the stream"):
        check(_toy(blocks=(*_toy().blocks, mlp)))


def test_checker_reports_duplicate_labels_and_all_problems_at_once():
    mlp = MLP(label="m1", hidden=("u",), w_in=matrix({("u", "ghost"): 1}),
              w_out=matrix({("h", "u"): 1}))
    with pytest.raises(IRError, match=r"2 problem\(s\)") as info:
        check(_toy(blocks=(*_toy().blocks, mlp)))
    assert "label 'm1' is used by a MLP and a MLP" in str(info.value)
    assert "m1: reads ['ghost']" in str(info.value)


def test_checker_requires_an_encoder_for_cross_attention():
    head = Head(label="cross", query=Matrix(rows=(), cols=()), key=Matrix(rows=(), cols=()),
                value=matrix({("h", "x"): 1}), kind=AverageHard(), source="encoder")
    with pytest.raises(IRError, match="cross: reads the encoder, but toy has none"):
        check(_toy(blocks=(Attention(label="a", heads=(head,)),)))


def test_looped_bodies_may_read_what_a_later_block_writes():
    reads_h = MLP(label="first", hidden=("u",), w_in=matrix({("u", "h"): 1}),
                  w_out=matrix({("avg", "u"): 1}))
    writes_h = MLP(label="second", hidden=("v",), w_in=matrix({("v", "x"): 1}),
                   w_out=matrix({("h", "v"): 1}))
    with pytest.raises(IRError, match="first: reads"):
        check(_toy(blocks=(reads_h, writes_h)))
    assert check(_toy(blocks=(reads_h, writes_h), looped=True))


def test_token_feedback_needs_outputs_named_as_tokens():
    with pytest.raises(IRError, match=r"outputs \('logit',\) must be the tokens"):
        check(_toy(feedback="token"))


def test_vector_inputs_write_their_dims():
    model = _toy(inputs=VectorInput(label="vec", dims=("x",)))
    assert check(model).inputs.dims == ("x",)


def test_config_round_trip_rebuilds_an_equal_transformer():
    model = _toy(blocks=(*_toy().blocks, Attention(label="l2", heads=(Head(
        label="soft", query=matrix({("q", "one"): 1}), key=matrix({("q", "y"): "1/3"}),
        value=matrix({("avg", "x"): -2}), kind=Softmax(scale=sympy.log(N) + 1)),))))
    config, tensors = to_config(model)
    assert from_config(config, tensors) == model


def test_config_formulas_cannot_run_code():
    config, tensors = to_config(_toy())
    config["positions"]["features"]["y"] = "__import__('os').system('true')"
    with pytest.raises(IRError, match="uses names or characters outside"):
        from_config(config, tensors)
