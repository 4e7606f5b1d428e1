"""The TransformerLens export computes what the torch module computes, on every word.

The oracle is `hooked_transformer_forward`, a plain numpy transcription of
TransformerLens's ``HookedTransformer`` forward (no layer norm, ReLU MLPs,
``use_attn_scale=False``) over the exported state dict and config; it shares
no code with circuitx's backends. Float64 logits must equal the torch
module's to 1e-12 on every word of the exported length.
"""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st
from safetensors.numpy import load_file

from compilers.backends.to_transformer_lens import (
    TransformerLensError,
    refusals,
    to_transformer_lens,
    write,
)
from compilers.backends.torch_module import TorchTransformer
from compilers.constructions import first, get, parity
from compilers.ir import (
    MLP,
    Attention,
    Head,
    I,
    N,
    PositionalEncoding,
    Readout,
    Softmax,
    TokenEmbedding,
    Transformer,
    matrix,
)


def hooked_transformer_forward(cfg: dict, weights: dict, tokens: np.ndarray) -> np.ndarray:
    """TransformerLens's forward: logits (batch, pos, d_vocab_out) for token ids (batch, pos)."""
    pos = tokens.shape[1]
    resid = weights["embed.W_E"][tokens] + weights["pos_embed.W_pos"][:pos][None]
    for layer in range(cfg["n_layers"]):
        w = {k.rsplit(".", 1)[1]: v for k, v in weights.items()
             if k.startswith(f"blocks.{layer}.")}
        q = np.einsum("bpd,hde->bphe", resid, w["W_Q"]) + w["b_Q"]
        k = np.einsum("bpd,hde->bphe", resid, w["W_K"]) + w["b_K"]
        v = np.einsum("bpd,hde->bphe", resid, w["W_V"]) + w["b_V"]
        scores = np.einsum("bqhe,bkhe->bhqk", q, k)
        if cfg["use_attn_scale"]:
            scores = scores / np.sqrt(cfg["d_head"])
        if cfg["attention_dir"] == "causal":
            scores = np.where(np.tril(np.ones((pos, pos), dtype=bool)), scores, -np.inf)
        scores = scores - scores.max(axis=-1, keepdims=True)
        pattern = np.exp(scores)
        pattern = pattern / pattern.sum(axis=-1, keepdims=True)
        z = np.einsum("bhqk,bkhe->bqhe", pattern, v)
        resid = resid + np.einsum("bqhe,hed->bqd", z, w["W_O"]) + w["b_O"]
        post = np.maximum(resid @ w["W_in"] + w["b_in"], 0.0)
        resid = resid + post @ w["W_out"] + w["b_out"]
    return resid @ weights["unembed.W_U"] + weights["unembed.b_U"]


def _agree(transformer: Transformer, words: list[list[str]], n: int | None) -> None:
    """Exported logits == the torch module's (float64), to 1e-12, on every sequence."""
    positions = len(words[0])
    exported = to_transformer_lens(transformer, positions=positions, n=n)
    module = TorchTransformer(transformer, dtype="float64")
    ids = module.encode_tokens(words)
    ours = module(ids, n=n if n is not None else positions).outputs
    theirs = hooked_transformer_forward(exported.cfg, exported.state_dict, ids.numpy())
    read = {"first": theirs[:, 0], "last": theirs[:, -1], "all": theirs}[exported.read_position]
    for k, name in enumerate(exported.outputs):
        want = ours[name].numpy()
        got = read[..., k]
        assert np.all(np.abs(got - want) <= 1e-12 * np.maximum(1.0, np.abs(want))), name


@pytest.mark.parametrize("n", [1, 4, 8])
def test_parity_exported_equals_the_torch_module_on_every_word(n):
    recognizer = parity.build()
    words = ["".join(w) for w in itertools.product("01", repeat=n)]
    _agree(recognizer.transformer, [recognizer.tokens(w) for w in words], n)
    exported = to_transformer_lens(recognizer.transformer, positions=n + 1, n=n)
    logits = hooked_transformer_forward(exported.cfg, exported.state_dict, TorchTransformer(
        recognizer.transformer).encode_tokens([recognizer.tokens(w) for w in words]).numpy())
    assert [bool(x > 0) for x in logits[:, -1, 0]] == [recognizer.reference(w) for w in words]


def test_first_exported_equals_the_torch_module_on_every_word():
    recognizer = first.build()
    words = ["".join(w) for w in itertools.product("01", repeat=6)]
    _agree(recognizer.transformer, [recognizer.tokens(w) for w in words], 6)


def test_the_exported_shapes_and_config_are_transformer_lens_s():
    exported = to_transformer_lens(parity.build().transformer, positions=5, n=4)
    cfg, weights = exported.cfg, exported.state_dict
    assert (cfg["n_layers"], cfg["n_heads"], cfg["d_model"], cfg["d_head"], cfg["d_mlp"],
            cfg["n_ctx"], cfg["d_vocab"], cfg["d_vocab_out"]) == (2, 2, 9, 9, 3, 5, 3, 1)
    assert weights["blocks.0.attn.W_Q"].shape == (2, 9, 9)
    assert weights["blocks.1.attn.W_O"].shape == (2, 9, 9)
    assert weights["blocks.0.mlp.W_in"].shape == (9, 3)
    assert weights["blocks.1.mlp.W_out"].shape == (3, 9)
    assert not weights["blocks.1.mlp.W_in"].any()  # layer 1 has no MLP: zeros
    assert weights["embed.W_E"].shape == (3, 9) and weights["pos_embed.W_pos"].shape == (5, 9)
    assert weights["unembed.W_U"].shape == (9, 1)
    assert np.array_equal(weights["blocks.1.attn.W_O"][0], np.eye(9))
    assert exported.tokens == ("0", "1", "$") and exported.read_position == "last"


@st.composite
def softmax_transformers(draw) -> Transformer:
    """Small models TransformerLens expresses: softmax heads (scales 1, 1/2, n, 1/(n+1)),
    ReLU MLPs in any order, one mask for all heads, positional features in i and n."""
    stream, tokens = ("s0", "s1", "s2"), ("a", "b", "c")

    def values(rows, cols):
        entries = draw(st.lists(st.integers(-2, 2), min_size=len(rows) * len(cols),
                                max_size=len(rows) * len(cols)))
        return matrix({(r, c): entries[k * len(cols) + j] for k, r in enumerate(rows)
                       for j, c in enumerate(cols)}, rows=rows, cols=cols)

    mask = draw(st.sampled_from(["none", "causal"]))
    blocks = []
    for b in range(draw(st.integers(1, 3))):
        if draw(st.booleans()):
            heads = []
            for h in range(draw(st.integers(1, 3))):
                dims = tuple(f"b{b}h{h}d{k}" for k in range(draw(st.integers(0, 2))))
                heads.append(Head(label=f"b{b}h{h}", query=values(dims, stream),
                                  key=values(dims, stream), value=values(stream, stream),
                                  mask=mask, kind=Softmax(scale=draw(st.sampled_from(
                                      [1, sympy.Rational(1, 2), N, 1 / (N + 1)])))))
            blocks.append(Attention(label=f"b{b}", heads=tuple(heads)))
        else:
            hidden = tuple(f"b{b}u{u}" for u in range(draw(st.integers(1, 3))))
            blocks.append(MLP(label=f"b{b}", hidden=hidden, w_in=values(hidden, stream),
                              w_out=values(stream, hidden),
                              b_in={u: draw(st.integers(-2, 2)) for u in hidden},
                              b_out={d: draw(st.integers(-1, 1)) for d in stream}))
    return Transformer(
        label="soft", stream=stream, blocks=tuple(blocks),
        inputs=TokenEmbedding(label="emb", tokens=tokens, table=values(stream, tokens)),
        positions=PositionalEncoding(label="pos", features={"s0": I / (N + 1), "s2": I % 2}),
        readout=Readout(label="out", matrix=values(("y0", "y1"), stream),
                        bias={"y1": draw(st.integers(-1, 1))},
                        position=draw(st.sampled_from(["first", "last", "all"]))))


@settings(max_examples=30, deadline=None)
@given(softmax_transformers(), st.integers(1, 4))
def test_any_softmax_relu_model_exported_equals_the_torch_module(transformer, length):
    words = [list(w) for w in itertools.product("abc", repeat=length)]
    _agree(transformer, words, length)


@pytest.mark.parametrize(("build", "reasons"), [
    (lambda: parity.build(attention="average-hard").transformer,
     ["head odd is average-hard", "head even is average-hard"]),
    (lambda: parity.build(layernorm=True).transformer,
     ["layer norm norm normalises 2 of the stream's 10 directions in place"]),
    (lambda: get("tm").make(machine="1RB1LB_1LA0LZ").transformer,
     ["it reads an encoder (cross-attention)", "head last_write is hard",
      "head input_cell reads the encoder", "head input_cell is hard",
      "takes vectors (TransformerLens embeds tokens)"]),
])
def test_what_transformer_lens_cannot_express_is_refused_with_every_reason(build, reasons):
    transformer = build()
    found = refusals(transformer, n=3)
    for reason in reasons:
        assert any(reason in line for line in found), (reason, found)
    with pytest.raises(TransformerLensError, match=f"{transformer.label} cannot be a "
                                                   "TransformerLens HookedTransformer: "):
        to_transformer_lens(transformer, positions=4, n=3)


def test_a_looped_model_and_formulas_in_n_without_n_are_refused():
    subleq = get("subleq").make(program="examples/programs/countdown.subleq").transformer
    assert any("looped" in reason for reason in refusals(subleq))
    with pytest.raises(TransformerLensError, match=r"its formulas read the input length n "
                                                   r"\(n-dependent positions or scales\)"):
        to_transformer_lens(parity.build().transformer, positions=5)
    with pytest.raises(TransformerLensError, match="positions must be an integer >= 1, got 0"):
        to_transformer_lens(parity.build().transformer, positions=0, n=1)


def test_written_files_load_back_as_the_same_weights(tmp_path):
    exported = to_transformer_lens(parity.build().transformer, positions=5, n=4)
    write(exported, tmp_path / "tl", about={"construction": "parity"})
    config = json.loads((tmp_path / "tl" / "config.json").read_text())
    assert config["cfg"] == exported.cfg and config["n"] == 4
    assert config["inputs"] == "exactly 5 tokens" and config["construction"] == "parity"
    loaded = load_file(str(tmp_path / "tl" / "model.safetensors"))
    assert set(loaded) == set(exported.state_dict)
    for name, value in exported.state_dict.items():
        assert loaded[name].dtype == np.float64
        assert np.array_equal(loaded[name], value), name
