"""Shared by the torch fast-path tests: random words, twin heads, and the exact backend
as the oracle (`compilers.backends.exact.ExactModel`, Fractions)."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import strategies as st

from compilers.backends.exact import ExactModel
from compilers.ir import Attention, Transformer, matrix
from compilers.ir.strategies import TOKENS

words = st.lists(st.sampled_from(TOKENS), min_size=1, max_size=6)


def close(exact, value) -> bool:
    return abs(float(exact) - float(value)) <= 1e-9 * (1 + abs(float(exact)))


def with_twins(model: Transformer) -> Transformer:
    """Every attention head gets a twin of the same kind, score, mask and widths (so the
    two run as one group) with the query negated and the value doubled."""
    blocks = []
    for block in model.blocks:
        if isinstance(block, Attention):
            twins = tuple(replace(
                head, label=f"{head.label}_twin",
                query=matrix({k: -v for k, v in head.query.entries.items()},
                             rows=head.query.rows, cols=head.query.cols),
                value=matrix({k: 2 * v for k, v in head.value.entries.items()},
                             rows=head.value.rows, cols=head.value.cols))
                for head in block.heads)
            block = replace(block, heads=block.heads + twins)
        blocks.append(block)
    return replace(model, blocks=tuple(blocks))


def assert_matches_exact(model: Transformer, sequence, got, row: int = 0) -> None:
    """Every read-out of `got` (a `TorchPass`) at batch `row` within 1e-9 of the exact
    backend's on `sequence`."""
    want = ExactModel(model).forward(sequence, n=len(sequence))
    for name, value in want.outputs.items():
        values = value if isinstance(value, list) else [value]
        found = got.outputs[name][row].reshape(-1).tolist()
        assert all(close(a, b) for a, b in zip(values, found, strict=True)), name
