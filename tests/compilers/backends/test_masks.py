"""Every attention mask on every backend, against a plain oracle.

The IR's masks (`compilers.ir.MASKS`) say which keys j a query at position i
sees: every j, ``j <= i``, ``j < i``, ``j >= i`` or ``j > i``; a query that
sees none adds 0. One head over a fixed vocabulary is run with each mask and
each kind of attention (uniform, softmax, hard with either tie rule,
average-hard) on the exact backend, the torch full pass (float64), the cached
generators of both (the causal masks; the others are refused) and the circuit
backend (its exact logit at the first and the last position), and compared
with `_oracle`, which applies the mask's definition position by position.
The serialiser keeps every mask, and a decoding-step circuit refuses a head
that is not causal.
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import pytest
import torch

from compilers.backends import make
from compilers.backends.circuit.fixed import UnsupportedError
from compilers.backends.circuit.lower_step import step_circuit
from compilers.backends.exact import ExactModel
from compilers.backends.torch_module import TorchTransformer
from compilers.errors import EvaluationError
from compilers.ir import (
    MASKS,
    Attention,
    AverageHard,
    Hard,
    Head,
    I,
    IRError,
    PositionalEncoding,
    Readout,
    Softmax,
    TokenEmbedding,
    Transformer,
    VectorInput,
    matrix,
)
from compilers.ir.plan import plan
from compilers.ir.serialize import from_config, to_config

TOKENS = ("a", "b", "c")
SCORE = {"a": 1, "b": 2, "c": 1}  # a and c tie: the tie rules matter
VALUE = {"a": 10, "b": 20, "c": 30}  # plus i + 1, so that the value names its position
KINDS = {"uniform": AverageHard(), "softmax": Softmax(), "first": Hard(tie="first", gap=1),
         "last": Hard(tie="last", gap=1), "average": AverageHard(gap=1)}
SEES = {"none": lambda i, j: True, "causal": lambda i, j: j <= i,
        "strict_causal": lambda i, j: j < i, "anticausal": lambda i, j: j >= i,
        "strict_anticausal": lambda i, j: j > i}
WORDS = ["".join(w) for n in range(1, 4) for w in itertools.product(TOKENS, repeat=n)]
WORDS += ["abcab", "cbacba", "aacbbca"]


def _model(kind: str, mask: str, *, position: str = "all") -> Transformer:
    stream = ("one", "idx", "s", "val", "y")
    scored = kind != "uniform"
    head = Head(label="h", kind=KINDS[kind], mask=mask,
                query=matrix({("d", "one"): 1} if scored else {}, rows=("d",)),
                key=matrix({("d", "s"): 1} if scored else {}, rows=("d",)),
                value=matrix({("y", "val"): 1, ("y", "idx"): 1}))
    table = {("s", t): SCORE[t] for t in TOKENS} | {("val", t): VALUE[t] for t in TOKENS}
    return Transformer(
        label="masked", stream=stream,
        inputs=TokenEmbedding(label="emb", tokens=TOKENS,
                              table=matrix(table, rows=stream, cols=TOKENS)),
        positions=PositionalEncoding(label="pos", features={"one": 1, "idx": I + 1}),
        blocks=(Attention(label="att", heads=(head,)),),
        readout=Readout(label="out", matrix=matrix({("y", "y"): 1}), position=position))


def _oracle(kind: str, mask: str, word: str) -> list:
    """What the head adds at each position, from the mask's definition (softmax in floats)."""
    values = [VALUE[t] + j + 1 for j, t in enumerate(word)]
    scores = [SCORE[t] for t in word]
    out = []
    for i in range(len(word)):
        seen = [j for j in range(len(word)) if SEES[mask](i, j)]
        if not seen:
            out.append(Fraction(0))
            continue
        best = max(scores[j] for j in seen)
        top = [j for j in seen if scores[j] == best]
        if kind == "uniform":
            out.append(Fraction(sum(values[j] for j in seen), len(seen)))
        elif kind == "softmax":
            weights = [math.exp(scores[j] - best) for j in seen]
            out.append(sum(w * values[j] for w, j in zip(weights, seen, strict=True))
                       / sum(weights))
        elif kind == "first":
            out.append(Fraction(values[top[0]]))
        elif kind == "last":
            out.append(Fraction(values[top[-1]]))
        else:
            out.append(Fraction(sum(values[j] for j in top), len(top)))
    return out


def _agree(kind: str, got, want, *, exact: bool) -> bool:
    if exact and kind != "softmax":
        return list(got) == list(want)
    return all(abs(float(g) - float(w)) <= 1e-12 * (1 + abs(float(w)))
               for g, w in zip(got, want, strict=True))


CASES = [(kind, mask) for kind in KINDS for mask in MASKS]


@pytest.mark.parametrize(("kind", "mask"), CASES)
def test_the_exact_and_torch_forward_passes_apply_every_mask(kind, mask):
    exact, torch_be = (make(name, _model(kind, mask)) for name in ("exact", "torch"))
    for word in WORDS:
        want = _oracle(kind, mask, word)
        got = exact.forward([list(word)], n=len(word)).outputs["y"][0]
        assert _agree(kind, got, want, exact=True), (word, list(got), want)
        floats = torch_be.forward([list(word)], n=len(word))
        assert _agree(kind, floats.outputs["y"][0], want, exact=False), word
        assert not floats.suspect.any()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("mask", MASKS)
def test_the_read_out_row_alone_sees_what_the_full_pass_sees(kind, mask):
    """A model read at its first or last position computes that row only (`Plan.prunable`)."""
    for position, row in (("first", 0), ("last", -1)):
        for name in ("exact", "torch"):
            backend = make(name, _model(kind, mask, position=position))
            for word in WORDS[:12] + WORDS[-3:]:
                got = backend.forward([list(word)], n=len(word)).outputs["y"][0]
                want = _oracle(kind, mask, word)[row]
                assert _agree(kind, [got], [want], exact=name == "exact"), (name, word)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("mask", ["causal", "strict_causal"])
def test_cached_generation_applies_the_causal_masks(kind, mask):
    model = _model(kind, mask)
    torch_model = TorchTransformer(model, dtype="float64")
    for word in ["a", "cab", "abcab", "cbacba"]:
        want = _oracle(kind, mask, word)
        exact = ExactModel(model).generator(n=len(word))
        floats = torch_model.generator(n=len(word), batch=1)
        ids = torch_model.encode_tokens([list(word)])[0]
        for t, token in enumerate(word):
            step = exact.push(token)["y"]
            assert _agree(kind, [step], [want[t]], exact=True), (word, t)
            value = floats.push(ids[t:t + 1])["y"][0]
            assert _agree(kind, [value], [want[t]], exact=False), (word, t)


@pytest.mark.parametrize("mask", ["none", "anticausal", "strict_anticausal"])
def test_cached_generation_refuses_a_head_that_sees_later_positions(mask):
    model = _model("average", mask)
    assert not plan(model).causal
    with pytest.raises(EvaluationError, match="causal"):
        ExactModel(model).generator(n=3)
    with pytest.raises(EvaluationError, match="causal"):
        TorchTransformer(model).generator(n=3, batch=1)


@pytest.mark.parametrize("mask", MASKS)
def test_plan_causal_holds_for_the_causal_and_strictly_causal_masks_only(mask):
    assert plan(_model("average", mask)).causal == (mask in ("causal", "strict_causal"))


@pytest.mark.parametrize("kind", ["uniform", "first", "last", "average"])
@pytest.mark.parametrize("mask", MASKS)
def test_the_circuit_backend_applies_every_mask_at_the_first_and_last_positions(kind, mask):
    """A single position's value is exact; a mean over several positions is the circuit's
    division, rounded at the fractional bits its automatic precision chose (here 1/8)."""
    for position, row in (("first", 0), ("last", -1)):
        circuit = make("circuit", _model(kind, mask, position=position), alphabet=TOKENS,
                       accept="y")
        for word in [*[w for w in WORDS if len(w) in (1, 3)][:20], "abcab"]:
            got = circuit.forward([list(word)], n=len(word)).outputs["y"][0]
            want = _oracle(kind, mask, word)[row]
            assert abs(got - want) <= Fraction(1, 8), (position, word)
            assert got == want or kind in ("uniform", "average"), (position, word)


@pytest.mark.parametrize("mask", MASKS)
def test_the_serialiser_keeps_every_mask(mask):
    model = _model("first", mask)
    again = from_config(*to_config(model))
    assert again == model and again.heads()[0].mask == mask


def test_a_mask_outside_the_list_is_refused_by_name():
    with pytest.raises(IRError, match=r"h: mask 'future'; allowed: \('none', 'causal'"):
        Head(label="h", kind=AverageHard(), mask="future", query=matrix({}, rows=("d",)),
             key=matrix({}, rows=("d",)), value=matrix({("y", "x"): 1}))


@pytest.mark.parametrize("mask", MASKS[1:])
def test_a_head_reading_the_encoder_takes_no_mask(mask):
    with pytest.raises(IRError, match=f"h: a {mask} mask applies to self-attention"):
        Head(label="h", kind=AverageHard(), mask=mask, source="encoder",
             query=matrix({}, rows=("d",)), key=matrix({}, rows=("d",)),
             value=matrix({("y", "x"): 1}))


def test_a_decoding_step_circuit_refuses_a_head_that_is_not_causal():
    encoder = _model("average", "none", position="last")
    head = Head(label="self_h", kind=AverageHard(), mask="anticausal",
                query=matrix({}, rows=("d",)), key=matrix({}, rows=("d",)),
                value=matrix({("z", "x"): 1}))
    decoder = Transformer(
        label="decoder", stream=("x", "z"), inputs=VectorInput(label="in", dims=("x",)),
        blocks=(Attention(label="self_att", heads=(head,)),),
        readout=Readout(label="dec_out", matrix=matrix({("x", "z"): 1})), encoder=encoder,
        feedback="vector")
    with pytest.raises(UnsupportedError, match=r"heads \['self_h \(anticausal\)'\] are not "
                                               "causal"):
        step_circuit(decoder, n=2, t=1, encoder_alphabet=TOKENS, groups={}, start={"x": 0})


def test_a_strict_mask_leaves_no_trace_of_its_empty_row_in_torch():
    """Position 0 under a strict causal softmax sees no key: 0, not NaN, in float32 too."""
    module = TorchTransformer(_model("softmax", "strict_causal"), dtype="float32")
    out = module(module.encode_tokens([list("abc")])).outputs["y"][0]
    assert torch.isfinite(out).all() and out[0].item() == 0.0
