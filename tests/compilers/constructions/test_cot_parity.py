"""Huang, Liang & Yang's one-layer setting: even pairs without, parity with chain of thought.

Oracles: the zoo's hand-written predicates (`languages.zoo`) and the running
parities counted here, sharing no code with the constructions.
"""

from __future__ import annotations

import itertools
import json
import random

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from compilers.cli import main
from compilers.constructions import cot_even_pairs, cot_parity, get
from compilers.ir import MLP, Attention, LayerNorm
from compilers.library import size
from compilers.runs import generate, recognise
from languages import zoo


def running_parities(word: str) -> tuple[str, ...]:
    return tuple("odd" if word[:k].count("1") % 2 else "even" for k in range(1, len(word) + 1))


def words_up_to(alphabet: str, length: int, start: int = 0) -> list[str]:
    return [w for n in range(start, length + 1)
            for w in map("".join, itertools.product(alphabet, repeat=n))]


def test_both_are_one_attention_layer_and_a_linear_read_out():
    for model in (cot_parity.build().transformer, cot_even_pairs.build().transformer):
        blocks = [type(b) for b in model.blocks]
        assert blocks == [Attention] and not any(b in (MLP, LayerNorm) for b in blocks)
        assert size(model).layers == 1 and size(model).heads == 1
    assert get("even_pairs").mode == "recognise" and get("cot_parity").mode == "generate"


@pytest.mark.parametrize("backend,length", [("torch", 10), ("exact", 6)])
def test_parity_chain_of_thought_is_the_running_parity_on_every_word(backend, length):
    words = words_up_to("01", length)
    results = generate(cot_parity.build(), words, backend=backend, max_steps=length)
    parity = zoo.get("parity")
    for word, result in zip(words, results, strict=True):
        assert result.answer.states == running_parities(word)
        assert result.answer.accept == parity.contains(word)
        assert result.agrees_with_reference and result.trusted


@pytest.mark.parametrize("backend,length", [("torch", 12), ("exact", 8)])
def test_even_pairs_needs_no_chain_of_thought_on_every_word(backend, length):
    words = words_up_to("ab", length)
    results = recognise(cot_even_pairs.build(), words, backend=backend)
    language = zoo.get("even_pairs")
    assert [r.answer for r in results] == [language.contains(w) for w in words]
    assert all(r.trusted for r in results)


@settings(max_examples=10, deadline=None)
@given(st.text(alphabet="01", min_size=1, max_size=200))
def test_parity_in_float32_is_exact_within_its_guarantee(word):
    (result,) = generate(cot_parity.build(), [word], backend="torch", dtype="float32",
                         max_steps=len(word))
    assert result.answer.states == running_parities(word) and result.trusted


def test_float_guarantees_are_where_every_value_stays_exact():
    assert dict(cot_parity.build().limits) == {"float64": 23726566, "float32": 1023,
                                               "float16": 11, "bfloat16": 3}
    assert dict(cot_even_pairs.build().limits) == {"float64": 47453132, "float32": 2047,
                                                   "float16": 22, "bfloat16": 7}
    built = cot_parity.build()
    words = words_up_to("01", 11, start=11)
    results = generate(built, words, backend="torch", dtype="float16", max_steps=11)
    assert all(r.trusted and r.answer.states == running_parities(r.input) for r in results)
    rng = random.Random(0)
    longer = ["".join(rng.choice("01") for _ in range(40)) for _ in range(20)]
    results = generate(built, longer, backend="torch", dtype="float16", max_steps=40)
    assert not any(r.trusted for r in results)
    pairs = ["".join(rng.choice("ab") for _ in range(22)) for _ in range(200)]
    results = recognise(cot_even_pairs.build(), pairs, backend="torch", dtype="float16")
    assert [r.answer for r in results] == [zoo.get("even_pairs").contains(w) for w in pairs]
    assert all(r.trusted for r in results)


def test_cli_runs_both():
    runner = CliRunner()
    out = runner.invoke(main, ["run", "cot_parity", "--input", "0110", "--backend", "exact",
                               "--json"])
    assert out.exit_code == 0, out.output
    shown = json.loads(out.output)
    assert shown["states"] == ["even", "odd", "even", "even"] and not shown["accept"]
    assert shown["agrees_with_reference"]
    out = runner.invoke(main, ["run", "even_pairs", "abba", "abab", "--backend", "torch",
                               "--json"])
    assert out.exit_code == 0, out.output
    assert [row["accept"] for row in json.loads(out.output)] == [True, False]


def test_parity_chain_of_thought_on_the_circuit_backend():
    words = words_up_to("01", 4)
    results = generate(cot_parity.build(), words, backend="circuit", max_steps=4)
    assert [r.answer.states for r in results] == [running_parities(w) for w in words]
    from compilers.runs.scaling import measure, measure_steps

    assert len({p.depth for p in measure_steps(cot_parity.build(), [1, 4, 16], n=16)}) == 1
    assert len({p.depth for p in measure(cot_even_pairs.build(), [8, 32, 128])}) == 1
