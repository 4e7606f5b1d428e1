"""Merrill & Sabharwal's chain-of-thought decoder against the DFAs it simulates.

The oracle of every test is the DFA itself, run by a plain loop over its
transition table written here (`dfa_run`), and `languages.dfa.DFA.accepts`
or the zoo's hand-written predicates; none of it shares code with the
construction or its decoder.
"""

from __future__ import annotations

import itertools
import json
from fractions import Fraction

import pytest
import torch
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from compilers.cli import main
from compilers.constructions import cot, get
from compilers.constructions.cot_decode import CoTDecodeError, fields
from compilers.library import size
from compilers.runs import generate
from languages import zoo
from languages.dfa import DFA
from languages.strategies import dfas

REGULAR = ("parity", "tomita1", "tomita2", "tomita3", "tomita4", "tomita5", "tomita6",
           "tomita7", "mod3", "first", "even_pairs")
DEVICE = "cuda" if torch.cuda.is_available() else "cpu"


def dfa_run(dfa: DFA, word: str) -> list[int]:
    """q_1 .. q_n, by the transition table (the oracle)."""
    state, out = dfa.start, []
    for symbol in word:
        state = dfa.transitions[state][dfa.alphabet.index(symbol)]
        out.append(state)
    return out


def small_dfas(max_states: int = 12):
    """DFAs of 1 .. `max_states` states over alphabets of 2 to 4 symbols."""
    return st.sampled_from(("ab", "abc", "abcd")).flatmap(
        lambda alphabet: dfas(alphabet=alphabet, max_states=max_states))


@st.composite
def dfas_and_words(draw, max_length: int = 64, min_length: int = 0):
    dfa = draw(small_dfas())
    word = draw(st.text(alphabet=dfa.alphabet, min_size=min_length, max_size=max_length))
    return dfa, word


def check_run(result, dfa: DFA, word: str) -> None:
    """The emitted states are the DFA's run and the verdict is the DFA's."""
    assert list(result.answer.states) == [f"q{q}" for q in dfa_run(dfa, word)]
    assert result.answer.accept == dfa.accepts(word)
    assert result.agrees_with_reference and result.trusted, result.why_untrusted


@settings(max_examples=20, deadline=None)
@given(dfas_and_words())
def test_emitted_states_are_the_dfa_run_in_exact_and_float64(case):
    dfa, word = case
    construction = cot.build(dfa)
    for backend in ("exact", "torch"):
        (result,) = generate(construction, [word], backend=backend, dtype="float64",
                             max_steps=len(word))
        check_run(result, dfa, word)


@pytest.mark.slow
@settings(max_examples=6, deadline=None)
@given(dfas_and_words(max_length=500, min_length=400))
def test_emitted_states_are_the_dfa_run_at_length_500(case):
    dfa, word = case
    construction = cot.build(dfa)
    for backend in ("exact", "torch"):
        (result,) = generate(construction, [word], backend=backend, dtype="float64",
                             max_steps=len(word))
        check_run(result, dfa, word)


@settings(max_examples=5, deadline=None)
@given(st.integers(1, 12), st.sampled_from(("ab", "abcd")), st.integers(0, 40),
       st.randoms(use_true_random=False))
def test_many_dfas_of_one_shape_run_stacked_on_torch(states, alphabet, length, rng):
    machines = [DFA(alphabet=alphabet, start=0,
                    transitions=tuple(tuple(rng.randrange(states) for _ in alphabet)
                                      for _ in range(states)),
                    accepting=frozenset(q for q in range(states) if rng.random() < 0.5))
                for _ in range(16)]
    words = ["".join(rng.choice(alphabet) for _ in range(length)) for _ in machines]
    built = [cot.build(m) for m in machines]
    results = generate(built[0], words, backend="torch", dtype="float64", device=DEVICE,
                       stacked=built, max_steps=length)
    for result, dfa, word in zip(results, machines, words, strict=True):
        check_run(result, dfa, word)


@pytest.mark.parametrize("name", REGULAR)
def test_zoo_language_through_cot_on_every_word_up_to_10_in_float64(name):
    language = zoo.get(name)
    construction = cot.build(name)
    words = [w for n in range(11)
             for w in map("".join, itertools.product(language.alphabet, repeat=n))]
    results = generate(construction, words, backend="torch", dtype="float64", max_steps=10)
    wrong = [r.input for r in results
             if r.answer.accept != language.contains(r.input) or not r.agrees_with_reference
             or not r.trusted]
    assert not wrong, wrong[:5]


@pytest.mark.parametrize("name", REGULAR)
def test_zoo_language_through_cot_on_every_word_up_to_5_in_exact(name):
    language = zoo.get(name)
    construction = cot.build(name)
    words = [w for n in range(6)
             for w in map("".join, itertools.product(language.alphabet, repeat=n))]
    results = generate(construction, words, backend="exact", max_steps=5)
    assert [r.answer.accept for r in results] == [language.contains(w) for w in words]
    assert all(r.agrees_with_reference for r in results)


@pytest.mark.slow
@pytest.mark.parametrize("name", REGULAR)
def test_zoo_language_through_cot_on_every_word_up_to_12_in_float64(name):
    language = zoo.get(name)
    construction = cot.build(name)
    words = [w for n in range(11, 13)
             for w in map("".join, itertools.product(language.alphabet, repeat=n))]
    results = generate(construction, words, backend="torch", dtype="float64", max_steps=12)
    assert [r.answer.accept for r in results] == [language.contains(w) for w in words]
    assert all(r.agrees_with_reference and r.trusted for r in results)


@settings(max_examples=15, deadline=None)
@given(dfas_and_words(max_length=48, min_length=1))
def test_float32_has_no_unflagged_wrong_step(case):
    """The precision guarantee holds: every step up to `trusted_steps` (the analysis'
    bound, or the step before the gap check's first flag) is the DFA's step; a run no
    longer than the guarantee is trusted and right."""
    dfa, word = case
    construction = cot.build(dfa)
    (result,) = generate(construction, [word], backend="torch", dtype="float32",
                         max_steps=len(word))
    trusted = result.values["trusted_steps"]
    expected = [f"q{q}" for q in dfa_run(dfa, word)]
    assert list(result.answer.states[:trusted]) == expected[:trusted]
    assert trusted <= cot.guaranteed_steps("float32")
    if len(word) <= cot.guaranteed_steps("float32"):
        assert result.trusted and result.answer.states == tuple(expected)


def test_guaranteed_steps_per_dtype():
    assert {d: cot.guaranteed_steps(d) for d in ("float64", "float32", "float16", "bfloat16")
            } == {"float64": 2046, "float32": 12, "float16": 0, "bfloat16": 0}
    assert dict(cot.build("parity").limits) == {"float64": 2046, "float32": 12,
                                                "float16": 0, "bfloat16": 0}


def test_float16_is_never_trusted_past_step_0():
    (result,) = generate(cot.build("parity"), ["0110"], backend="torch", dtype="float16")
    assert not result.trusted and result.values["trusted_steps"] == 0


@pytest.mark.parametrize("k", [0, 1, 2, 5, 17, 60])
def test_step_gap_bounds_every_other_key(k):
    """``<u(k), u(j)> <= 1 - gap`` for every j != k, checked exactly:
    ``cos t = (kj + 1)/sqrt((k^2 + 1)(j^2 + 1))``, both sides squared."""
    gap = cot.step_gap(k)
    for j in range(0, 4 * k + 8):
        if j != k:
            assert (k * j + 1) ** 2 <= (1 - gap) ** 2 * (k * k + 1) * (j * j + 1)
    # and the bound is within a factor 8 of the true gap at j = k + 1, exactly:
    # 1 - cos t < 8 gap  <=>  cos^2 t > (1 - 8 gap)^2  (where 1 - 8 gap > 0)
    cos2 = Fraction(k * (k + 1) + 1) ** 2 / ((k * k + 1) * ((k + 1) ** 2 + 1))
    assert 8 * gap >= 1 or cos2 > (1 - 8 * Fraction(gap)) ** 2


def test_width_formula_is_the_built_width():
    for states, alphabet in ((1, "ab"), (5, "abc"), (12, "abcd")):
        dfa = DFA(alphabet=alphabet, start=0, accepting=frozenset({0}),
                  transitions=tuple(tuple((q + k) % states for k in range(len(alphabet)))
                                    for q in range(states)))
        model = cot.build(dfa).transformer
        formula = cot.width(states, len(alphabet))
        assert formula["decoder width"] == model.width
        assert formula["decoder hidden"] == size(model).hidden
        assert formula["encoder width"] == model.encoder.width
        assert formula["encoder hidden"] == size(model.encoder).hidden


def test_empty_word_emits_nothing_and_takes_the_start_states_verdict():
    for name, member in (("mod3", True), ("parity", False)):
        for backend in ("exact", "torch"):
            (result,) = generate(cot.build(name), [""], backend=backend)
            assert result.answer.states == () and result.answer.accept is member


def test_max_steps_cuts_the_run_without_a_verdict():
    (result,) = generate(cot.build("parity"), ["0111"], backend="exact", max_steps=2)
    assert result.answer.states == ("q0", "q1") and result.answer.accept is None
    assert result.agrees_with_reference


def test_a_table_and_a_regex_name_their_states():
    built = cot.build("0 1; even even odd; odd* odd even")
    (result,) = generate(built, ["0111"], backend="exact")
    assert result.answer.states == ("even", "odd", "even", "odd") and result.answer.accept
    regex = cot.build("/(ab)*/")
    words = ["", "ab", "aba", "abab", "ba"]
    results = generate(regex, words, backend="torch")
    assert [r.answer.accept for r in results] == [True, True, False, True, False]


def test_exact_read_out_must_be_one_state():
    states = ("q0", "q1")
    outputs = ("<s>", *states)
    assert fields(outputs, states, [[0, 0, 1]], 3, "exact") == [1]
    with pytest.raises(CoTDecodeError, match="position 3: the read-out"):
        fields(outputs, states, [[0, 1, 1]], 3, "exact")


def test_family_options_and_bad_input():
    family = get("cot")
    assert family.mode == "generate" and family.circuit == "step"
    built = family.make(language="tomita3", word="0101")
    assert built.word == "0101" and built.options["language"] == "tomita3"
    with pytest.raises(Exception, match="symbol 'x' at position 1"):
        family.make(language="parity", word="0x")
    with pytest.raises(Exception, match="not a regular language"):
        family.make(language="dyck1")
    with pytest.raises(Exception, match="goes with a /regex/ only"):
        family.make(language="parity", alphabet="01")


def test_cli_run_prints_the_states_beside_the_dfa_run():
    runner = CliRunner()
    out = runner.invoke(main, ["run", "cot", "tomita3", "--input", "0110", "--backend",
                               "exact", "--json"])
    assert out.exit_code == 0, out.output
    shown = json.loads(out.output)
    assert shown["states"] == shown["dfa_states"] and shown["agrees_with_reference"]
    assert shown["accept"] == zoo.get("tomita3").contains("0110")
    text = runner.invoke(main, ["run", "cot", "0 1; e e o; o* o e", "--input", "011",
                                "--backend", "torch"])
    assert text.exit_code == 0, text.output
    assert "emitted" in text.output and "reject after 3 steps" in text.output
    bad = runner.invoke(main, ["run", "cot", "parity", "--input", "012"])
    assert bad.exit_code == 2 and "error: input word '012' has the symbol '2'" in bad.output


def test_cli_precision_reports_the_guarantee():
    out = CliRunner().invoke(main, ["precision", "cot", "parity", "--input", "0110" * 10,
                                    "--dtype", "float32", "--json"])
    assert out.exit_code == 0, out.output
    report = json.loads(out.output)
    assert report["guaranteed_steps"] == 12 and not report["silent"]


def test_one_decoding_step_is_a_circuit_of_constant_depth():
    from compilers.runs.scaling import measure_steps

    points = measure_steps(cot.build("tomita3"), [1, 2, 4, 8, 16, 32], n=32)
    assert {p.depth for p in points} == {2} and len({p.size for p in points}) == 1
    parity = measure_steps(cot.build("parity"), [1, 8, 32], n=32)
    assert len({p.depth for p in parity}) == 1


@pytest.mark.parametrize("name", ["tomita5", "mod3"])
def test_circuit_backend_runs_agree_with_the_dfa(name):
    language = zoo.get(name)
    words = [w for n in range(5) for w in map("".join, itertools.product("01", repeat=n))]
    results = generate(cot.build(name), words, backend="circuit", max_steps=4)
    assert [r.answer.accept for r in results] == [language.contains(w) for w in words]
    assert all(r.agrees_with_reference and r.trusted for r in results)


def test_cli_circuit_and_scaling_of_a_step():
    runner = CliRunner()
    out = runner.invoke(main, ["circuit", "cot", "tomita3", "--step", "5", "--input",
                               "01101101", "--json"])
    assert out.exit_code == 0, out.output
    report = json.loads(out.output)
    assert report["run"]["agrees_with_exact"] and report["run"]["agrees_with_reference"]
    out = runner.invoke(main, ["scaling", "cot", "0 1; e e o; o* o e", "--steps", "1,4,16",
                               "--length", "16", "--json"])
    assert out.exit_code == 0, out.output
    assert len({p["depth"] for p in json.loads(out.output)["points"]}) == 1


def test_circuit_backend_feeds_back_only_the_one_positive_token():
    import numpy as np

    from compilers.errors import EvaluationError
    from compilers.runs.backends import backend_for

    runner = backend_for(cot.build("parity"), "circuit")
    generator = runner.generator(n=3, batch=1, encoder_inputs=[("<bos>", "0", "1")])
    generator.push(runner.inputs(["<s>"]))
    assert generator.next_input(np.array([[0, 0, 1]])).tolist() == ["q1"]
    with pytest.raises(EvaluationError, match=r"positive for \['q0', 'q1'\]"):
        generator.next_input(np.array([[0, 1, 1]]))
