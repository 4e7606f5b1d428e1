"""PARITY with a chain of thought in one layer: the running parities, by even-pairs tests.

Huang, Liang & Yang (2025), "How Transformers Learn Regular Language
Recognition: A Theoretical Study on Training Dynamics and Implicit Bias"
(ICML; arXiv 2505.00926): a one-layer transformer (an attention layer
followed by a linear layer) solves *even pairs* directly
(`compilers.constructions.cot_even_pairs`), but *parity check* only with a
chain of thought, for instance by running the even-pairs model at inference
on a window of two tokens: the last parity emitted and the next input
symbol. Here the weights are constructed, exact, for that architecture: the
decoder emits the running parities ``p_1 ... p_n`` of ``w = w_1 ... w_n``
over ``01`` (``p_k`` the parity of the 1s among ``w_1 .. w_k``), each step one
even-pairs test, ``p_k = even iff p_{k-1} and w_k are the same bit``, and
accepts iff ``p_n`` is odd (the zoo's ``parity``: an odd number of 1s).

Tokens. The encoder reads ``<bos> w_1 ... w_n`` (no layers: embeddings and
positional features only); the decoder's tokens are ``<s>``, ``even`` and
``odd``. As in `compilers.constructions.cot`, position 0 holds ``<s>`` and
emits ``p_0 = even``; position p >= 1 holds ``p_{p-1}`` and emits ``p_p``.

* The one attention layer, one cross-attention head (unique-hard): from
  decoder position p to encoder position j, score
  ``s_pj = 4pj - 2j^2 + (2p^2 + 1/2) bos_j + [p_{p-1} = w_j]``, where the last
  term is ``<(even, odd)(token_p), (sym_0, sym_1)(w_j)>``. The first two
  terms are ``2p^2 - 2(j - p)^2`` on the word's positions (the Cookbook's
  quadratic lookup of position p, Sec. 5.3.4) and ``2p^2 + 1/2`` at the BOS
  (its positional terms are 0). So the maximum is position p when
  ``p_{p-1} = w_p`` (``2p^2 + 1`` against ``2p^2 + 1/2``), else the BOS;
  every other position scores at most ``2p^2 - 1``: gap 1/2. At p = 0 the BOS
  (1/2) beats every position (at most -1). Value ``found = [j >= 1]``: 1
  exactly when the pair is equal (the even-pairs test of ``p_{p-1} w_p``).
* The linear read-out: ``logit(even) = found + start``, ``logit(odd) =
  1 - found - start``, ``logit(<s>) = 0`` (``start = [token = <s>]``): 1 for
  the next parity and 0 for the others, gap 1.

Deviations, named:

1. Encoder-decoder, as in `compilers.constructions.cot` (the run layer feeds a
   decoder its own outputs only); the paper's model reads the word and its
   chain of thought in one sequence.
2. Hard attention with the BOS as the default key; the paper trains softmax
   attention. Every non-maximal score is at least 1/2 below the maximum, so
   the tie rule (``last``) never decides in exact arithmetic; past the float
   guarantee it lets a run that rounding has tied go on, flagged, rather
   than stop.
3. The parity symbols are the zoo's (``01``, odd number of 1s) rather than
   the paper's ``a``/``b``; the chain of thought uses the tokens ``even`` and
   ``odd`` so that the states read as what they are.

Float precision. Every value is a half-integer of size at most
``8n^2 + 2`` (the features ``4p``, ``2p^2 + 1/2``, ``j``, ``j^2``, the
products and their sums); a dtype of p significand bits holds them exactly
while ``16n^2 + 4 <= 2^p``, and the torch run is then the exact one
(`guaranteed_length`): n <= 1023 in float32, 23 726 566 in float64, 11 in
float16, 3 in bfloat16. `trusted_steps` is the word's length within that,
else 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from fractions import Fraction

from compilers.constructions.base import Encoded, Family, Option
from compilers.constructions.cot_decode import (
    CoTDecoder,
    circuit_interface,
    fields,
    reference,
)
from compilers.constructions.cot_language import Automaton
from compilers.dtypes import UNIT_ROUNDOFF
from compilers.ir import FrozenDict, Hard, Head, I, Transformer, check, matrix
from compilers.library import Model
from languages import zoo

BOS = "<bos>"
START = "<s>"
STATES = ("even", "odd")


def guaranteed_length(dtype: str) -> int:
    """The largest n with ``16n^2 + 4 <= 2^p`` (p the dtype's significand bits)."""
    p = round(-math.log2(UNIT_ROUNDOFF[dtype]))
    return math.isqrt(((1 << p) - 4) // 16)


def automaton() -> Automaton:
    """The running parity: the zoo's parity DFA with states named ``even`` and ``odd``."""
    dfa = zoo.get("parity").dfa
    return Automaton(dfa=dfa, names=STATES, spec="parity",
                     title="parity: an odd number of 1s (running parities)")


@dataclass(frozen=True, kw_only=True)
class ParityCoT:
    """The one-layer parity decoder: a `Decoder` of the Construction protocol."""

    name: str
    transformer: Transformer
    automaton: Automaton
    states: tuple[str, ...] = STATES
    word: str = ""
    options: FrozenDict = field(default_factory=FrozenDict)
    limits: FrozenDict = field(default_factory=FrozenDict)
    note: str = "Huang, Liang & Yang 2025 (ICML), parity check with chain of thought"

    mode = "generate"
    limit_name = "steps"

    def __post_init__(self):
        check(self.transformer)
        object.__setattr__(self, "options", FrozenDict(self.options))
        object.__setattr__(self, "limits", FrozenDict(self.limits))

    @property
    def machine(self) -> Automaton:
        return self.automaton

    def encode(self, word: str) -> Encoded:
        word = self.automaton.check_word(word)
        return Encoded(encoder=(BOS, *word), first=START, n=len(word) + 1)

    def trusted_steps(self, dtype: str, word: str) -> int:
        return len(word) if len(word) <= guaranteed_length(dtype) else 0

    def decoder(self, word: str, max_steps: int) -> CoTDecoder:
        return CoTDecoder(self.automaton, word, max_steps, self.states)

    def read(self, values, position: int, kind: str) -> list[int]:
        return fields(self.transformer.readout.outputs, self.states, values, position, kind)

    def reference(self, word: str, *, max_steps: int | None = None):
        """The running parities, by the parity DFA's own run."""
        word = self.automaton.check_word(word)
        return reference(self.automaton, word, len(word) if max_steps is None else max_steps)

    def circuit_interface(self) -> dict:
        """The circuit backend's hints for one decoding step (`cot_decode.circuit_interface`)."""
        return circuit_interface(self.transformer, self.automaton.dfa.alphabet, BOS, START)

    def summary(self, signs) -> dict:
        chosen = [s for s in self.states if signs[s] > 0]
        return {"state": chosen[0] if len(chosen) == 1 else None, "symbol": None,
                "move": None}


def _encoder() -> Transformer:
    model = Model("parity_encoder", tokens=(BOS, "0", "1"))
    model.token_feature("e_bos", {BOS: 1})
    model.token_feature("e_word", {"0": 1, "1": 1})
    for bit in "01":
        model.token_feature(f"e_sym{bit}", {bit: 1})
    model.position("e_j", I)
    model.position("e_j2", I**2)
    return model.build({"e_word": {"e_word": 1}}, position="all")


def _transformer() -> Transformer:
    enc = _encoder()
    model = Model("cot_parity", tokens=(START, *STATES))
    for label in (enc.label, enc.inputs.label, enc.readout.label, enc.positions.label):
        model.block_label(label)  # labels are unique across encoder and decoder
    start = model.token_feature("start", {START: 1})
    cur = [model.token_feature(f"is_{s}", {s: 1}) for s in STATES]
    qa = model.position("q_j", 4 * I)
    qc = model.position("q_bos", 2 * I**2 + Fraction(1, 2))
    one = model.one()
    found = model.new("found")
    rows = tuple(f"d{k}" for k in range(5))
    pair = Head(
        label=model.block_label("pair_h"), source="encoder",
        kind=Hard(tie="last", gap=Fraction(1, 2)),
        query=matrix({("d0", qa): 1, ("d1", one): -2, ("d2", qc): 1, ("d3", cur[0]): 1,
                      ("d4", cur[1]): 1}, rows=rows),
        key=matrix({("d0", "e_j"): 1, ("d1", "e_j2"): 1, ("d2", "e_bos"): 1,
                    ("d3", "e_sym0"): 1, ("d4", "e_sym1"): 1}, rows=rows),
        value=matrix({(found, "e_word"): 1}))
    model.add_heads("pair", [pair])
    built = model.build({START: {}, "even": {found: 1, start: 1},
                         "odd": {found: -1, start: -1}}, bias={"odd": 1},
                        encoder=enc, feedback="token")
    return check(replace(built, readout=replace(built.readout, gap=1)))


def build(word: str = "") -> ParityCoT:
    """The one-layer parity decoder (module docstring), built for the input `word`."""
    auto = automaton()
    return ParityCoT(name="cot_parity", transformer=_transformer(), automaton=auto,
                     word=auto.check_word(word), options={"word": word},
                     limits={d: guaranteed_length(d) for d in UNIT_ROUNDOFF})


def interpret(options: dict, word: str, *, max_steps: int):
    """The running parities by the parity DFA itself."""
    auto = automaton()
    return reference(auto, auto.check_word(word), max_steps)[1]


FAMILY = Family(
    name="cot_parity", title="Huang, Liang & Yang's one-layer parity with chain of thought",
    paper="Huang, Liang & Yang 2025 (ICML), parity check with chain of thought",
    mode="generate",
    options=(Option(name="word", kind="text", default="", cli="--input",
                    help="The input word over 01 (the encoder's input)."),),
    build=build, circuit="step", inputs="words over 01", interpret=interpret)

__all__ = ["FAMILY", "ParityCoT", "build", "guaranteed_length"]
