"""SUBLEQ under both semantics: example programs, wrapping, errors, an independent oracle."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from languages.errors import AddressError, LengthError, ProgramError
from languages.strategies import subleq_programs
from languages.subleq import (
    EsolangProgram,
    GiannouProgram,
    load_program,
    parse_program,
    run,
    states,
)

PROGRAMS = Path(__file__).resolve().parents[2] / "examples" / "programs"

# cat: copy the input to the output, byte by byte, until the end of the input (-1)
CAT = """
-1 21 3     # read X
21 22 6     # W = -X
22 23 9     # V = X
24 23 -1    # V = X + 1; V <= 0 (end of input) -> halt
21 -1 15    # print X
22 22 18    # W = 0
23 23 0     # V = 0; goto 0
0 0 0 -1    # X W V MONE
"""


def esolang_oracle(memory, max_steps, data=b"", bits=None):
    """An independent interpreter: the states after each step, as in `states`."""
    memory, pc, out, data, seen = list(memory), 0, b"", list(data), []

    def fit(value):
        if bits is None:
            return value
        value %= 2**bits
        return value - 2**bits if value >= 2 ** (bits - 1) else value

    while 0 <= pc <= len(memory) - 3 and len(seen) < max_steps:
        a, b, c = memory[pc : pc + 3]
        if a == -1:
            memory[b] = fit(data.pop(0) if data else -1)
            pc += 3
        elif b == -1:
            out += bytes([memory[a] % 256])
            pc += 3
        else:
            memory[b] = fit(memory[b] - memory[a])
            pc = c if memory[b] <= 0 else pc + 3
        seen.append((pc, tuple(memory), out))
    return seen


def giannou_oracle(program, max_steps):
    memory, pc, seen = list(program.memory), 0, []
    half = 2 ** (program.bits - 1)
    while pc < len(program.instructions) and len(seen) < max_steps:
        a, b, c = program.instructions[pc]
        memory[b] = (memory[b] - memory[a] + half) % (2 * half) - half
        pc = c if memory[b] <= 0 else pc + 1
        seen.append((pc, tuple(memory), b""))
    return seen


def load(name, **options):
    semantics = "giannou" if name.endswith(".giannou") else "esolang"
    return parse_program((PROGRAMS / name).read_text(), semantics=semantics, **options)


@pytest.mark.parametrize(("name", "output", "steps"), [
    ("countdown.subleq", b"9876543210\n", 41),
    ("multiply.subleq", b"42\n", 41),
    ("hello.subleq", b"Hello, world!\n", 55),
])
def test_example_programs_print_what_their_header_says(name, output, steps):
    result = run(load(name), max_steps=10_000)
    assert (result.halted, result.output, result.steps, result.pc) == (True, output, steps, -1)
    assert result.as_dict()["output"] == output.decode()


@pytest.mark.parametrize("x", range(1, 10))
def test_multiply_program_prints_every_product_of_two_digits(x):
    program = load("multiply.subleq")
    for y in range(1, 10):
        memory = list(program.memory)
        memory[42], memory[43] = x, y
        result = run(EsolangProgram(memory=tuple(memory)), max_steps=10_000)
        assert result.output == f"{x * y:02d}\n".encode()


def test_giannou_multiply_leaves_the_product_in_word_five():
    result = run(load("multiply.giannou", bits=8), max_steps=1000)
    assert (result.halted, result.steps, result.pc) == (True, 21, 4)
    assert result.memory == (6, 0, -42, 1, 0, 42)
    assert result.as_dict() == {"halted": True, "steps": 21, "output": "",
                                "memory": [6, 0, -42, 1, 0, 42], "pc": 4}


@given(st.integers(0, 11), st.integers(1, 11))
def test_giannou_multiply_computes_products_modulo_the_word_width(x, y):
    program = load("multiply.giannou", bits=8)
    program = GiannouProgram(instructions=program.instructions, memory=(x, y, 0, 1, 0, 0),
                             bits=8)
    result = run(program, max_steps=1000)
    assert result.halted
    assert result.memory[5] == x * y - (256 if x * y >= 128 else 0)


def test_cat_copies_its_input_and_stops_at_the_end():
    program = parse_program(CAT, semantics="esolang")
    assert run(program, max_steps=1000, input=b"abc").output == b"abc"
    assert run(program, max_steps=1000, input="").output == b""


def test_subtraction_wraps_in_twos_complement():
    wrap_down = GiannouProgram(instructions=((0, 1, 1),), memory=(1, -128), bits=8)
    assert run(wrap_down, max_steps=5).memory == (1, 127)
    wrap_up = GiannouProgram(instructions=((0, 1, 1),), memory=(-1, 127), bits=8)
    assert run(wrap_up, max_steps=5).memory == (-1, -128)
    # esolang: 5 - (-127) = 132 wraps to -124 with 8 bits, stays 132 unbounded
    program = EsolangProgram(memory=(3, 4, -1, -127, 5))
    assert run(program, max_steps=5, bits=8).memory[4] == -124
    assert run(program, max_steps=5).memory[4] == 132


def test_step_limit_stops_without_halting():
    looping = GiannouProgram(instructions=((0, 0, 0),), memory=(0,), bits=8)
    result = run(looping, max_steps=7)
    assert (result.halted, result.steps, result.pc) == (False, 7, 0)
    assert len(list(states(looping, max_steps=7))) == 7
    with pytest.raises(LengthError, match="max_steps must be between 0 and 1000000000, got -3"):
        run(looping, max_steps=-3)


def test_esolang_halts_on_a_pc_outside_the_memory():
    # jump to 3 - falls off the end (3 + 2 >= 4): halted after one step
    result = run(EsolangProgram(memory=(3, 3, 3, 9)), max_steps=10)
    assert (result.halted, result.steps, result.pc, result.memory) == (True, 1, 3, (3, 3, 3, 0))


def test_address_outside_the_memory_raises_address_error():
    with pytest.raises(AddressError,
                       match=r"instruction at pc 0 \(5 1 0\): address 5 is outside the "
                             r"memory \[0, 3\)"):
        run(EsolangProgram(memory=(5, 1, 0)), max_steps=10)
    with pytest.raises(AddressError, match=r"instruction at pc 0 \(-1 -1 0\): address -1"):
        run(EsolangProgram(memory=(-1, -1, 0)), max_steps=10)


@pytest.mark.parametrize(("text", "semantics", "bits", "message"), [
    ("1 2 3\n4 x 6", "esolang", None, r"line 2: 'x' is not an integer"),
    ("1 2 3 # fine\n 4.5", "esolang", None, r"line 2: '4.5' is not an integer"),
    ("1 2 3\n\n300", "esolang", 8, r"line 3: 300 is outside the 8-bit range \[-128, 127\]"),
    ("# nothing", "esolang", None, r"the program is empty"),
    ("0 0 1", "giannou", 8, r"exactly one ';' between the instructions and the memory, "
                            r"this one has 0"),
    ("0 0 1 ; 0 ; 0", "giannou", 8, r"this one has 2"),
    ("0 0 ; 0", "giannou", 8, r"the instructions are 2 integers, not a whole number of triples"),
    ("0 5 1 ; 0 0", "giannou", 8, r"instruction 0 \(0 5 1\): b = 5 is outside \[0, 1\] "
                                  r"\(2 memory words, 1 instructions\)"),
    ("0 0 2 ; 0", "giannou", 8, r"instruction 0 \(0 0 2\): c = 2 is outside \[0, 1\]"),
    ("0 0 1 ;\n 0 200", "giannou", 8, r"line 2: 200 is outside the 8-bit range"),
    ("0 0 1 ; 0", "turing", 8, r"unknown SUBLEQ semantics 'turing'; expected esolang or giannou"),
])
def test_malformed_programs_are_refused_by_name(text, semantics, bits, message):
    with pytest.raises(ProgramError, match=message):
        parse_program(text, semantics=semantics, bits=bits)


def test_esolang_words_must_fit_the_word_width_at_run_time():
    with pytest.raises(ProgramError, match=r"memory word 1 is 200, outside the 8-bit range"):
        run(EsolangProgram(memory=(0, 200, 0)), max_steps=1, bits=8)
    giannou = GiannouProgram(instructions=((0, 0, 1),), memory=(0,), bits=8)
    with pytest.raises(ProgramError, match="the giannou program has 8-bit words; run got bits=16"):
        run(giannou, max_steps=1, bits=16)


def test_memory_size_pads_with_zeros(tmp_path):
    program = parse_program("3 4 -1", semantics="esolang", memory_size=6)
    assert run(program, max_steps=5).memory == (3, 4, -1, 0, 0, 0)
    (tmp_path / "p.subleq").write_text("3 4 -1")
    loaded = load_program(tmp_path / "p.subleq", bits=8, memory_size=6)
    assert run(loaded, max_steps=5).memory == (3, 4, -1, 0, 0, 0)
    with pytest.raises(LengthError, match="memory_size must be between 3 and"):
        load_program(tmp_path / "p.subleq", memory_size=2)  # below the program's 3 words


@settings(max_examples=60)
@given(subleq_programs(semantics="esolang", bits=8), st.binary(max_size=4))
def test_esolang_states_agree_with_an_independent_interpreter(program, data):
    expected = esolang_oracle(program.memory, 40, data, bits=8)
    assert list(states(program, max_steps=40, input=data, bits=8)) == expected
    result = run(program, max_steps=40, input=data, bits=8)
    assert result.steps == len(expected)
    if expected:
        assert (result.pc, result.memory, result.output) == expected[-1]


@settings(max_examples=60)
@given(subleq_programs(semantics="giannou", bits=6))
def test_giannou_states_agree_with_an_independent_interpreter(program):
    expected = giannou_oracle(program, 40)
    assert list(states(program, max_steps=40)) == expected
    result = run(program, max_steps=40)
    assert result.steps == len(expected) >= 1  # K >= 1: the first instruction always runs
    assert result.halted == (expected[-1][0] == len(program.instructions))
