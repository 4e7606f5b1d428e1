"""`compilers.runs.circuits`: one loop's circuit of the SUBLEQ computer, iterated on a real run.

Oracles: the reference interpreter (`languages.subleq`) for where the run ends
and what it prints; the circuit compiled in `tests.compilers.backends.circuit`.
"""

from __future__ import annotations

from circuitx import io
from compilers.constructions import subleq as construction_module
from compilers.runs.circuits import circuit_of, loop_report
from languages import subleq
from tests.compilers.backends.circuit.test_lower_loop import (
    MULTIPLY,
    _multiply,
    _printing_loops,
    _reference,
)


def test_loop_report_compiles_one_loop_and_runs_multiply_to_its_halt(tmp_path):
    construction = construction_module.build_from_options(str(MULTIPLY), bits=4)
    saved = tmp_path / "loop.json"
    io.save(circuit_of(construction).circuit, saved)
    ticks = []
    report = loop_report(construction, construction.program, max_steps=30,
                         progress=ticks.append)
    assert sum(ticks) == 21  # a tick per loop run
    program = _multiply(4)[0]
    (pc, memory), = _reference(program, 30)[-1:]
    assert report == {"loops": 21, "halted": True, "fault": False, "pc": pc,
                      "memory": list(memory), "output": "", "promise_broken": [],
                      "agrees_with_reference": True}
    assert (construction.positions, io.load(saved).depth) == (13, _multiply(4)[2].circuit.depth)
    assert io.load(saved) == _multiply(4)[2].circuit


def test_loop_report_runs_countdown_on_the_esolang_loop_circuit_with_every_loop_proved():
    path = MULTIPLY.parent / "countdown.subleq"
    construction = construction_module.build_from_options(str(path))
    run_report = loop_report(construction, construction.program, max_steps=100)
    program = subleq.parse_program(path.read_text(), semantics="esolang")
    final = subleq.run(program, max_steps=100, bits=8)
    assert run_report["output"] == final.output.decode() == "9876543210\n"
    assert (run_report["loops"], run_report["pc"]) == (final.steps, final.pc)
    assert run_report["memory"] == list(final.memory) and run_report["agrees_with_reference"]
    # the 11 printing loops (instruction "a -1 c") keep the promise like every other
    assert len(_printing_loops(program, 100)) == 11
    assert run_report["promise_broken"] == []
