"""Chiang & Cholak's PARITY and FIRST: oracle == exact == torch, cross-entropy, precision.

The oracle is a one-line Python predicate (count the 1s; look at the first
symbol), sharing no code with the constructions or the `languages` package.
"""

from __future__ import annotations

import itertools
import math
import random

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from compilers.constructions import first, get, parity
from compilers.errors import CompileError
from compilers.runs import recognise
from compilers.runs.precision import cross_entropy_bits

ORACLES = {"parity": lambda w: w.count("1") % 2 == 1, "first": lambda w: w[:1] == "1"}

VARIANTS = [
    ("parity", {}),
    ("parity", {"layernorm": True}),
    ("parity", {"attention": "average-hard"}),
    ("parity", {"attention": "average-hard", "layernorm": True}),
    ("first", {}),
    ("first", {"layernorm": True}),
    ("first", {"log_scaling": True}),
    ("first", {"log_scaling": True, "layernorm": True}),
]
HEADLINE = [VARIANTS[1], VARIANTS[7]]  # exhaustive to length 12 in the default run


def _ids(variants):
    return [f"{name}-{'-'.join(f'{k}={v}' for k, v in opts.items()) or 'plain'}"
            for name, opts in variants]


def _all_words(max_length: int) -> list[str]:
    return ["".join(p) for n in range(max_length + 1) for p in itertools.product("01", repeat=n)]


def exact_logits(recognizer, words: list[str]) -> list:
    """The accept logit of each word in exact arithmetic (Fractions)."""
    return [x.values["logit"] for x in recognise(recognizer, words, reference=False)]


def torch_logits(recognizer, words: list[str], **options) -> tuple[np.ndarray, np.ndarray]:
    """The torch backend's logits of the words, and whether each run is trusted."""
    results = recognise(recognizer, words, backend="torch", reference=False, **options)
    return (np.array([x.values["logit"] for x in results], dtype=np.float64),
            np.array([x.trusted for x in results], dtype=bool))


def _agree(name: str, options: dict, words: list[str], *, exact: bool = True) -> None:
    recognizer = get(name).make(**options)
    oracle = [ORACLES[name](w) for w in words]
    logits, trusted = torch_logits(recognizer, words, dtype="float64")
    assert trusted.all()
    assert [bool(z > 0) for z in logits] == oracle
    if exact:
        values = exact_logits(recognizer, words)
        assert [z > 0 for z in values] == oracle
        assert all(math.isclose(float(a), b, rel_tol=1e-9, abs_tol=1e-12)
                   for a, b in zip(values, logits, strict=True))


@pytest.mark.parametrize(("name", "options"), HEADLINE, ids=_ids(HEADLINE))
def test_every_word_up_to_12(name, options):
    _agree(name, options, _all_words(12))


@pytest.mark.parametrize(("name", "options"), VARIANTS, ids=_ids(VARIANTS))
def test_every_word_up_to_8_exact_and_12_torch(name, options):
    _agree(name, options, _all_words(8))
    _agree(name, options, _all_words(12), exact=False)


@pytest.mark.slow
@pytest.mark.parametrize(("name", "options"), VARIANTS, ids=_ids(VARIANTS))
def test_every_word_up_to_12_exact_slow(name, options):
    _agree(name, options, _all_words(12))


@pytest.mark.parametrize(("name", "options"), VARIANTS, ids=_ids(VARIANTS))
@given(words=st.lists(st.text("01", min_size=13, max_size=80), min_size=1, max_size=4))
def test_hypothesis_words(name, options, words):
    _agree(name, options, words)


def test_layernorm_parity_cross_entropy_is_flat():
    """Sec. 5: at eps = 0 the logit is exactly ±output_scale, so the cross-entropy is
    log2(1 + e^-scale) bits at every n (docstring of `compilers.constructions.parity`)."""
    recognizer = parity.build(layernorm=True, output_scale=5)
    bound = math.log2(1 + math.exp(-5))
    rng = random.Random(1)
    for n in (10, 100, 1000):
        words = ["".join(rng.choice("01") for _ in range(n)) for _ in range(16)]
        logits, _ = torch_logits(recognizer, words, dtype="float64")
        bits = [cross_entropy_bits(z, ORACLES["parity"](w))
                for z, w in zip(logits, words, strict=True)]
        assert max(bits) == pytest.approx(bound, rel=1e-9)
        if n <= 100:
            assert {abs(z) for z in exact_logits(recognizer, words[:4])} == {5}


def test_without_layernorm_cross_entropy_tends_to_one_bit():
    """Hahn's lemma at work: the plain construction is right but ever less confident."""
    recognizer = parity.build()
    words = ["1" * 99 + "0", "1" * 100]
    logits, _ = torch_logits(recognizer, words, dtype="float64")
    bits = [cross_entropy_bits(z, ORACLES["parity"](w))
            for z, w in zip(logits, words, strict=True)]
    assert all(0.99 < b < 1 for b in bits)


def test_torch_epsilon_ruins_the_layernorm_model():
    """With torch's default eps = 1e-5 the tiny answer drowns (paper: ~0.93 bits at n = 100)."""
    recognizer = parity.build(layernorm=True, epsilon="1e-5")
    rng = random.Random(2)
    words = ["".join(rng.choice("01") for _ in range(100)) for _ in range(32)]
    logits, _ = torch_logits(recognizer, words, dtype="float64")
    mean = sum(cross_entropy_bits(z, ORACLES["parity"](w))
               for z, w in zip(logits, words, strict=True)) / len(words)
    assert 0.5 < mean < 1
    assert [bool(z > 0) for z in logits] == [ORACLES["parity"](w) for w in words]


def test_output_scale_reaches_any_target_cross_entropy():
    scale = parity.scale_for_cross_entropy(1e-6)
    recognizer = parity.build(layernorm=True, output_scale=scale)
    (z,), _ = torch_logits(recognizer, ["1011"], dtype="float64")
    assert cross_entropy_bits(z, True) <= 1e-6


def test_float32_correct_at_its_guaranteed_length():
    recognizer = parity.build(layernorm=True)
    n = recognizer.limits["float32"]
    assert n == parity.guaranteed_length("float32") > 500
    rng = random.Random(3)
    words = []
    for k in (0, 1, 2, n // 2, n // 2 + 1, n - 1, n):  # the number of 1s decides where the bump is
        positions = set(rng.sample(range(n), k))
        words.append("".join("1" if i in positions else "0" for i in range(n)))
    logits, trusted = torch_logits(recognizer, words, dtype="float32")
    assert trusted.all()
    assert [bool(z > 0) for z in logits] == [ORACLES["parity"](w) for w in words]


def test_runs_beyond_the_guarantee_are_flagged_not_trusted():
    recognizer = parity.build()
    _, trusted = torch_logits(recognizer, ["0110101", "1" * 40], dtype="float16")
    assert trusted.tolist() == [False, False]
    assert recognizer.limits["float16"] < 7


def test_first_is_guaranteed_at_every_length():
    recognizer = first.build(log_scaling=True)
    words = ["1" + "0" * 5000, "0" + "1" * 5000]
    logits, trusted = torch_logits(recognizer, words, dtype="float32")
    assert trusted.all() and logits[0] > 0 > logits[1]


def test_log_scaling_keeps_first_confident():
    plain, scaled = first.build(), first.build(log_scaling=True)
    words = ["1" + "0" * 50_000]
    (z_plain,), _ = torch_logits(plain, words, dtype="float64")
    (z_scaled,), _ = torch_logits(scaled, words, dtype="float64")
    assert 0 < z_plain < 2.5 * 0.5 and z_scaled > 2.49


@pytest.mark.parametrize(("build", "options", "message"), [
    (parity.build, {"attention": "linear"},
     "unknown attention 'linear'; allowed: softmax, average-hard"),
    (parity.build, {"output_scale": "-1"}, "output scale must be positive, got '-1'"),
    (parity.build, {"output_scale": "big"}, "output scale must be a number like 5, 2.5 or "
                                            "1e-5, got 'big'"),
    (parity.build, {"epsilon": "1e-5"}, "epsilon applies to the layer-norm variant; add "
                                        "layernorm=True"),
    (first.build, {"sharpness": 0}, "sharpness must be positive, got 0"),
])
def test_bad_options_are_named(build, options, message):
    with pytest.raises(CompileError) as error:
        build(**options)
    assert str(error.value) == message
