"""A transformer as TransformerLens's ``HookedTransformer`` weights, at one input length.

`to_transformer_lens(transformer, positions=..., n=...)` returns the
configuration and the state dict (float64, from the exact weights) of a
``HookedTransformer`` (TransformerLens 1.x to 3.x; 4.x has no
``HookedTransformer``) that computes the construction's forward pass on
inputs of `positions` tokens; `write` saves them as ``config.json`` and
``model.safetensors``. Loading them needs TransformerLens, which circuitx
does not::

    cfg = json.load(open("config.json"))["cfg"]
    model = HookedTransformer(HookedTransformerConfig(**cfg, dtype=torch.float64))
    model.load_state_dict(safetensors.torch.load_file("model.safetensors"), strict=False)

(``strict=False``: TransformerLens's causal-mask buffers are not weights;
``pip install -e ".[transformer-lens]"``.) Checked against TransformerLens 3.9.0
itself, once, outside the test suite: PARITY at n = 6, FIRST at n = 5 and a
causal three-layer model with a scale in n agree within 2e-16; the tests use a
numpy transcription of its forward.
TransformerLens's forward, ``resid_0 = W_E[t] + W_pos[i]``; per layer
``resid += sum_h softmax(mask((x W_Q^h + b_Q^h)(x W_K^h + b_K^h)^T / s)) (x W_V^h
+ b_V^h) W_O^h + b_O`` then ``resid += relu(resid W_in + b_in) W_out + b_out``;
logits ``resid W_U + b_U``, computes the circuitx model's, weight by weight:

* layers are numbered as the hook points number them
  (`compilers.backends.hooks.places`); a layer with no attention block gets
  heads of zeros (they add 0), one with no MLP a zero MLP (``relu(0) = 0``);
* ``W_E = table^T`` (tokens in the embedding's order); ``W_pos[i]`` the
  positional features at position i and length n, placed in the stream;
* head h: ``W_Q^h = scale(n) * Q^T`` (the softmax scale folded in, and
  TransformerLens's own scale ``s`` switched off: ``use_attn_scale=False``),
  ``W_K^h = K^T``, ``W_V^h = V^T`` and ``W_O^h = I``: a circuitx head writes the
  stream through its value map, so d_head is the stream's width (or the widest
  query, if wider), queries, keys and values padded with zeros; heads short of
  the most in a block are zero heads; all biases 0;
* ``W_in = w_in^T``, ``W_out = w_out^T`` and the biases, hidden units padded
  with zero units to the widest MLP;
* ``W_U = R^T``, ``b_U`` the read-out's bias; the circuitx read-out is the
  logits at its position (first, last or all).

What TransformerLens cannot express is refused, every reason named at once
(`TransformerLensError`): hard and average-hard heads (a uniform one, with
constant scores, is a softmax over zeros and stays), ``-|q.k|`` scores, masks
other than none or causal or a mix of the two (TransformerLens has one
attention direction), layer norm (circuitx's replaces part of the residual
stream; TransformerLens's normalises a sub-layer's input), cross-attention,
looped blocks, vector inputs, and formulas that read n when no n is given.
Formulas in n are held at the given n: the export computes the construction
for inputs of exactly `positions` tokens.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sympy
import torch
from safetensors.torch import save_file

from circuitx.jsonfile import replacing
from compilers.backends.common import positional_float, uses_length
from compilers.backends.hooks import places
from compilers.errors import CompileError
from compilers.ir import (
    MLP,
    Attention,
    AverageHard,
    Hard,
    LayerNorm,
    N,
    Softmax,
    TokenEmbedding,
    Transformer,
)
from compilers.ir.plan import plan

CONFIG, WEIGHTS = "config.json", "model.safetensors"
FORMAT, VERSION = "circuitx-transformer-lens", 1


class TransformerLensError(CompileError):
    """A transformer TransformerLens cannot express; names every reason."""


@dataclass(frozen=True)
class TransformerLensModel:
    """A ``HookedTransformer``'s configuration and weights, and how to read them.

    Attributes:
        cfg: ``HookedTransformerConfig`` keywords (without ``dtype``: float64).
        state_dict: TransformerLens's parameter name -> float64 array.
        tokens: the vocabulary, in ``W_E``'s row order.
        outputs: the read-out's names, in ``W_U``'s column order.
        read_position: where the circuitx read-out reads the logits: first, last, all.
        n: the input length the formulas were evaluated at (None: none reads n).
    """

    cfg: dict
    state_dict: dict[str, np.ndarray]
    tokens: tuple[str, ...]
    outputs: tuple[str, ...]
    read_position: str
    n: int | None


def refusals(transformer: Transformer, *, n: int | None = None) -> list[str]:
    """Every reason TransformerLens cannot express `transformer` (empty: it can)."""
    why = []
    if transformer.looped:
        why.append("its blocks are looped (TransformerLens runs each layer once)")
    if transformer.encoder is not None:
        why.append("it reads an encoder (cross-attention)")
    if not isinstance(transformer.inputs, TokenEmbedding):
        why.append(f"{transformer.inputs.label} takes vectors (TransformerLens embeds tokens)")
    uniform = plan(transformer).uniform
    masks = set()
    for block in transformer.blocks:
        if isinstance(block, LayerNorm):
            why.append(f"layer norm {block.label} normalises {len(block.dims)} of the "
                       f"stream's {len(transformer.stream)} directions in place "
                       "(TransformerLens normalises a sub-layer's input)")
            continue
        for head in getattr(block, "heads", ()):
            if head.source == "encoder":
                why.append(f"head {head.label} reads the encoder (cross-attention)")
            if isinstance(head.kind, Hard | AverageHard) and head.label not in uniform:
                kind = "hard" if isinstance(head.kind, Hard) else "average-hard"
                why.append(f"head {head.label} is {kind} (TransformerLens's heads are softmax)")
            if head.score == "neg_abs_dot":
                why.append(f"head {head.label} scores -|q.k|")
            if head.mask not in ("none", "causal"):
                why.append(f"head {head.label} has a {head.mask} mask (TransformerLens: none "
                           "or causal)")
            masks.add(head.mask)
    if {"none", "causal"} <= masks:
        why.append("its heads mix masks none and causal (TransformerLens has one attention "
                   "direction)")
    if n is None and uses_length(transformer):
        why.append("its formulas read the input length n (n-dependent positions or scales): "
                   "give n, and the export holds at that n only")
    return why


def to_transformer_lens(transformer: Transformer, *, positions: int,
                        n: int | None = None) -> TransformerLensModel:
    """`transformer` as a ``HookedTransformer`` on inputs of `positions` tokens, its
    formulas at length `n` (see the module docstring); `TransformerLensError` naming
    every reason it cannot be."""
    if isinstance(positions, bool) or not isinstance(positions, int) or positions < 1:
        raise TransformerLensError(f"positions must be an integer >= 1, got {positions!r}")
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 0):
        raise TransformerLensError(f"n must be an integer >= 0, got {n!r}")
    problems = refusals(transformer, n=n)
    if problems:
        raise TransformerLensError(f"{transformer.label} cannot be a TransformerLens "
                                   f"HookedTransformer: {'; '.join(problems)}")
    length = 0 if n is None else n
    stream = transformer.stream
    index = {d: k for k, d in enumerate(stream)}
    d_model = len(stream)
    attention = [b for b in transformer.blocks if isinstance(b, Attention)]
    mlps = [b for b in transformer.blocks if isinstance(b, MLP)]
    n_heads = max((len(b.heads) for b in attention), default=1)
    d_head = max([d_model] + [len(h.query.rows) for b in attention for h in b.heads])
    d_mlp = max((len(b.hidden) for b in mlps), default=1)
    placed = places(transformer.blocks)
    n_layers = max((p.layer for p in placed), default=-1) + 1
    tokens = transformer.inputs.tokens
    readout = transformer.readout
    weights = {"embed.W_E": _dense(transformer.inputs.table, stream, tokens).T,
               "pos_embed.W_pos": _positions(transformer, positions, length, index),
               "unembed.W_U": _dense(readout.matrix, readout.outputs, stream).T,
               "unembed.b_U": _vector(readout.bias, readout.outputs)}
    for layer in range(n_layers):
        prefix = f"blocks.{layer}"
        weights |= {f"{prefix}.attn.{name}": np.zeros(shape) for name, shape in (
            ("W_Q", (n_heads, d_model, d_head)), ("W_K", (n_heads, d_model, d_head)),
            ("W_V", (n_heads, d_model, d_head)), ("W_O", (n_heads, d_head, d_model)),
            ("b_Q", (n_heads, d_head)), ("b_K", (n_heads, d_head)), ("b_V", (n_heads, d_head)),
            ("b_O", (d_model,)))}
        weights |= {f"{prefix}.mlp.{name}": np.zeros(shape) for name, shape in (
            ("W_in", (d_model, d_mlp)), ("b_in", (d_mlp,)), ("W_out", (d_mlp, d_model)),
            ("b_out", (d_model,)))}
    for block, place in zip(transformer.blocks, placed, strict=True):
        prefix = f"blocks.{place.layer}"
        if isinstance(block, Attention):
            for h, head in enumerate(block.heads):
                scale = (_scale(head.kind.scale, length) if isinstance(head.kind, Softmax)
                         else 1.0)
                width = len(head.query.rows)
                weights[f"{prefix}.attn.W_Q"][h, :, :width] = scale * _dense(
                    head.query, head.query.rows, stream).T
                weights[f"{prefix}.attn.W_K"][h, :, :width] = _dense(
                    head.key, head.key.rows, stream).T
                weights[f"{prefix}.attn.W_V"][h, :, :d_model] = _dense(
                    head.value, stream, stream).T
                weights[f"{prefix}.attn.W_O"][h, :d_model, :] = np.eye(d_model)
        else:
            hidden = len(block.hidden)
            weights[f"{prefix}.mlp.W_in"][:, :hidden] = _dense(block.w_in, block.hidden,
                                                               stream).T
            weights[f"{prefix}.mlp.b_in"][:hidden] = _vector(block.b_in, block.hidden)
            weights[f"{prefix}.mlp.W_out"][:hidden] = _dense(block.w_out, stream,
                                                             block.hidden).T
            weights[f"{prefix}.mlp.b_out"][:] = _vector(block.b_out, stream)
    causal = any(h.mask == "causal" for b in attention for h in b.heads)
    cfg = {"model_name": transformer.label, "n_layers": n_layers, "d_model": d_model,
           "n_ctx": positions, "d_head": d_head, "n_heads": n_heads, "d_mlp": d_mlp,
           "d_vocab": len(tokens), "d_vocab_out": len(readout.outputs), "act_fn": "relu",
           "normalization_type": None, "attention_dir": "causal" if causal else "bidirectional",
           "attn_only": False, "use_attn_scale": False, "positional_embedding_type": "standard",
           "default_prepend_bos": False, "original_architecture": "circuitx"}
    return TransformerLensModel(
        cfg=cfg, state_dict={k: np.ascontiguousarray(v) for k, v in weights.items()},
        tokens=tuple(tokens), outputs=tuple(readout.outputs), read_position=readout.position,
        n=n if uses_length(transformer) else None)


def write(model: TransformerLensModel, directory: str | Path, *, about: dict | None = None
          ) -> Path:
    """Save `model` as ``config.json`` (``cfg`` and how to read it, with `about`) and
    ``model.safetensors`` in `directory` (created if absent); each file is written to a
    temporary name and renamed."""
    out = Path(directory)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as failure:
        raise TransformerLensError(f"cannot create the folder {str(out)!r}: "
                                   f"{failure.strerror or type(failure).__name__}") from None
    tensors = {k: torch.from_numpy(v) for k, v in model.state_dict.items()}
    with replacing(out / WEIGHTS, what="the weights", error=TransformerLensError) as temporary:
        save_file(tensors, str(temporary), metadata={"format": FORMAT})
    config = {"format": FORMAT, "version": VERSION, "cfg": model.cfg, "dtype": "float64",
              "tokens": list(model.tokens), "outputs": list(model.outputs),
              "read_position": model.read_position, "n": model.n,
              "inputs": f"exactly {model.cfg['n_ctx']} tokens" if model.n is not None
              else f"at most {model.cfg['n_ctx']} tokens", **(about or {})}
    with replacing(out / CONFIG, what="the config", error=TransformerLensError) as temporary:
        temporary.write_text(json.dumps(config, indent=1) + "\n", encoding="utf-8")
    return out


def _dense(matrix, rows, cols) -> np.ndarray:
    """A sparse exact matrix as float64 (rows, cols), each entry rounded once."""
    r_index = {r: k for k, r in enumerate(rows)}
    c_index = {c: k for k, c in enumerate(cols)}
    out = np.zeros((len(rows), len(cols)))
    for (r, c), v in matrix.entries.items():
        out[r_index[r], c_index[c]] = float(v)
    return out


def _vector(values, names) -> np.ndarray:
    return np.array([float(values.get(name, 0)) for name in names], dtype=np.float64)


def _positions(transformer: Transformer, positions: int, n: int, index: dict) -> np.ndarray:
    """``W_pos``: the positional features at 0 .. positions-1 and length n, in the stream."""
    out = np.zeros((positions, len(index)))
    if transformer.positions is not None:
        features = positional_float(transformer.positions, np.arange(positions), n)
        for name, values in features.items():
            out[:, index[name]] = values
    return out


def _scale(expr: sympy.Expr, n: int) -> float:
    """A softmax scale at length n, as the torch backend rounds it."""
    value = sympy.N(expr.xreplace({N: sympy.Integer(n)}), 30)
    if not value.is_real or not value.is_finite:
        raise TransformerLensError(f"softmax scale {expr} is {value} at n={n}")
    return float(value)
