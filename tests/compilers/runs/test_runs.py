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
ORACLES = {"parity": lambda w: w.count("1") % 2 == 1, "first": lambda w: w[:1] == "1",
           "modcount": lambda w: w.count("1") % 3 == 0,
           "compare_counts": lambda w: w.count("1") > w.count("0")}
BB2 = "1RB1LB_1LA1RZ"
TM_WORDS = ["", "1", "01", "110", "0110"]
LOOPS = [("multiply.giannou", {"bits": 8}), ("countdown.subleq", {})]

RECOGNISERS = [
    ("parity", {}, ("exact", "torch")),
    ("parity", {"attention": "average-hard"}, ("exact", "torch", "circuit")),
    ("parity", {"attention": "average-hard", "layernorm": True}, ("exact", "torch", "circuit")),
    ("first", {}, ("exact", "torch", "circuit")),
    ("first", {"log_scaling": True, "layernorm": True}, ("exact", "torch")),
    ("modcount", {}, ("exact", "torch", "circuit")),
    ("compare_counts", {}, ("exact", "torch", "circuit")),
]
CASES = {"parity", "first", "tm", "subleq", "modcount", "compare_counts", "induction", "ngram",
         "dyck1", "dyck", "cot", "cot_parity", "even_pairs", "program", "rasp"}


def _depths(word: str) -> list[int]:
    """The open-bracket count after each prefix (brackets "(" and ")")."""
    depth, out = 0, []
    for symbol in word:
        depth += 1 if symbol == "(" else -1
        out.append(depth)
    return out


def _dyck(word: str, bound: int | None) -> bool:
    depths = _depths(word)
    return (not depths or (min(depths) >= 0 and depths[-1] == 0)) and (
        bound is None or max(depths, default=0) <= bound)


OTHER_ALPHABETS = [  # (family, options, alphabet, oracle, backends)
    ("dyck1", {}, "()", lambda w: _dyck(w, None), ("exact", "torch")),
    ("dyck", {"pairs": 1, "depth": 2}, "()", lambda w: _dyck(w, 2), ("exact", "torch", "circuit")),
    ("dyck", {"pairs": 1, "depth": 2, "attention": "average-hard"}, "()",
     lambda w: _dyck(w, 2), ("exact", "torch")),
    ("even_pairs", {}, "ab", lambda w: w.count("ab") == w.count("ba"), ("exact", "torch")),
    ("program", {"program": "majority", "attention": "average-hard"}, "01",
     lambda w: w.count("1") > w.count("0"), ("exact", "torch")),
]


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


@pytest.mark.parametrize(("name", "options", "alphabet", "oracle", "backend"), [
    (name, options, alphabet, oracle, backend)
    for name, options, alphabet, oracle, backends in OTHER_ALPHABETS for backend in backends])
def test_recognisers_over_other_alphabets_agree_up_to_length_6(name, options, alphabet, oracle,
                                                               backend):
    words = ["".join(w) for n in range(7) for w in itertools.product(alphabet, repeat=n)]
    if name in ("even_pairs", "program") or backend == "circuit":
        words = [w for w in words if w]  # the empty word has no position to read
    construction = get(name).make(**options)
    for word, result in zip(words, run(construction, words, backend=backend, dtype="float64"),
                            strict=True):
        assert (result.answer, result.reference) == (oracle(word), oracle(word)), word
        assert result.agrees_with_reference and result.trusted, (word, result.why_untrusted)


@pytest.mark.parametrize("backend", ["exact", "torch"])
def test_chain_of_thought_emits_the_running_parities(backend):
    words = ["".join(w) for n in range(1, 6) for w in itertools.product("01", repeat=n)]
    for name, options in (("cot", {"language": "parity"}), ("cot_parity", {})):
        results = run(get(name).make(**options), words, backend=backend, dtype="float64")
        for word, result in zip(words, results, strict=True):
            running = [w[:k + 1].count("1") % 2 for w in [word] for k in range(len(word))]
            assert len(result.answer.states) == len(word), word
            assert result.answer.accept == (running[-1] == 1), word
            assert result.agrees_with_reference and result.trusted, (word, result.why_untrusted)


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


def test_progress_ticks_once_per_decoding_step_the_halting_read_included():
    machine = TuringMachine.from_bbchallenge(BB2)
    ticks: list[int] = []
    (result,) = run(get("tm").make(machine=BB2), [""], backend="exact", max_steps=20,
                    progress=ticks.append)
    assert result.trace == tuple(trace(machine, "", max_steps=20))
    assert ticks == [1] * (len(result.trace) + 1)


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


INDUCTION_WORDS = ["".join(w) for n in range(6) for w in itertools.product("ab", repeat=n)]
BIGRAM = '{"$": {"a": "1/2", "b": "1/2"}, "a": {"b": 1}, "b": {"a": "1/3", "#": "2/3"}}'
BIGRAM_ROWS = {"$": (1 / 2, 1 / 2, 0), "a": (0, 1, 0), "b": (1 / 3, 0, 2 / 3)}


def _after_previous(word: str, t: int) -> str:
    """The induction oracle: what followed the last earlier occurrence of word[t-1]."""
    earlier = word[:t - 1].rfind(word[t - 1]) if t else -1
    return word[earlier + 1] if earlier >= 0 else "none"


@pytest.mark.parametrize("backend", ["exact", "torch"])
def test_predictors_agree_with_their_oracle_at_every_position(backend):
    results = run(get("induction").make(alphabet="ab"), INDUCTION_WORDS, backend=backend)
    for word, result in zip(INDUCTION_WORDS, results, strict=True):
        assert result.answer.predicted() == [_after_previous(word, t)
                                             for t in range(len(word) + 1)], word
        assert result.agrees_with_reference and result.trusted and result.mode == "predict"
    results = run(get("ngram").make(alphabet="ab", table=BIGRAM), ["", "ab", "bba"],
                  backend=backend)
    for result in results:
        history = "$" + result.input
        assert [tuple(float(p) for p in row) for row in result.answer.rows] == [
            BIGRAM_ROWS[history[t]] for t in range(len(result.input) + 1)]
        assert result.agrees_with_reference and result.trusted


def test_run_refuses_what_is_not_a_construction():
    with pytest.raises(CompileError, match=r"is not a construction \(mode None; allowed: "
                                           r"recognise, generate, loop, predict\)"):
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
