"""`compilers.runs.run` on every registered family and every backend agrees with the oracle.

The oracles share no code with the constructions or the run layer: a one-line
predicate for each language, and the reference interpreters of
`languages.turing` and `languages.subleq` run directly. Recognisers see every
word up to length 6; the Turing machine is BB(2) on a few words for at most
20 steps; the SUBLEQ computer runs two example programs to their halt. The
circuit backend runs wherever the family lowers (PARITY with average-hard
attention, FIRST, one decoding step of the Turing machine, one loop of the
SUBLEQ computer). Last, the JSON of a run (`Result.as_dict`) keeps the keys of
the command line's JSON before the run layer existed.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from compilers.backends.circuit.fixed import CircuitCompileError
from compilers.constructions import families, get
from compilers.errors import CompileError
from compilers.runs import run
from languages import subleq as subleq_reference
from languages.turing import TuringMachine, trace
from languages.turing import run as turing_run

PROGRAMS = Path(__file__).parents[3] / "examples" / "programs"
WORDS = ["".join(w) for n in range(7) for w in itertools.product("01", repeat=n)]
ORACLES = {"parity": lambda w: w.count("1") % 2 == 1, "first": lambda w: w[:1] == "1"}
BB2 = "1RB1LB_1LA1RZ"
TM_WORDS = ["", "1", "01", "110", "0110"]
LOOPS = [("multiply.giannou", {"bits": 8}), ("countdown.subleq", {})]

RECOGNISERS = [
    ("parity", {}, ("exact", "torch")),
    ("parity", {"attention": "average-hard"}, ("exact", "torch", "circuit")),
    ("parity", {"attention": "average-hard", "layernorm": True}, ("exact", "torch", "circuit")),
    ("first", {}, ("exact", "torch", "circuit")),
    ("first", {"log_scaling": True, "layernorm": True}, ("exact", "torch")),
]
CASES = {"parity", "first", "tm", "subleq"}


def test_every_registered_family_is_run_here():
    assert set(families()) == CASES


@pytest.mark.parametrize(("name", "options", "backend"), [
    (name, options, backend) for name, options, backends in RECOGNISERS
    for backend in backends])
def test_recognisers_agree_with_the_language_on_every_word_up_to_6(name, options, backend):
    construction = get(name).make(**options)
    results = run(construction, WORDS, backend=backend, dtype="float64")
    assert [r.input for r in results] == WORDS
    for word, result in zip(WORDS, results, strict=True):
        expected = ORACLES[name](word)
        assert (result.answer, result.reference) == (expected, expected), word
        assert result.agrees_with_reference and result.trusted, (word, result.why_untrusted)
        assert (result.mode, result.backend) == ("recognise", backend)


def test_the_circuit_backend_refuses_softmax_parity_naming_the_head():
    with pytest.raises(CircuitCompileError, match=r"^odd: softmax does not saturate"):
        run(get("parity").make(), ["0110"], backend="circuit")


@pytest.mark.parametrize("backend", ["exact", "torch", "circuit"])
def test_the_turing_machine_agrees_with_the_interpreter_step_by_step(backend):
    machine = TuringMachine.from_bbchallenge(BB2)
    results = run(get("tm").make(machine=BB2), TM_WORDS, backend=backend, dtype="float64",
                  max_steps=20)
    for word, result in zip(TM_WORDS, results, strict=True):
        assert result.trace == tuple(trace(machine, word, max_steps=20)), word
        assert result.answer == turing_run(machine, word, max_steps=20), word
        assert result.answer.halted
        assert result.agrees_with_reference and result.trusted, (word, result.why_untrusted)
        assert result.values["trusted_steps"] == len(result.trace)


@pytest.mark.parametrize("backend", ["exact", "torch", "circuit"])
@pytest.mark.parametrize(("file", "options"), LOOPS, ids=[f for f, _ in LOOPS])
def test_the_subleq_computer_agrees_with_the_interpreter(file, options, backend):
    path = str(PROGRAMS / file)
    program = subleq_reference.load_program(path, bits=options.get("bits"))
    expected = subleq_reference.run(program, max_steps=100)
    assert expected.halted  # the oracle's run ends well inside the limit
    construction = get("subleq").make(program=path, **options)
    (result,) = run(construction, [program], backend=backend, dtype="float64", max_steps=100)
    assert result.answer == expected
    assert result.error is None and result.agrees_with_reference and result.trusted


def test_run_refuses_what_is_not_a_construction():
    with pytest.raises(CompileError, match=r"is not a construction \(mode None; allowed: "
                                           r"recognise, generate, loop\)"):
        run(object(), ["01"])


# -- the JSON of a run ---------------------------------------------------------------------

TM_KEYS = ["halted", "steps", "ones", "state", "tape", "head", "tape_start", "undefined",
           "agrees_with_reference", "backend"]
SUBLEQ_KEYS = ["halted", "steps", "output", "memory", "pc", "backend", "agrees_with_reference"]


@pytest.mark.parametrize(("backend", "dtype"), [("exact", []), ("torch", ["dtype"])])
def test_a_turing_machine_run_has_the_keys_of_the_former_json(backend, dtype):
    (result,) = run(get("tm").make(machine=BB2), ["01"], backend=backend, max_steps=20)
    out = result.as_dict()
    assert list(out) == [*TM_KEYS, *dtype, "trusted", "trusted_steps"]
    reference = turing_run(TuringMachine.from_bbchallenge(BB2), "01", max_steps=20).as_dict()
    assert {k: out[k] for k in reference} == reference
    assert out["backend"] == backend and out["agrees_with_reference"] is True


@pytest.mark.parametrize("backend", ["exact", "torch"])
def test_a_subleq_run_has_the_keys_of_the_former_json(backend):
    path = str(PROGRAMS / "multiply.giannou")
    construction = get("subleq").make(program=path, bits=8)
    program = subleq_reference.load_program(path, bits=8)
    (result,) = run(construction, [program], backend=backend, max_steps=100)
    out = result.as_dict()
    assert list(out) == SUBLEQ_KEYS
    assert {k: out[k] for k in list(out)[:5]} == subleq_reference.run(
        program, max_steps=100).as_dict()
    assert out["backend"] == backend and out["agrees_with_reference"] is True
