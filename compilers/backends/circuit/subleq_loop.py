"""One loop of Giannou et al.'s SUBLEQ computer (giannou semantics) as a threshold circuit.

`compile_subleq_loop(construction)` compiles one application of the looped
transformer's five blocks (`compilers.constructions.subleq_giannou`) with
`lower_loop.loop_circuit`. Circuit inputs are the punchcard's program entries,
one wire per ±1 entry:

* ``pc{t}``: the program counter's code at the scratchpad (column 0);
* ``v{t}@{j}``: bit t of memory word j - 1 at memory column j (Z included);
* ``ia{t}@{j}``, ``ib{t}@{j}``, ``ic{t}@{j}``: the codes of instruction slot
  ``j - first_slot`` (slots K.. S hold the halting no-op ``Z Z k``).

Every other entry is a constant of the layout (the indicators ``one``,
``scratch``, ``memcol``, the position codes ``pos``) or 0 (the temporaries, and
the program rows off their columns), as in every punchcard of these sizes.
Outputs: ``pc{t}@0`` and ``v{t}@{j}``, the signs of the persistent entries
after the loop (a ±1 entry is its sign), and ``promise``.

Why the unique-argmax promise (`lower_loop`) holds on every valid punchcard
(pc the code of an instruction slot; a, b memory words and c a slot or K in
every instruction: `GiannouLayout.punchcard` writes nothing else), with
``<p_i, p_j> = L - 2 hamming(i, j)`` for the L-bit ±1 codes:

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

So every input-dependent argmax set is one column and the circuit's
``promise`` bit is 1 on every valid punchcard (the tests check it at every
step of the runs they compare). The gaps are whole numbers (at least 1), so
saturation holds at the construction's scale ``lambda >= (N + 6) ln 2``.
"""

from __future__ import annotations

from compilers.backends.circuit.fixed import UnsupportedError
from compilers.backends.circuit.lower_loop import PROMISE, Entry, LoopModel, loop_circuit
from compilers.constructions.subleq_common import Decoded, bits_of, code, word_value


def card_entries(layout) -> list[dict]:
    """The punchcard of `layout` with its program entries as wires (module docstring)."""
    names = layout.names()
    L = layout.position
    card = []
    for j in range(layout.columns):
        row = {"one": 1}
        if j == 0:
            row["scratch"] = 1
            row |= {d: Entry(d) for d in names["pc"]}
        else:
            row |= dict(zip(bits_of("pos", L), code(j, L), strict=True))
        if j in layout.memory_columns():
            row["memcol"] = 1
            row |= {d: Entry(f"{d}@{j}") for d in names["v"]}
        if j >= layout.first_slot:
            row |= {d: Entry(f"{d}@{j}") for part in ("ia", "ib", "ic") for d in names[part]}
        card.append(row)
    return card


def compile_subleq_loop(construction, *, precision="auto") -> LoopModel:
    """The circuit of one loop of a giannou `SubleqConstruction` (module docstring)."""
    if construction.semantics != "giannou":
        raise UnsupportedError(f"the circuit of one SUBLEQ loop is built for the giannou "
                               f"semantics; got {construction.semantics!r} (esolang is not "
                               "lowered yet)")
    layout = construction.layout
    names = layout.names()
    outputs = [(0, d) for d in names["pc"]]
    outputs += [(j, d) for j in layout.memory_columns() for d in names["v"]]
    return loop_circuit(construction.transformer, card_entries(layout), outputs=outputs,
                        precision=precision)


def card_rows(layout, card) -> list[dict]:
    """A punchcard array (columns, input dims) as ``[{dim: value}]`` rows."""
    dims = layout.inputs()
    return [dict(zip(dims, (int(v) for v in row), strict=True)) for row in card]


def decode(layout, bits: dict, program) -> Decoded:
    """The program counter and memory from a loop circuit's output bits."""
    names = layout.names()
    column = sum(int(bits[f"{d}@0"]) << t for t, d in enumerate(names["pc"]))
    memory = tuple(word_value([bits[f"{d}@{1 + i}"] for d in names["v"]])
                   for i in range(len(program.memory)))
    pc = column - layout.first_slot
    return Decoded(pc=pc, memory=memory, halted=pc == len(program.instructions))


def step(model: LoopModel, layout, card_rows_: list[dict], program) -> tuple[Decoded, list,
                                                                            bool]:
    """One loop on a punchcard: the decoded state, the next punchcard's rows, the promise bit."""
    bits = model.outputs(card_rows_)
    names = layout.names()
    rows = [dict(r) for r in card_rows_]
    for d in names["pc"]:
        rows[0][d] = 1 if bits[f"{d}@0"] else -1
    for j in layout.memory_columns():
        for d in names["v"]:
            rows[j][d] = 1 if bits[f"{d}@{j}"] else -1
    return decode(layout, bits, program), rows, bits[PROMISE]


def run(model: LoopModel, construction, program, *, max_steps: int):
    """The states after each loop, iterating the circuit on its own outputs."""
    layout = construction.layout
    rows = card_rows(layout, layout.punchcard(program))
    for _ in range(max_steps):
        state, rows, promise = step(model, layout, rows, program)
        if not promise:
            raise UnsupportedError("the loop circuit's promise bit is 0 on a punchcard of a "
                                   "valid program (an input-dependent argmax was not unique)")
        yield state
        if state.halted:
            return


def measure_sizes(sizes, *, bits: int, precision="auto") -> list:
    """One `scaling.Point` per size m (m memory words and m slots); its ``n`` is the columns."""
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
        seconds = time.perf_counter() - start
        stats = model.circuit.stats()
        points.append(Point(n=construction.layout.columns, depth=stats.depth, size=stats.size,
                            wires=stats.wires, max_fan_in=stats.max_fan_in,
                            max_weight_bits=stats.max_weight_bits,
                            precision=str(model.precision), seconds=round(seconds, 4)))
    return points


__all__ = ["card_entries", "card_rows", "compile_subleq_loop", "decode", "measure_sizes", "run",
           "step"]
