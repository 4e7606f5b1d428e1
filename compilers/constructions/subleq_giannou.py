"""The Giannou et al. SUBLEQ computer: punchcard layout and loop body.

Punchcard (Giannou et al. 2023, Sec. 3, Fig. 1; columns are positions, rows
are directions of the residual stream), left to right:

* column 0, the scratchpad: ``pc`` (the ±1 code of the column of the current
  instruction) and, during a loop, the temporaries;
* columns 1 .. M' + 1, memory: word ``i`` at column ``1 + i`` as N ±1 bits
  ``v``; the last of them, ``Z``, is an extra word that stays 0;
* columns M' + 2 .., instructions: slot ``k`` holds ``ia, ib, ic``, the ±1
  codes of the columns of memory words a, b and of instruction slot c; slots
  K .. S (K the program's length, S the slot count) hold ``Z Z k``, a no-op
  that jumps to itself, so a halted program (pc = K) is a fixed point.

Every column carries its code ``pos`` (zero at the scratchpad, which is never
addressed) and the indicators ``one``, ``scratch``, ``memcol``.

The loop body, five blocks (three attention layers, two MLPs):

1. ``fetch`` (1 head): the scratchpad reads the instruction whose ``pos``
   matches ``pc`` into ``A, B, C``. A second head dimension makes every other
   column attend to the scratchpad (score 2 lambda), where the instruction
   rows are 0, so that ``A, B, C`` stay (almost) 0 off the scratchpad.
2. ``operands`` (2 heads): ``X <- mem[A]``, ``Y <- mem[B]`` by the same match.
3. ``subtract`` (MLP, scratchpad only): the bits of ``R = wrap_N(Y - X)``,
   bit t as ``[z >= 2^t] - [z >= 0] + [z >= -2^t]`` of
   ``z = sum_{s<=t} 2^s (y_s - x_s)`` (one hidden layer, the borrow chain
   folded into thresholds); ``flag = [R <= 0]`` as
   ``[D >= 2^(N-1)] + [D >= -2^(N-1)] - [D >= 1]`` of the signed difference D;
   ``P = pc + 1`` bit by bit.
4. ``write`` (1 head): memory column j scores the scratchpad by
   ``<p_j, B>`` and itself by ``<p_j, p_j> - 1``: column B takes ``R``, every
   other column copies its own word, into ``W``.
5. ``store`` (MLP): ``v <- clamp(2W, -1, 1)`` at memory columns (the error
   correction), ``pc <- flag ? C : P`` as four robust steps per bit, and every
   temporary cleared to exactly 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from compilers.constructions.subleq_common import (
    Decoded,
    SubleqSizeError,
    bits_of,
    code,
    match_head,
    position_bits,
    word_value,
    write_head,
)
from compilers.constructions.subleq_gadgets import (
    Units,
    bit_terms,
    clear,
    ge,
    low_bits_of_sum,
    replace,
    snap,
    subtract,
    unsigned_form,
)
from compilers.ir import Attention, Softmax


@dataclass(frozen=True)
class GiannouLayout:
    """Sizes of a giannou punchcard: M memory words, S instruction slots, N bits."""

    memory: int
    slots: int
    bits: int

    def __post_init__(self):
        for name in ("memory", "slots"):
            if getattr(self, name) < 1:
                raise SubleqSizeError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.bits < 2:
            raise SubleqSizeError(f"bits must be at least 2, got {self.bits}")

    # -- columns and rows ---------------------------------------------------

    @property
    def zero_cell(self) -> int:
        return self.memory  # memory index of Z

    @property
    def first_slot(self) -> int:
        return 1 + self.memory + 1

    @property
    def columns(self) -> int:
        return self.first_slot + self.slots + 1

    @property
    def position(self) -> int:
        return position_bits(self.columns)

    def names(self) -> dict[str, tuple[str, ...]]:
        L, N = self.position, self.bits
        return {"one": ("one",), "scratch": ("scratch",), "memcol": ("memcol",),
                "pos": bits_of("pos", L), "v": bits_of("v", N), "ia": bits_of("ia", L),
                "ib": bits_of("ib", L), "ic": bits_of("ic", L), "pc": bits_of("pc", L),
                "A": bits_of("A", L), "B": bits_of("B", L), "C": bits_of("C", L),
                "X": bits_of("X", N), "Y": bits_of("Y", N), "R": bits_of("R", N),
                "flag": ("flag",), "P": bits_of("P", L), "W": bits_of("W", N)}

    def inputs(self) -> tuple[str, ...]:
        n = self.names()
        return tuple(d for part in ("one", "scratch", "memcol", "pos", "v", "ia", "ib", "ic",
                                    "pc") for d in n[part])

    def stream(self) -> tuple[str, ...]:
        return tuple(d for dims in self.names().values() for d in dims)

    def temporaries(self) -> tuple[str, ...]:
        n = self.names()
        return tuple(d for part in ("A", "B", "C", "X", "Y", "R", "flag", "P", "W")
                     for d in n[part])

    # -- encoding and decoding ----------------------------------------------

    def fits(self, program) -> None:
        """Raise `SubleqSizeError` if `program` does not fit these sizes."""
        k, m = len(program.instructions), len(program.memory)
        if program.bits != self.bits:
            raise SubleqSizeError(f"the program has {program.bits}-bit words, the punchcard "
                                  f"{self.bits}-bit words")
        if k > self.slots or m > self.memory:
            raise SubleqSizeError(f"the program has {k} instructions and {m} memory words; "
                                  f"the punchcard holds at most {self.slots} and {self.memory}")

    def punchcard(self, program, *, at=None) -> np.ndarray:
        """The input matrix (columns, input dims) of ints for `program`; `at`: a
        `languages.subleq.Snapshot` of its run, to resume there (its memory and pc)."""
        self.fits(program)
        L, N = self.position, self.bits
        dims = {d: k for k, d in enumerate(self.inputs())}
        card = np.zeros((self.columns, len(dims)), dtype=np.int64)
        card[:, dims["one"]] = 1
        card[0, dims["scratch"]] = 1
        for j in range(1, self.columns):
            card[j, [dims[d] for d in bits_of("pos", L)]] = code(j, L)
        words = program.memory if at is None else at.memory
        memory = list(words) + [0] * (self.memory - len(words)) + [0]
        for i, word in enumerate(memory):
            card[1 + i, dims["memcol"]] = 1
            card[1 + i, [dims[d] for d in bits_of("v", N)]] = code(word, N)
        k = len(program.instructions)
        for slot in range(self.slots + 1):
            a, b, c = (program.instructions[slot] if slot < k
                       else (self.zero_cell, self.zero_cell, slot))
            column = self.first_slot + slot
            for prefix, target in (("ia", 1 + a), ("ib", 1 + b), ("ic", self.first_slot + c)):
                card[column, [dims[d] for d in bits_of(prefix, L)]] = code(target, L)
        pc = 0 if at is None else at.pc
        card[0, [dims[d] for d in bits_of("pc", L)]] = code(self.first_slot + pc, L)
        return card

    def decode(self, stream: np.ndarray, index: dict, program) -> Decoded:
        """The machine state of one punchcard (a float or Fraction array (columns, width))."""
        L, N = self.position, self.bits
        pc_bits = [stream[0, index[d]] > 0 for d in bits_of("pc", L)]
        column = sum(int(b) << t for t, b in enumerate(pc_bits))
        v = [index[d] for d in bits_of("v", N)]
        memory = tuple(word_value([stream[1 + i, c] > 0 for c in v])
                       for i in range(len(program.memory)))
        pc = column - self.first_slot
        return Decoded(pc=pc, memory=memory, halted=pc == len(program.instructions))

    scratch_column = 0
    semantics = "giannou"

    def state(self) -> tuple[str, ...]:
        """The scratchpad rows the read-out shows (the program counter)."""
        return self.names()["pc"]

    def memory_columns(self) -> list[int]:
        return list(range(1, 2 + self.memory))

    def persistent(self) -> list[tuple[list[int], tuple[str, ...], str]]:
        """(columns, directions, 'pm' for ±1 or '01') of the state kept between loops."""
        n = self.names()
        return [(self.memory_columns(), n["v"], "pm"), ([0], n["pc"], "pm")]

    # -- the loop body ------------------------------------------------------

    def blocks(self, scale: int) -> tuple:
        n = self.names()
        L, N = self.position, self.bits
        kind = Softmax(scale=scale)

        def match(label, query_rows, value, *, sink=False):
            return match_head(label, query_rows, n["pos"], value, kind=kind, sink=sink)

        fetch = match("instruction", n["pc"],
                      {(n[r][t], n[i][t]): 1 for r, i in (("A", "ia"), ("B", "ib"), ("C", "ic"))
                       for t in range(L)}, sink=True)
        read_a = match("operand_a", n["A"], {(n["X"][t], n["v"][t]): 1 for t in range(N)})
        read_b = match("operand_b", n["B"], {(n["Y"][t], n["v"][t]): 1 for t in range(N)})
        write = write_head(n["B"], n["pos"], n["R"], n["v"], n["W"],
                           key_bias={"scratch": 1, "one": -1}, kind=kind)
        return (Attention(label="fetch", heads=(fetch,)),
                Attention(label="operands", heads=(read_a, read_b)),
                self._subtract(), Attention(label="writeback", heads=(write,)), self._store())

    def _subtract(self):
        n = self.names()
        L = self.position
        units = Units("subtract")
        subtract(units, n["X"], n["Y"], n["R"], "flag", gate="scratch")
        for t in range(L):  # pc + 1
            form, const = unsigned_form(n["pc"], t)
            units.emit(n["P"][t], bit_terms(units, form, low_bits_of_sum(t, 1),
                                            const=const + 1, gate="scratch"))
        return units.mlp()

    def _store(self):
        n = self.names()
        L, N = self.position, self.bits
        units = Units("store")
        for t in range(N):
            replace(units, n["v"][t], snap(units, n["W"][t], gate="memcol"))
        for t in range(L):
            c, p, f = n["C"][t], n["P"][t], "flag"
            terms = []
            for form, theta, sign in (({c: 1, f: 2}, 2, 1), ({c: -1, f: 2}, 2, -1),
                                      ({p: 1, f: -2}, 1, 1), ({p: -1, f: -2}, 1, -1)):
                terms += [(u, sign * k) for u, k in ge(units, form, theta, gate="scratch")]
            replace(units, n["pc"][t], terms)
        for d in self.temporaries():
            clear(units, d)
        return units.mlp()
