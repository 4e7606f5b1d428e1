"""The read-out of the SUBLEQ computer shows the state at the scratchpad column.

Oracle: the reference interpreter's pc after one instruction, against the
read-out of one loop of the exact backend. The esolang scratchpad is column M,
with the input columns after it, so the read-out must not be the last column.
"""

from __future__ import annotations

from pathlib import Path

from compilers.backends.exact import ExactModel
from compilers.constructions import subleq
from compilers.constructions.subleq_common import code
from languages import subleq as reference

PROGRAMS = Path(__file__).resolve().parents[3] / "examples" / "programs"


def test_esolang_read_out_at_the_scratchpad_is_the_pc_after_one_instruction():
    program = reference.parse_program((PROGRAMS / "countdown.subleq").read_text(),
                                      semantics="esolang")
    construction = subleq.build(program, input_size=2)
    layout = construction.layout
    model = ExactModel(construction.transformer, precision_bits=128)
    card = [[int(v) for v in row] for row in layout.punchcard(program)]
    outputs = model.forward(card, n=layout.columns).outputs
    after = reference.run(program, max_steps=1, bits=layout.bits)
    pc_bits = [int(outputs[f"out_{d}"][layout.scratch_column]) for d in layout.names()["pcw"]]
    assert pc_bits == code(after.pc, layout.bits)
