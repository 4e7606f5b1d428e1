"""Pérez et al.: any single-tape Turing machine as an encoder-decoder transformer.

Pérez, Barceló & Marinković (2021), "Attention is Turing Complete" (JMLR 22),
Sec. 4, Theorem 6, proof in Appendix B (B.4 for the decoder's layers): for
every Turing machine M there is a transformer whose decoder, fed back its own
output vectors, emits one configuration change of M per position. `build`
returns that transformer in the construction IR, for M; an input word w is the
encoder's input of a run (`compilers.runs.generate`), and
`compilers.constructions.tm_decode` decodes the trace from the read-outs.

Notation: Q the machine's states plus the halt state Z, Σ its symbols (σ_0 the
blank), h_t the head's cell after t steps (h_0 = 0), q_t the state, s_t the
symbol under the head, and step t: ``(q_{t+1}, w_t, m_t) = δ(q_t, s_t)``, write
w_t at h_t, ``h_{t+1} = h_t + m_t`` (m_t = ±1).

Encoder (one layer, over ``<start> w_0 ... w_{n-1}``): one-hot symbols ``e_sy_σ``
(``<start>`` counts as a blank), ``e_bos``, position ``e_pos = i``; an MLP writes
``cell = 1 - e_bos`` and ``ekey = -(i-1)`` on cells, ``1/2`` on ``<start>``
(relu units ``relu(1 - e_bos)``, ``relu(i - 1 + e_bos)``, ``relu(e_bos)``): the
cell index k = i - 1 of each input symbol, and a sentinel.

Decoder input at position p (a vector, fed back from position p - 1): one-hot
``st_q``, ``sy_σ``, the previous move ``mv_in`` and ``bos``. Position 0 is a
start vector (bos = 1); position p >= 1 holds ``[q_{p-1}, s_{p-1}, m_{p-2}]``
and computes step t = p - 1. Positional features ``inv = 1/(i+1)``,
``inv2 = 1/(i+1)^2``.

* Layer 1. Attention (uniform, causal): ``hw = mean_{j<=p} mv_in_j =
  h_{p-1}/(p+1)``, the cell step p - 1 writes, scaled. MLP (the transition,
  one-hot over Q x Σ as in the paper): unit ``u_{q,σ} = relu(st_q + sy_σ - 1)``
  is 1 exactly on the pair read, and writes the next state ``nst``, the symbol
  written ``wr``, the move ``mv``; unit ``relu(bos)`` writes ``nst_start``.
  An undefined δ(q, σ) writes ``nst_Z``, ``wr_σ``, move 0 and ``undef = 1``;
  Z is a sink (``Z, σ -> σ, 0, Z``), so a halted run stays put.
* Layer 2. Attention (uniform, causal): ``hp = mean_{j<=p} mv_j = h_p/(p+1)``,
  the running sum of moves: the cell read next, scaled.
* Layer 3. Head ``last_write`` (self, causal, hard, score ``-|<q, k>|``, Def. 3):
  query ``(hp, inv, inv2)``, key ``(inv - bos, -hw, bos/2)``, so
  ``<q_p, k_j> = (h_p - h_{j-1}) / ((p+1)(j+1))`` for j >= 1 and
  ``1/(2(p+1)^2)`` at j = 0: score 0 exactly at the positions whose step wrote
  cell h_p, at most ``-1/((p+1)(j+1)) <= -1/(p+1)^2`` elsewhere, and the start
  position scores ``-1/(2(p+1)^2)`` in between: it wins iff cell h_p was never
  written. Ties go to the last position (the last write). Value: ``written_σ``
  from ``wr_σ`` and ``unwritten`` from ``bos``. Head ``input_cell`` (encoder):
  query ``(hp, inv)``, key ``(cell, ekey)``: ``(h_p - k)/(p+1)`` on cell k,
  ``1/(2(p+1))`` on ``<start>``, which wins iff h_p is outside the input: value
  ``tape_σ`` (``w_{h_p}``, or the blank). MLP:
  ``nsy_σ = relu(written_σ) + relu(tape_σ + unwritten - 1)``.
* Read-out (fed back): ``st <- nst``, ``sy <- nsy``, ``mv_in <- mv``,
  ``bos <- 0``; observations (not fed back): ``wrote_σ <- wr_σ``,
  ``head <- hp``, ``undef``.

Width: decoder ``2|Q| + 5|Σ| + 11`` directions (|Q| the machine's states, Z not
counted), ``(|Q|+1)|Σ| + 1`` hidden units in layer 1, ``2|Σ|`` in layer 3; four
heads (two uniform, one hard self-attention, one hard cross-attention); encoder
``|Σ| + 4`` directions and 3 hidden units.

Deviations from the paper, with reasons:

1. Tie rule and scoring. The paper's hardmax averages over ties, so its layer 3
   adds a ``1/(i+1)^2``-sized term to make the last write the unique maximum;
   we use hard attention with ties to the last position (the IR's
   ``Hard(tie='last')``), which keeps the score an exact difference of cells
   and the gap ``1/(2(p+1)^2)`` rather than O(p^-5).
2. Never-written cells. The paper reads the input through the encoder when the
   cell was never written; we detect that with the start position as a
   sentinel key (scored between matches and non-matches, see layer 3) and read
   the input, or the blank outside it, with an encoder sentinel ``<start>``.
3. The input is read by the transformer: the paper's tape starts with a marker
   ``#`` at cell 0 and its first decoder input carries the first symbol; our
   decoder starts from a constant start vector, and position 0 itself looks up
   cell 0 (so the trace is shifted by one position).
4. Two-way infinite tape (the bbchallenge semantics): cells are signed
   integers; the paper's one-way tape never goes left of ``#``. Nothing in the
   scores needs the sign.
5. Halting: the paper stops at an accepting state; here the halt state Z (and
   undefined transitions, flagged by ``undef``) is a sink. Layer 1's attention
   computes ``hw`` (the paper computes it in layer 2 beside ``hp``); the
   encoder's attention is the identity in the paper's proof and is left out.
6. Observations ``wrote``, ``head`` and ``undef`` are read out beside the fed
   back vector so the trace is decoded from the network, not recomputed.

Float precision. The one-hot parts are exact in every dtype (0/1 sums with
integer weights; a hard head copies one value). Only the hard heads' choices
can go wrong: the scores carry relative error of a few units of roundoff u in
``hp``, ``hw``, ``inv`` and the products, so an absolute error of at most about
``8u (|h_p| + |h_j|) / ((p+1)(j+1))`` (self) or ``3u (|h_p| + k)/(p+1)``
(encoder), against gaps ``1/(2(p+1)^2)`` and ``1/(2(p+1))``. Both stay below a
quarter of the gap (what the torch backend's `gap` check tolerates without
flagging) while ``SAFETY * u * (p + 1 + n) <= 1``; step t runs at position
t + 1, so `trusted_steps` is ``floor(1/(SAFETY u)) - n - 2``: 65 534 - n steps
in float32, about 3.5e13 in float64, 6 - n in float16, none in bfloat16.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

from compilers.constructions.base import Encoded, Family, Option
from compilers.constructions.tm_decode import TMDecoder, fields
from compilers.dtypes import UNIT_ROUNDOFF
from compilers.errors import CompileError
from compilers.ir import (
    MLP,
    Attention,
    AverageHard,
    FrozenDict,
    Hard,
    Head,
    I,
    PositionalEncoding,
    Readout,
    TokenEmbedding,
    Transformer,
    VectorInput,
    check,
    matrix,
)
from languages.errors import LanguageError
from languages.turing import HALT, TuringMachine, parse_machine, run, trace

START = "<start>"
SAFETY = 256  # the error constant of the analysis above, with a factor 2 to spare


def trusted_steps(dtype: str, n: int) -> int:
    """Steps guaranteed by the error analysis in `dtype` for an input of length n."""
    if dtype not in UNIT_ROUNDOFF:
        raise CompileError(f"unknown dtype {dtype!r}; allowed: {', '.join(UNIT_ROUNDOFF)}")
    return max(0, math.floor(1 / (SAFETY * UNIT_ROUNDOFF[dtype])) - n - 2)


@dataclass(frozen=True, kw_only=True)
class TMLayout:
    """Where the decoder's input and read-out keep each piece of a configuration.

    Attributes:
        states: the machine's states, then HALT.
        symbols: the machine's symbols (blank first).
        state_dims, symbol_dims: the one-hot input dims (and fed-back outputs).
        move: the fed-back move output; bos: the start flag.
        wrote_dims, head, undef: observation outputs (see the module docstring).
    """

    states: tuple[str, ...]
    symbols: tuple[str, ...]
    state_dims: tuple[str, ...]
    symbol_dims: tuple[str, ...]
    move: str = "mv_in"
    bos: str = "bos"
    wrote_dims: tuple[str, ...] = ()
    head: str = "head"
    undef: str = "undef"

    @property
    def input_dims(self) -> tuple[str, ...]:
        return (*self.state_dims, *self.symbol_dims, self.move, self.bos)

    def start_vector(self) -> list[int]:
        """The decoder's first input: bos = 1, everything else 0."""
        return [1 if d == self.bos else 0 for d in self.input_dims]


@dataclass(frozen=True, kw_only=True)
class TMConstruction:
    """Pérez et al.'s transformer for `machine`: a `Decoder` of the Construction protocol.

    The input of a run is a word over the machine's symbols, the encoder's
    input; the weights depend on the machine only. `word` is the word it was
    built for (the input a run takes by default, and the length its `limits`
    are for).

    Attributes:
        name: "tm".
        machine: the Turing machine.
        transformer: the IR (decoder with its encoder).
        layout: the decoder's input and read-out layout.
        word: the input word it was built for.
        options: the machine's code and the word, for display and saving.
        limits: dtype -> steps the error analysis guarantees for `word`.
        note: the paper and section.
    """

    name: str
    machine: TuringMachine
    transformer: Transformer
    layout: TMLayout
    word: str = ""
    options: FrozenDict = field(default_factory=FrozenDict)
    limits: FrozenDict = field(default_factory=FrozenDict)
    note: str = "Pérez, Barceló & Marinković 2021, Sec. 4 and App. B"

    mode = "generate"
    limit_name = "steps"

    def __post_init__(self):
        check(self.transformer)
        object.__setattr__(self, "options", FrozenDict(self.options))
        object.__setattr__(self, "limits", FrozenDict(self.limits))

    @property
    def details(self) -> dict:
        """The width formulas (module docstring) at this machine's sizes, for listings."""
        q, s = len(self.machine.states), len(self.machine.symbols)
        return {f"formula: {key}": f"{value}  (|Q| = {q}, |Σ| = {s})"
                for key, value in width(q, s).items()}

    def check_word(self, word: str) -> str:
        """`word`, or `CompileError` naming its first symbol outside the machine's."""
        return _check_word(self.machine, word)

    def encode(self, word: str) -> Encoded:
        """The encoder's input (the start token, then the word), the start vector, and
        n, the encoder's length (the formulas' n)."""
        word = self.check_word(word)
        return Encoded(encoder=(START, *word), first=tuple(self.layout.start_vector()),
                       n=len(word) + 1)

    def encoder_tokens(self, word: str = "") -> list[str]:
        """The encoder's input: the start token, then the word's symbols."""
        return [START, *self.check_word(word)]

    def trusted_steps(self, dtype: str, word: str) -> int:
        """Steps the error analysis guarantees in `dtype` for `word` (module docstring)."""
        return trusted_steps(dtype, len(word))

    def decoder(self, word: str, max_steps: int) -> TMDecoder:
        """The decoder of one run on `word`."""
        return TMDecoder(self, word, max_steps)

    def read(self, values, position: int, kind: str) -> list[tuple]:
        """Each example's decoded fields from a batch of read-outs (see `tm_decode.fields`)."""
        return fields(self.layout, self.transformer.readout.outputs, values, position, kind)

    def reference(self, word: str, *, max_steps: int):
        """The interpreter's steps and result on `word` (`languages.turing`)."""
        return (tuple(trace(self.machine, word, max_steps=max_steps)),
                run(self.machine, word, max_steps=max_steps))

    def summary(self, signs) -> dict:
        """The next state, the symbol under the head and the move, from the signs of a
        step's read-out (the circuit's ``{o}>0`` and ``{o}<0`` bits): None where the
        one-hot outputs do not name exactly one."""
        layout = self.layout

        def one(options, dims):
            chosen = [o for o, d in zip(options, dims, strict=True) if signs[d] > 0]
            return chosen[0] if len(chosen) == 1 else None

        move = signs[layout.move]
        return {"state": one(layout.states, layout.state_dims),
                "symbol": one(layout.symbols, layout.symbol_dims),
                "move": "R" if move > 0 else "L" if move < 0 else "N"}

    def circuit_interface(self) -> dict:
        """What the circuit backend needs to compile one decoding step: the encoder's
        alphabet and start token, the decoder input as one-hot groups (state, symbol,
        previous move), and the start vector."""
        layout = self.layout
        groups = {"q": {q: {d: 1} for q, d in zip(layout.states, layout.state_dims,
                                                    strict=True)},
                  "s": {s: {d: 1} for s, d in zip(layout.symbols, layout.symbol_dims,
                                                    strict=True)},
                  "m": {"N": {}, "L": {layout.move: -1}, "R": {layout.move: 1}}}
        return {"encoder_alphabet": layout.symbols, "encoder_bos": (START,), "groups": groups,
                "start": dict(zip(layout.input_dims, layout.start_vector(), strict=True))}


def _check_word(machine: TuringMachine, word: str) -> str:
    if not isinstance(word, str):
        raise CompileError(f"the input word must be a string of machine symbols, got {word!r}")
    bad = [(k, s) for k, s in enumerate(word) if s not in machine.symbols]
    if bad:
        k, s = bad[0]
        raise CompileError(f"input word {word!r} has the symbol {s!r} at position {k}; the "
                           f"machine's symbols are {', '.join(machine.symbols)}")
    return word


def machine_code(machine: TuringMachine) -> str:
    """The bbchallenge code of `machine`, or its table when it has no such code."""
    try:
        return machine.to_bbchallenge()
    except LanguageError:
        return machine.to_table()


def build(machine: TuringMachine | str, word: str = "") -> TMConstruction:
    """The transformer simulating `machine` (object, bbchallenge code, table or path),
    built for the input `word` (the weights do not depend on it)."""
    if not isinstance(machine, TuringMachine):
        machine = parse_machine(machine)
    transformer, layout = _transformer(machine)
    return TMConstruction(
        name="tm", machine=machine, transformer=transformer, layout=layout,
        word=_check_word(machine, word), options={"machine": machine_code(machine), "word": word},
        limits={dtype: trusted_steps(dtype, len(word)) for dtype in UNIT_ROUNDOFF})


def _encoder(symbols: tuple[str, ...]) -> Transformer:
    sym = [f"e_sy_{s}" for s in symbols]
    stream = (*sym, "e_bos", "e_pos", "cell", "ekey")
    entries = {(d, s): 1 for d, s in zip(sym, symbols, strict=True)}
    entries |= {(sym[0], START): 1, ("e_bos", START): 1}
    embedding = TokenEmbedding(label="enc_embed", tokens=(*symbols, START),
                               table=matrix(entries, rows=(*sym, "e_bos"),
                                            cols=(*symbols, START)))
    cells = MLP(label="enc_cells", hidden=("c", "k", "s"),
                w_in=matrix({("c", "e_bos"): -1, ("k", "e_pos"): 1, ("k", "e_bos"): 1,
                             ("s", "e_bos"): 1}, rows=("c", "k", "s")),
                b_in={"c": 1, "k": -1},
                w_out=matrix({("cell", "c"): 1, ("ekey", "k"): -1, ("ekey", "s"): Fraction(1, 2)},
                             rows=("cell", "ekey"), cols=("c", "k", "s")))
    return Transformer(label="tm_encoder", stream=stream, inputs=embedding,
                       positions=PositionalEncoding(label="enc_positions",
                                                    features={"e_pos": I}),
                       blocks=(cells,),
                       readout=Readout(label="enc_out", matrix=matrix({("cell", "cell"): 1}),
                                       position="all"))


def _uniform(label: str, written: dict) -> Head:
    """A causal head with every score 0: the mean over positions 0..p (Pérez's averaging)."""
    return Head(label=label, query=matrix({}, rows=("u",), cols=()),
                key=matrix({}, rows=("u",), cols=()), value=matrix(written),
                kind=AverageHard(gap=1), mask="causal")


def _transformer(machine: TuringMachine) -> tuple[Transformer, TMLayout]:
    states = (*machine.states, HALT)
    symbols = machine.symbols
    st, nst = [f"st_{q}" for q in states], [f"nst_{q}" for q in states]
    sy, wr = [f"sy_{s}" for s in symbols], [f"wr_{s}" for s in symbols]
    written, tape, nsy = ([f"{p}_{s}" for s in symbols] for p in ("written", "tape", "nsy"))
    inputs = (*st, *sy, "mv_in", "bos")
    stream = (*inputs, "inv", "inv2", "hw", *nst, *wr, "mv", "undef", "hp", *written,
              "unwritten", *tape, *nsy)
    layout = TMLayout(states=states, symbols=symbols, state_dims=tuple(st),
                      symbol_dims=tuple(sy), wrote_dims=tuple(f"wrote_{s}" for s in symbols))

    # layer 1: the transition, one hidden unit per (state, symbol) pair
    hidden, w_in, b_in, w_out = ["start"], {("start", "bos"): 1}, {}, {
        (f"nst_{machine.start}", "start"): 1}
    for q in states:
        for s in symbols:
            unit = f"u_{q}_{s}"
            hidden.append(unit)
            w_in |= {(unit, f"st_{q}"): 1, (unit, f"sy_{s}"): 1}
            b_in[unit] = -1
            t = None if q == HALT else machine.delta[q, s]
            if t is None:  # the halt sink, or an undefined transition: stay, flag
                w_out |= {(f"nst_{HALT}", unit): 1, (f"wr_{s}", unit): 1}
                if q != HALT:
                    w_out[("undef", unit)] = 1
            else:
                w_out |= {(f"nst_{t.next}", unit): 1, (f"wr_{t.write}", unit): 1,
                          ("mv", unit): 1 if t.move == "R" else -1}
    transition = MLP(label="transition", hidden=tuple(hidden),
                     w_in=matrix(w_in, rows=hidden), b_in=b_in,
                     w_out=matrix(w_out, rows=(*nst, *wr, "mv", "undef"), cols=hidden))

    # layer 3: the symbol under the head
    last_write = Head(
        label="last_write", score="neg_abs_dot", mask="causal",
        kind=Hard(tie="last", gap=1 / (2 * (I + 1) ** 2)),
        query=matrix({("a", "hp"): 1, ("b", "inv"): 1, ("c", "inv2"): 1}),
        key=matrix({("a", "inv"): 1, ("a", "bos"): -1, ("b", "hw"): -1,
                    ("c", "bos"): Fraction(1, 2)}, rows=("a", "b", "c")),
        value=matrix({**{(d, w): 1 for d, w in zip(written, wr, strict=True)},
                      ("unwritten", "bos"): 1}))
    input_cell = Head(
        label="input_cell", score="neg_abs_dot", source="encoder",
        kind=Hard(tie="last", gap=1 / (2 * (I + 1))),
        query=matrix({("a", "hp"): 1, ("b", "inv"): 1}),
        key=matrix({("a", "cell"): 1, ("b", "ekey"): 1}),
        value=matrix({(d, f"e_sy_{s}"): 1 for d, s in zip(tape, symbols, strict=True)}))
    keep = [f"keep_{s}" for s in symbols]
    fall = [f"fall_{s}" for s in symbols]
    read_symbol = MLP(
        label="read_symbol", hidden=(*keep, *fall),
        w_in=matrix({**{(k, d): 1 for k, d in zip(keep, written, strict=True)},
                     **{(f, d): 1 for f, d in zip(fall, tape, strict=True)},
                     **{(f, "unwritten"): 1 for f in fall}}, rows=(*keep, *fall)),
        b_in={f: -1 for f in fall},
        w_out=matrix({**{(d, k): 1 for d, k in zip(nsy, keep, strict=True)},
                      **{(d, f): 1 for d, f in zip(nsy, fall, strict=True)}},
                     rows=nsy, cols=(*keep, *fall)))

    readout = {**{(a, b): 1 for a, b in zip(st, nst, strict=True)},
               **{(a, b): 1 for a, b in zip(sy, nsy, strict=True)},
               ("mv_in", "mv"): 1,
               **{(a, b): 1 for a, b in zip(layout.wrote_dims, wr, strict=True)},
               ("head", "hp"): 1, ("undef", "undef"): 1}
    outputs = (*inputs, *layout.wrote_dims, "head", "undef")
    transformer = Transformer(
        label="tm", stream=stream, encoder=_encoder(symbols), feedback="vector",
        inputs=VectorInput(label="dec_input", dims=inputs),
        positions=PositionalEncoding(label="dec_positions",
                                     features={"inv": 1 / (I + 1), "inv2": 1 / (I + 1) ** 2}),
        blocks=(Attention(label="l1_moves", heads=(_uniform("prev_moves", {("hw", "mv_in"): 1}),)),
                transition,
                Attention(label="l2_position", heads=(_uniform("moves", {("hp", "mv"): 1}),)),
                Attention(label="l3_read", heads=(last_write, input_cell)),
                read_symbol),
        readout=Readout(label="out", matrix=matrix(readout, rows=outputs), position="last"))
    return check(transformer), layout


def width(states: int, symbols: int) -> dict:
    """Directions and hidden units for |Q| = `states`, |Σ| = `symbols` (module docstring)."""
    return {"decoder width": 2 * states + 5 * symbols + 11, "encoder width": symbols + 4,
            "layer 1 hidden": (states + 1) * symbols + 1, "layer 3 hidden": 2 * symbols}


def interpret(options: dict, word: str, *, max_steps: int):
    """The machine of `options` run by its interpreter (`languages.turing.run`)."""
    return run(parse_machine(options["machine"]), word, max_steps=max_steps)


FAMILY = Family(
    name="tm", title="Pérez et al.'s Turing-machine transformer",
    paper="Pérez, Barceló & Marinković 2021, Sec. 4 and App. B", mode="generate",
    options=(Option(name="machine", kind="text", argument=True, required=True,
                    help="A bbchallenge code (1RB1LB_1LA1RZ), a table, or a file holding one."),
             Option(name="word", kind="text", default="", cli="--input",
                    help="The input word (the encoder's input; the weights do not depend "
                         "on it).")),
    build=build, circuit="step", inputs="words over the machine's symbols",
    interpret=interpret)

__all__ = ["FAMILY", "START", "TMConstruction", "TMLayout", "build", "trusted_steps", "width"]
