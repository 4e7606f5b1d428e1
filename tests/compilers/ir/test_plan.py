"""The Plan's decisions, read off small IRs built by hand.

The oracle is the IR itself: each model below is built so that which of its
heads are uniform, guarded or unguarded, whether it can be pruned or run
cached, and what it feeds back are known from how it was written (and, for
the constructions at the end, from what their docstrings say), not from
`compilers.ir.plan`.
"""

from __future__ import annotations

import pytest

from compilers.constructions import first, parity, tm
from compilers.errors import EvaluationError
from compilers.ir import (
    MLP,
    Attention,
    AverageHard,
    Hard,
    Head,
    IRError,
    PositionalEncoding,
    Readout,
    Softmax,
    TokenEmbedding,
    Transformer,
    VectorInput,
    matrix,
)
from compilers.ir.plan import argmax_positions, plan, shape

STREAM = ("one", "x", "y", "z")
EMPTY = matrix({}, rows=("d",), cols=())


def _head(label: str, kind, *, query: bool = True, key: bool = True, mask: str = "none",
          source: str = "self", weight: int = 1) -> Head:
    """A head scoring ``one . x`` (input-dependent: x is token a's indicator); with
    `query` or `key` False that map is empty and every score is 0."""
    return Head(label=label, kind=kind, mask=mask, source=source,
                query=matrix({("d", "one"): 1}) if query else EMPTY,
                key=matrix({("d", "x"): 1}) if key else EMPTY,
                value=matrix({("y", "x"): weight}))


def _model(*blocks, label: str = "toy", position: str = "last", looped: bool = False,
           encoder: Transformer | None = None, feedback: str | None = None,
           gap=None, table: int = 1) -> Transformer:
    tokens = ("a", "b")
    outputs = tokens if feedback == "token" else ("out",)
    return Transformer(
        label=label, stream=STREAM, looped=looped, encoder=encoder, feedback=feedback,
        inputs=TokenEmbedding(label=f"{label}_emb", tokens=tokens,
                              table=matrix({("x", "a"): table}, rows=STREAM, cols=tokens)),
        positions=PositionalEncoding(label=f"{label}_pos", features={"one": 1, "z": 0}),
        blocks=tuple(blocks),
        readout=Readout(label=f"{label}_out", position=position, gap=gap,
                        matrix=matrix({(o, "y"): k + 1 for k, o in enumerate(outputs)},
                                      rows=outputs, cols=STREAM)))


def _attention(label: str, *heads: Head) -> Attention:
    return Attention(label=label, heads=heads)


def _mlp(label: str) -> MLP:
    return MLP(label=label, hidden=(f"{label}_u",), w_in=matrix({(f"{label}_u", "y"): 1}),
               w_out=matrix({("z", f"{label}_u"): 1}))


# -- heads ---------------------------------------------------------------------------------


def test_softmax_and_average_hard_heads_with_an_empty_query_or_key_map_are_uniform():
    model = _model(_attention("att",
                              _head("soft_no_query", Softmax(), query=False),
                              _head("avg_no_key", AverageHard(), key=False),
                              _head("avg_gap_no_key", AverageHard(gap=1), key=False),
                              _head("soft_scored", Softmax()),
                              _head("avg_scored", AverageHard(gap=1)),
                              _head("hard_no_query", Hard(tie="first"), query=False)))
    decided = plan(model)
    assert decided.uniform == {"soft_no_query", "avg_no_key", "avg_gap_no_key"}


def test_a_hard_head_with_constant_scores_is_neither_uniform_nor_guarded_nor_unguarded():
    # all scores 0: its tie rule picks one position, no float error can move an argmax
    decided = plan(_model(_attention("att", _head("h", Hard(tie="last"), key=False),
                                     _head("t", Hard(tie=None), query=False))))
    assert decided.uniform == decided.guarded == decided.unguarded == frozenset()


def test_heads_deciding_an_argmax_are_guarded_with_a_gap_and_unguarded_without():
    model = _model(_attention("l1", _head("hard_gap", Hard(tie="first", gap=1)),
                              _head("avg_gap", AverageHard(gap="1/(i+1)")),
                              _head("soft", Softmax())),
                   _attention("l2", _head("hard_bare", Hard(tie="last")),
                              _head("hard_none", Hard(tie=None)),
                              _head("avg_bare", AverageHard())))
    decided = plan(model)
    assert decided.guarded == {"hard_gap", "avg_gap"}
    assert decided.unguarded == {"hard_bare", "hard_none", "avg_bare"}
    assert decided.uniform == frozenset()  # 'soft' decides nothing and is not uniform


def test_float_doubts_name_every_unguarded_head_in_order_and_nothing_else():
    model = _model(_attention("att", _head("zeta", AverageHard()),
                              _head("alpha", Hard(tie="first")),
                              _head("guarded", Hard(tie="first", gap=1)),
                              _head("soft", Softmax())))
    doubts = plan(model).float_doubts()
    assert len(doubts) == 2
    assert doubts[0].startswith("head alpha decides an argmax but declares no gap")
    assert doubts[1].startswith("head zeta decides an argmax but declares no gap")
    assert not any("guarded" in d or "soft" in d for d in doubts)


def test_a_model_whose_argmaxes_are_all_guarded_has_no_float_doubts():
    model = _model(_attention("att", _head("g", Hard(tie="first", gap=1)),
                              _head("s", Softmax()), _head("u", AverageHard(), query=False)))
    assert plan(model).float_doubts() == ()


def test_float_doubts_include_the_encoders():
    encoder = _model(_attention("enc_att", _head("enc_pick", Hard(tie="first"))), label="enc")
    cross = Head(label="cross", kind=Hard(tie="last", gap=1), source="encoder",
                 query=matrix({("d", "one"): 1}), key=matrix({("d", "x"): 1}),
                 value=matrix({("y", "x"): 1}))
    model = _model(_attention("att", cross), encoder=encoder)
    decided = plan(model)
    assert decided.guarded == {"cross"} and decided.encoder.unguarded == {"enc_pick"}
    (doubt,) = decided.float_doubts()
    assert doubt.startswith("head enc_pick decides an argmax but declares no gap")


def test_token_feedback_without_a_read_out_gap_is_a_float_doubt_and_with_one_is_not():
    causal = _attention("att", _head("mean", AverageHard(), key=False, mask="causal"))
    bare = plan(_model(causal, feedback="token"))
    assert bare.float_doubts() == ("toy_out feeds back the argmax token but declares no gap, "
                                   "so a float run cannot tell a tie between tokens from "
                                   "rounding",)
    assert plan(_model(causal, feedback="token", gap=1)).float_doubts() == ()


# -- pruning -------------------------------------------------------------------------------


@pytest.mark.parametrize(("position", "looped", "prunable"), [
    ("last", False, True), ("first", False, True), ("all", False, False),
    ("last", True, False), ("first", True, False)])
def test_a_model_read_at_one_position_and_not_looped_is_prunable(position, looped, prunable):
    assert plan(_model(_mlp("m"), position=position, looped=looped)).prunable is prunable


def test_the_read_out_row_is_the_first_or_the_last_position():
    assert plan(_model(position="first")).readout_row(5) == 0
    assert plan(_model(position="last")).readout_row(5) == 4


def test_the_last_attention_block_is_counted_among_all_blocks():
    soft = _head("s1", Softmax())
    model = _model(_mlp("m0"), _attention("a1", soft), _mlp("m2"),
                   _attention("a3", _head("s3", Softmax())), _mlp("m4"))
    assert plan(model).last_attention == 3
    assert plan(_model(_mlp("m0"), _mlp("m1"))).last_attention is None


# -- generation ----------------------------------------------------------------------------


def test_causal_means_every_self_attention_head_is_causal():
    causal = _head("c", Softmax(), mask="causal")
    assert plan(_model(_attention("att", causal))).causal
    assert plan(_model()).causal  # no heads at all
    mixed = _model(_attention("att", causal, _head("open", Softmax())))
    assert not plan(mixed).causal
    with pytest.raises(EvaluationError, match="toy: cached generation needs every "
                                              "self-attention head to be causal"):
        plan(mixed).require_causal()
    plan(_model(_attention("att", causal))).require_causal()


def test_encoder_heads_do_not_count_against_causality():
    encoder = _model(_mlp("enc_m"), label="enc")
    cross = Head(label="cross", kind=Softmax(), source="encoder",
                 query=matrix({("d", "one"): 1}), key=matrix({("d", "x"): 1}),
                 value=matrix({("y", "x"): 1}))
    model = _model(_attention("att", cross, _head("c", Softmax(), mask="causal")),
                   encoder=encoder)
    assert plan(model).causal


def test_vector_feedback_feeds_back_the_outputs_named_as_input_dims_by_read_out_index():
    stream = ("s", "t", "h")
    model = Transformer(
        label="vec", stream=stream, feedback="vector",
        inputs=VectorInput(label="vin", dims=("s", "t")),
        blocks=(MLP(label="m", hidden=("u",), w_in=matrix({("u", "s"): 1}),
                    w_out=matrix({("h", "u"): 1})),),
        readout=Readout(label="vout", matrix=matrix(
            {("obs", "h"): 1, ("t", "t"): 1, ("s", "s"): 1}, rows=("obs", "t", "s"),
            cols=stream)))
    assert plan(model).fed_back == (2, 1)
    assert plan(_model()).fed_back == ()


def test_only_a_model_with_feedback_generates():
    with pytest.raises(EvaluationError, match=r"toy does not generate \(feedback is None\)"):
        plan(_model()).require_generating()
    plan(_model(feedback="token", gap=1)).require_generating()


def test_a_tie_between_tokens_is_an_error_naming_the_tokens_and_the_position():
    decided = plan(_model(feedback="token", gap=1))
    assert decided.choose_token(["b"], 3) == "b"
    with pytest.raises(EvaluationError, match=r"^toy_out: tie between tokens \['a', 'b'\] at "
                                              r"position 3$"):
        decided.choose_token(["a", "b"], 3)


def test_argmax_positions_follow_the_tie_rule_and_refuse_a_tie_without_one():
    def head(kind):
        return _head("h", kind)
    assert argmax_positions(head(Hard(tie="first")), [1, 4, 6]) == [1]
    assert argmax_positions(head(Hard(tie="last")), [1, 4, 6]) == [6]
    assert argmax_positions(head(AverageHard()), [1, 4, 6]) == [1, 4, 6]
    assert argmax_positions(head(Hard(tie=None)), [4]) == [4]
    with pytest.raises(EvaluationError, match=r"^h: hard attention tie between positions "
                                              r"\[1, 4\] and no tie rule$"):
        argmax_positions(head(Hard(tie=None)), [1, 4])


def test_the_input_length_is_n_if_given_else_the_encoders_else_the_default():
    with_encoder = plan(_model(encoder=_model(label="enc")))
    without = plan(_model())
    assert with_encoder.encoder_length(7, 3, 5) == without.encoder_length(7, 3, 5) == 7
    assert with_encoder.encoder_length(None, 3, 5) == 3
    assert without.encoder_length(None, 3, 5) == 5
    assert with_encoder.encoder_length(None, None, 5) == 5


# -- shape and checking ----------------------------------------------------------------------


def test_models_that_differ_only_in_weights_have_one_shape():
    one = _model(_attention("att", _head("h", Hard(tie="first", gap=1), weight=1)), table=1)
    two = _model(_attention("att", _head("h", Hard(tie="first", gap=1), weight=3)), table=2)
    assert one != two and shape(one) == shape(two)


@pytest.mark.parametrize("change", [
    {"kind": Hard(tie="last", gap=1)}, {"kind": Hard(tie="first", gap=2)},
    {"mask": "causal"}, {"label": "other"}, {"position": "first"}, {"looped": True},
    {"extra_block": True}])
def test_a_structural_change_changes_the_shape(change):
    def build(kind=None, mask="none", label="h", position="last", looped=False,
              extra_block=False):
        kind = kind or Hard(tie="first", gap=1)
        blocks = [_attention("att", _head(label, kind, mask=mask))]
        if extra_block:
            blocks.append(_mlp("m"))
        return _model(*blocks, position=position, looped=looped)
    assert shape(build(**change)) != shape(build())


def test_the_plan_checks_the_ir_first():
    reads_early = MLP(label="early", hidden=("u",), w_in=matrix({("u", "z"): 1}),
                      w_out=matrix({("y", "u"): 1}))
    writes_late = MLP(label="late", hidden=("v",), w_in=matrix({("v", "x"): 1}),
                      w_out=matrix({("z", "v"): 1}))
    model = Transformer(
        label="bad", stream=STREAM,
        inputs=TokenEmbedding(label="emb", tokens=("a",),
                              table=matrix({("x", "a"): 1}, rows=("x",), cols=("a",))),
        blocks=(reads_early, writes_late),
        readout=Readout(label="out", matrix=matrix({("o", "y"): 1})))
    with pytest.raises(IRError, match=r"early: reads \['z'\] before anything writes them"):
        plan(model)


# -- the constructions, as their docstrings describe them ------------------------------------


def test_the_turing_machine_plan_is_two_uniform_heads_and_two_guarded_hard_heads():
    construction = tm.build("1RB1LB_1LA1RZ")
    decided = plan(construction.transformer)
    assert decided.uniform == {"prev_moves", "moves"}
    assert decided.guarded == {"last_write", "input_cell"}
    assert decided.unguarded == frozenset() and decided.float_doubts() == ()
    assert decided.causal and decided.prunable  # read at the last position, not looped
    layout = construction.layout
    outputs = construction.transformer.readout.outputs
    assert [outputs[k] for k in decided.fed_back] == list(layout.input_dims)


def test_the_parity_plan_has_a_uniform_count_and_guards_only_its_average_hard_heads():
    soft = plan(parity.build().transformer)
    assert soft.uniform == {"count"} and soft.guarded == soft.unguarded == frozenset()
    hard = plan(parity.build(attention="average-hard").transformer)
    assert hard.uniform == {"count"} and hard.guarded == {"odd", "even"}
    assert hard.float_doubts() == () and hard.prunable and hard.last_attention == 2


def test_the_first_plan_decides_nothing_by_argmax():
    decided = plan(first.build(log_scaling=True).transformer)
    assert decided.uniform == decided.guarded == decided.unguarded == frozenset()
