"""Where the exact backend raises, the torch backend raises the same error or flags the run.

DESIGN: "Wherever the exact backend raises (a token tie, a hard-attention tie
without a rule, a non-finite value), the torch backend flags the run
untrusted or raises the same error". Each case is pinned here on small IRs
built by hand, whose ties, gaps and zero variances are known from how they
were written: (a) a tie between fed-back tokens, (b) a hard-attention tie
without a tie rule (and what the circuit backend does with one), (c) a
layer norm with epsilon 0 over equal entries, (d) a hard head that declares
no gap, which no float run can be trusted through. Last, each backend
implements the `Backend` protocol.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import pytest

from compilers.backends import make
from compilers.backends.base import Backend, Generator
from compilers.backends.circuit.backend import CircuitBackend
from compilers.backends.circuit.fixed import UnsupportedError
from compilers.backends.exact import ExactBackend
from compilers.backends.torch_backend import TorchBackend
from compilers.constructions.base import Decoder, Encoded, Recogniser
from compilers.errors import EvaluationError
from compilers.ir import (
    Attention,
    AverageHard,
    Hard,
    Head,
    I,
    LayerNorm,
    PositionalEncoding,
    Readout,
    TokenEmbedding,
    Transformer,
    VectorInput,
    matrix,
)
from compilers.ir.plan import plan
from compilers.runs import generate, recognise

TIE = r"^out: tie between tokens \['a', 'b'\] at position 0$"
HARD_TIE = r"^pick: hard attention tie between positions \[0, 1\] and no tie rule$"

# -- (a) a tie between fed-back tokens --------------------------------------------------------

TOKENS = ("a", "b", "c")


def _walk(after_c: tuple, gap=None) -> Transformer:
    """Token feedback over a, b, c: after a comes b, after b comes a; after c the outputs
    a and b are `after_c` (equal: an exact tie) and c is 0."""
    stream = ("xa", "xb", "xc")
    table = matrix({("xa", "a"): 1, ("xb", "b"): 1, ("xc", "c"): 1}, rows=stream, cols=TOKENS)
    scores = {("b", "xa"): 1, ("a", "xb"): 1, ("a", "xc"): after_c[0], ("b", "xc"): after_c[1]}
    return Transformer(label="walk", stream=stream, feedback="token",
                       inputs=TokenEmbedding(label="emb", tokens=TOKENS, table=table),
                       blocks=(),
                       readout=Readout(label="out", gap=gap,
                                       matrix=matrix(scores, rows=TOKENS, cols=stream)))


def _next_token(backend: str, model: Transformer, token: str):
    """The token the backend's generator feeds back after reading `token`, and whether the
    example is suspect."""
    be = make(backend, model)
    generator = be.generator(n=1, batch=1)
    values = generator.push(be.inputs([token]))
    chosen = be.host(generator.next_input(values))[0]
    return (TOKENS[int(chosen)] if backend == "torch" else chosen), bool(
        generator.suspect()[0])


@pytest.mark.parametrize("backend", ["exact", "torch"])
@pytest.mark.parametrize("gap", [None, 1])
def test_an_exact_tie_between_tokens_raises_in_every_generator(backend, gap):
    with pytest.raises(EvaluationError, match=TIE):
        _next_token(backend, _walk((1, 1), gap=gap), "c")


@pytest.mark.parametrize("below", ["1/10", "1/4", "2/5"])
def test_with_a_gap_a_float_near_tie_within_half_the_gap_raises_in_torch(below):
    model = _walk((1, 1 + Fraction(below)), gap=1)
    with pytest.raises(EvaluationError, match=TIE):
        _next_token("torch", model, "c")
    assert _next_token("exact", model, "c") == ("b", False)  # exact breaks no promise


@pytest.mark.parametrize(("below", "suspect"), [("1/2", True), ("3/5", True), ("7/10", True),
                                                ("3/4", False), ("9/10", False), ("1", False)])
def test_with_a_gap_a_margin_of_a_quarter_to_three_quarters_of_it_marks_torch_suspect(
        below, suspect):
    model = _walk((1, 1 + Fraction(below)), gap=1)
    assert _next_token("torch", model, "c") == ("b", suspect)
    assert _next_token("exact", model, "c") == ("b", False)


@dataclass
class _WalkDecoder:
    """Reads the argmax token at each position until `max_steps` tokens."""

    max_steps: int
    walked: list = field(default_factory=list)
    done: bool = False

    def feed(self, position: int, token: str) -> None:
        if not self.done:
            self.walked.append(token)
            self.done = len(self.walked) >= self.max_steps

    def trace(self) -> tuple:
        return tuple(self.walked)

    def answer(self) -> str:
        return "".join(self.walked)


@dataclass(frozen=True)
class Walk:
    """A toy decoder (the `Decoder` protocol) over `_walk`: from a start token, the tokens
    the model feeds back; its reference follows the table the model was written from."""

    transformer: Transformer
    after_c: str = "b"
    options: dict = field(default_factory=dict)
    limits: dict = field(default_factory=dict)
    name = "walk"
    mode = "generate"
    limit_name = "steps"
    note = "a test decoder"

    def encode(self, start: str) -> Encoded:
        return Encoded(encoder=(), first=start, n=1)

    def decoder(self, start: str, max_steps: int) -> _WalkDecoder:
        return _WalkDecoder(max_steps)

    def read(self, values, position: int, kind: str) -> list[str]:
        return [TOKENS[int(np.argmax(np.asarray(row, dtype=np.float64)))] for row in values]

    def trusted_steps(self, dtype: str, start: str) -> int:
        return 1000

    def reference(self, start: str, *, max_steps: int):
        walk, token = [], start
        for _ in range(max_steps):
            token = {"a": "b", "b": "a", "c": self.after_c}[token]
            walk.append(token)
        return tuple(walk), "".join(walk)


def test_without_a_gap_the_plan_doubts_the_read_out_and_no_torch_run_is_trusted():
    bare, guarded = _walk((1, 1)), _walk((1, 1), gap=1)
    (doubt,) = plan(bare).float_doubts()
    assert doubt.startswith("out feeds back the argmax token but declares no gap")
    assert plan(guarded).float_doubts() == ()
    for model, backend, trusted in ((bare, "exact", True), (bare, "torch", False),
                                    (guarded, "exact", True), (guarded, "torch", True)):
        (result,) = generate(Walk(model), ["a"], backend=backend, dtype="float64",
                             max_steps=4)
        assert (result.answer, result.agrees_with_reference) == ("baba", True)
        assert result.trusted is trusted, (backend, result.why_untrusted)
        if not trusted:
            assert result.why_untrusted == doubt
            assert result.values["trusted_steps"] == 0


@pytest.mark.parametrize("backend", ["exact", "torch"])
def test_a_run_into_a_token_tie_raises_on_both_backends(backend):
    with pytest.raises(EvaluationError, match=TIE):
        generate(Walk(_walk((1, 1), gap=1)), ["c"], backend=backend, max_steps=3)


def test_a_suspect_token_choice_makes_the_torch_run_untrusted():
    construction = Walk(_walk((1, Fraction(8, 5)), gap=1))
    (exact,) = generate(construction, ["c"], max_steps=3)
    (floats,) = generate(construction, ["c"], backend="torch", max_steps=3)
    assert exact.answer == floats.answer == "bab"
    assert exact.trusted and not floats.trusted
    assert floats.why_untrusted.startswith("the gap check flagged step")


# -- (b) a hard-attention tie without a tie rule ---------------------------------------------

STREAM = ("one", "x", "p", "y")
KEYS = {"x": {("d", "x"): 1}, "position": {("d", "p"): 1}, "one": {("d", "one"): 1},
        "empty": {}}


def _picker(kind, *, key: str = "x", value: str = "p", mask: str = "none",
            bias=0) -> Transformer:
    """One head at the last position: query `one`, key `key` (x: token a's indicator,
    input-dependent; position: i + 1; one: 1 everywhere; empty: no key map, scores 0);
    it copies `value` of the position it picks into y (p = i + 1 names the position)."""
    head = Head(label="pick", kind=kind, mask=mask,
                query=matrix({("d", "one"): 1}),
                key=matrix(KEYS[key], rows=("d",)),
                value=matrix({("y", value): 1}))
    return Transformer(
        label="argmax", stream=STREAM,
        inputs=TokenEmbedding(label="emb", tokens=("a", "b"),
                              table=matrix({("x", "a"): 1}, rows=STREAM, cols=("a", "b"))),
        positions=PositionalEncoding(label="pos", features={"one": 1, "p": I + 1}),
        blocks=(Attention(label="att", heads=(head,)),),
        readout=Readout(label="out", matrix=matrix({("y", "y"): 1}), bias={"y": bias}))


def _forward(backend: str, model: Transformer, words) -> list:
    """The read-out y of each word on `backend` (the circuit: its exact logit)."""
    hints = {"alphabet": ("a", "b"), "accept": "y"} if backend == "circuit" else {}
    be = make(backend, model, **hints)
    return [be.forward([list(word)], n=len(word)).outputs["y"][0] for word in words]


@pytest.mark.parametrize("backend", ["exact", "torch"])
def test_a_hard_tie_without_a_rule_raises_in_the_exact_and_torch_forward(backend):
    model = _picker(Hard(tie=None))
    assert _forward(backend, model, ["ab", "ba"]) == [1, 2]  # one 'a': a unique maximum
    with pytest.raises(EvaluationError, match=HARD_TIE):
        _forward(backend, model, ["aa"])
    with pytest.raises(EvaluationError, match=HARD_TIE):
        _forward(backend, model, ["bb"])


@pytest.mark.parametrize("backend", ["exact", "torch"])
def test_a_hard_tie_without_a_rule_raises_in_the_exact_and_torch_generator(backend):
    model = _picker(Hard(tie=None), mask="causal")
    be = make(backend, model)
    generator = be.generator(n=2, batch=1)
    generator.push(be.inputs(["a"]))  # one key: no tie
    with pytest.raises(EvaluationError, match=HARD_TIE):
        generator.push(be.inputs(["a"]))


def test_the_circuit_backend_refuses_hard_attention_without_a_rule_on_input_dependent_scores():
    model = _picker(Hard(tie=None))
    for word in ("ab", "aa"):
        with pytest.raises(UnsupportedError, match=r"^pick: hard attention without a tie rule "
                                                   r"is lowered only where its scores are "
                                                   r"constant"):
            _forward("circuit", model, [word])


@pytest.mark.parametrize("key", ["one", "empty"])
@pytest.mark.parametrize("backend", ["exact", "torch", "circuit"])
def test_constant_scores_that_tie_without_a_rule_raise_on_every_backend(key, backend):
    with pytest.raises(EvaluationError, match=HARD_TIE):
        _forward(backend, _picker(Hard(tie=None), key=key), ["ab"])


def test_with_a_unique_maximum_every_backend_agrees():
    words = ["".join(w) for n in range(1, 4) for w in itertools.product("ab", repeat=n)]
    constant = _picker(Hard(tie=None), key="position")  # the last position scores most
    want = [len(w) for w in words]
    for backend in ("exact", "torch", "circuit"):
        assert _forward(backend, constant, words) == want, backend
    unique = [w for w in words if w.count("a") == 1]
    scored = _picker(Hard(tie=None))  # the one 'a'
    want = [w.index("a") + 1 for w in unique]
    assert _forward("exact", scored, unique) == _forward("torch", scored, unique) == want


# -- (c) a non-finite value ------------------------------------------------------------------


def _norm(*, stream: tuple = ("x", "y"), before: tuple = (), **changes) -> Transformer:
    """`before`, then layer norm with epsilon 0 over (x, y): token a writes (1, 1), a zero
    variance; b writes (1, 0). Or, with vector inputs, over the input dims themselves."""
    parts = dict(
        label="normed", stream=stream,
        inputs=TokenEmbedding(label="emb", tokens=("a", "b"), table=matrix(
            {("x", "a"): 1, ("y", "a"): 1, ("x", "b"): 1}, rows=stream, cols=("a", "b"))),
        blocks=(*before, LayerNorm(label="norm", dims=("x", "y"), epsilon=0)),
        readout=Readout(label="out", matrix=matrix({("y", "y"): 1})))
    return Transformer(**(parts | changes))


@pytest.mark.parametrize(("backend", "message"), [
    ("exact", r"^norm: variance \+ epsilon is 0 at position 0; layer norm is undefined there$"),
    ("torch", r"^norm: non-finite values in torch\.float64 \(overflow, or a zero variance in "
              r"layer norm\)$")])
def test_a_zero_variance_layer_norm_raises_in_the_forward_naming_the_block(backend, message):
    assert _forward(backend, _norm(), ["b"]) == [-1]
    with pytest.raises(EvaluationError, match=message):
        _forward(backend, _norm(), ["a"])
    with pytest.raises(EvaluationError, match=message):
        _forward(backend, _norm(), ["ab"])


@pytest.mark.parametrize(("backend", "message"), [
    ("exact", r"^norm: variance \+ epsilon is 0 at position 1; layer norm is undefined "
              r"there$"),
    ("torch", r"^norm: non-finite values in torch\.float64")])
def test_after_the_last_attention_only_the_read_out_row_is_normalised_on_both(backend,
                                                                              message):
    mean = Head(label="mean", kind=AverageHard(), query=matrix({}, rows=("d",)),
                key=matrix({}, rows=("d",)), value=matrix({("z", "x"): 1}))
    model = _norm(stream=("x", "y", "z"), before=(Attention(label="att", heads=(mean,)),))
    assert _forward(backend, model, ["ab"]) == [-1]  # position 0 is never normalised
    with pytest.raises(EvaluationError, match=message):
        _forward(backend, model, ["ba"])


@pytest.mark.parametrize(("backend", "message"), [
    ("exact", r"^norm: variance \+ epsilon is 0 at position 1; layer norm is undefined "
              r"there$"),
    ("torch", r"^norm: non-finite values at position 1$")])
def test_a_zero_variance_layer_norm_raises_in_the_generator_naming_the_block(backend,
                                                                             message):
    be = make(backend, _norm())
    generator = be.generator(n=2, batch=1)
    assert float(be.host(generator.push(be.inputs(["b"])))[0][0]) == -1
    with pytest.raises(EvaluationError, match=message):
        generator.push(be.inputs(["a"]))


@pytest.mark.parametrize(("backend", "message"), [
    ("exact", r"^norm: variance \+ epsilon is 0 at position 1"),
    ("torch", r"^norm: non-finite values in loop 1 in torch\.float64")])
def test_a_zero_variance_layer_norm_raises_in_a_loop_naming_the_block(backend, message):
    model = _norm(inputs=VectorInput(label="vin", dims=("x", "y")), looped=True)
    be = make(backend, model)
    state = be.start([np.array([[1, 0], [2, 2]])], n=2)  # position 1: equal entries
    with pytest.raises(EvaluationError, match=message):
        be.loop(state, n=2)
        be.check()  # torch reads its deferred checks back here


def test_a_zero_variance_layer_norm_raises_in_the_circuit_backend_as_in_exact():
    model = _norm()
    be = make("circuit", model, alphabet=("a", "b"))
    assert [int(v) for v in be.forward([["b"]], n=1).outputs["y"]] == [-1]
    with pytest.raises(EvaluationError, match=r"^norm: variance \+ epsilon is 0 at position "
                                              r"0 \(word 'a'\); layer norm is undefined"):
        be.forward([["a"]], n=1)
    circuit = be.recogniser(1).circuit
    assert circuit.size <= 2  # the check adds no gate: the circuit is the layer norm's signs
    # a constant token with zero variance: undefined on every word, refused when compiled
    with pytest.raises(EvaluationError, match=r"^norm: variance \+ epsilon is 0 at position "
                                              r"0; layer norm is undefined there$"):
        make("circuit", model, alphabet=("b",), bos=("a",)).recogniser(1)


# -- (d) a hard head without a gap -----------------------------------------------------------


@dataclass(frozen=True)
class ContainsA:
    """A toy recogniser (the `Recogniser` protocol): accept iff the word has an 'a', by a
    hard head that picks an 'a' if there is one (y = x - 1/2 at the picked position)."""

    transformer: Transformer
    options: dict = field(default_factory=dict)
    limits: dict = field(default_factory=lambda: {"float64": 100})
    name = "contains_a"
    mode = "recognise"
    limit_name = "n"
    note = "a test recogniser"
    alphabet = "ab"
    bos = ()
    eos = ()
    accept = "y"

    def tokens(self, word: str) -> list[str]:
        return list(word)

    def reference(self, word: str) -> bool:
        return "a" in word

    def trusted(self, dtype: str, n: int) -> bool:
        return n <= self.limits.get(dtype, -1)


WORDS = ["".join(w) for n in range(1, 5) for w in itertools.product("ab", repeat=n)]


def test_a_hard_head_without_a_gap_is_unguarded_and_no_torch_recognise_run_is_trusted():
    bare = ContainsA(_picker(Hard(tie="first"), value="x", bias=Fraction(-1, 2)))
    decided = plan(bare.transformer)
    assert decided.unguarded == {"pick"} and decided.guarded == frozenset()
    for result in recognise(bare, WORDS):
        assert result.trusted and result.agrees_with_reference, result.input
    for result in recognise(bare, WORDS, backend="torch", dtype="float64"):
        assert result.agrees_with_reference, result.input  # right, but not to be trusted
        assert not result.trusted
        assert result.why_untrusted.startswith("head pick decides an argmax but declares no "
                                               "gap, so a float run cannot tell its ties")


def test_the_same_head_with_a_gap_is_guarded_and_its_torch_runs_are_trusted():
    guarded = ContainsA(_picker(Hard(tie="first", gap=1), value="x", bias=Fraction(-1, 2)))
    decided = plan(guarded.transformer)
    assert decided.guarded == {"pick"} and decided.unguarded == frozenset()
    for result in recognise(guarded, WORDS, backend="torch", dtype="float64"):
        assert result.trusted and result.agrees_with_reference, result.input


# -- the protocol ----------------------------------------------------------------------------


def test_the_exact_backend_implements_the_backend_protocol():
    be = make("exact", _picker(Hard(tie="first"), mask="causal"))
    assert isinstance(be, ExactBackend) and isinstance(be, Backend)
    assert isinstance(be.generator(n=2, batch=1), Generator)


def test_the_torch_backend_implements_the_backend_protocol():
    be = make("torch", _picker(Hard(tie="first"), mask="causal"))
    assert isinstance(be, TorchBackend) and isinstance(be, Backend)
    assert isinstance(be.generator(n=2, batch=1), Generator)


def test_the_circuit_backend_implements_the_backend_protocol():
    be = make("circuit", _picker(Hard(tie="first")), alphabet=("a", "b"), accept="y")
    assert isinstance(be, CircuitBackend) and isinstance(be, Backend)


def test_the_toy_constructions_here_are_what_the_run_layer_reads():
    assert isinstance(Walk(_walk((1, 1), gap=1)), Decoder)
    assert isinstance(ContainsA(_picker(Hard(tie="first"))), Recogniser)
