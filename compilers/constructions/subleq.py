"""Giannou et al.'s looped SUBLEQ computer, exact for as long as a program runs.

Giannou, Rajput, Sohn, Lee, Lee & Papailiopoulos (2023), "Looped Transformers
as Programmable Computers" (ICML), Sec. 3-5: a transformer whose input matrix,
the *punchcard* (scratchpad, memory and instruction columns; ±1 binary
positional codes of log n bits; N-bit two's-complement words as ±1 bits), is
advanced by one SUBLEQ instruction per application of the same layers.

`build(program, bits=..., ...)` returns a `SubleqConstruction`: the looped
`Transformer` (weights depend only on the sizes; the program lives in the
punchcard) and its layout, which encodes a program into a punchcard and reads
the program counter and memory back after every loop
(`compilers.constructions.subleq_run`). Two semantics (`languages.subleq`):

* ``giannou`` (the paper's, Sec. 5): separate instruction and data columns;
  see `subleq_giannou` for the layout and the five blocks of the loop body.
* ``esolang`` (beyond the paper): one memory for code and data, so that
  self-modifying programs work; the fetch reads three consecutive words and
  uses their values as addresses; ``a -1 c`` prints a byte, ``-1 b c`` reads
  one from the input columns (-1 past the end); an address outside the memory sets
  a fault flag that freezes the punchcard and that the decoder reports as the
  interpreter's `AddressError`. See `subleq_esolang`.

Constants, all derived from the sizes (`subleq_common`): the softmax scale
``lambda = ceil(ln n + (N + 6) ln 2)`` (margin ``2^N * 2(n-1)e^{-lambda} <= 1/32``
below the 1/4 that the step gadgets absorb), the gate constants of each MLP
unit (`subleq_gadgets`), and the float dtypes the sizes admit
(``64 W 2^W u <= 1``, W = max(N, L + 1)); a dtype that cannot carry the sizes is
refused with `SubleqPrecisionError` naming the limit.

Size of the loop body, against the paper's (its SUBLEQ construction: 13
layers; its released code: 10 layers per loop): giannou 3 attention layers
(4 heads) and 2 MLPs; esolang 3 attention layers (7 heads) and 3 MLPs. Width
and hidden units grow as O(N + log n), non-zero weights as O(N^2 + log^2 n)
(`compilers.stats.describe` prints them; `circuitx compile subleq` too).

Deviations from the paper, named:

1. Position-dependent biases are replaced by input rows: indicators ``one``,
   ``scratch``, ``memcol`` and the codes ``pos`` are part of the punchcard
   (VectorInput), and every gated MLP unit subtracts ``K (1 - gate)``.
2. The scratchpad column has code 0 (it is never addressed); one scratchpad
   column holds every temporary.
3. Subtraction is one MLP (a borrow chain folded into thresholds, bit t of
   ``Y - X`` from ``z_t = sum_{s<=t} 2^s (y_s - x_s)``), not the paper's
   complement-and-add layers; the branch, the increment of pc and the error
   correction are folded into the MLPs before and after the write.
4. The temperature is derived from the sizes (the published code uses 10),
   and every MLP output is snapped to exact ±1 / 0 / 1 (error correction in
   every loop, not a separate layer).
5. Halting: instruction slots K .. S hold ``Z Z k`` (Z an extra memory word
   that stays 0), so a halted punchcard is a fixed point; the decoder stops
   at pc = K.
6. Attention reads are not exact by themselves (softmax leaks about
   ``e^{-lambda}``); exactness comes from the margin and the snapping, and
   every run also checks, after every loop, that each state entry lies within
   1/4 of its exact value (else `EvaluationError`, never a wrong state).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from compilers.constructions.subleq_common import (
    SubleqSizeError,
    check_dtype,
    temperature,
)
from compilers.constructions.subleq_giannou import GiannouLayout
from compilers.errors import CompileError
from compilers.ir import FrozenDict, Readout, Transformer, VectorInput, check, matrix

SEMANTICS = ("giannou", "esolang")


@dataclass(frozen=True, kw_only=True)
class SubleqConstruction:
    """A compiled SUBLEQ computer.

    Attributes:
        name: "subleq".
        semantics: "giannou" or "esolang".
        transformer: the looped IR.
        layout: the punchcard layout (encodes programs, decodes states).
        scale: the softmax scale lambda.
        options: sizes and semantics, for display and saving.
        note: one sentence on the construction.
    """

    name: str
    semantics: str
    transformer: Transformer
    layout: object
    scale: int
    options: FrozenDict = field(default_factory=FrozenDict)
    note: str = ""

    @property
    def punchcard_shape(self) -> tuple[int, int]:
        """(columns, rows of the stream)."""
        return (self.layout.columns, self.transformer.width)


def layout_for(semantics: str, *, bits: int, memory: int, slots: int | None = None,
               input_size: int = 0):
    """The layout of the given sizes."""
    if semantics == "giannou":
        if slots is None:
            raise SubleqSizeError("giannou punchcards need the number of instruction slots")
        return GiannouLayout(memory=memory, slots=slots, bits=bits)
    if semantics == "esolang":
        from compilers.constructions.subleq_esolang import EsolangLayout

        return EsolangLayout(memory=memory, bits=bits, input_size=input_size)
    raise CompileError(f"unknown SUBLEQ semantics {semantics!r}; allowed: {', '.join(SEMANTICS)}")


def build(program=None, *, semantics: str | None = None, bits: int | None = None,
          memory: int | None = None, slots: int | None = None, input_size: int = 0,
          dtype: str | None = None) -> SubleqConstruction:
    """The looped transformer for `program`'s sizes (or the sizes given).

    Args:
        program: a `languages.subleq` program; its semantics and sizes are the
            defaults (giannou: its bits, memory words, instructions; esolang:
            its memory size).
        semantics: "giannou" or "esolang" (default: the program's).
        bits: N, the word width (esolang: required unless only small words).
        memory: memory words M (at least the program's).
        slots: giannou instruction slots (at least the program's K).
        input_size: esolang input columns (the most input bytes a run may get).
        dtype: a float dtype to check the sizes against (None: no check).

    Raises:
        SubleqSizeError: sizes missing, too small for the program, or absurd.
        SubleqPrecisionError: `dtype` cannot guarantee the run.
    """
    semantics = semantics or getattr(program, "semantics", None)
    if semantics not in SEMANTICS:
        raise CompileError(f"unknown SUBLEQ semantics {semantics!r}; allowed: "
                           f"{', '.join(SEMANTICS)}")
    if program is not None and getattr(program, "semantics", semantics) != semantics:
        raise CompileError(f"a {program.semantics} program cannot run on a {semantics} punchcard")
    if semantics == "giannou":
        bits = bits or (program.bits if program is not None else None)
        memory = memory or (len(program.memory) if program is not None else None)
        slots = slots or (len(program.instructions) if program is not None else None)
    else:
        if program is not None:
            memory = memory or len(program.initial_memory())
            if bits is None:
                bits = min_esolang_bits(program.initial_memory())
    if bits is None or memory is None:
        raise SubleqSizeError("give a program or the sizes (bits and memory)")
    if input_size and semantics != "esolang":
        raise CompileError("input bytes belong to the esolang semantics; giannou programs "
                           "read no input")
    layout = layout_for(semantics, bits=bits, memory=memory, slots=slots,
                        input_size=input_size)
    if program is not None:
        layout.fits(program)
    check_dtype(dtype, bits=layout.bits, position=layout.position, columns=layout.columns)
    scale = temperature(layout.columns, layout.bits)
    stream = layout.stream()
    # the state sits at the scratchpad: column 0 (giannou) or M (esolang, where
    # the input columns follow it, so no single end column holds it)
    readout = Readout(label="state", matrix=matrix({(f"out_{d}", d): 1 for d in layout.state()}),
                      position="first" if layout.scratch_column == 0 else "all")
    transformer = check(Transformer(
        label=f"subleq_{semantics}", stream=stream,
        inputs=VectorInput(label="punchcard", dims=layout.inputs()),
        blocks=layout.blocks(scale), readout=readout, looped=True))
    options = {"semantics": semantics, "bits": layout.bits, "memory": layout.memory,
               "columns": layout.columns, "position bits": layout.position, "scale": scale}
    if semantics == "giannou":
        options["slots"] = layout.slots
    else:
        options["input size"] = layout.input_size
    return SubleqConstruction(
        name="subleq", semantics=semantics, transformer=transformer, layout=layout,
        scale=scale, options=options,
        note="Giannou et al. 2023, Sec. 3-5: one SUBLEQ instruction per loop")


def min_esolang_bits(memory) -> int:
    """The fewest bits that hold every word and every address of an esolang memory."""
    need = max([len(memory) + 3, *(abs(v) + 1 for v in memory)])
    return max(8, need.bit_length() + 1)
