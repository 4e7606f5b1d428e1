"""The circuit backend: circuit == torch float64 == exact == language oracle.

Oracles: the `languages` zoo's `contains`, the exact backend (rationals), and
for hand-written heads the exact backend's value rounded as the lowering
documents. PARITY's compiled circuit is also proved equivalent to the
hand-built `circuitx.gadgets.parity(n)`.
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from circuitx import gadgets, verify
from circuitx.builder import CircuitBuilder
from compilers.backends.circuit import (
    CircuitCompileError,
    PrecisionError,
    SaturationError,
    UnsupportedError,
    to_circuit,
)
from compilers.backends.exact import ExactModel
from compilers.constructions import get
from compilers.ir import (
    MLP,
    Attention,
    AverageHard,
    Hard,
    Head,
    I,
    LayerNorm,
    PositionalEncoding,
    Readout,
    Softmax,
    TokenEmbedding,
    Transformer,
    matrix,
)
from compilers.runs import recognise
from compilers.runs.circuits import circuit_of
from languages import zoo

VARIANTS = [
    ("parity", {"attention": "average-hard"}),
    ("parity", {"attention": "average-hard", "layernorm": True}),
    ("first", {}),
    ("first", {"layernorm": True}),
    ("first", {"log_scaling": True}),
]
IDS = ["parity-avg", "parity-avg-ln", "first", "first-ln", "first-log"]


@cache
def _compiled(name: str, options: tuple, n: int, precision: str = "auto"):
    return circuit_of(get(name).make(**dict(options)), n=n, precision=precision)


def _logits(recognizer, words: list[str], **options) -> list:
    """The read-out logit of every word (exact: Fractions; torch: floats)."""
    return [x.values["logit"] for x in recognise(recognizer, words, **options)]


def _words(n: int) -> list[str]:
    return ["".join(p) for p in itertools.product("01", repeat=n)]


def _agree(name: str, options: dict, words: list[str]) -> None:
    recognizer = get(name).make(**options)
    n = len(words[0])
    model = _compiled(name, tuple(sorted(options.items())), n)
    language = zoo.get(recognizer.language)
    oracle = [language.contains(w) for w in words]
    assert model.accepts(words).tolist() == oracle
    assert [bool(z > 0) for z in _logits(recognizer, words, backend="torch", dtype="float64")] \
        == oracle
    assert [z > 0 for z in _logits(recognizer, words)] == oracle


@pytest.mark.parametrize(("name", "options"), VARIANTS, ids=IDS)
@pytest.mark.parametrize("n", range(1, 9))
def test_circuit_agrees_with_torch_exact_and_oracle_on_every_word(name, options, n):
    _agree(name, options, _words(n))


@pytest.mark.slow
@pytest.mark.parametrize(("name", "options"), VARIANTS, ids=IDS)
@pytest.mark.parametrize("n", range(9, 13))
def test_circuit_agrees_on_every_word_up_to_12(name, options, n):
    _agree(name, options, _words(n))


@pytest.mark.parametrize(("name", "options"), VARIANTS, ids=IDS)
@settings(max_examples=15)
@given(data=st.data())
def test_circuit_agrees_on_longer_words(name, options, data):
    n = data.draw(st.integers(9, 48), label="n")
    words = [data.draw(st.text(alphabet="01", min_size=n, max_size=n), label="word")
             for _ in range(3)]
    _agree(name, options, words)


@pytest.mark.parametrize("layernorm", [False, True])
def test_parity_circuit_holds_the_exact_logit(layernorm):
    options = {"attention": "average-hard", "layernorm": layernorm}
    recognizer = get("parity").make(**options)
    words = _words(6)
    model = _compiled("parity", tuple(sorted(options.items())), 6)
    assert model.logits(words) == _logits(recognizer, words)


@pytest.mark.parametrize("layernorm", [False, True])
def test_parity_circuit_has_depth_two_and_the_hand_built_size_at_every_n(layernorm):
    options = tuple(sorted({"attention": "average-hard", "layernorm": layernorm}.items()))
    for n in (2, 3, 4, 8, 16, 32, 64, 128):
        stats = _compiled("parity", options, n).circuit.stats()
        assert (stats.depth, stats.size) == (2, n + 1) == (gadgets.parity(n).depth,
                                                           gadgets.parity(n).size)


@pytest.mark.parametrize(("name", "options"), VARIANTS[2:], ids=IDS[2:])
def test_first_circuit_has_the_same_depth_and_size_at_every_n(name, options):
    stats = {_compiled(name, tuple(sorted(options.items())), n).circuit.stats()
             for n in (2, 4, 8, 16, 32)}
    assert len({(s.depth, s.size) for s in stats}) == 1


def _as_parity_circuit(model):
    """The compiled circuit over inputs x0.. (x_i = [w_i = '1']), output 'out'."""
    builder = CircuitBuilder()
    xs = builder.inputs("x", model.n)
    wires = {}
    for i, x in enumerate(xs):
        wires[f"x{i}_1"], wires[f"x{i}_0"] = x, builder.not_(x)
    out, = builder.embed(model.circuit, wires)
    return builder.build({"out": out})


@pytest.mark.parametrize("layernorm", [False, True])
@pytest.mark.parametrize("n", [1, 2, 5, 10])
def test_parity_circuit_is_equivalent_to_the_hand_built_one(n, layernorm):
    options = tuple(sorted({"attention": "average-hard", "layernorm": layernorm}.items()))
    verdict = verify.equivalent(_as_parity_circuit(_compiled("parity", options, n)),
                                gadgets.parity(n))
    assert verdict.equal


def test_stated_precision_is_correct_when_large_enough_and_wrong_when_too_small():
    language = zoo.get("parity")
    options = (("attention", "average-hard"),)
    words = _words(8)
    oracle = [language.contains(w) for w in words]
    assert _compiled("parity", options, 8, "2.10").accepts(words).tolist() == oracle
    assert _compiled("parity", options, 8, "2.4").accepts(words).tolist() != oracle


# -- refusals and errors ----------------------------------------------------------------------


def test_softmax_parity_does_not_saturate_and_is_refused():
    with pytest.raises(SaturationError, match=r"odd: softmax does not saturate at 3 fraction "
                                              r"bits .*it lacks 0\.77"):
        circuit_of(get("parity").make(), n=4)


def test_first_saturates_at_log_precision_only_with_log_scaling():
    plain, scaled = get("first").make(), get("first").make(log_scaling=True)
    with pytest.raises(SaturationError, match=r"look: softmax does not saturate at 16 fraction "
                                              r"bits \(n = 8"):
        circuit_of(plain, n=8, precision="4.16")
    model = circuit_of(scaled, n=8, precision="4.16")
    assert model.accepts(["10000000", "01111111"]).tolist() == [True, False]


def test_bad_precision_and_length_are_refused():
    recognizer = get("parity").make(attention="average-hard")
    with pytest.raises(PrecisionError, match=r"precision 'eight'; expected 'auto' or INT\.FRAC"):
        circuit_of(recognizer, n=4, precision="eight")
    with pytest.raises(PrecisionError, match="input length n must be an integer >= 1, got 0"):
        circuit_of(recognizer, n=0)
    with pytest.raises(PrecisionError, match=r"embed: direction 'tok0' at position 0 ranges "
                                             r"over \[0, 1\], beyond the 0 integer bits"):
        circuit_of(recognizer, n=4, precision="0.8")


def _toy(blocks, stream, features, readout="y") -> Transformer:
    embedding = TokenEmbedding(label="embed", tokens=("0", "1"), table=matrix(
        {("tok1", "1"): 1}, rows=("tok1",), cols=("0", "1")))
    return Transformer(label="toy", stream=("tok1", "one", "pos", *stream), inputs=embedding,
                       positions=PositionalEncoding(label="positions", features=features),
                       blocks=tuple(blocks),
                       readout=Readout(label="out", matrix=matrix({("logit", readout): 1}),
                                       position="last"))


def test_three_direction_layer_norm_is_refused():
    model = _toy([LayerNorm(label="norm", dims=("tok1", "one", "pos"))], (),
                 {"one": 1, "pos": I}, readout="pos")
    with pytest.raises(UnsupportedError, match="norm: layer norm over 3 directions"):
        to_circuit(model, 3)


def _head(kind, *, score="dot", mask="none", query="one", value="pos"):
    return Head(label="h", query=matrix({("q", query): 1}), key=matrix({("q", "tok1"): 1}),
                value=matrix({("y", value): 1}), kind=kind, score=score, mask=mask)


def _exact_values(model, n):
    exact = ExactModel(model)
    return [exact.forward(list(w), n=n).outputs["logit"] for w in _words(n)]


@pytest.mark.parametrize("tie", ["first", "last"])
@pytest.mark.parametrize("mask", ["none", "causal"])
@pytest.mark.parametrize("query", ["one", "tok1"])
def test_hard_attention_with_input_dependent_scores_is_exact(tie, mask, query):
    model = _toy([Attention(label="att", heads=(_head(Hard(tie=tie), mask=mask, query=query),))],
                 ("y",), {"one": 1, "pos": I})
    for n in (1, 2, 5):
        circuit = to_circuit(model, n)
        assert circuit.logits(_words(n)) == _exact_values(model, n)


@pytest.mark.parametrize("score", ["dot", "neg_abs_dot"])
@pytest.mark.parametrize("mask", ["none", "causal"])
def test_average_over_a_selected_set_is_the_exact_average_rounded_down(score, mask):
    mlp = MLP(label="mix", hidden=("h",), w_in=matrix({("h", "tok1"): 2, ("h", "pos"): -1}),
              w_out=matrix({("z", "h"): Fraction(1, 3)}), b_in={"h": 1})
    head = _head(AverageHard(), score=score, mask=mask, value="z")
    model = _toy([mlp, Attention(label="att", heads=(head,))], ("z", "y"), {"one": 1, "pos": I})
    for n in (1, 3, 5):
        circuit = to_circuit(model, n)
        scale = 1 << circuit.precision.frac_bits
        expected = [Fraction(math.floor(v * scale), scale) for v in _exact_values(model, n)]
        assert circuit.logits(_words(n)) == expected


def test_saturating_softmax_with_input_dependent_scores_is_average_hard():
    soft = _toy([Attention(label="att", heads=(_head(Softmax(scale=40)),))], ("y",),
                {"one": 1, "pos": I})
    hard = _toy([Attention(label="att", heads=(_head(AverageHard()),))], ("y",),
                {"one": 1, "pos": I})
    for n in (2, 4):
        assert to_circuit(soft, n).logits(_words(n)) == to_circuit(hard, n).logits(_words(n))
    weak = _toy([Attention(label="att", heads=(_head(Softmax(scale=6)),))], ("y",),
                {"one": 1, "pos": I})
    with pytest.raises(SaturationError, match=r"h: softmax does not saturate at 8 fraction bits"):
        to_circuit(weak, 4, precision="4.8")


def test_encoding_refuses_a_word_of_another_length_or_alphabet():
    model = _compiled("parity", (("attention", "average-hard"),), 3)
    assert model.encode(["101"]).astype(int).tolist() == [[0, 1, 1, 0, 0, 1]]
    with pytest.raises(CircuitCompileError, match="word '10' has length 2; this circuit reads "
                                                  "words of length 3"):
        model.accepts(["10"])
    with pytest.raises(CircuitCompileError, match=r"symbol '2' of word '102' is not in the "
                                                  r"alphabet \['0', '1'\]"):
        model.accepts(["102"])
