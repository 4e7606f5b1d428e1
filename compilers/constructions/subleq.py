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

import numpy as np

from compilers.constructions.base import Family, Halting, Option
from compilers.constructions.subleq_common import (
    Decoded,
    SubleqInputError,
    SubleqSizeError,
    check_dtype,
    code,
    temperature,
)
from compilers.constructions.subleq_giannou import GiannouLayout
from compilers.errors import CompileError
from compilers.ir import FrozenDict, Readout, Transformer, VectorInput, check, matrix
from languages import subleq as reference
from languages.errors import AddressError
from languages.subleq import SubleqResult

SEMANTICS = ("giannou", "esolang")
PUBLISHED_LAYERS_PER_LOOP = 10  # the released code of Giannou et al. (the paper's Thm.: 13)


@dataclass(frozen=True, kw_only=True)
class SubleqConstruction:
    """A compiled SUBLEQ computer: a `Looped` construction of the Construction protocol.

    The input of a run is a program of these sizes, or ``(program, input
    bytes)`` (esolang): the punchcard. The weights depend on the sizes only.

    Attributes:
        name: "subleq".
        semantics: "giannou" or "esolang".
        transformer: the looped IR.
        layout: the punchcard layout (encodes programs, decodes states).
        scale: the softmax scale lambda.
        options: sizes and semantics, for display and saving.
        program: the program the sizes came from (None: built from sizes).
        note: the paper and section.
    """

    name: str
    semantics: str
    transformer: Transformer
    layout: object
    scale: int
    options: FrozenDict = field(default_factory=FrozenDict)
    program: object = field(default=None, compare=False)
    note: str = ""

    mode = "loop"
    limit_name = "loops"

    @property
    def precision_bits(self) -> int:
        """The exact backend's precision for softmax: rounding far below the margin."""
        return max(128, 2 * self.layout.bits + 96)

    @property
    def details(self) -> dict:
        """Derived sizes, for listings: columns, position bits, the punchcard, the scale."""
        columns, width = self.punchcard_shape
        return {"columns": columns, "position bits": self.layout.position,
                "punchcard (columns x rows)": f"{columns} x {width}",
                "softmax scale (derived)": self.scale,
                "published layers per loop": f"{PUBLISHED_LAYERS_PER_LOOP} (released code)"}
    limits = FrozenDict()  # a dtype that cannot carry the sizes is refused (`check_dtype`)

    @property
    def punchcard_shape(self) -> tuple[int, int]:
        """(columns, rows of the stream)."""
        return (self.layout.columns, self.transformer.width)

    @property
    def positions(self) -> int:
        """The input length n of every run: the punchcard's columns."""
        return self.layout.columns

    def prepare(self, input) -> tuple:
        """``(program, input bytes)`` from a program or such a pair, checked against the sizes."""
        program, data = input if isinstance(input, tuple) and len(input) == 2 else (input, b"")
        if not isinstance(program, reference.EsolangProgram | reference.GiannouProgram):
            raise SubleqInputError(f"a run's input is a SUBLEQ program (or a program and its "
                                   f"input bytes), got {type(program).__name__}")
        data = data.encode() if isinstance(data, str) else data
        if not isinstance(data, bytes | bytearray):
            raise SubleqInputError(f"input must be bytes or a string, got {data!r}")
        if self.semantics == "giannou" and data:
            raise SubleqInputError(f"giannou programs read no input (got {len(data)} bytes)")
        self.layout.fits(program)
        return program, bytes(data)

    def encode(self, input, *, at=None) -> np.ndarray:
        """The punchcard (columns x input dims, ints) of a prepared input; `at`: a
        `languages.subleq.Snapshot` of its run (`reference.snapshot`), to resume it there:
        the punchcard the looped model holds after that many loops."""
        program, data = input
        if at is not None and not isinstance(at, reference.Snapshot):
            raise SubleqInputError(f"at must be a languages.subleq.Snapshot, got "
                                   f"{type(at).__name__}")
        if self.semantics == "giannou":
            return self.layout.punchcard(program, at=at)
        return self.layout.punchcard(program, data, at=at)

    def decode(self, stream, index: dict, input) -> Decoded:
        """The machine state read back from a stream (floats, Fractions or exact ±1)."""
        return self.layout.decode(stream, index, input[0])

    def persistent(self) -> list[tuple[int, str, str]]:
        """``(column, dim, 'pm' | '01')`` of every entry kept between loops."""
        return [(j, d, kind) for columns, dims, kind in self.layout.persistent()
                for j in columns for d in dims]

    def halting(self, inputs) -> Halting:
        """When each run has stopped, and what it prints (see `base.Halting`)."""
        layout = self.layout
        if self.semantics == "giannou":
            dims = layout.names()["pc"]
            return Halting(code=tuple((0, d) for d in dims),
                           targets=tuple(tuple(b > 0 for b in code(
                               layout.first_slot + len(program.instructions), len(dims)))
                               for program, _ in inputs))
        s = layout.scratch_column
        return Halting(flags=((s, "halt"), (s, "fault")), printed=(s, "outv"),
                       byte=tuple((s, d) for d in layout.names()["out"]))

    def check_dtype(self, dtype: str) -> None:
        """Refuse a float dtype that cannot carry these sizes (`subleq_common.check_dtype`)."""
        layout = self.layout
        check_dtype(dtype, bits=layout.bits, position=layout.position, columns=layout.columns)

    def reference(self, input, *, max_steps: int) -> SubleqResult:
        """The interpreter's run of the program (esolang: at this word width)."""
        program, data = input
        return reference.run(program, max_steps=max_steps, input=data,
                             bits=self.layout.bits if self.semantics == "esolang" else None)

    def reference_states(self, input, *, max_steps: int):
        """The interpreter's (pc, memory, output so far) after every step, as it goes."""
        program, data = input
        return reference.states(program, max_steps=max_steps, input=data,
                                bits=self.layout.bits if self.semantics == "esolang" else None)

    def observe(self, states) -> list[tuple]:
        """Decoded states after each loop as the interpreter states them: (pc, memory,
        output so far); a loop that faulted (and froze) executed no instruction."""
        output, out = bytearray(), []
        for state in states:
            if state.fault:
                break
            if state.byte is not None:
                output.append(state.byte)
            out.append((state.pc, state.memory, bytes(output)))
        return out

    def answer(self, input, state: Decoded, steps: int, output: bytes) -> SubleqResult:
        """Where a transformer run stopped, as the interpreter reports it."""
        return SubleqResult(halted=state.halted, steps=steps, output=output,
                            memory=state.memory, pc=state.pc)

    def fault(self, input, state: Decoded) -> AddressError:
        """The interpreter's error for the faulting instruction at `state.pc` (esolang)."""
        pc, memory, size = state.pc, state.memory, self.layout.memory
        a, b, c = memory[pc], memory[pc + 1], memory[pc + 2]
        bad = b if a == -1 or 0 <= a < size else a
        return AddressError(f"instruction at pc {pc} ({a} {b} {c}): address {bad} is outside "
                            f"the memory [0, {size})")

    def circuit_interface(self) -> dict:
        """What the circuit backend needs to compile one loop: the punchcard's
        program-dependent entries (inputs), a template punchcard, the outputs
        (see `compilers.backends.circuit.lower_loop`)."""
        layout = self.layout
        entries = {(j, d): kind for j, d, kind in self.persistent()}
        names = layout.names()
        if self.semantics == "giannou":
            for j in range(layout.first_slot, layout.columns):
                entries |= {(j, d): "pm" for part in ("ia", "ib", "ic") for d in names[part]}
            template = layout.punchcard(reference.GiannouProgram(
                instructions=((0, 0, 0),), memory=(0,) * layout.memory, bits=layout.bits))
        else:
            for r in range(layout.input_size + 1):
                entries |= {(layout.scratch_column + 1 + r, d): "pm" for d in names["inb"]}
            template = layout.punchcard(reference.EsolangProgram(memory=(0,) * layout.memory))
        outputs = [(j, d) for j, d, _ in self.persistent()]
        if self.semantics == "esolang":
            outputs += [(layout.scratch_column, d) for d in names["out"]]
        return {"entries": entries, "template": template, "outputs": outputs}


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
               "slots": getattr(layout, "slots", None),
               "input_size": getattr(layout, "input_size", 0)}
    return SubleqConstruction(
        name="subleq", semantics=semantics, transformer=transformer, layout=layout,
        scale=scale, options=options, program=program,
        note="Giannou et al. 2023, Sec. 3-5: one SUBLEQ instruction per loop")


def build_from_options(program=None, *, semantics: str | None = None, bits: int | None = None,
                       memory: int | None = None, slots: int | None = None,
                       input_size: int = 0) -> SubleqConstruction:
    """`build` from the command line's options: `program` a file path (the semantics
    from its suffix unless given: ``.giannou``, else esolang) or a program; `bits`
    and `slots` apply to the semantics that has them."""
    if isinstance(program, str):
        program = reference.load_program(program, semantics=semantics, bits=bits)
    semantics = semantics or getattr(program, "semantics", None)
    esolang = semantics == "esolang"
    return build(program, semantics=semantics, bits=bits if esolang or program is None else None,
                 memory=memory, slots=None if esolang else slots,
                 input_size=input_size if esolang else 0)


def sized(size: int, *, bits: int = 8) -> dict:
    """The options of the giannou computer with `size` memory words and slots (`scaling`)."""
    return {"semantics": "giannou", "bits": bits, "memory": size, "slots": size}


def interpret(options: dict, input: bytes, *, max_steps: int):
    """The program of `options` run by the interpreter (`languages.subleq.run`), words
    unbounded (esolang) unless `bits` is given."""
    program = reference.load_program(options["program"], semantics=options.get("semantics"),
                                      bits=options.get("bits"))
    bits = options.get("bits") if program.semantics == "esolang" else None
    return reference.run(program, max_steps=max_steps, input=input, bits=bits)


def program_semantics(options: dict) -> str:
    """The semantics of the program file in `options`: given, else from its suffix."""
    given = options.get("semantics")
    program = options.get("program")
    if given:
        return given
    return "giannou" if isinstance(program, str) and program.endswith(".giannou") else "esolang"


def inapplicable(options: dict) -> dict:
    """The options that do not apply to the program's semantics (see `Family.inapplicable`)."""
    esolang = program_semantics(options) == "esolang"
    return {"slots": "applies to giannou programs only; this one runs on esolang"
            if esolang else None,
            "input_size": None if esolang else "applies to esolang programs only; giannou "
                                               "programs read no input",
            "input": None if esolang else "applies to esolang programs only; giannou programs "
                                          "read no input"}


def run_options(options: dict, input: bytes, max_steps: int) -> dict:
    """`options` with the word width a run needs (see `Family.run_options`).

    Without ``bits`` an esolang program runs on unbounded words (the interpreter's
    semantics). The transformer's words have a width, so the width is chosen to hold
    every word the run stores within `max_steps` steps (`languages.subleq.word_width`,
    at least what the program's own words and addresses need): then no word wraps,
    and the run agrees with the unbounded interpreter step for step. A run whose
    words outgrow the widest the option allows is refused, naming the step, the
    address and the value.
    """
    if options.get("bits") is not None or program_semantics(options) != "esolang":
        return options
    program = reference.load_program(options["program"], semantics="esolang")
    widest = BITS.high
    width = reference.word_width(program, max_steps=max_steps, input=input,
                                 stop_above=widest)
    if width.bits > widest:
        value = width.value if width.value.bit_length() <= 200 else (
            f"a number of {width.value.bit_length()} bits")
        raise SubleqSizeError(f"without --bits the program runs on unbounded words, and by step "
                              f"{width.step} it stores {value} at address {width.address}, "
                              f"which needs more than the {widest} bits a word holds here; give "
                              "--bits N to run on N-bit words that wrap")
    bits = max(min_esolang_bits(program.initial_memory()), width.bits)
    return {**options, "bits": bits}


BITS = Option(name="bits", kind="int", low=2, high=64,
              help="Word width N (default: giannou 16; esolang: the fewest that hold every "
                   "word of the run, so that none wraps).")

FAMILY = Family(
    name="subleq", title="Giannou et al.'s looped SUBLEQ computer",
    paper="Giannou et al. 2023, Sec. 3-5", mode="loop",
    options=(
        Option(name="program", kind="text", argument=True, metavar="FILE", required=True,
               help="The program file (.giannou: giannou semantics, else esolang)."),
        Option(name="semantics", kind="choice", choices=SEMANTICS,
               help="esolang or giannou (default: giannou for a .giannou file, else esolang)."),
        BITS,
        Option(name="memory", kind="int", low=1, high=1 << 16,
               help="Memory words M (default: the program's)."),
        Option(name="slots", kind="int", low=1, high=1 << 16,
               help="Giannou instruction slots (default: the program's instructions)."),
        Option(name="input_size", kind="int", low=0, high=1 << 16, default=0,
               help="Esolang input columns: the most input bytes a run may read.")),
    build=build_from_options, circuit="loop", inputs="SUBLEQ programs (and input bytes)",
    sizes=sized, interpret=interpret, run_options=run_options, inapplicable=inapplicable)


def min_esolang_bits(memory) -> int:
    """The fewest bits that hold every word and every address of an esolang memory."""
    need = max([len(memory) + 3, *(abs(v) + 1 for v in memory)])
    return max(8, need.bit_length() + 1)
