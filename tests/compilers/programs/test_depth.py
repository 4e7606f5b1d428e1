"""Depth: the Knee-Deep family L_k compiles to k layers, and its circuit's depth is constant in n.

Yang, Cadilhac & Chiang (arXiv 2506.16055) prove that C-RASP depth k is
transformer depth k. Here, for every k tried: the program's counting depth
is k, the compiled transformer has k attention sublayers and k layers as the
Cookbook counts them (`compilers.library.size`), with average-hard and with
softmax heads; the threshold circuit it lowers to (circuit backend,
``precision="auto"``) has the same depth at every word length n tried, and
decides like the language's regular expression on sampled words.
"""

from __future__ import annotations

import itertools

import pytest

from compilers.constructions import get
from compilers.ir import Attention
from compilers.library import size
from compilers.runs.circuits import circuit_of
from compilers.runs.recognise import recognise
from languages import crasp
from languages.regular import from_regex
from tests.compilers.programs.test_library import knee_deep_regex


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5, 6, 8, 12])
@pytest.mark.parametrize("attention", ["average-hard", "softmax"])
def test_the_knee_deep_program_of_depth_k_compiles_to_k_layers(k, attention):
    built = get("program").make(program=f"knee_deep_{k}", attention=attention)
    program = built.source.program
    assert program.depth == crasp.depths(program)[program.output] == k
    attention_blocks = sum(isinstance(b, Attention) for b in built.transformer.blocks)
    assert attention_blocks == size(built.transformer).layers == k
    assert built.details["program depth"] == built.details["attention layers"] == k


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_the_knee_deep_circuit_has_one_depth_at_every_length(k):
    built = get("program").make(program=f"knee_deep_{k}")
    language = from_regex(knee_deep_regex(k), "ab")
    depths = set()
    for n in (8, 16, 32):
        model = circuit_of(built, n=n)
        depths.add(model.circuit.stats().depth)
        words = ["".join(w) for w in itertools.islice(itertools.product("ab", repeat=n), 64)]
        words += language.sample(n, 16, "member", seed=n) if n >= k else []
        got = [r.answer for r in recognise(built, words, backend="circuit",
                                           reference=False)]
        assert got == [language.contains(w) for w in words]
    assert len(depths) == 1, depths


@pytest.mark.slow
@pytest.mark.parametrize("k", [5, 6, 8])
def test_deeper_knee_deep_circuits_have_one_depth_at_every_length(k):
    built = get("program").make(program=f"knee_deep_{k}")
    depths = {circuit_of(built, n=n).circuit.stats().depth for n in (16, 32, 64, 128)}
    assert len(depths) == 1, depths
