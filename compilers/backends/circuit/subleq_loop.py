"""One loop of Giannou et al.'s SUBLEQ computer as a threshold circuit (both semantics).

`compile_subleq_loop(construction)` compiles one application of the looped
transformer's blocks (`compilers.constructions.subleq_giannou`,
`subleq_esolang`) with `lower_loop.loop_circuit`. Circuit inputs are the
punchcard's program-dependent entries, one wire each, named ``{dim}@{column}``:
the persistent state (`layout.persistent()`: memory words ``v``; giannou: the
pc code ``pc``; esolang: ``pcw, q0_, q1_, q2_, inptr`` (±1) and ``halt,
fault, outv`` (0/1)) and the program itself (giannou: the instruction codes
``ia, ib, ic`` of every slot; esolang: the input bytes ``inb``). Every other
entry is a constant of the layout (the indicators ``one``, ``scratch``,
``memcol``, the position codes) or 0 (the temporaries), as in every punchcard
of these sizes. Outputs: ``{dim}@{column}``, the sign of every persistent
entry after the loop (esolang also the printed byte ``out``), and ``promise``
(with ``promise:{head}@{column}`` for each head and query it covers).

**giannou: the promise holds on every valid punchcard** (pc the code of an
instruction slot; a, b memory words and c a slot or K in every instruction:
`GiannouLayout.punchcard` writes nothing else), with ``<p_i, p_j> = L - 2
hamming(i, j)`` for the L-bit ±1 codes:

* ``fetch`` at the scratchpad: scores ``<pc, p_j>`` are L at the slot pc
  codes and at most L - 2 at every other column (0 at the scratchpad, whose
  code is 0): one maximum; A, B, C become that slot's codes. At every other
  column the scores are constant (the sink: 2 at the scratchpad, 0 elsewhere).
* ``operand_a``/``operand_b`` at the scratchpad: ``<A, p_j>`` is L only at the
  memory column A codes; elsewhere A = 0 and the scores are constant.
* ``write`` at column j: the scratchpad scores ``<p_j, B>`` (L iff j is the
  column B codes, else at most L - 2), column j itself ``L - 1``, every other
  column at most ``L - 3``: one maximum (the scratchpad at column B, j itself
  elsewhere); at the scratchpad every score is constant.

So the circuit's outputs are proved equal to the saturated transformer's on
every valid giannou punchcard (the tests also check the bit on every loop).
The gaps are whole numbers (at least 1), so saturation holds at the
construction's scale ``lambda >= (N + 6) ln 2``.

**esolang: the promise holds on every loop of a run that stays in range**
(before it halts: pc, pc + 1, pc + 2 memory words, a and b in [-1, M), as
`languages.strategies.subleq_programs` and the example programs keep them),
input and output loops included; `subleq_esolang` derives it:

* ``word_a``/``word_b``/``word_c`` (the fetch) and ``input_byte`` at the
  scratchpad: the queries are the codes of pc, pc + 1, pc + 2 and of the
  input pointer: L (or J) at that column, at most L - 2 elsewhere; at every
  other column the scores are constant.
* ``operand_a``/``operand_b`` at the scratchpad: the scratchpad is a sentinel
  key scoring ``S = sum_t W_t + L + 1 - N`` over the word's N ±1 bits: L + 1
  for address -1 (every memory column at most L), at most L - 1 for an
  address in [0, M) (whose column scores L, every other at most L - 2).
* ``write``: at memory column j as giannou's (the scratchpad by
  ``<p_j, WB> + 2 WE - 2``, j itself L - 1, every other at most L - 3); at
  the scratchpad and the input columns (code 0) a sink row lifts the
  scratchpad to ``2 WE``, every other column scoring -1.

Again every gap is a whole number, at least 1.

A loop after the halt (M < 3 halts before its first instruction: `run` still
runs one loop) fetches past the memory's end, and a faulting loop (an address
outside [-1, M)) may look up a code that names no column: there the argmax
may tie, the ``promise`` bit may be 0, and the punchcard freezes either way.
(Before the sentinel keys, every printing or reading loop broke the promise:
address -1 and "nothing to write" tied.)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from compilers.backends.circuit.fixed import UnsupportedError
from compilers.backends.circuit.lower_loop import PROMISE, Entry, LoopModel, loop_circuit
from compilers.constructions.subleq_common import Decoded, word_value


def wired(layout) -> dict[tuple[int, str], str]:
    """``(column, dim) -> 'pm' | '01'`` for every entry that is an input wire (docstring)."""
    entries = {(j, d): kind for columns, dims, kind in layout.persistent()
               for j in columns for d in dims}
    names = layout.names()
    if layout.semantics == "giannou":
        for j in range(layout.first_slot, layout.columns):
            entries |= {(j, d): "pm" for part in ("ia", "ib", "ic") for d in names[part]}
    else:
        for r in range(layout.input_size + 1):
            entries |= {(layout.scratch_column + 1 + r, d): "pm" for d in names["inb"]}
    return entries


def card_entries(layout) -> list[dict]:
    """The punchcard of `layout` with its program entries as `Entry` wires (docstring)."""
    card = [dict(row) for row in card_rows(layout, _template(layout))]
    for (j, d), kind in wired(layout).items():
        card[j][d] = Entry(f"{d}@{j}", -1 if kind == "pm" else 0, 1)
    return card


def _template(layout):
    """A punchcard of these sizes (its program entries are replaced by wires)."""
    from languages import subleq

    if layout.semantics == "giannou":
        return layout.punchcard(subleq.GiannouProgram(
            instructions=((0, 0, 0),), memory=(0,) * layout.memory, bits=layout.bits))
    return layout.punchcard(subleq.EsolangProgram(memory=(0,) * layout.memory))


def compile_subleq_loop(construction, *, precision="auto") -> LoopModel:
    """The circuit of one loop of a `SubleqConstruction` (module docstring)."""
    layout = construction.layout
    outputs = [(j, d) for j, d, _ in _persistent(layout)]
    if layout.semantics == "esolang":
        outputs += [(layout.scratch_column, d) for d in layout.names()["out"]]
    return loop_circuit(construction.transformer, card_entries(layout), outputs=outputs,
                        precision=precision, promise_detail=True)


def _persistent(layout) -> list[tuple[int, str, str]]:
    return [(j, d, kind) for columns, dims, kind in layout.persistent()
            for j in columns for d in dims]


def card_rows(layout, card) -> list[dict]:
    """A punchcard array (columns, input dims) as ``[{dim: value}]`` rows."""
    dims = layout.inputs()
    return [dict(zip(dims, (int(v) for v in row), strict=True)) for row in card]


def decode(layout, bits: dict, program) -> Decoded:
    """The machine state from a loop circuit's output bits (as `layout.decode` reads a stream)."""
    names = layout.names()
    if layout.semantics == "giannou":
        column = sum(int(bits[f"{d}@0"]) << t for t, d in enumerate(names["pc"]))
        memory = tuple(word_value([bits[f"{d}@{1 + i}"] for d in names["v"]])
                       for i in range(len(program.memory)))
        pc = column - layout.first_slot
        return Decoded(pc=pc, memory=memory, halted=pc == len(program.instructions))
    s = layout.scratch_column
    byte = (sum(1 << t for t, d in enumerate(names["out"]) if bits[f"{d}@{s}"])
            if bits[f"outv@{s}"] else None)
    return Decoded(pc=word_value([bits[f"{d}@{s}"] for d in names["pcw"]]),
                   memory=tuple(word_value([bits[f"{d}@{i}"] for d in names["v"]])
                                for i in range(layout.memory)),
                   halted=bits[f"halt@{s}"], byte=byte, fault=bits[f"fault@{s}"])


@dataclass(frozen=True)
class Loop:
    """One loop run on the circuit: the decoded state, the promise bit, the heads that broke it."""

    state: Decoded
    promise: bool
    broken: tuple[str, ...] = ()


def step(model: LoopModel, layout, rows: list[dict], program) -> tuple[Loop, list[dict]]:
    """One loop on a punchcard (rows): what it decodes to, and the next punchcard's rows."""
    bits = model.outputs(rows)
    rows = [dict(r) for r in rows]
    for j, d, kind in _persistent(layout):
        rows[j][d] = (1 if bits[f"{d}@{j}"] else -1) if kind == "pm" else int(bits[f"{d}@{j}"])
    broken = tuple(name.split(":", 1)[1] for name, value in bits.items()
                   if name.startswith(f"{PROMISE}:") and not value)
    return Loop(decode(layout, bits, program), bits[PROMISE], broken), rows


def run(model: LoopModel, construction, program, *, max_steps: int,
        input: bytes = b"") -> Iterator[Loop]:
    """Every loop of `program` on the circuit (fed its own outputs) until it halts or faults."""
    layout = construction.layout
    if layout.semantics == "giannou":
        if input:
            raise UnsupportedError("giannou programs read no input")
        rows = card_rows(layout, layout.punchcard(program))
    else:
        rows = card_rows(layout, layout.punchcard(program, input))
    for _ in range(max_steps):
        loop, rows = step(model, layout, rows, program)
        yield loop
        if loop.state.halted or loop.state.fault:
            return


def measure_sizes(sizes, *, bits: int, precision="auto") -> list:
    """One `scaling.Point` per size m (giannou: m memory words, m slots); ``n``: the columns."""
    import time

    from compilers.backends.circuit.fixed import PrecisionError
    from compilers.backends.circuit.scaling import Point
    from compilers.constructions import subleq as constructions

    points = []
    for m in sizes:
        if isinstance(m, bool) or not isinstance(m, int) or m < 1:
            raise PrecisionError(f"size {m!r}: punchcards hold at least 1 memory word and slot")
        start = time.perf_counter()
        construction = constructions.build(semantics="giannou", bits=bits, memory=m, slots=m)
        model = compile_subleq_loop(construction, precision=precision)
        points.append(Point.of(construction.layout.columns, model,
                               time.perf_counter() - start))
    return points


__all__ = ["Loop", "card_entries", "card_rows", "compile_subleq_loop", "decode", "measure_sizes",
           "run", "step", "wired"]
