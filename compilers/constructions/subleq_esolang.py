"""The esolang SUBLEQ computer: one memory for code and data, on a looped transformer.

Beyond Giannou et al. (2023), whose Sec. 5 keeps instructions and data apart:
here the instruction at pc is the three memory words at pc, pc + 1, pc + 2,
read by value, so self-modifying programs run (the semantics of
`languages.subleq`, ``"esolang"``, with N-bit words that wrap).

Punchcard: memory word i at column i (M columns, code ``pos`` = the ±1 code of
i), the scratchpad at column M (code 0), then I + 1 input columns: byte r as an
N-bit word ``inb`` (wrapped, as the interpreter stores it) with its own code
``ipos`` = the code of r, the last one (and any unused one) holding -1.
Scratchpad state kept between loops: ``pcw`` (the pc as an N-bit word),
``q0 q1 q2`` (the codes of pc, pc + 1, pc + 2), ``halt`` (pc < 0 or
pc + 2 >= M), ``fault`` (an address was out of range: frozen), ``out``/``outv``
(the byte printed by the last loop), ``inptr`` (the code of the next input
column).

The loop body, six blocks:

1. ``fetch`` (3 heads): ``WA, WB, WC <- mem[pc], mem[pc+1], mem[pc+2]`` (the
   other columns attend to the scratchpad, as in the giannou fetch).
2. ``operands`` (3 heads): ``X <- mem[a]``, ``Y <- mem[b]``, the queries being
   the low L bits of WA and WB (the words *are* the addresses' codes), and
   ``IN <- input[inptr]``. The scratchpad is a sentinel key for address -1
   (shown for a; b alike with WB): besides ``<WA, p_j>`` (L at the memory
   column a codes, at most L - 2 at every other column, 0 at the scratchpad,
   whose code is 0) it scores ``S = sum_t WA_t + L + 1 - N`` over the word's
   N ±1 bits (query row ``sentinel``, key ``scratch``). For a = -1 every bit
   is +1, so S = L + 1, above every memory column (at most L, which the low
   bits of -1 reach when M = 2^L); for 0 <= a < M the sign bit is -1, so
   S <= L - 1, below the match. Either way one maximum, at least 1 above the
   rest (the temperature's margin, `subleq_common`). At address -1 the read
   is the scratchpad's word rows, 0, and is never used (an input, a = -1,
   stores IN; an output, b = -1, prints X). An address outside [-1, M) (a
   fault, which freezes the punchcard) may code no column: its scores may tie.
3. ``subtract`` (MLP): ``R = wrap_N(Y - X)``, ``leq = [R <= 0]``; the tests
   ``a == -1``, ``b == -1``, ``a, b`` outside ``[0, M)``; ``pc + 3`` (a word),
   the codes of ``pc + 4, pc + 5, c + 1, c + 2``; whether pc + 3 or c halts.
4. ``select`` (MLP): the case (frozen, input, output, subtract with or without
   the jump, one of three faults), each a robust threshold of a sum of the
   flags above; ``pcw, q0, q1, q2, halt`` replaced by the selected source
   (kept when frozen or faulting), ``fault`` set, the write enable ``WE`` and
   value ``WV`` (R, or IN for an input), the printed byte (the low 8 bits of
   X), ``inptr + 1`` after an input unless it sits on the last column.
5. ``writeback`` (1 head): as giannou, the scratchpad key carrying
   ``2 WE - 2`` so that nothing is written unless WE: at memory column j the
   scratchpad scores ``<p_j, WB> + 2 WE - 2``, j itself L - 1, every other
   column at most L - 3, so the scratchpad wins by 1 iff WE and j = b, else
   j itself by at least 1. At the other columns (the scratchpad and the
   input columns, code 0), where every score but the scratchpad's is -1, a
   sink row (query ``2 (one - memcol)``, key ``scratch``) lifts the
   scratchpad to ``2 WE`` >= 0: one maximum whether or not anything is
   written (W there is never stored: the store is gated by ``memcol``).
6. ``store`` (MLP): ``v <- clamp(2W, -1, 1)``, temporaries cleared.

So every head has one maximum on every loop of a run that stays in range,
before it halts (pc, pc + 1, pc + 2 memory words, a and b in [-1, M),
inptr an input column): the fetch and input queries are the codes of
columns, the operands and the write as above; the circuit backend's
unique-argmax promise (`compilers.backends.circuit.subleq_loop`) holds on
every such loop, input and output included. Not covered: a loop after a
halt (M < 3 halts before the first instruction) fetches past the memory's
end, and a faulting loop may read an address that codes no column; both
freeze the punchcard, and their reads may tie.

Input: the bytes are part of the punchcard (`input_size` columns, fixed when
compiling); more input than that is refused with `SubleqInputError`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from compilers.constructions.subleq_common import (
    Decoded,
    SubleqInputError,
    SubleqSizeError,
    bits_of,
    code,
    match_head,
    position_bits,
    word_value,
    write_head,
)
from compilers.constructions.subleq_gadgets import (
    HALF,
    Units,
    bit_terms,
    clear,
    ge,
    low_bits_of_sum,
    replace,
    signed_form,
    snap,
    subtract,
    unsigned_form,
)
from compilers.ir import Attention, Head, Softmax, matrix

OUT_BITS = 8


@dataclass(frozen=True)
class EsolangLayout:
    """Sizes of an esolang punchcard: M memory words of N bits, I input bytes."""

    memory: int
    bits: int
    input_size: int = 0
    semantics = "esolang"

    def __post_init__(self):
        if self.bits < 2:
            raise SubleqSizeError(f"bits must be at least 2, got {self.bits}")
        if not 1 <= self.memory <= 2 ** (self.bits - 1) - 1:
            raise SubleqSizeError(f"an esolang punchcard of {self.bits}-bit words holds 1 to "
                                  f"{2 ** (self.bits - 1) - 1} memory words (every address and "
                                  f"pc + 3 must be a word), got {self.memory}")
        if not 0 <= self.input_size <= 1 << 16:
            raise SubleqSizeError(f"input_size must be between 0 and 65536, got "
                                  f"{self.input_size}")

    @property
    def columns(self) -> int:
        return self.memory + 1 + self.input_size + 1

    @property
    def input_position(self) -> int:
        return position_bits(self.input_size + 1)

    @property
    def scratch_column(self) -> int:
        return self.memory

    @property
    def position(self) -> int:
        return position_bits(self.memory)

    def names(self) -> dict[str, tuple[str, ...]]:
        L, N, J = self.position, self.bits, self.input_position
        one = ("one", "scratch", "memcol", "halt", "fault", "outv", "leq", "am1", "bm1",
               "abad", "bbad", "hP", "hC", "WE", "inend")
        out = {d: (d,) for d in one}
        out |= {"pos": bits_of("pos", L), "v": bits_of("v", N), "pcw": bits_of("pcw", N),
                "q0": bits_of("q0_", L), "q1": bits_of("q1_", L), "q2": bits_of("q2_", L),
                "out": bits_of("out", OUT_BITS), "ipos": bits_of("ipos", J),
                "inptr": bits_of("inptr", J), "Pin": bits_of("Pin", J)}
        for word in ("WA", "WB", "WC", "X", "Y", "R", "P3", "WV", "W", "IN", "inb"):
            out[word] = bits_of(word, N)
        for code_rows in ("P4", "P5", "C1", "C2"):
            out[code_rows] = bits_of(code_rows, L)
        return out

    def inputs(self) -> tuple[str, ...]:
        n = self.names()
        return tuple(d for part in ("one", "scratch", "memcol", "pos", "v", "pcw", "q0", "q1",
                                    "q2", "halt", "fault", "out", "outv", "ipos", "inb",
                                    "inptr") for d in n[part])

    def stream(self) -> tuple[str, ...]:
        order = ("one", "scratch", "memcol", "pos", "v", "pcw", "q0", "q1", "q2", "halt",
                 "fault", "out", "outv", "ipos", "inb", "inptr")
        n = self.names()
        return tuple(d for part in order for d in n[part]) + self.temporaries()

    def temporaries(self) -> tuple[str, ...]:
        n = self.names()
        return tuple(d for part in ("WA", "WB", "WC", "X", "Y", "R", "leq", "am1", "bm1",
                                    "abad", "bbad", "P3", "P4", "P5", "C1", "C2", "hP", "hC",
                                    "WE", "WV", "W", "IN", "Pin", "inend") for d in n[part])

    def state(self) -> tuple[str, ...]:
        n = self.names()
        return n["pcw"] + ("halt", "fault", "outv")

    def memory_columns(self) -> list[int]:
        return list(range(self.memory))

    def persistent(self):
        n, s = self.names(), [self.scratch_column]
        return [(self.memory_columns(), n["v"], "pm"),
                (s, n["pcw"] + n["q0"] + n["q1"] + n["q2"] + n["inptr"], "pm"),
                (s, ("halt", "fault", "outv"), "01")]

    # -- encoding and decoding ----------------------------------------------

    def fits(self, program) -> None:
        memory = program.initial_memory()
        if len(memory) != self.memory:
            raise SubleqSizeError(f"the program's memory has {len(memory)} words; this punchcard "
                                  f"has {self.memory} (pad the program with memory_size)")
        low, high = -(2 ** (self.bits - 1)), 2 ** (self.bits - 1) - 1
        for i, word in enumerate(memory):
            if not low <= word <= high:
                raise SubleqSizeError(f"memory word {i} is {word}, outside the {self.bits}-bit "
                                      f"range [{low}, {high}]")

    def fits_input(self, data: bytes) -> None:
        if len(data) > self.input_size:
            raise SubleqInputError(f"the input has {len(data)} bytes; this punchcard holds "
                                   f"{self.input_size} (build it with input_size >= "
                                   f"{len(data)})")

    def punchcard(self, program, input: bytes = b"", *, at=None) -> np.ndarray:
        """The input matrix for `program`; input byte r at column M + 1 + r, then -1s.

        `at`: a `languages.subleq.Snapshot` of the run on this input: the punchcard of
        the machine resumed there (its memory, pc, input read and last printed byte in
        the scratchpad's state), which is what the looped model's stream holds after
        that many loops (a resumed run's first loop is the next one)."""
        self.fits(program)
        self.fits_input(input)
        L, N, M = self.position, self.bits, self.memory
        dims = {d: k for k, d in enumerate(self.inputs())}
        n = self.names()
        card = np.zeros((self.columns, len(dims)), dtype=np.int64)
        card[:, dims["one"]] = 1
        s = self.scratch_column
        card[s, dims["scratch"]] = 1
        memory, pc = program.initial_memory(), 0
        if at is not None:
            memory, pc = at.memory, at.pc
            self.fits(type(program)(memory=tuple(memory)))  # its words in range
        for i, word in enumerate(memory):
            card[i, dims["memcol"]] = 1
            card[i, [dims[d] for d in n["pos"]]] = code(i, L)
            card[i, [dims[d] for d in n["v"]]] = code(word, N)
        card[s, [dims[d] for d in n["pcw"]]] = code(pc, N)
        for k, part in enumerate(("q0", "q1", "q2")):
            card[s, [dims[d] for d in n[part]]] = code(pc + k, L)
        card[s, dims["halt"]] = int(pc < 0 or pc + 2 >= M)
        if at is not None and at.printed is not None:
            card[s, dims["outv"]] = 1
            card[s, [dims[d] for d in n["out"]]] = code(at.printed, OUT_BITS)
        J = self.input_position
        for r in range(self.input_size + 1):
            byte = input[r] if r < len(input) else -1
            card[s + 1 + r, [dims[d] for d in n["ipos"]]] = code(r, J)
            card[s + 1 + r, [dims[d] for d in n["inb"]]] = code(byte, N)
        read = 0 if at is None else min(at.inputs, self.input_size)  # stays on the last
        card[s, [dims[d] for d in n["inptr"]]] = code(read, J)
        return card

    def decode(self, stream, index: dict, program) -> Decoded:
        n, s = self.names(), self.scratch_column
        pc = word_value([stream[s, index[d]] > 0 for d in n["pcw"]])
        memory = tuple(word_value([stream[i, index[d]] > 0 for d in n["v"]])
                       for i in range(self.memory))
        byte = None
        if stream[s, index["outv"]] > HALF:
            byte = sum(1 << t for t, d in enumerate(n["out"]) if stream[s, index[d]] > 0)
        return Decoded(pc=pc, memory=memory, halted=bool(stream[s, index["halt"]] > HALF),
                       byte=byte, fault=bool(stream[s, index["fault"]] > HALF))

    # -- the loop body ------------------------------------------------------

    def blocks(self, scale: int) -> tuple:
        n = self.names()
        N = self.bits
        kind = Softmax(scale=scale)

        def match(label, query_rows, value, *, sink=False, sentinel=None):
            return match_head(label, query_rows, n["pos"], value, kind=kind, sink=sink,
                              sentinel=sentinel)

        fetch = [match(f"word_{x}", n[q], {(n[w][t], n["v"][t]): 1 for t in range(N)},
                       sink=True)
                 for x, q, w in (("a", "q0", "WA"), ("b", "q1", "WB"), ("c", "q2", "WC"))]
        L = self.position

        def minus_one(word):  # the scratchpad's sentinel score: L + 1 iff word = -1 (docstring)
            return {d: 1 for d in n[word]} | ({"scratch": L + 1 - N} if L + 1 != N else {})

        read_a = match("operand_a", n["WA"], {(n["X"][t], n["v"][t]): 1 for t in range(N)},
                       sentinel=minus_one("WA"))
        read_b = match("operand_b", n["WB"], {(n["Y"][t], n["v"][t]): 1 for t in range(N)},
                       sentinel=minus_one("WB"))
        J = self.input_position
        read_in = Head(label="input_byte",
                       query=matrix({(f"i{t}", n["inptr"][t]): 1 for t in range(J)}),
                       key=matrix({(f"i{t}", n["ipos"][t]): 1 for t in range(J)}),
                       value=matrix({(n["IN"][t], n["inb"][t]): 1 for t in range(N)}),
                       kind=kind)
        write = write_head(n["WB"], n["pos"], n["WV"], n["v"], n["W"],
                           key_bias={"WE": 2, "scratch": -1, "one": -1},
                           sink={"one": 2, "memcol": -2}, kind=kind)
        return (Attention(label="fetch", heads=tuple(fetch)),
                Attention(label="operands", heads=(read_a, read_b, read_in)),
                self._subtract(), self._select(), Attention(label="writeback", heads=(write,)),
                self._store())

    def _subtract(self):
        n = self.names()
        L, N, M = self.position, self.bits, self.memory
        g = "scratch"
        units = Units("subtract")
        subtract(units, n["X"], n["Y"], n["R"], "leq", gate=g)
        for word, minus_one, bad in (("WA", "am1", "abad"), ("WB", "bm1", "bbad")):
            rows = n[word]
            units.emit(minus_one, ge(units, {r: HALF for r in rows}, N, const=HALF * N, gate=g))
            units.emit(bad, ge(units, {rows[-1]: HALF}, 1, const=HALF, gate=g))
            form, const = signed_form(rows)
            units.emit(bad, ge(units, form, M, const=const, gate=g))
        for target, source, addend, width in (("P3", "pcw", 3, N), ("P4", "pcw", 4, L),
                                              ("P5", "pcw", 5, L), ("C1", "WC", 1, L),
                                              ("C2", "WC", 2, L)):
            for t in range(width):
                form, const = unsigned_form(n[source], t)
                units.emit(n[target][t], bit_terms(units, form, low_bits_of_sum(t, addend),
                                                   const=const + addend, gate=g))
        form, const = signed_form(n["pcw"])
        units.emit("hP", ge(units, form, M - 5, const=const, gate=g))
        form, const = signed_form(n["WC"])
        units.emit("hC", ge(units, form, M - 2, const=const, gate=g))
        units.emit("hC", ge(units, {n["WC"][-1]: HALF}, 1, const=HALF, gate=g))
        J = self.input_position
        for t in range(J):  # the input pointer + 1, and whether it sits on the last column
            form, const = unsigned_form(n["inptr"], t)
            units.emit(n["Pin"][t], bit_terms(units, form, low_bits_of_sum(t, 1),
                                              const=const + 1, gate=g))
        form, const = unsigned_form(n["inptr"], J - 1)
        units.emit("inend", ge(units, form, self.input_size, const=const, gate=g))
        return units.mlp()

    def _select(self):
        """Robust case selection: every condition is an integer sum of flags that is
        >= its threshold when the case holds and <= threshold - 1 otherwise; a
        source s in [-2, 2] is passed on by ``[4 cond + s >= 4 theta + 1]``."""
        n = self.names()
        N, L = self.bits, self.position
        g = "scratch"
        units = Units("select")
        # E = 1 - 4 halt - 4 fault (const 1). A stopped machine still fetches: from
        # past the memory's end the fetched words are averages, and flags computed
        # from them (abad + bbad, ...) may sum to 3, so a stopped machine pushes
        # every case by 4, below its threshold whatever the other flags read.
        live = {"halt": -4, "fault": -4}

        frozen = ({"halt": 1, "fault": 1}, 0, 1)
        f1 = (live | {"am1": 1, "bbad": 1}, 1, 3)
        f2 = (live | {"am1": -1, "abad": 1}, 1, 2)
        f3 = (live | {"am1": -1, "bm1": -1, "abad": -1, "bbad": 1}, 1, 2)
        do_in = (live | {"am1": 1, "bbad": -1}, 1, 2)
        do_out = (live | {"am1": -1, "bm1": 1, "abad": -1}, 1, 2)
        sub = live | {"am1": -1, "bm1": -1, "abad": -1, "bbad": -1}
        do_sub = (sub, 1, 1)
        jump = ({d: 3 * w for d, w in sub.items()} | {"leq": 1}, 3, 4)
        no_jump = ({d: 3 * w for d, w in sub.items()} | {"leq": -1}, 3, 3)

        def flag(case) -> list:
            form, const, theta = case
            return ge(units, form, theta, const=const, gate=g)

        def pass_on(case, source: str, signed: bool) -> list:
            form, const, theta = case
            terms = []
            for sign in ((1, -1) if signed else (1,)):
                f = {d: 4 * w for d, w in form.items()}
                f[source] = f.get(source, 0) + sign
                terms += [(u, sign * c) for u, c in ge(units, f, 4 * theta + 1,
                                                       const=4 * const, gate=g)]
            return terms

        keep = (frozen, f1, f2, f3)
        advance = (do_in, do_out, no_jump)
        targets = [(n["pcw"][t], n["WC"][t], n["P3"][t], True) for t in range(N)]
        targets += [(n["q0"][t], n["WC"][t], n["P3"][t], True) for t in range(L)]
        targets += [(n["q1"][t], n["C1"][t], n["P4"][t], True) for t in range(L)]
        targets += [(n["q2"][t], n["C2"][t], n["P5"][t], True) for t in range(L)]
        targets += [("halt", "hC", "hP", False)]
        for row, on_jump, on_advance, signed in targets:
            terms = [term for case in keep for term in pass_on(case, row, signed)]
            terms += pass_on(jump, on_jump, signed)
            terms += [term for case in advance for term in pass_on(case, on_advance, signed)]
            replace(units, row, terms)
        for case in (f1, f2, f3):
            units.emit("fault", flag(case))
        for case in (do_in, do_sub):
            units.emit("WE", flag(case))
        for t in range(N):
            units.emit(n["WV"][t], pass_on(do_sub, n["R"][t], True)
                       + pass_on(do_in, n["IN"][t], True))
        advance_input = (live | {"am1": 1, "bbad": -1, "inend": -1}, 1, 2)
        for t in range(self.input_position):  # inptr += 1 on a read before the last column
            units.emit(n["inptr"][t], pass_on(advance_input, n["Pin"][t], True))
            units.emit(n["inptr"][t], pass_on(advance_input, n["inptr"][t], True), -1)
        for t in range(OUT_BITS):
            replace(units, n["out"][t], pass_on(do_out, n["X"][min(t, N - 1)], True))
        replace(units, "outv", flag(do_out))
        return units.mlp()

    def _store(self):
        n = self.names()
        units = Units("store")
        for t in range(self.bits):
            replace(units, n["v"][t], snap(units, n["W"][t], gate="memcol"))
        for d in self.temporaries():
            clear(units, d)
        return units.mlp()
