"""Turing machines: published busy-beaver values, formats, an independent simulator."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from languages.errors import LengthError, MachineError
from languages.strategies import turing_machines
from languages.turing import (
    HALT,
    Transition,
    TuringMachine,
    parse_machine,
    run,
    trace,
)

BB2 = "1RB1LB_1LA1RZ"
BB4 = "1RB1LB_1LA0LC_1RZ1LD_1RD0RA"

# Published values: (code, steps S, non-blank cells at the end). BB(2), BB(3) (the
# 21-step champion), BB(4) (Brady 1983), BB(2,3) (2 states, 3 symbols: 38 steps, 9).
BUSY_BEAVERS = [(BB2, 6, 4), ("1RB1RZ_1LB0RC_1LC1LA", 21, 5), (BB4, 107, 13),
                ("1RB2LB1RZ_2LA2RB1LB", 38, 9)]


def list_tape_simulator(machine: TuringMachine, word: str, max_steps: int):
    """An independent oracle: a growing list tape, re-centred as the head leaves it."""
    tape = list(word) or [machine.blank]
    offset = 0  # cell index of tape[0]
    head, state, steps = 0, machine.start, 0
    while state != HALT:
        if head - offset < 0:
            tape.insert(0, machine.blank)
            offset -= 1
        if head - offset >= len(tape):
            tape.append(machine.blank)
        transition = machine.delta[state, tape[head - offset]]
        if transition is None:
            return True, steps, state, head, "".join(tape), offset
        if steps == max_steps:
            return False, steps, state, head, "".join(tape), offset
        tape[head - offset] = transition.write
        head += 1 if transition.move == "R" else -1
        state, steps = transition.next, steps + 1
    if head - offset < 0:
        tape.insert(0, machine.blank)
        offset -= 1
    if head - offset >= len(tape):
        tape.append(machine.blank)
    return True, steps, state, head, "".join(tape), offset


@pytest.mark.parametrize(("code", "steps", "ones"), BUSY_BEAVERS)
def test_busy_beavers_halt_with_their_published_steps_and_ones(code, steps, ones):
    result = run(TuringMachine.from_bbchallenge(code), max_steps=10_000)
    assert (result.halted, result.steps, result.ones, result.state) == (True, steps, ones, HALT)
    assert not result.undefined


def test_bb2_final_tape_is_four_ones_from_cell_minus_two():
    result = run(parse_machine(BB2), max_steps=100)
    assert (result.tape, result.tape_start, result.head) == ("1111", -2, 0)
    assert result.as_dict() == {"halted": True, "steps": 6, "ones": 4, "state": "Z",
                                "tape": "1111", "head": 0, "tape_start": -2,
                                "undefined": False}


@pytest.mark.slow
def test_bb5_halts_after_47176870_steps_with_4098_ones():
    result = run(parse_machine("1RB1LC_1RC1RB_1RD0LE_1LA1LD_1RZ0LA"), max_steps=10**8)
    assert (result.halted, result.steps, result.ones) == (True, 47_176_870, 4098)


def test_step_limit_stops_one_step_short_of_halting():
    short = run(parse_machine(BB4), max_steps=106)
    assert (short.halted, short.steps) == (False, 106)
    assert short.state != HALT
    exact = run(parse_machine(BB4), max_steps=107)
    assert (exact.halted, exact.steps) == (True, 107)


def test_zero_step_limit_runs_nothing():
    result = run(parse_machine(BB2), "1", max_steps=0)
    assert (result.halted, result.steps, result.state, result.tape) == (False, 0, "A", "1")


def test_undefined_transition_halts_without_taking_a_step():
    machine = parse_machine("1RB---_1LA1RZ")
    result = run(machine, "1", max_steps=10)
    assert (result.halted, result.undefined, result.steps, result.state) == (True, True, 0, "A")
    assert trace(machine, "1", max_steps=10) == []
    # on a blank tape: A writes 1 and moves right; B reads 0, goes back to A, which reads 1
    result = run(machine, max_steps=10)
    assert (result.halted, result.undefined, result.steps, result.state) == (True, True, 2, "A")
    assert (result.tape, result.ones) == ("11", 2)


def test_input_word_is_written_from_cell_zero():
    # A: move right over 1s; on the first blank write 1 and halt
    machine = TuringMachine.from_bbchallenge("1RZ1RA")
    result = run(machine, "111", max_steps=100)
    assert (result.steps, result.ones, result.tape, result.head) == (4, 4, "11110", 4)


@settings(max_examples=60)
@given(turing_machines(max_states=4, max_symbols=3, allow_undefined=True), st.data())
def test_run_agrees_with_a_list_tape_simulator(machine, data):
    word = data.draw(st.text(alphabet=st.sampled_from(machine.symbols), max_size=5))
    max_steps = data.draw(st.integers(0, 60))
    result = run(machine, word, max_steps=max_steps)
    halted, steps, state, head, tape, offset = list_tape_simulator(machine, word, max_steps)
    assert (result.halted, result.steps, result.state, result.head) == (halted, steps, state,
                                                                        head)
    # the oracle's list covers exactly the cells visited or written
    assert (result.tape, result.tape_start) == (tape, offset)
    assert result.ones == sum(s != machine.blank for s in tape)


@settings(max_examples=60)
@given(turing_machines(max_states=4, max_symbols=3, allow_undefined=True))
def test_trace_replays_to_the_result_of_run(machine):
    result = run(machine, max_steps=50)
    steps = trace(machine, max_steps=50)
    assert len(steps) == result.steps
    tape, state, head = {}, machine.start, 0
    for number, step in enumerate(steps, 1):
        assert (step.step, step.state, step.head) == (number, state, head)
        assert step.read == tape.get(head, machine.blank)
        assert machine.delta[state, step.read] == Transition(step.write, step.move,
                                                             step.next_state)
        assert step.head_after == head + (1 if step.move == "R" else -1)
        tape[head], state, head = step.write, step.next_state, step.head_after
    assert (state, head) == (result.state, result.head)
    assert sum(s != machine.blank for s in tape.values()) == result.ones


@given(turing_machines(max_states=5, max_symbols=4, allow_undefined=True))
def test_bbchallenge_code_round_trips(machine):
    code = machine.to_bbchallenge()
    assert TuringMachine.from_bbchallenge(code) == machine
    assert parse_machine(code).to_bbchallenge() == code


@given(turing_machines(max_states=5, max_symbols=4, allow_undefined=True))
def test_table_round_trips(machine):
    assert TuringMachine.from_table(machine.to_table()) == machine


def test_table_with_letters_and_comments():
    table = """# a machine over a blank '_' and 'x'
         _    x     # the blank comes first
    A  xRB  ---
    B  _LA  xRZ
    """
    machine = TuringMachine.from_table(table)
    assert machine.symbols == ("_", "x") and machine.states == ("A", "B")
    assert machine.delta["A", "x"] is None
    assert machine.delta["B", "x"] == Transition("x", "R", "Z")
    with pytest.raises(MachineError, match="only machines with states A, B and symbols 0, 1"):
        machine.to_bbchallenge()


def test_parse_machine_reads_a_code_or_a_table_from_a_file(tmp_path):
    code_file = tmp_path / "bb2.tm"
    code_file.write_text(f"# BB(2)\n{BB2}\n")
    table_file = tmp_path / "bb2.table"
    table_file.write_text(parse_machine(BB2).to_table())
    assert parse_machine(str(code_file)) == parse_machine(table_file) == parse_machine(BB2)


@pytest.mark.parametrize(("text", "message"), [
    ("1RB1LX", r"machine code '1RB1LX', state A, symbol 0: transition '1RB': state 'B' "
               r"unknown; states are A \(and Z halts\)"),
    ("1RB1LX_1LA1RZ", r"state A, symbol 1: transition '1LX': state 'X' unknown; states are "
                      r"A, B"),
    ("1RB1LB_1LA", r"row B '1LA' has 3 characters, the first row has 6"),
    ("2RB1LB_1LA1RZ", r"transition '2RB' writes '2', which is not a symbol; symbols are 0, 1"),
    ("1UB1LB_1LA1RZ", r"transition '1UB' moves 'U'; moves are L and R"),
    ("1RB1L", r"the first row '1RB1L' is not a sequence of three-character transitions"),
    ("missing.tm", r"'missing.tm' is neither a bbchallenge machine code .* nor an existing file"),
    ("  0 1\nA 1RB\n", r"machine table line 2: state A has 1 cells; expected one per symbol"),
    ("  0 1\nA 1RZ 1RZ\nA 1RZ 1RZ", r"machine table line 3: state 'A' has a second row"),
    ("  0 1\nZ 1RZ 1RZ", r"machine table line 2: 'Z' is not a state name"),
    ("", r"no machine: expected a bbchallenge code or a table"),
])
def test_malformed_machines_are_refused_by_name(text, message):
    with pytest.raises(MachineError, match=message):
        parse_machine(text)


def test_incomplete_table_names_the_missing_pair():
    with pytest.raises(MachineError, match="no entry for state 'B' and symbol '1'"):
        TuringMachine(states=("A", "B"), symbols=("0", "1"),
                      delta={("A", "0"): None, ("A", "1"): None, ("B", "0"): None})
    with pytest.raises(MachineError, match="state 'Z' is not a state name"):
        TuringMachine(states=("Z",), symbols=("0",), delta={("Z", "0"): None})


def test_bad_words_and_step_limits_are_refused():
    machine = parse_machine(BB2)
    with pytest.raises(MachineError, match="input word '102' has the symbol '2' at position 2"):
        run(machine, "102", max_steps=10)
    with pytest.raises(LengthError, match="max_steps must be between 0 and 1000000000, got -1"):
        run(machine, max_steps=-1)
    with pytest.raises(LengthError, match="max_steps must be between 0 and 1000000000"):
        trace(machine, max_steps=10**12)
