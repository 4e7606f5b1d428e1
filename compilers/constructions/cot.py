"""Merrill & Sabharwal: a regular language with a chain of thought of n automaton states.

Merrill & Sabharwal (2024), "The Expressive Power of Transformers with Chain
of Thought" (ICLR; arXiv 2310.07923), Sec. 3: a transformer decoder allowed a
linear number of intermediate steps recognises every regular language
(Theorem 2, "REG ⊆ CoT(n)"). For a DFA ``M = (Q, Σ, δ, q_0, F)`` the decoder
reads ``w = w_1 ... w_n`` and emits ``q_1 ... q_n``, ``q_k = δ(q_{k-1}, w_k)``,
one state per step; it accepts iff ``q_n ∈ F``. Each step needs two things:
the previous state (the last token emitted) and the input symbol w_k, which a
constant-depth transformer finds by *counting its own emitted steps* and
looking up input position k with the *layer-norm hash* (their Sec. 3.1).
`build` returns that transformer in the construction IR, written with the
Cookbook's blocks (`compilers.library`); `compilers.constructions.cot_decode`
reads the states back.

Tokens and stream. The encoder reads ``<bos> w_1 ... w_n`` (BOS at position
0, ``w_j`` at j); the decoder's tokens are the start token ``<s>`` and one
token per state. Decoder position p holds ``<s>`` (p = 0) or ``q_{p-1}``
(the state it emitted last) and emits q_p: position 0 emits q_0, position
p >= 1 makes step p (the run layer's numbering, `compilers.runs.generate`).

* Encoder (no positional encoding, as in the paper). Embedding: the one-hot
  symbol ``e_sym_a``, ``e_word = [w_j ∈ Σ]`` and ``e_bos``. Layer 1, one
  uniform causal head (`attention.attend` with no scores):
  ``e_count = j/(j+1)``, ``e_inv = 1/(j+1)`` (the BOS is the one key every
  position sees). Layer 2, the layer-norm hash (`norm.layer_norm_hash`, an
  MLP of 4 units and a layer norm over 4 fresh directions):
  ``key = LN(e_count, e_inv, -e_count, -e_inv) = 2 u(j)``, with
  ``u(r) = (r, 1, -r, -1)/sqrt(2 r^2 + 2)`` the unit hash of the ratio
  ``e_count/e_inv = j``: the position, recovered from two averages.
* Decoder layer 1, counting the emitted steps: one uniform causal head,
  ``count = mean_{t<=p} [token_t is a state] = p/(p+1)`` (the states emitted
  so far, q_0 .. q_{p-1}) and ``inv = mean_{t<=p} [token_t = <s>] = 1/(p+1)``;
  the hash MLP and layer norm, ``query = LN(count, inv, -count, -inv) =
  2 u(p)``: the hash of k = p, the input position this step reads. The
  lookup (cross-attention to the encoder, unique-hard): score
  ``<query/4, key_j> = <u(k), u(j)>`` (`attention.lookup_hash`'s score), 1
  exactly at j = k and below ``1 - gap`` elsewhere (below). Value: the one-hot
  symbol ``rd_a = [w_k = a]``, and ``rd_end = [j = 0]``: position 0 (k = 0)
  reads the BOS.
* Decoder layer 2, the transition as an FFN lookup on ``(q_{k-1}, w_k)``:
  one unit ``relu(st_q + rd_a - 1)`` per pair, 1 exactly on the pair read,
  writing ``nst_{δ(q,a)}``; one unit ``relu(st_q + rd_end - 1)`` per state
  writing ``nst_q`` (reading the BOS keeps the state: position 0 emits q_0).
  ``st_q`` is the one-hot current state, written by the token q, and by
  ``<s>`` for q_0.
* Read-out (token feedback): the logit of token q is ``nst_q``, of ``<s>``
  0: exactly 1 for the next state and 0 for every other token, gap 1.

Width: decoder ``2|Q| + |Σ| + 9`` directions, ``|Q|(|Σ| + 1) + 4`` hidden
units, one uniform and one hard head, one layer norm; encoder ``|Σ| + 8``
directions, 4 hidden units, one uniform head, one layer norm (`width`). The
paper states no width formula; its proof's transition is the same one-hot
table of ``|Q||Σ|`` entries.

The gap. For integers k, j >= 0, j != k, the angle t between ``(k, 1)`` and
``(j, 1)`` has ``sin t = |k - j| / (|(k,1)| |(j,1)|)``, smallest at j = k ± 1
(``|k - j| / |(j,1)|`` grows as j moves away from k), so
``sin t >= 1/((k + 1)^2 + 1)`` and ``1 - cos t >= sin^2 t / 2 >=
1 / (2 ((k + 1)^2 + 1)^2)``: at decoder position i (k = i) the hard head's
gap is ``1 / (2 ((i + 1)^2 + 1)^2)`` (`attention.hash_gap(i + 1) / 2`),
whatever n.

Exactness where square roots appear: certified bounds. The hashes are
irrational; the exact backend takes each layer norm's square root at 256
bits (`compilers.backends.exact`, `common.exact_sqrt`) and carries the
binary rational it rounds to, so every hash entry is within a relative
``2^-255`` of the true one and every score within ``2^-250`` of
``<u(k), u(j)>``. The argmax is therefore the true one while ``2^-249`` is
below the gap, i.e. for every step k with ``((k + 1)^2 + 1)^2 < 2^248``:
``k <= EXACT_STEPS`` (about 4.6e18, far beyond any run; `encode` refuses a
longer word). Everything after the lookup is exact: the head copies one
encoder row's one-hot symbol, a rational, and the transition and read-out
are integer arithmetic on 0/1 values. The exact read-outs are checked to be
one-hot (`cot_decode.fields`), so a wrong lookup could not pass unnoticed.

Circuits of one step (`circuitx circuit cot ... --step t`, `circuitx scaling cot
... --steps ...`). The circuit backend compiles decoding step t for words of
length n (`compilers.backends.circuit.lower_step`): the fed-back tokens are
one-hot inputs, and since every state token writes ``emitted = 1`` the
counts, and so both hashes, are constants at fixed (n, t); the circuit
backend folds those layer norms exactly as the exact backend computes them,
the lookup becomes a wire to input position t, and the step is the
transition table: a threshold circuit of depth 2 whatever t and n. The
whole run is n such steps, each reading the last: Merrill & Sabharwal's
picture of why a linear chain of thought leaves TC0. Each step is a
constant-depth circuit, but n of them recognise every regular language,
NC1-complete ones included, which no family of constant-depth threshold
circuits does unless TC0 = NC1.

Deviations from the paper, with reasons:

1. Encoder-decoder. The paper's decoder reads w as its prompt and generates
   after it; the run layer gives a decoder one first token and its own
   outputs (`compilers.runs.generate`), so the word sits in an encoder read
   by cross-attention (as Pérez et al.'s input does,
   `compilers.constructions.tm`). The lookup is the paper's: keys are the
   input positions' layer-norm hashes computed from averages with a BOS, the
   query the hash of the count of emitted steps; the encoder's attention is
   causal, as the paper's decoder over its prompt is.
2. The count includes q_0. The decoder first emits q_0 (position 0 reads the
   BOS, whose rule keeps the state), so the number of states emitted before
   step k is k itself and the query is the hash of that count (the paper's
   chain starts at q_1); the run layer numbers steps from position 1 on.
3. Attention. Unique-hard attention with the tie rule ``last`` and a stated
   gap; the maximum is unique (the hash is injective), so unique-hard and
   averaging hard attention agree here. The tie rule only matters in floats,
   where keys that rounding makes look tied are flagged rather than stopping
   the run.
4. Pre-norm. The paper's projected pre-norm normalises a projection of the
   stream; here an MLP writes ``(x, y, -x, -y)`` into four fresh directions and
   a layer norm over those acts in place (`norm.layer_norm_hash`): the same
   values at the cost of four directions and four units per hash.
5. Accepting. The paper accepts by the last step's state; here the decoded
   run accepts iff its last emitted state is in F (with token feedback the
   read-out's outputs are the tokens; the verdict is read from the last
   token, not from a separate output).

Float precision (`trusted_steps`). Everything but the lookup is exact in
every dtype (0/1 embeddings, integer weights, the hard head copying a row,
the causal means' sums of 0/1 values). The lookup's scores carry rounding
from the two averages (one division each, relative error u), the layer norms
(mean, variance, square root, division: a relative error of at most about
8u per hash entry) and the four-term dot product of entries of norm 2
scaled by 1/4 (at most 4u): about 22u per score, taken as 32u, so 64u for a
difference of two scores. The torch backend decides a hard head without a
flag while that is below a quarter of the gap, so step k = i is guaranteed
while ``SAFETY u ((k + 1)^2 + 1)^2 <= 1`` with ``SAFETY = 512``: 12 steps in
float32, 2046 in float64, none in float16 and bfloat16. The guarantee is in
steps, whatever n (a far key's score is far below the match);
`circuitx precision cot` reports it (``guaranteed_steps``) beside where a
float run really departs (float32 about 50 steps, where the gap nears the
rounding of a score near 1).
"""

from __future__ import annotations

import functools
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
from compilers.constructions.cot_language import Automaton, automaton
from compilers.dtypes import UNIT_ROUNDOFF
from compilers.errors import CompileError
from compilers.ir import FrozenDict, Hard, Head, I, Transformer, check, matrix
from compilers.library import Model, attention, norm, positions
from languages.dfa import DFA
from languages.dfa_text import format_table

BOS = "<bos>"
START = "<s>"
SAFETY = 512  # the error constant of the analysis above, a factor 2 to spare
EXACT_BITS = 256  # the exact backend's square roots (`compilers.backends.exact`)
EXACT_STEPS = math.isqrt(math.isqrt(2 ** (EXACT_BITS - 8))) - 2  # ((k+1)^2+1)^2 < 2^248


def step_gap(k: int) -> Fraction:
    """The lookup's gap at step k (decoder position k): ``1 / (2 ((k + 1)^2 + 1)^2)``."""
    return Fraction(1, 2 * ((k + 1) ** 2 + 1) ** 2)


@functools.cache
def guaranteed_steps(dtype: str) -> int:
    """The most steps k with ``SAFETY u ((k + 1)^2 + 1)^2 <= 1`` in `dtype` (module
    docstring): every step up to it is guaranteed."""
    if dtype not in UNIT_ROUNDOFF:
        raise CompileError(f"unknown dtype {dtype!r}; allowed: {', '.join(UNIT_ROUNDOFF)}")
    bound = math.floor(1 / (SAFETY * Fraction(UNIT_ROUNDOFF[dtype])))  # X^2 <= bound, X integer
    top = math.isqrt(bound) - 1  # (k + 1)^2 <= top
    return max(0, math.isqrt(top) - 1) if top >= 0 else 0


@dataclass(frozen=True, kw_only=True)
class CoTConstruction:
    """Merrill & Sabharwal's decoder for an automaton: a `Decoder` of the Construction protocol.

    The input of a run is a word over the automaton's alphabet (the encoder's
    input); the weights depend on the automaton only. `word` is the word it
    was built for (the command line's ``--input``).

    Attributes:
        name: the family's name.
        automaton: the DFA with its state names (`cot_language.Automaton`).
        transformer: the IR (decoder with its encoder).
        states: the state tokens, in read-out order after ``<s>``.
        word: the input word it was built for.
        options: the options it was built with.
        limits: dtype -> steps the error analysis guarantees.
        note: the paper and section.
    """

    name: str
    automaton: Automaton
    transformer: Transformer
    states: tuple[str, ...]
    word: str = ""
    options: FrozenDict = field(default_factory=FrozenDict)
    limits: FrozenDict = field(default_factory=FrozenDict)
    note: str = "Merrill & Sabharwal 2024, Sec. 3, Theorem 2"

    mode = "generate"
    limit_name = "steps"

    def __post_init__(self):
        check(self.transformer)
        object.__setattr__(self, "options", FrozenDict(self.options))
        object.__setattr__(self, "limits", FrozenDict(self.limits))

    @property
    def machine(self) -> Automaton:
        """The automaton (what `compilers.runs.check` draws words for: its `symbols`)."""
        return self.automaton

    @property
    def details(self) -> dict:
        q, s = self.automaton.dfa.states, len(self.automaton.dfa.alphabet)
        return {f"formula: {key}": f"{value}  (|Q| = {q}, |Σ| = {s})"
                for key, value in width(q, s).items()}

    def check_word(self, word: str) -> str:
        word = self.automaton.check_word(word)
        if len(word) > EXACT_STEPS:
            raise CompileError(f"a word of {len(word)} symbols; the exact backend certifies "
                               f"the hash lookup up to {EXACT_STEPS} steps")
        return word

    def encode(self, word: str) -> Encoded:
        """The encoder's input (BOS, then the word), the start token, and n, the encoder's
        length."""
        word = self.check_word(word)
        return Encoded(encoder=(BOS, *word), first=START, n=len(word) + 1)

    def trusted_steps(self, dtype: str, word: str) -> int:
        """Steps the error analysis guarantees in `dtype` (module docstring)."""
        return min(len(word), guaranteed_steps(dtype))

    def decoder(self, word: str, max_steps: int) -> CoTDecoder:
        return CoTDecoder(self.automaton, word, max_steps, self.states)

    def read(self, values, position: int, kind: str) -> list[int]:
        return fields(self.transformer.readout.outputs, self.states, values, position, kind)

    def reference(self, word: str, *, max_steps: int | None = None):
        """The DFA's own steps and run on `word` (cut after `max_steps` steps)."""
        word = self.check_word(word)
        return reference(self.automaton, word, len(word) if max_steps is None else max_steps)

    def circuit_interface(self) -> dict:
        """The circuit backend's hints for one decoding step (`cot_decode.circuit_interface`)."""
        return circuit_interface(self.transformer, self.automaton.dfa.alphabet, BOS, START)

    def summary(self, signs) -> dict:
        """The emitted state from a step's read-out signs (the circuit's bits): the one
        state whose logit is positive, None unless exactly one is."""
        chosen = [s for s in self.states if signs[s] > 0]
        return {"state": chosen[0] if len(chosen) == 1 else None, "symbol": None,
                "move": None}


def width(states: int, symbols: int) -> dict:
    """Directions and hidden units for |Q| = `states`, |Σ| = `symbols` (module docstring)."""
    return {"decoder width": 2 * states + symbols + 9,
            "decoder hidden": states * (symbols + 1) + 4,
            "encoder width": symbols + 8, "encoder hidden": 4}


def _labels(model: Transformer) -> list[str]:
    """Every node label of `model` (the checker wants them unique across encoder and
    decoder)."""
    out = [model.label, model.inputs.label, model.readout.label]
    if model.positions is not None:
        out.append(model.positions.label)
    out += [b.label for b in model.blocks] + [h.label for h in model.heads()]
    return out


def encoder(alphabet: str) -> Transformer:
    """The encoder over ``<bos> w_1 .. w_n``: the layer-norm hash of each position j."""
    model = Model("cot_encoder", tokens=(BOS, *alphabet))
    positions.none(model)
    bos = model.token_feature("e_bos", {BOS: 1})
    word = model.token_feature("e_word", dict.fromkeys(alphabet, 1))
    for k, a in enumerate(alphabet):
        model.token_feature(f"e_sym{k}", {a: 1})
    attention.attend(model, {"e_count": word, "e_inv": bos}, mask="causal", prefix="enc_count")
    norm.layer_norm_hash(model, "e_count", y="e_inv", out="key")
    return model.build({"key_0": {"key_0": 1}}, position="all")


def _transformer(auto: Automaton, states: tuple[str, ...]) -> Transformer:
    dfa = auto.dfa
    alphabet = dfa.alphabet
    enc = encoder(alphabet)
    model = Model("cot", tokens=(START, *states))
    for label in _labels(enc):
        model.block_label(label)  # reserved: labels are unique across encoder and decoder
    positions.none(model)
    bos = model.token_feature("bos", {START: 1})
    emitted = model.token_feature("emitted", dict.fromkeys(states, 1))
    st = [model.token_feature(f"st{q}", {states[q]: 1} | ({START: 1} if q == dfa.start else {}))
          for q in range(dfa.states)]
    # layer 1: count the emitted states (k = p), hash k, look up input position k
    attention.attend(model, {"count": emitted, "inv": bos}, mask="causal", prefix="count")
    query = norm.layer_norm_hash(model, "count", y="inv", out="query")
    read = [model.new(f"rd{k}") for k in range(len(alphabet))]
    end = model.new("rd_end")
    rows = tuple(f"h{k}" for k in range(4))
    lookup = Head(
        label=model.block_label("lookup_h"), source="encoder",
        kind=Hard(tie="last", gap=1 / (2 * ((I + 1) ** 2 + 1) ** 2)),
        query=matrix({(r, q): Fraction(1, 4) for r, q in zip(rows, query, strict=True)},
                     rows=rows),
        key=matrix({(r, f"key_{k}"): 1 for k, r in enumerate(rows)}, rows=rows),
        value=matrix({**{(d, f"e_sym{k}"): 1 for k, d in enumerate(read)},
                      (end, "e_bos"): 1}, rows=(*read, end)))
    model.add_heads("lookup", [lookup])
    # layer 2: the transition, one unit per (state, symbol read)
    nst = [model.new(f"nst{q}") for q in range(dfa.states)]
    with model.mlp("transition") as units:
        for q in range(dfa.states):
            for k in range(len(alphabet)):
                unit = units.unit({st[q]: 1, read[k]: 1}, -1)
                units.emit(nst[dfa.transitions[q][k]], [(unit, 1)])
            units.emit(nst[q], [(units.unit({st[q]: 1, end: 1}, -1), 1)])
    readout = {START: {}} | {states[q]: {nst[q]: 1} for q in range(dfa.states)}
    built = model.build(readout, encoder=enc, feedback="token")
    return check(replace(built, readout=replace(built.readout, gap=1)))


def build(language: str | DFA = "parity", word: str = "", alphabet: str | None = None
          ) -> CoTConstruction:
    """The chain-of-thought decoder of `language` (a zoo name, ``/regex/``, a DFA table or
    a file, `cot_language.automaton`; or a `languages.dfa.DFA`, states ``q0``, ``q1``, ...),
    built for the input `word` (the weights do not depend on it)."""
    if isinstance(language, DFA):  # by its table, so that its options rebuild it
        language = format_table(language, separator="; ")
    auto = language if isinstance(language, Automaton) else automaton(language, alphabet)
    states = auto.names
    if START in states:
        raise CompileError(f"state name {START!r} is the start token; rename the state")
    transformer = _transformer(auto, states)
    options = {"language": auto.spec, "word": word} | (
        {"alphabet": alphabet} if alphabet is not None else {})
    construction = CoTConstruction(
        name="cot", automaton=auto, transformer=transformer, states=states, word="",
        options=options, limits={d: guaranteed_steps(d) for d in UNIT_ROUNDOFF})
    return replace(construction, word=construction.check_word(word))


def interpret(options: dict, word: str, *, max_steps: int):
    """The automaton of `options` run on its own (`cot_language.Automaton.run`)."""
    auto = automaton(options["language"], options.get("alphabet"))
    return reference(auto, auto.check_word(word), max_steps)[1]


FAMILY = Family(
    name="cot", title="Merrill & Sabharwal's chain-of-thought decoder of a DFA",
    paper="Merrill & Sabharwal 2024 (ICLR), Sec. 3, Theorem 2", mode="generate",
    options=(Option(name="language", kind="text", argument=True, required=True,
                    metavar="DFA_OR_REGEX",
                    help="A regular language of the zoo (parity, tomita3, ...), a /regex/, a "
                         "DFA table ('0 1; even even odd; odd* odd even') or a file holding "
                         "one."),
             Option(name="word", kind="text", default="", cli="--input",
                    help="The input word (the encoder's input; the weights do not depend "
                         "on it)."),
             Option(name="alphabet", kind="text", default=None,
                    help="The alphabet of a /regex/ (default: the symbols it names).")),
    build=build, circuit="step", inputs="words over the DFA's alphabet", interpret=interpret)

__all__ = ["BOS", "FAMILY", "START", "CoTConstruction", "build", "encoder", "guaranteed_steps",
           "step_gap", "width"]
