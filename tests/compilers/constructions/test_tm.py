"""Pérez et al.'s Turing-machine transformer against the reference interpreter."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compilers.backends.exact import ExactModel
from compilers.constructions import tm
from compilers.errors import CompileError
from compilers.ir import check
from compilers.runs import UntrustedRunError, generate
from compilers.runs.precision import departure
from languages.turing import HALT, Transition, TuringMachine, run, trace

BB2 = "1RB1LB_1LA1RZ"
BB4 = "1RB1LB_1LA0LC_1RZ1LD_1RD0RA"
BB5 = "1RB1LC_1RC1RB_1RD0LE_1LA1LD_1RZ0LA"  # runs 47 176 870 steps: never halts here
BOUNCE = "1RB0LA_0LA1RA"  # never halts; head goes both ways

try:  # the shared strategy, once languages.strategies has it
    from languages.strategies import turing_machines as _shared_machines
except ImportError:  # pragma: no cover - depends on the other helper's progress
    _shared_machines = None


@st.composite
def _machines(draw, max_states: int = 4, max_symbols: int = 3) -> TuringMachine:
    """Complete tables over states A.. and symbols 0..; some HALT, some undefined."""
    states = "ABCD"[:draw(st.integers(1, max_states))]
    symbols = "012"[:draw(st.integers(1, max_symbols))]
    targets = st.sampled_from((*states, HALT))
    transition = st.builds(Transition, write=st.sampled_from(symbols),
                           move=st.sampled_from("LR"), next=targets)
    cell = st.one_of(transition, transition, transition, st.none())
    delta = {(q, s): draw(cell) for q in states for s in symbols}
    return TuringMachine(states=tuple(states), symbols=tuple(symbols), delta=delta)


def machines():
    if _shared_machines is not None:
        return _shared_machines(max_states=4, min_symbols=1, max_symbols=3, min_halting=0,
                                allow_undefined=True)
    return _machines()


@st.composite
def machines_and_words(draw, max_length: int = 4):
    machine = draw(machines())
    word = draw(st.text(alphabet="".join(machine.symbols), max_size=max_length))
    return machine, word


def simulate(construction, word: str | None = None, **options):
    """One run of `construction` on `word` (default: the word it was built for)."""
    (result,) = generate(construction, [construction.word if word is None else word],
                         **options)
    return result


def test_bb2_halts_after_6_steps_with_4_ones_in_exact_and_float64():
    construction = tm.build(BB2)
    for backend in ("exact", "torch"):
        result = simulate(construction, backend=backend, dtype="float64", max_steps=50)
        out = result.as_dict()
        assert (out["halted"], out["steps"], out["ones"], out["state"]) == (True, 6, 4, "Z")
        assert out["agrees_with_reference"] and out["trusted"]
        assert list(result.trace) == trace(construction.machine, max_steps=50)


def test_bb4_halts_after_107_steps_with_13_ones_in_exact_and_float64():
    construction = tm.build(BB4)
    for backend in ("exact", "torch"):
        out = simulate(construction, backend=backend, max_steps=200).as_dict()
        assert (out["halted"], out["steps"], out["ones"]) == (True, 107, 13)
        reference = run(construction.machine, max_steps=200).as_dict()
        assert {k: out[k] for k in reference} == reference
        assert out["agrees_with_reference"]


def test_head_goes_left_of_cell_zero_and_reads_back_what_it_wrote_there():
    steps = simulate(tm.build(BB4), max_steps=200).trace
    assert min(s.head for s in steps) < -5
    assert list(steps) == trace(TuringMachine.from_bbchallenge(BB4), max_steps=200)


def test_a_machine_that_never_halts_stops_at_max_steps_unhalted():
    construction = tm.build(BB5)
    for backend in ("exact", "torch"):
        out = simulate(construction, backend=backend, max_steps=40).as_dict()
        assert (out["halted"], out["steps"]) == (False, 40)
        assert out["agrees_with_reference"]


def test_the_input_word_is_read_through_the_encoder_and_blank_outside_it():
    machine = TuringMachine.from_bbchallenge("1RA0RB_0LZ1RA")  # scans right over 1s
    for word in ("", "1", "0110", "111101"):
        result = simulate(tm.build(machine, word), max_steps=30)
        assert result.agrees_with_reference, word


def test_an_undefined_transition_halts_without_a_step_as_the_reference_does():
    machine = TuringMachine.from_bbchallenge("1RB---_1LA0RA")
    for word in ("", "1", "01"):
        for limit in (0, 1, 2, 5):
            for backend in ("exact", "torch"):
                result = simulate(tm.build(machine, word), backend=backend, max_steps=limit)
                reference = run(machine, word, max_steps=limit)
                end = result.answer
                assert (end.halted, end.undefined, len(result.trace), end.state) == (
                    reference.halted, reference.undefined, reference.steps, reference.state)
                assert result.agrees_with_reference


@settings(max_examples=20, deadline=None)
@given(machines_and_words(max_length=6))
def test_exact_trace_equals_the_reference_trace_for_200_steps(pair):
    machine, word = pair
    result = simulate(tm.build(machine, word), backend="exact", max_steps=200)
    assert list(result.trace) == trace(machine, word, max_steps=200)
    assert result.agrees_with_reference


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(machines_and_words(max_length=12))
def test_exact_trace_equals_the_reference_trace_for_500_steps_on_many_machines(pair):
    machine, word = pair
    result = simulate(tm.build(machine, word), backend="exact", max_steps=500)
    assert list(result.trace) == trace(machine, word, max_steps=500)
    assert result.agrees_with_reference


@pytest.mark.parametrize("code", [BB5, BOUNCE, "1RB1LC_0LA0LD_1LA1RZ_1LB1RE_0RD0RB"])
def test_exact_trace_of_long_running_machines_equals_the_reference_for_200_steps(code):
    construction = tm.build(code)
    result = simulate(construction, backend="exact", max_steps=200)
    assert list(result.trace) == trace(construction.machine, max_steps=200)
    assert len(result.trace) == 200 or result.answer.halted


@settings(max_examples=10, deadline=None)
@given(st.lists(machines_and_words(), min_size=1, max_size=6))
def test_float64_batched_traces_equal_the_reference_up_to_their_trusted_steps(pairs):
    constructions = [tm.build(m, w) for m, w in pairs]
    results = generate(constructions[0], [c.word for c in constructions],
                       stacked=constructions, backend="torch", dtype="float64", max_steps=60)
    for (machine, word), result in zip(pairs, results, strict=True):
        reference = trace(machine, word, max_steps=60)
        assert result.values["trusted_steps"] >= len(result.trace)  # float64: far inside
        assert list(result.trace) == reference
        assert result.agrees_with_reference


def test_many_machines_of_one_shape_run_as_one_stacked_batch():
    codes = [BB2, "1RB0LB_1LA1RZ", "0RB1LB_1LA1RZ", "1LB1LB_1RA1RZ"]
    words = ["", "1", "01", "110"]
    constructions = [tm.build(c, w) for c, w in zip(codes, words, strict=True)]
    results = generate(constructions[0], [c.word for c in constructions],
                       stacked=constructions, backend="torch", dtype="float32", max_steps=30)
    for c, result in zip(constructions, results, strict=True):
        assert list(result.trace) == trace(c.machine, c.word, max_steps=30)


def test_float16_is_flagged_untrusted_instead_of_returned_silently():
    # (half precision is slow on CPU: 20 steps, past float16's guarantee of 6)
    report = departure(tm.build(BB4), "", dtype="float16", max_steps=20)
    assert report["guaranteed_steps"] == tm.trusted_steps("float16", 0) == 6
    assert report["trusted_steps"] <= 6 and not report["silent"]
    result = simulate(tm.build(BB4), backend="torch", dtype="float16", max_steps=20)
    assert not result.trusted and not result.as_dict()["trusted"]
    assert result.as_dict()["trusted_steps"] <= 6
    with pytest.raises(UntrustedRunError, match=r"step 7 is not guaranteed in float16"):
        simulate(tm.build(BB4), backend="torch", dtype="float16", max_steps=20, strict=True)


def test_precision_report_float32_bb4_agrees_everywhere_and_promises_it():
    report = departure(tm.build(BB4), "", dtype="float32", max_steps=200)
    assert report["first_departure"] is None and report["first_flagged"] is None
    assert report["trusted_steps"] >= report["steps_run"] == 107


def test_trusted_steps_follow_the_error_analysis():
    assert tm.trusted_steps("float32", 0) == 2**24 // tm.SAFETY - 2
    assert tm.trusted_steps("float32", 10) == 2**24 // tm.SAFETY - 12
    assert tm.trusted_steps("bfloat16", 0) == 0
    assert tm.trusted_steps("float64", 0) > 10**13
    with pytest.raises(CompileError, match="unknown dtype 'float8'; allowed: float64"):
        tm.trusted_steps("float8", 0)


def test_width_is_the_docstring_formula_in_states_and_symbols():
    for code in (BB2, BB4, "1RB2LA1RZ_2LA0RB1LA"):
        construction = tm.build(code)
        q, s = len(construction.machine.states), len(construction.machine.symbols)
        expected = tm.width(q, s)
        t = construction.transformer
        assert t.width == expected["decoder width"]
        assert t.encoder.width == expected["encoder width"]
        assert len(t.blocks[1].hidden) == expected["layer 1 hidden"]
        assert check(t) is t


def test_the_decoder_has_three_attention_layers_with_hard_neg_abs_heads():
    t = tm.build(BB2).transformer
    heads = {h.label: h for h in t.heads()}
    assert [b.label for b in t.blocks] == ["l1_moves", "transition", "l2_position", "l3_read",
                                           "read_symbol"]
    assert heads["last_write"].score == heads["input_cell"].score == "neg_abs_dot"
    assert heads["last_write"].kind.tie == "last" and heads["input_cell"].source == "encoder"


def test_weights_do_not_depend_on_the_word():
    assert tm.build(BB2, "0110").transformer == tm.build(BB2, "").transformer
    # the word reaches the run only as the encoder's tokens
    construction = tm.build(BB2)
    long, empty = construction.encode("0110"), construction.encode("")
    assert (long.encoder, empty.encoder) == (("<start>", *"0110"), ("<start>",))
    assert long.first == empty.first


def test_a_word_with_a_foreign_symbol_is_refused_naming_it():
    with pytest.raises(CompileError, match=r"symbol '2' at position 1; the machine's symbols"):
        tm.build(BB2, "021")
    with pytest.raises(CompileError, match=r"symbol '2' at position 1; the machine's symbols"):
        generate(tm.build(BB2), ["021"])


def test_bad_backend_and_max_steps_are_refused():
    construction = tm.build(BB2)
    with pytest.raises(CompileError, match="unknown backend 'numpy'; allowed: exact, torch"):
        simulate(construction, backend="numpy")
    with pytest.raises(CompileError, match="max_steps must be an integer >= 0, got -1"):
        simulate(construction, max_steps=-1)


def test_exact_generation_with_the_cache_equals_recomputing_the_prefix():
    construction = tm.build(BB2, "1")
    model = ExactModel(construction.transformer)
    generator = model.generator(construction.encoder_tokens(construction.word))
    inputs = [construction.layout.start_vector()]
    for _ in range(5):
        cached = generator.push(inputs[-1])
        whole = model.forward(inputs, encoder_inputs=construction.encoder_tokens(
            construction.word)).outputs
        assert cached == whole
        inputs.append(generator.next_input(cached))


def test_torch_generation_with_the_cache_equals_recomputing_the_prefix():
    import torch

    from compilers.backends.torch_module import TorchTransformer

    construction = tm.build(BB4, "1")
    module = TorchTransformer(construction.transformer, dtype="float64")
    encoder = module.encoder.encode_tokens([construction.encoder_tokens(construction.word)])
    generator = module.generator(encoder)
    inputs = torch.tensor([[construction.layout.start_vector()]], dtype=torch.float64)
    for _ in range(30):
        cached = generator.push(inputs[:, -1])
        whole = module(inputs, encoder_inputs=encoder).outputs
        for name, value in cached.items():
            assert torch.allclose(value, whole[name], rtol=0, atol=1e-12), name
        inputs = torch.cat([inputs, generator.next_input(cached)[:, None]], dim=1)

