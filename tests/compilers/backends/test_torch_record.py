"""The torch backend's recorded residual stream after every block equals the exact one."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from compilers.backends.exact import ExactModel
from compilers.backends.torch_module import TorchTransformer
from compilers.ir.strategies import TOKENS, transformers

words = st.lists(st.sampled_from(TOKENS), min_size=1, max_size=6)


@given(transformers(), words)
def test_every_block_is_recorded_by_label_with_the_exact_stream(model, sequence):
    want = ExactModel(model).forward(sequence, n=len(sequence), record=True)
    torch_model = TorchTransformer(model, dtype="float64")
    got = torch_model(torch_model.encode_tokens([sequence]), n=len(sequence), record=True)
    assert [label for label, _ in got.record] == [label for label, _ in want.record] \
        == [block.label for block in model.blocks]
    exact_index = ExactModel(model).index
    for (label, exact_stream), (_, torch_stream) in zip(want.record, got.record, strict=True):
        assert tuple(torch_stream.shape) == (1, len(sequence), len(model.stream)), label
        for name in model.stream:
            for p in range(len(sequence)):
                a = float(exact_stream[p][exact_index[name]])
                b = float(torch_stream[0, p, torch_model.index[name]])
                assert abs(a - b) <= 1e-9 * (1 + abs(a)), (label, name, p)
