"""The vectorised token lookup (`char_token_ids`) against the per-token one (`token_ids`)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from compilers.backends.common import char_token_ids, token_ids
from compilers.backends.torch_module import TorchTransformer
from compilers.constructions import parity
from compilers.errors import EvaluationError
from compilers.library import Model

PARITY = parity.build()


@given(st.integers(0, 12).flatmap(
    lambda n: st.lists(st.text("01", min_size=n, max_size=n), min_size=1, max_size=6)))
def test_char_ids_equal_per_token_ids(words):
    sequences = [PARITY.tokens(w) for w in words]
    ids = char_token_ids(PARITY.transformer, sequences)
    assert ids.tolist() == [token_ids(PARITY.transformer, s) for s in sequences]


def test_char_ids_step_aside_where_they_do_not_apply():
    model = PARITY.transformer
    assert char_token_ids(model, [["0", "2"]]) is None  # unknown character
    assert char_token_ids(model, [["0", "11"]]) is None  # a longer string
    assert char_token_ids(model, [["0", 1]]) is None  # not a string
    assert char_token_ids(model, []) is None
    with pytest.raises(EvaluationError, match="unknown token '2' at position 1"):
        TorchTransformer(model).encode_tokens([["0", "2"]])


def test_multi_character_vocabularies_take_the_general_path():
    m = Model("multi", tokens=("<s>", "a", "b"))
    model = m.build({"logit": {m.token_feature("is_a", {"a": 1}): 1}})
    assert char_token_ids(model, [["a", "b"]]) is None
    ids = TorchTransformer(model).encode_tokens([["<s>", "a", "b"]])
    assert ids.tolist() == [[0, 1, 2]]
