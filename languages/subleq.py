"""SUBLEQ, the one-instruction computer, under two named semantics.

``subleq a b c``: subtract memory[a] from memory[b] and jump to c if the result
is at most zero. Two semantics are implemented, always named explicitly:

Esolang (``"esolang"``, the usual one of esolangs.org; one memory for code and
data, so self-modifying programs work):

* pc = 0; memory = the program's integers, padded with zeros to `memory_size`;
* a step: if pc < 0 or pc + 2 >= len(memory) the machine has halted (no step);
  else a, b, c = memory[pc : pc + 3] and
  - a == -1: memory[b] <- the next input byte (-1 at the end of the input), pc += 3;
  - b == -1: output the byte memory[a] mod 256, pc += 3;
  - else memory[b] <- memory[b] - memory[a]; pc <- c if memory[b] <= 0 else pc + 3;
* with ``bits=None`` words are unbounded integers; with ``bits=N`` every
  subtraction result wraps to N-bit two's complement, and so does a stored
  input byte (an extension: 255 read with bits <= 8 is stored as -1), so that
  every word stays in [-2^(N-1), 2^(N-1));
* an address a or b (other than the -1 cases) outside [0, len(memory)) raises
  `AddressError` naming the pc and the address.

Giannou (``"giannou"``; Giannou et al. 2023, "Looped Transformers as
Programmable Computers", Sec. 5): separate instruction and data memories and
N-bit words:

* instructions (a, b, c), K of them, with 0 <= a, b < M (M memory words) and
  0 <= c <= K; words in [-2^(N-1), 2^(N-1)), all checked when built;
* a step: memory[b] <- wrap_N(memory[b] - memory[a]); pc <- c if memory[b] <= 0
  else pc + 1; the machine halts when pc == K (a jump to K or falling through
  the last instruction); no input, no output.

Text formats: whitespace-separated integers, ``#`` starts a comment to the end
of the line. Esolang: the memory. Giannou: the instruction triples, then ``;``
(on its own line or anywhere), then the initial memory words.

Every step limit is checked; `run` returns ``halted=False`` at the limit and
never hangs.

Details beyond the definitions above: an esolang input byte is
wrapped to `bits` too (above); `EsolangProgram.memory_size` (and
`parse_program(..., memory_size=)`) pads the memory; `GiannouProgram.bits`
defaults to `GIANNOU_DEFAULT_BITS` = 16, and a giannou program needs at least
one instruction and one memory word; `run(giannou_program, bits=...)` accepts
only None or the program's own width; a `str` input is encoded as UTF-8;
`states` is a generator, so its argument errors surface at the first `next`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from languages.errors import AddressError, ProgramError
from languages.language import check_int

SEMANTICS = ("esolang", "giannou")
GIANNOU_DEFAULT_BITS = 16
MAX_BITS = 4096
MAX_MEMORY = 1 << 24
MAX_STEPS = 10**9
MAX_FILE_BYTES = 256 << 20  # the largest program file `load_program` reads


def word_range(bits: int) -> tuple[int, int]:
    """The least and the greatest `bits`-bit two's-complement word."""
    return -(1 << (bits - 1)), (1 << (bits - 1)) - 1


def wrap(value: int, bits: int) -> int:
    """`value` wrapped to `bits`-bit two's complement."""
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


@dataclass(frozen=True, kw_only=True)
class EsolangProgram:
    """An esolang SUBLEQ program: the initial memory (code and data together).

    Attributes:
        memory: the program's integers.
        memory_size: pad the memory with zeros to this many words (None: no padding).
    """

    semantics: ClassVar[str] = "esolang"
    memory: tuple[int, ...]
    memory_size: int | None = None

    def __post_init__(self):
        object.__setattr__(self, "memory", _validate_words(self.memory, "memory"))
        if self.memory_size is not None:
            check_int("memory_size", self.memory_size, len(self.memory), MAX_MEMORY)

    def initial_memory(self) -> list[int]:
        size = self.memory_size or len(self.memory)
        return list(self.memory) + [0] * (size - len(self.memory))


@dataclass(frozen=True, kw_only=True)
class GiannouProgram:
    """A Giannou-style SUBLEQ program (see the module docstring).

    Attributes:
        instructions: the K triples (a, b, c).
        memory: the M initial data words.
        bits: the word width N.
    """

    semantics: ClassVar[str] = "giannou"
    instructions: tuple[tuple[int, int, int], ...]
    memory: tuple[int, ...]
    bits: int = GIANNOU_DEFAULT_BITS

    def __post_init__(self):
        check_int("bits", self.bits, 2, MAX_BITS)
        memory = _validate_words(self.memory, "memory")
        if not memory:
            raise ProgramError("a giannou program needs at least one memory word")
        low, high = word_range(self.bits)
        for i, v in enumerate(memory):
            if not low <= v <= high:
                raise ProgramError(f"memory word {i} is {v}, outside the {self.bits}-bit "
                                   f"range [{low}, {high}]")
        if not isinstance(self.instructions, (tuple, list)) or not self.instructions:
            raise ProgramError(f"a giannou program needs at least one instruction, got "
                               f"{self.instructions!r}")
        k, m = len(self.instructions), len(memory)
        instructions = []
        for i, triple in enumerate(self.instructions):
            triple = _validate_words(triple, f"instruction {i}")
            if len(triple) != 3:
                raise ProgramError(f"instruction {i} is {triple!r}, not a triple (a, b, c)")
            a, b, c = triple
            for name, v, top in (("a", a, m - 1), ("b", b, m - 1), ("c", c, k)):
                if not 0 <= v <= top:
                    raise ProgramError(f"instruction {i} ({a} {b} {c}): {name} = {v} is outside "
                                       f"[0, {top}] ({m} memory words, {k} instructions)")
            instructions.append(triple)
        object.__setattr__(self, "instructions", tuple(instructions))
        object.__setattr__(self, "memory", memory)


Program = EsolangProgram | GiannouProgram


@dataclass(frozen=True, kw_only=True)
class SubleqResult:
    """Where a run stopped: whether it halted, the steps executed, the output
    bytes, the final memory and pc."""

    halted: bool
    steps: int
    output: bytes
    memory: tuple[int, ...]
    pc: int

    def as_dict(self) -> dict:
        """The CLI's JSON object (the output decoded as latin-1)."""
        return {"halted": self.halted, "steps": self.steps,
                "output": self.output.decode("latin-1"), "memory": list(self.memory),
                "pc": self.pc}


def parse_program(text: str, *, semantics: str, bits: int | None = None,
                  memory_size: int | None = None) -> Program:
    """A program from its text (see the module docstring).

    `bits` is the giannou word width (default `GIANNOU_DEFAULT_BITS`); for esolang
    it only checks that every word fits. `memory_size` pads an esolang memory.

    Raises:
        ProgramError: a token that is not an integer (naming it and its line), a
            misplaced ``;``, a word out of range, a bad giannou address.
    """
    semantics = _check_semantics(semantics)
    if not isinstance(text, str):
        raise ProgramError(f"a program is a string of integers, got {text!r}")
    tokens = []  # (line number, token)
    for n, line in enumerate(text.splitlines(), 1):
        tokens += [(n, t) for t in line.split("#", 1)[0].replace(";", " ; ").split()]
    if bits is not None:
        bits = check_int("bits", bits, 2, MAX_BITS)
    if semantics == "esolang":
        words = _integers(tokens, bits)
        if not words:
            raise ProgramError("the program is empty: expected whitespace-separated integers")
        return EsolangProgram(memory=tuple(words), memory_size=memory_size)
    bits = GIANNOU_DEFAULT_BITS if bits is None else bits
    separators = [i for i, (_, t) in enumerate(tokens) if t == ";"]
    if len(separators) != 1:
        raise ProgramError(f"a giannou program has exactly one ';' between the instructions "
                           f"and the memory, this one has {len(separators)}")
    split = separators[0]
    numbers = _integers(tokens[:split], None)
    if len(numbers) % 3:
        raise ProgramError(f"the instructions are {len(numbers)} integers, not a whole number "
                           f"of triples a b c (the line after them: {tokens[split][0]})")
    triples = tuple(tuple(numbers[i : i + 3]) for i in range(0, len(numbers), 3))
    return GiannouProgram(instructions=triples, memory=tuple(_integers(tokens[split + 1 :], bits)),
                          bits=bits)


def load_program(path: str, *, semantics: str | None = None, bits: int | None = None,
                 memory_size: int | None = None) -> Program:
    """The program in the file `path`; the semantics from its suffix when not given
    (``.giannou``: giannou, else esolang); `bits` and `memory_size` as in
    `parse_program`. Errors name the file."""
    if isinstance(path, os.PathLike):
        path = os.fspath(path)
    if not isinstance(path, str):
        raise ProgramError(f"a program file is a path (str or pathlib.Path), got "
                           f"{type(path).__name__}")
    if semantics is None:
        semantics = "giannou" if Path(path).suffix == ".giannou" else "esolang"
    try:
        size = Path(path).stat().st_size
        data = Path(path).read_bytes() if size <= MAX_FILE_BYTES else b""
    except (OSError, ValueError) as error:  # ValueError: a NUL byte in the path
        why = getattr(error, "strerror", None) or error
        raise ProgramError(f"cannot read program file {path!r}: {why}") from None
    if size > MAX_FILE_BYTES:
        raise ProgramError(f"program file {path!r} is {size} bytes; at most {MAX_FILE_BYTES}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ProgramError(f"program file {path!r} is not UTF-8 text (byte {error.start}: "
                           f"{data[error.start:error.start + 1]!r})") from None
    try:
        return parse_program(text, semantics=semantics, bits=bits, memory_size=memory_size)
    except ProgramError as error:
        raise ProgramError(f"{path} ({semantics}): {error}") from None


def run(program: Program, *, max_steps: int, input: bytes | str = b"",
        bits: int | None = None) -> SubleqResult:
    """Run `program` for at most `max_steps` instructions.

    `input` (bytes, or a str encoded as UTF-8) feeds esolang input instructions.
    `bits`: the esolang word width (None: unbounded); for a giannou program it
    must be None or equal to ``program.bits``.

    Raises:
        AddressError: an esolang instruction addressed a word outside the memory.
        ProgramError: a word out of the `bits` range, a bits clash.
        LengthError: `max_steps` negative or above `MAX_STEPS`.
    """
    (result,) = _execute(program, max_steps, input, bits)
    return result


def states(program: Program, *, max_steps: int, input: bytes | str = b"",
           bits: int | None = None) -> Iterator[tuple[int, tuple[int, ...], bytes]]:
    """The state (pc, memory, output so far) after every executed instruction."""
    for result in _execute(program, max_steps, input, bits, every_step=True):
        yield result.pc, result.memory, result.output


@dataclass(frozen=True)
class WordWidth:
    """The widest word of a run: the fewest two's-complement `bits` that hold every word,
    and where the widest `value` was first stored (at `address` by `step`; step 0: the
    initial memory)."""

    bits: int
    step: int
    address: int
    value: int


def two_complement_bits(value: int) -> int:
    """The fewest bits N with -2^(N-1) <= value < 2^(N-1) (at least 1)."""
    return (value if value >= 0 else -value - 1).bit_length() + 1


def word_width(program: Program, *, max_steps: int, input: bytes | str = b"",
               stop_above: int | None = None) -> WordWidth:
    """The `WordWidth` of `program`'s esolang run on unbounded words for at most
    `max_steps` steps (a fault ends the run, as it does the interpreter's); with
    `stop_above`, the run stops at the first word wider than that many bits."""
    if not isinstance(program, EsolangProgram):
        raise ProgramError(f"word_width reads an esolang program, got {program!r}")
    max_steps = check_int("max_steps", max_steps, 0, MAX_STEPS)
    if isinstance(input, str):
        input = input.encode()
    memory = program.initial_memory()
    best = WordWidth(1, 0, 0, 0)
    for address, value in enumerate(memory):
        if two_complement_bits(value) > best.bits:
            best = WordWidth(two_complement_bits(value), 0, address, value)
    pc, reader, output = 0, iter(input), bytearray()
    for step in range(1, max_steps + 1):
        if pc < 0 or pc + 2 >= len(memory):
            break
        a, b = memory[pc], memory[pc + 1]
        try:
            pc = _esolang_step(program, memory, pc, None, reader, output)
        except AddressError:
            break
        if b != -1 or a == -1:
            bits = two_complement_bits(memory[b])
            if bits > best.bits:
                best = WordWidth(bits, step, b, memory[b])
                if stop_above is not None and bits > stop_above:
                    break
    return best


# ---- the interpreters ------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Snapshot:
    """A run's whole state after `steps` instructions (fewer where it halted first):
    what a machine resumed there needs besides the program and its input.

    Attributes:
        steps: the instructions executed.
        pc: the next instruction's address.
        memory: the memory words.
        output: the bytes printed so far.
        inputs: the input instructions executed (those past the end of the input read -1).
        printed: the byte the last instruction printed, or None (it printed nothing).
        halted: whether the machine has halted (it executes no further instruction).
    """

    steps: int
    pc: int
    memory: tuple[int, ...]
    output: bytes
    inputs: int
    printed: int | None
    halted: bool


def snapshot(program: Program, *, steps: int, input: bytes | str = b"",
             bits: int | None = None, at: Snapshot | None = None) -> Snapshot:
    """The state of `program`'s run after `steps` instructions (`run`'s arguments), or
    fewer where it halts first; `at`: a snapshot of the same run to continue from (then
    `steps` counts from the run's start, and is at least ``at.steps``)."""
    machine = Machine(program, input=input, bits=bits, at=at)
    steps = check_int("steps", steps, machine.steps, MAX_STEPS)
    step, memory, bits, reader = machine._step, machine.memory, machine.bits, machine._reader
    pc, done, output, printed = machine.pc, machine.steps, machine.output, machine.printed
    while not _halted(step, program, memory, pc) and done < steps:  # `Machine.step`, inline
        before = len(output)
        pc, done = step(program, memory, pc, bits, reader, output), done + 1
        printed = output[-1] if len(output) > before else None
    return Snapshot(steps=done, pc=pc, memory=tuple(memory), output=bytes(output),
                    inputs=reader.calls, printed=printed,
                    halted=_halted(step, program, memory, pc))


class Machine:
    """A run one instruction at a time, from the start or resumed from a `Snapshot` of it
    (`at`; `run`'s other arguments): for following another run of the program in
    lockstep (`benchmarks.subleq_segments` checks each loop of the transformer against
    it). `memory` (a list, changed in place), `pc`, `steps`, `output` and `printed` (the
    byte the last step printed, or None) are the state after the steps so far."""

    def __init__(self, program: Program, *, input: bytes | str = b"",
                 bits: int | None = None, at: Snapshot | None = None):
        self.program = program
        self._step, self.memory, self.bits, self._reader = _start(program, input, bits)
        self.pc, self.steps, self.output, self.printed = 0, 0, bytearray(), None
        if at is not None:
            if not isinstance(at, Snapshot):
                raise ProgramError(f"at must be a Snapshot, got {type(at).__name__}")
            if len(at.memory) != len(self.memory):
                raise ProgramError(f"the snapshot has {len(at.memory)} memory words; the "
                                   f"program has {len(self.memory)}")
            self.memory, self.pc, self.steps = list(at.memory), at.pc, at.steps
            self.output, self.printed = bytearray(at.output), at.printed
            self._reader.calls = at.inputs

    @property
    def halted(self) -> bool:
        return _halted(self._step, self.program, self.memory, self.pc)

    def step(self) -> int | None:
        """Execute one instruction; the address it wrote (None: it wrote none, it printed)."""
        if self.halted:
            raise ProgramError(f"the machine halted at step {self.steps}")
        memory, pc = self.memory, self.pc
        if self._step is _esolang_step:
            written = memory[pc + 1] if memory[pc + 1] != -1 else None
        else:
            written = self.program.instructions[pc][1]
        before = len(self.output)
        self.pc = self._step(self.program, memory, pc, self.bits, self._reader, self.output)
        self.steps += 1
        self.printed = self.output[-1] if len(self.output) > before else None
        return written


class _Reader:
    """The input bytes one at a time (``next(reader, -1)``), counting the calls."""

    def __init__(self, data: bytes):
        self.data, self.calls = data, 0

    def __iter__(self):
        return self

    def __next__(self) -> int:
        self.calls += 1
        if self.calls > len(self.data):
            raise StopIteration
        return self.data[self.calls - 1]


def _start(program, input, bits) -> tuple:
    """``(step, memory, bits, reader)`` at the start of a run, every argument checked."""
    if isinstance(input, str):
        input = input.encode()
    if not isinstance(input, (bytes, bytearray)):
        raise ProgramError(f"input must be bytes or a string, got {input!r}")
    if isinstance(program, GiannouProgram):
        if bits is not None and bits != program.bits:
            raise ProgramError(f"the giannou program has {program.bits}-bit words; run got "
                               f"bits={bits}")
        return _giannou_step, list(program.memory), program.bits, _Reader(bytes(input))
    if isinstance(program, EsolangProgram):
        memory = program.initial_memory()
        if bits is not None:
            bits = check_int("bits", bits, 2, MAX_BITS)
            _check_range(memory, bits)
        return _esolang_step, memory, bits, _Reader(bytes(input))
    raise ProgramError(f"run needs an EsolangProgram or a GiannouProgram, got {program!r}")


def _halted(step, program, memory, pc) -> bool:
    if step is _esolang_step:
        return pc < 0 or pc + 2 >= len(memory)
    return pc == len(program.instructions)


def _execute(program, max_steps, input, bits, every_step=False) -> Iterator[SubleqResult]:
    """Yield the final SubleqResult, or with `every_step` one after each step instead."""
    max_steps = check_int("max_steps", max_steps, 0, MAX_STEPS)
    step, memory, bits, reader = _start(program, input, bits)
    pc, steps, output = 0, 0, bytearray()
    halted = False
    while True:
        if step is _esolang_step:
            halted = pc < 0 or pc + 2 >= len(memory)
        else:
            halted = pc == len(program.instructions)
        if halted or steps == max_steps:
            break
        pc, steps = step(program, memory, pc, bits, reader, output), steps + 1
        if every_step:
            yield SubleqResult(halted=False, steps=steps, output=bytes(output),
                               memory=tuple(memory), pc=pc)
    if not every_step:
        yield SubleqResult(halted=halted, steps=steps, output=bytes(output),
                           memory=tuple(memory), pc=pc)


def _esolang_step(program, memory, pc, bits, reader, output) -> int:
    """Execute the instruction at pc (0 <= pc, pc + 2 < len(memory)); the next pc."""
    size = len(memory)
    a, b, c = memory[pc], memory[pc + 1], memory[pc + 2]
    if a == -1:
        _check_address(b, pc, a, b, c, size)
        byte = next(reader, -1)
        memory[b] = byte if bits is None else wrap(byte, bits)
        return pc + 3
    _check_address(a, pc, a, b, c, size)
    if b == -1:
        output.append(memory[a] % 256)
        return pc + 3
    _check_address(b, pc, a, b, c, size)
    value = memory[b] - memory[a]
    memory[b] = value if bits is None else wrap(value, bits)
    return c if memory[b] <= 0 else pc + 3


def _giannou_step(program, memory, pc, bits, reader, output) -> int:
    """Execute instruction pc (0 <= pc < K); the next pc."""
    a, b, c = program.instructions[pc]
    memory[b] = wrap(memory[b] - memory[a], bits)
    return c if memory[b] <= 0 else pc + 1


# ---- validation ------------------------------------------------------------------------


def _check_semantics(semantics) -> str:
    if semantics not in SEMANTICS:
        raise ProgramError(f"unknown SUBLEQ semantics {semantics!r}; expected esolang or giannou")
    return semantics


def _check_address(address, pc, a, b, c, size) -> None:
    if not 0 <= address < size:
        raise AddressError(f"instruction at pc {pc} ({a} {b} {c}): address {address} is "
                           f"outside the memory [0, {size})")


def _check_range(memory, bits) -> None:
    low, high = word_range(bits)
    for i, v in enumerate(memory):
        if not low <= v <= high:
            raise ProgramError(f"memory word {i} is {v}, outside the {bits}-bit range "
                               f"[{low}, {high}]")


def _validate_words(words, what: str) -> tuple[int, ...]:
    if not isinstance(words, (tuple, list)):
        raise ProgramError(f"{what} must be a tuple of integers, got {words!r}")
    for i, v in enumerate(words):
        if isinstance(v, bool) or not isinstance(v, int):
            raise ProgramError(f"{what}: item {i} is {v!r}, not an integer")
    if len(words) > MAX_MEMORY:
        raise ProgramError(f"{what} has {len(words)} words; at most {MAX_MEMORY}")
    return tuple(int(v) for v in words)


def _integers(tokens, bits) -> list[int]:
    low, high = word_range(bits) if bits is not None else (None, None)
    out = []
    for n, token in tokens:
        try:
            value = int(token, 10)
        except ValueError:
            raise ProgramError(f"line {n}: {token!r} is not an integer") from None
        if bits is not None and not low <= value <= high:
            raise ProgramError(f"line {n}: {value} is outside the {bits}-bit range "
                               f"[{low}, {high}]")
        out.append(value)
    return out
