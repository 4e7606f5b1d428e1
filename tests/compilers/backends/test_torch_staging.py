"""The torch module builds a float32 model's weights in float32 directly: every weight is
the same float as the old float64 build cast to float32 (each exact value rounded to
float64, then to float32), for every dtype; no float64 copy of the weights is made."""

from unittest import mock

import numpy as np
import pytest
import torch
from hypothesis import given, settings

from compilers.backends import torch_module
from compilers.backends.torch_module import TorchTransformer
from compilers.ir.strategies import transformers


def _float64_then_cast(model, dtype: str) -> TorchTransformer:
    """The module as built before: every weight staged in float64, then cast."""
    with mock.patch.object(torch_module, "_staging", lambda dtype: np.float64):
        return TorchTransformer(model, dtype=dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64", "bfloat16", "float16"])
@settings(max_examples=20, deadline=None)
@given(model=transformers())
def test_weights_are_the_float64_build_cast_bit_for_bit(dtype, model):
    module = TorchTransformer(model, dtype=dtype)
    before = _float64_then_cast(model, dtype)
    ours, theirs = module.state_dict(), before.state_dict()
    assert ours.keys() == theirs.keys()
    for name, tensor in ours.items():
        assert tensor.dtype == theirs[name].dtype, name
        if tensor.is_floating_point():  # bits, not values: -0.0, NaN, rounding all compared
            bits = {2: torch.int16, 4: torch.int32, 8: torch.int64}[tensor.element_size()]
            assert torch.equal(tensor.view(bits), theirs[name].view(bits)), name
        else:
            assert torch.equal(tensor, theirs[name]), name


def test_a_float32_module_stages_no_float64_weight():
    from compilers.programs.rasp_compile import compile_rasp
    from languages import rasp, rasp_lib

    compiled = compile_rasp(rasp_lib.make_frac_prevs(rasp.tokens == "x"),
                            vocab={"x", "y"}, max_seq_len=5, bos="BOS")
    built = []
    dense = torch_module._dense

    def spy(matrices, rows, cols, dtype=np.float64):
        built.append(dtype)
        return dense(matrices, rows, cols, dtype)

    with mock.patch.object(torch_module, "_dense", spy):
        module = TorchTransformer(compiled.transformer, dtype="float32")
    assert built and set(built) == {np.float32}
    assert all(p.dtype == torch.float32 for p in module.parameters())
