"""The looped SUBLEQ transformer against the reference interpreter, loop by loop.

The oracle is `languages.subleq` (`states`, `run`), which shares no code with
the construction: after every loop the state decoded from the punchcard must be
the interpreter's state after that instruction, in the exact backend and in
float64 torch; known programs print what they print under the interpreter.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compilers.constructions import subleq
from compilers.constructions.subleq_common import (
    SubleqInputError,
    SubleqPrecisionError,
    SubleqSizeError,
)
from compilers.runs import Result, loop
from languages import subleq as reference
from languages.errors import AddressError
from languages.strategies import subleq_programs

PROGRAMS = Path(__file__).parents[3] / "examples" / "programs"
MULTIPLY_2_BY_60 = "0 2 1  3 1 3  4 4 0  2 5 4 ; 2 60 0 1 0 0"
# never halt: W -= 1 forever (jumping back while W <= 0; once it wraps to 127 > 0, the
# next instruction clears Z and jumps back), so W wraps round its 8-bit range again and again
GIANNOU_COUNTER = "0 1 0  2 2 0 ; 1 0 0"
ESOLANG_COUNTER = "9 10 0  11 11 0  0 0 0  1 0 0"


def _program(name: str, semantics: str, **kw):
    return reference.parse_program((PROGRAMS / name).read_text(), semantics=semantics, **kw)


def _reference_states(construction, program, max_steps, input=b""):
    bits = construction.layout.bits if construction.semantics == "esolang" else None
    return [(pc, memory, output) for pc, memory, output in
            reference.states(program, max_steps=max_steps, bits=bits, input=input)]


def _decoded(states):
    output, out = bytearray(), []
    for state in states:
        if state.byte is not None:
            output.append(state.byte)
        out.append((state.pc, state.memory, bytes(output)))
    return out


def run(construction, program, *, input=b"", **options) -> Result:
    """One run of `program` on the transformer (the run layer's `loop`); a fault raises the
    interpreter's `AddressError`, as the command line does."""
    (result,) = loop(construction, [(program, input)], **options)
    if result.error is not None:
        raise result.error
    return result


def run_batch(construction, programs, **options) -> list:
    """Where each program's torch run stopped (`SubleqResult`s), one batch."""
    return [r.answer for r in loop(construction, programs, backend="torch", **options)]


def exact_states(construction, program, *, max_steps, input=b""):
    """The exact backend's decoded state after every loop, until the halt."""
    (result,) = loop(construction, [(program, input)], trace=True, max_steps=max_steps)
    return result.values["states"]


def torch_states(construction, program, *, max_steps, dtype="float64", input=b""):
    """The torch backend's decoded state after each of `max_steps` loops, halted ones too
    (drift checked after every loop)."""
    (result,) = loop(construction, [(program, input)], backend="torch", dtype=dtype,
                     trace=True, stop_at_halt=False, check_every=1, max_steps=max_steps)
    return result.values["states"]


def _torch_decoded(construction, program, max_steps, dtype="float64", input=b""):
    """The torch backend's states after every loop, up to the first halted one (drift
    checked after every loop), as the interpreter states them."""
    (result,) = loop(construction, [(program, input)], backend="torch", dtype=dtype,
                     trace=True, check_every=1, max_steps=max_steps)
    return _decoded(result.values["states"])


# -- giannou -----------------------------------------------------------------------------


@settings(max_examples=8)
@given(subleq_programs(semantics="giannou", max_instructions=5, max_memory=4, bits=6),
       st.integers(0, 2), st.integers(0, 2))
def test_giannou_float64_state_equals_interpreter_after_every_loop(program, extra_m, extra_k):
    construction = subleq.build(program, memory=len(program.memory) + extra_m,
                                slots=len(program.instructions) + extra_k)
    expected = _reference_states(construction, program, 25)
    assert _torch_decoded(construction, program, 25)[:len(expected)] == expected


@settings(max_examples=3)
@given(subleq_programs(semantics="giannou", max_instructions=3, max_memory=3, bits=4))
def test_giannou_exact_state_equals_interpreter_after_every_loop(program):
    construction = subleq.build(program)
    expected = _reference_states(construction, program, 40)
    assert _decoded(exact_states(construction, program, max_steps=40)) == expected


def test_multiply_giannou_computes_42_through_the_transformer():
    program = _program("multiply.giannou", "giannou", bits=8)
    construction = subleq.build(program)
    result = run(construction, program, backend="torch", max_steps=100)
    assert result.as_dict() == {"halted": True, "steps": 21, "output": "",
                                "memory": [6, 0, -42, 1, 0, 42], "pc": 4, "backend": "torch",
                                "agrees_with_reference": True}


def test_multiply_giannou_first_loops_are_exact_in_rationals():
    program = _program("multiply.giannou", "giannou", bits=8)
    construction = subleq.build(program)
    expected = _reference_states(construction, program, 4)
    assert _decoded(exact_states(construction, program, max_steps=4)) == expected


def test_giannou_exact_state_equals_interpreter_after_each_of_180_loops():
    # 2 * 60 by repeated addition (multiply.giannou's loop): 180 instructions to the halt
    program = reference.parse_program(MULTIPLY_2_BY_60, semantics="giannou", bits=8)
    construction = subleq.build(program)
    expected = _reference_states(construction, program, 1000)
    assert len(expected) == 180 and expected[-1][1] == (2, 0, -120, 1, 0, 120)
    assert _decoded(exact_states(construction, program, max_steps=1000)) == expected


def test_giannou_overflow_wraps_to_two_complement_in_the_transformer():
    # 4-bit words: -8 - 1 wraps to 7 and 7 - (-1) wraps to -8
    for memory, wrapped in (((1, -8), (1, 7)), ((-1, 7), (-1, -8))):
        program = reference.GiannouProgram(instructions=((0, 1, 1),), memory=memory, bits=4)
        construction = subleq.build(program)
        for backend in ("exact", "torch"):
            result = run(construction, program, backend=backend, max_steps=10)
            assert result.answer.memory == wrapped
            assert result.agrees_with_reference


def test_batched_giannou_programs_agree_with_the_interpreter_one_by_one():
    programs = [reference.GiannouProgram(instructions=((0, 1, 1), (2, 1, 0)),
                                         memory=(x, 5 * x, 1), bits=8) for x in range(1, 9)]
    construction = subleq.build(programs[0])
    for program, result in zip(programs, run_batch(construction, programs, max_steps=50),
                               strict=True):
        expected = reference.run(program, max_steps=50)
        assert (result.halted, result.steps, result.memory, result.pc) == (
            expected.halted, expected.steps, expected.memory, expected.pc)


def test_a_program_larger_than_the_punchcard_is_refused():
    program = _program("multiply.giannou", "giannou", bits=8)
    with pytest.raises(SubleqSizeError, match="4 instructions and 6 memory words"):
        subleq.build(program, slots=2)


# -- esolang -----------------------------------------------------------------------------


@settings(max_examples=8)
@given(subleq_programs(semantics="esolang", max_instructions=4, max_memory=3, bits=8),
       st.binary(max_size=3))
def test_esolang_float64_state_equals_interpreter_after_every_loop(program, data):
    construction = subleq.build(program, bits=8, input_size=3)
    expected = _reference_states(construction, program, 25, input=data)
    assert _torch_decoded(construction, program, 25, input=data)[:len(expected)] == expected


def test_esolang_halted_punchcard_stays_a_fixed_point():
    # Halts by running off the end of memory (pc 18 of 18); the next loops fetch
    # past the end, and used to set the fault flag to 1/2 (drift 0.5).
    program = reference.EsolangProgram(memory=(3, 3, 6, 0, 0, -120, -1, 3, 6, -1, 3, 6, 5, 3,
                                               6, -1, 5, -1))
    construction = subleq.build(program, bits=8, input_size=3)
    states = list(torch_states(construction, program, max_steps=12))
    assert [s.pc for s in states[:5]] == [6, 9, 12, 15, 18]
    assert all(s.halted and not s.fault and s.memory == states[4].memory for s in states[4:])


@settings(max_examples=2)
@given(subleq_programs(semantics="esolang", max_instructions=2, max_memory=2, bits=8))
def test_esolang_exact_state_equals_interpreter_after_every_loop(program):
    construction = subleq.build(program, bits=8)
    expected = _reference_states(construction, program, 3)
    assert _decoded(exact_states(construction, program, max_steps=3)) == expected


@pytest.mark.parametrize(("name", "printed"), [("hello.subleq", "Hello, world!\n"),
                                               ("countdown.subleq", "9876543210\n"),
                                               ("multiply.subleq", "42\n")])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_toolkit_programs_print_their_output_through_the_transformer(name, printed, dtype):
    program = _program(name, "esolang")
    construction = subleq.build(program, dtype=dtype)
    result = run(construction, program, backend="torch", dtype=dtype, max_steps=2000)
    assert result.answer.output.decode() == printed
    assert result.answer.halted and result.agrees_with_reference


@pytest.mark.slow
def test_self_modifying_hello_runs_exactly_in_rationals_for_its_first_loops():
    program = _program("hello.subleq", "esolang")
    construction = subleq.build(program)
    expected = _reference_states(construction, program, 3)
    assert _decoded(exact_states(construction, program, max_steps=3)) == expected


def test_esolang_out_of_range_address_raises_the_interpreters_address_error():
    program = reference.EsolangProgram(memory=(3, 10, 0, 5))  # b = 10 outside [0, 4)
    construction = subleq.build(program)
    with pytest.raises(AddressError) as expected:
        reference.run(program, max_steps=5, bits=construction.layout.bits)
    for backend in ("exact", "torch"):
        with pytest.raises(AddressError, match=r"pc 0 \(3 10 0\): address 10 is outside the "
                                               r"memory \[0, 4\)") as got:
            run(construction, program, backend=backend, max_steps=5)
        assert str(got.value) == str(expected.value)


def test_esolang_out_of_range_a_is_named_before_b():
    program = reference.EsolangProgram(memory=(-5, 9, 0, 0))
    construction = subleq.build(program)
    with pytest.raises(AddressError, match="address -5 is outside"):
        run(construction, program, backend="torch", max_steps=5)


def test_esolang_input_at_end_of_input_stores_minus_one():
    program = reference.EsolangProgram(memory=(-1, 5, 3, 5, -1, 6, 0))  # read; print
    construction = subleq.build(program)
    result = run(construction, program, backend="torch", max_steps=10)
    assert result.answer.memory[5] == -1 and result.answer.output == b"\xff"
    assert result.agrees_with_reference


def test_esolang_reads_input_bytes_from_the_punchcard_like_the_interpreter():
    # three times: read a byte into X, print it (-1 once the input is used up)
    program = reference.EsolangProgram(memory=(-1, 15, 3, 15, -1, 6, 16, 17, 12, 18, 18, 0,
                                               18, 18, -1, 0, 1, 3, 0))
    construction = subleq.build(program, input_size=4)
    for data in (b"hey", b"ab", b""):
        result = run(construction, program, backend="torch", max_steps=50, input=data)
        expected = reference.run(program, max_steps=50, input=data,
                                 bits=construction.layout.bits)
        assert result.answer.output == expected.output == (data + b"\xff" * 3)[:3]
        assert result.agrees_with_reference
    expected = _reference_states(construction, program, 3, input=b"ab")
    assert _decoded(exact_states(construction, program, max_steps=3, input=b"ab")) == expected


def test_more_input_than_input_columns_is_refused():
    program = _program("hello.subleq", "esolang")
    with pytest.raises(SubleqInputError, match="the input has 1 bytes; this punchcard holds 0"):
        run(subleq.build(program), program, backend="torch", max_steps=10, input=b"x")


def test_esolang_overflow_wraps_like_the_interpreter():
    # 8-bit words: -128 - 1 wraps to 127 (no jump), then printed as byte 127
    program = reference.EsolangProgram(memory=(10, 9, 3, 9, -1, 6, 11, 11, -1, -128, 1, 0))
    construction = subleq.build(program, bits=8)
    result = run(construction, program, backend="torch", max_steps=10)
    assert result.answer.memory[9] == 127 and result.answer.output == b"\x7f"
    assert result.answer.halted and result.agrees_with_reference


# -- precision, saving -------------------------------------------------------------------


def test_half_precision_is_refused_with_the_limit_named():
    program = _program("hello.subleq", "esolang")
    with pytest.raises(SubleqPrecisionError, match=r"float16 cannot guarantee .* W = "
                                                   r"max\(bits, position bits \+ 1\) = 8"):
        subleq.build(program, dtype="float16")


def test_float32_refuses_words_wider_than_its_limit():
    program = reference.GiannouProgram(instructions=((0, 0, 1),), memory=(0,), bits=16)
    with pytest.raises(SubleqPrecisionError, match=r"allows W <= 14"):
        subleq.build(program, dtype="float32")
    subleq.build(program, dtype="float64")


def test_saved_subleq_computer_loads_and_runs(tmp_path):
    from compilers.runs.saving import load, save

    program = _program("countdown.subleq", "esolang")
    construction = subleq.build(program)
    save(construction, tmp_path / "m", dtype="float64")
    loaded = load(tmp_path / "m")
    assert loaded.transformer == construction.transformer
    assert run(loaded, program, backend="torch", max_steps=100).answer.output == b"9876543210\n"


def test_a_saved_computer_whose_sizes_were_edited_is_refused(tmp_path):
    import json

    from compilers.runs.saving import SavedModelError, load, save

    save(subleq.build(_program("countdown.subleq", "esolang")), tmp_path, dtype="float64")
    config = json.loads((tmp_path / "config.json").read_text())
    config["construction"]["options"]["memory"] += 1
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(SavedModelError, match=r"the saved IR is not the transformer that "
                                              r"subleq builds with options \{.*'memory': 24"):
        load(tmp_path)


# -- long runs ---------------------------------------------------------------------------


@pytest.mark.slow
@settings(max_examples=20)
@given(subleq_programs(semantics="giannou", max_instructions=8, max_memory=6, bits=8))
def test_giannou_long_runs_match_interpreter_every_loop_float64(program):
    construction = subleq.build(program)
    expected = _reference_states(construction, program, 1000)
    assert _torch_decoded(construction, program, 1000)[:len(expected)] == expected


@pytest.mark.slow
@settings(max_examples=20)
@given(subleq_programs(semantics="esolang", max_instructions=6, max_memory=4, bits=8),
       st.binary(max_size=8))
def test_esolang_long_runs_match_interpreter_every_loop_float64(program, data):
    construction = subleq.build(program, bits=8, input_size=8)
    expected = _reference_states(construction, program, 1000, input=data)
    assert _torch_decoded(construction, program, 1000, input=data)[:len(expected)] == expected


@pytest.mark.slow
@settings(max_examples=3)
@given(subleq_programs(semantics="giannou", max_instructions=4, max_memory=3, bits=6))
def test_giannou_exact_runs_of_300_loops_match_interpreter(program):
    construction = subleq.build(program)
    expected = _reference_states(construction, program, 300)
    assert _decoded(exact_states(construction, program, max_steps=300)) == expected


@pytest.mark.slow
@pytest.mark.parametrize(("text", "semantics", "kw"), [(GIANNOU_COUNTER, "giannou", {"bits": 8}),
                                                       (ESOLANG_COUNTER, "esolang", {})])
def test_exact_runs_of_1000_instructions_match_interpreter_after_every_loop(text, semantics,
                                                                             kw):
    program = reference.parse_program(text, semantics=semantics, **kw)
    construction = subleq.build(program, **({"bits": 8} if semantics == "esolang" else {}))
    expected = _reference_states(construction, program, 1000)
    assert len(expected) == 1000
    assert _decoded(exact_states(construction, program, max_steps=1000)) == expected


@pytest.mark.slow
def test_multiply_and_hello_run_exactly_in_rationals_to_the_end():
    for name, semantics, kw in (("multiply.giannou", "giannou", {"bits": 8}),
                                ("hello.subleq", "esolang", {})):
        program = _program(name, semantics, **kw)
        result = run(subleq.build(program), program, backend="exact", max_steps=200)
        assert result.answer.halted and result.agrees_with_reference


@pytest.mark.gpu
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_batched_programs_on_the_gpu_agree_with_the_interpreter(dtype):
    import random

    rng = random.Random(0)
    programs = [reference.GiannouProgram(
        instructions=tuple((rng.randrange(6), rng.randrange(6), rng.randrange(9))
                           for _ in range(8)),
        memory=tuple(rng.randrange(-(1 << 11), 1 << 11) for _ in range(6)), bits=12)
        for _ in range(512)]
    construction = subleq.build(programs[0], dtype=dtype)
    results = run_batch(construction, programs, max_steps=300, dtype=dtype, device="cuda")
    for program, result in zip(programs, results, strict=True):
        expected = reference.run(program, max_steps=300)
        assert (result.halted, result.steps, result.memory, result.pc) == (
            expected.halted, expected.steps, expected.memory, expected.pc)
    hello = _program("hello.subleq", "esolang")
    out = run(subleq.build(hello), hello, backend="torch", dtype=dtype, device="cuda",
              max_steps=1000)
    assert out.answer.output == b"Hello, world!\n" and out.agrees_with_reference
