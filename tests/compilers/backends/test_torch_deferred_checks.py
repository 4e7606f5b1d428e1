"""The torch backend's deferred checks: non-finite values and suspect flags are read back
once per step (generation) or once every few loops (looped runs), and still name the
block and the step where they first happened."""

import math

import pytest
import torch

from compilers.backends.common import EvaluationError
from compilers.backends.torch_module import TorchTransformer
from compilers.constructions import tm
from compilers.ir import MLP, Readout, Transformer, VectorInput, matrix
from compilers.runs import backend_for, generate, loop
from languages.turing import trace

BB5 = "1RB1LC_1RC1RB_1RD0LE_1LA1LD_1RZ0LA"


def _explode_on(module: TorchTransformer, unit: str) -> None:
    """Make transition unit `unit` write +inf when (and only when) it fires.

    The unit is relu(st_q + sy_s - 1): 1 on its (state, symbol) pair, else 0.
    Scaled by 1e200 inside the relu (exactly: 1e200 + 1e200 - 1e200) and
    again on the way out, it writes 1e400 = inf; idle, it stays exactly 0.
    """
    block = module.ir.blocks[1]
    params = module.blocks[block.label]
    k = block.hidden.index(unit)
    params.w_in.data[k] *= 1e200
    params.b_in.data[k] *= 1e200
    params.w_out.data[:, k] *= 1e200


@pytest.mark.parametrize("lookups", ["dense", "index"])  # index: the Python-float step
def test_generation_names_the_block_and_position_where_values_first_become_non_finite(
        lookups):
    construction = tm.build(BB5)
    steps = trace(construction.machine, max_steps=50)
    first = next(s for s in steps if (s.state, s.read) == ("C", "1"))  # not at step 1
    assert first.step > 1
    module = TorchTransformer(construction.transformer, dtype="float64")
    _explode_on(module, "u_C_1")
    with pytest.raises(EvaluationError,
                       match=f"^transition: non-finite values at position {first.step}$"):
        generate(construction, [""], backend="torch", module=module, max_steps=50,
                 lookups=lookups)


@pytest.mark.parametrize("lookups", ["dense", "index"])
def test_an_infinite_weight_is_a_non_finite_value_named_by_its_block(lookups):
    """An entry of W_out set to inf: 0 * inf is NaN at the first position, in the torch
    product and in the Python-float step's (an ``inf`` literal) alike."""
    construction = tm.build(BB5)
    module = TorchTransformer(construction.transformer, dtype="float64")
    module.blocks[module.ir.blocks[1].label].w_out.data[0, 0] = math.inf
    with pytest.raises(EvaluationError, match=r"^transition: non-finite values at position 0$"):
        generate(construction, [""], backend="torch", module=module, max_steps=5,
                 lookups=lookups)


def test_generation_flags_the_first_position_the_full_pass_flags():
    """bfloat16 BB(5): the cached run's first flagged step is where the prefix's pass turns
    suspect (the oracle: `forward` on the fed-back inputs, no cache)."""
    construction = tm.build(BB5)
    module = TorchTransformer(construction.transformer, dtype="bfloat16")
    (result,) = generate(construction, [""], backend="torch", module=module, max_steps=120)
    flagged_step = result.values["flagged_step"]
    assert flagged_step is not None and not result.trusted
    encoder = module.encoder.encode_tokens([construction.encoder_tokens("")])
    generator = module.generator(encoder)
    inputs = [torch.tensor([construction.layout.start_vector()], dtype=module.float_dtype)]
    for _ in range(flagged_step):
        inputs.append(generator.next_input(generator.push(inputs[-1])))
    prefix = torch.stack(inputs, dim=1)  # positions 0 .. flagged_step
    with torch.no_grad():
        before = module(prefix[:, :-1], encoder_inputs=encoder).suspect
        at = module(prefix, encoder_inputs=encoder).suspect
    assert before.tolist() == [False] and at.tolist() == [True]


def _doubling(dtype: str) -> TorchTransformer:
    """A looped model that doubles x every loop (x + relu(x)); y = x/x stays 1 until x is inf."""
    stream = ("x",)
    model = Transformer(
        label="double", stream=stream, inputs=VectorInput(label="in", dims=("x",)),
        blocks=(MLP(label="grow", hidden=("h",), w_in=matrix({("h", "x"): 1}),
                    w_out=matrix({("x", "h"): 1})),),
        readout=Readout(label="out", matrix=matrix({("x", "x"): 1}), position="all"),
        looped=True)
    return TorchTransformer(model, dtype=dtype)


def test_looped_steps_name_the_loop_where_values_overflow_when_checked_later():
    module = _doubling("float32")
    x0 = torch.tensor([[[2.0 ** 100]]])  # 2^(100 + t) after t loops: inf at t = 28
    finite = module.non_finite_checks()
    x = module.embed(x0, None, 1)
    with torch.no_grad():
        for loop in range(1, 41):
            x = module.step(x, n=1, finite=finite, where=f" in loop {loop}")
            if loop == 20:
                finite.check()  # all finite so far: nothing raised, the queue emptied
        assert [where for _, where, _ in finite.queued][:1] == [" in loop 21"]
        with pytest.raises(EvaluationError, match=r"^grow: non-finite values in loop 28 in "):
            finite.check()


def test_a_looped_step_without_a_queue_raises_at_the_step_that_overflows():
    module = _doubling("float32")
    x = module.embed(torch.tensor([[[2.0 ** 100]]]), None, 1)
    with torch.no_grad():
        for _ in range(27):
            x = module.step(x, n=1)
        assert x.item() == 2.0 ** 127
        with pytest.raises(EvaluationError, match=r"^grow: non-finite values in torch\.float32"):
            module.step(x, n=1)


def test_a_batched_subleq_run_reports_non_finite_values_at_their_block_and_loop():
    """The check is read back only with the drift check (every 32 loops, or at the end)
    and still names the block and loop 1, before any drift is reported."""
    from compilers.constructions import subleq
    from languages import subleq as reference

    programs = [reference.GiannouProgram(instructions=((0, 1, 1), (2, 1, 0)),
                                         memory=(x, 5 * x, 1), bits=8) for x in (1, 2)]
    construction = subleq.build(programs[0])
    module = backend_for(construction, "torch", dtype="float64", device="cpu").module
    last = construction.transformer.blocks[-1]
    assert isinstance(last, MLP)
    module.blocks[last.label].b_out.data[0] = float("inf")
    with pytest.raises(EvaluationError, match=rf"^{last.label}: non-finite values in loop 1 in "):
        loop(construction, programs, backend="torch", max_steps=50, module=module,
             check_every=32)
