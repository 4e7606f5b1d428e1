"""Hypothesis strategies for random, well-formed IR transformers.

`transformers()` draws small models over a fixed stream with every block type:
token embeddings and positional features with small integer values, attention
heads of every kind, score and mask, ReLU MLPs and layer norms, all with
small integer weights. Hard and average-hard heads come first and declare a
gap of 10^-6: with at most six positions and three such blocks every value
is a rational of small denominator, so unequal scores differ by far more than
that, and far more than float64 error. A softmax head and a layer norm may
follow, only at the end, so that no argmax ever depends on an irrational
value; float and exact backends must then agree to rounding. Built valid by
construction: the embedding writes every direction. Examples shrink towards
fewer blocks, fewer heads and zero weights.
"""

from __future__ import annotations

import sympy
from hypothesis import strategies as st

from compilers.ir import (
    MASKS,
    MLP,
    Attention,
    AverageHard,
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
    matrix,
)
from compilers.ir.plan import CAUSAL

STREAM = ("s0", "s1", "s2", "s3")
TOKENS = ("a", "b", "c")


def _matrices(rows, cols, *, low=-2, high=2):
    return st.lists(st.integers(low, high), min_size=len(rows) * len(cols),
                    max_size=len(rows) * len(cols)).map(
        lambda values: matrix({(r, c): values[k * len(cols) + j]
                               for k, r in enumerate(rows) for j, c in enumerate(cols)},
                              rows=rows, cols=cols))


GAP = sympy.Rational(1, 10**6)


@st.composite
def _heads(draw, label: str, *, causal_only: bool, softmax: bool = False):
    dims = tuple(f"{label}_d{k}" for k in range(draw(st.integers(0, 2))))
    if softmax:
        kind = Softmax(scale=draw(st.sampled_from([1, sympy.Rational(1, 2), N])))
    else:
        kind = draw(st.sampled_from([Hard(tie="first", gap=GAP), Hard(tie="last", gap=GAP),
                                     AverageHard(gap=GAP)]))
    return Head(label=label, query=draw(_matrices(dims, STREAM)),
                key=draw(_matrices(dims, STREAM)),
                value=draw(_matrices(STREAM, STREAM, low=-1, high=1)), kind=kind,
                score=draw(st.sampled_from(["dot", "neg_abs_dot"])),
                mask=draw(st.sampled_from(CAUSAL if causal_only else MASKS)))


@st.composite
def transformers(draw, *, max_blocks: int = 3, layer_norm: bool = True,
                 causal_only: bool = False) -> Transformer:
    """Random small transformers over `STREAM` with tokens `TOKENS`.

    Args:
        max_blocks: at most this many hard, average-hard or MLP blocks (0..3).
        layer_norm: allow a final layer norm (epsilon 1, never dividing by 0).
        causal_only: every head causal or strictly causal (for cached generation).
    """
    if not 0 <= max_blocks <= 3:
        raise ValueError(f"max_blocks must be in 0..3, got {max_blocks}")
    blocks = []
    for k in range(draw(st.integers(0, max_blocks))):
        if draw(st.booleans()):
            heads = tuple(draw(_heads(f"b{k}_h{h}", causal_only=causal_only))
                          for h in range(draw(st.integers(1, 2))))
            blocks.append(Attention(label=f"b{k}", heads=heads))
        else:
            hidden = tuple(f"b{k}_u{u}" for u in range(draw(st.integers(1, 3))))
            blocks.append(MLP(label=f"b{k}", hidden=hidden,
                              w_in=draw(_matrices(hidden, STREAM)),
                              w_out=draw(_matrices(STREAM, hidden, low=-1, high=1)),
                              b_in={h: draw(st.integers(-2, 2)) for h in hidden}))
    if draw(st.booleans()):
        blocks.append(Attention(label="soft", heads=(
            draw(_heads("soft_h", causal_only=causal_only, softmax=True)),)))
    if layer_norm and draw(st.booleans()):
        blocks.append(LayerNorm(label="norm", dims=STREAM[:draw(st.integers(2, 4))], epsilon=1))
    return Transformer(
        label="random", stream=STREAM,
        inputs=TokenEmbedding(label="emb", tokens=TOKENS,
                              table=draw(_matrices(STREAM, TOKENS))),
        positions=PositionalEncoding(label="pos", features={"s0": I % 3, "s3": 1}),
        blocks=tuple(blocks),
        readout=Readout(label="out", matrix=draw(_matrices(("y0", "y1"), STREAM)),
                        position=draw(st.sampled_from(["first", "last", "all"]))))
