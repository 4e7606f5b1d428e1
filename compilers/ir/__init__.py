"""The construction IR: named residual directions, exact weights, blocks.

See `compilers.ir.nodes` for the node types and `compilers.ir.check` for the
checker that every backend runs first.
"""

from compilers.ir.check import check
from compilers.ir.nodes import (
    MASKS,
    MLP,
    Attention,
    AverageHard,
    Block,
    Hard,
    Head,
    I,
    LayerNorm,
    N,
    PositionalEncoding,
    Readout,
    Softmax,
    TokenEmbedding,
    Transformer,
    VectorInput,
)
from compilers.ir.values import FrozenDict, IRError, Matrix, matrix, to_fraction

__all__ = [
    "MASKS", "MLP", "Attention", "AverageHard", "Block", "FrozenDict", "Hard", "Head", "I",
    "IRError", "LayerNorm", "Matrix", "N", "PositionalEncoding", "Readout", "Softmax",
    "TokenEmbedding", "Transformer", "VectorInput", "check", "matrix", "to_fraction",
]
