"""The torch backend's hook points, and the pass that runs them.

`add_hook_points(model)` gives a `TorchTransformer` one `HookPoint`
(`compilers.backends.hooks`) per activation, named as TransformerLens names
them, the layers numbered by `compilers.backends.hooks.places`:

* ``hook_embed``, ``hook_pos_embed`` (batch, pos, d_model): the token embedding
  (or the input vectors) and the positional features, each placed in the stream;
* ``blocks.{l}.hook_resid_pre`` (batch, pos, d_model): the stream entering layer l;
  ``blocks.{l}.hook_resid_mid``: after its attention, if more of the layer
  follows; ``blocks.{l}.hook_resid_post``: the stream leaving it;
* ``blocks.{l}.ln1.hook_scale``, ``ln2.…``, ``ln_final.…`` (batch, pos, 1): a
  layer norm's ``sqrt(var + eps)``; ``….hook_normalized`` (batch, pos, dims):
  its output ``gain (v - mean) / scale + bias`` on its own dims;
* ``blocks.{l}.attn.hook_q``, ``hook_k`` (batch, pos, head, d_head): queries and
  keys, d_head the block's widest head's, narrower heads padded with zeros;
* ``blocks.{l}.attn.hook_v`` (batch, pos, head, d_model): values; a circuitx
  head writes the stream itself, so W_O is the identity;
* ``blocks.{l}.attn.hook_attn_scores`` (batch, head, query, key): ``q.k``
  (``-|q.k|`` for a ``neg_abs_dot`` head), times the softmax scale for a
  softmax head, ``-inf`` at the keys a query does not see;
* ``blocks.{l}.attn.hook_pattern`` (batch, head, query, key): the weights, the
  softmax of the scores or the hard or average-hard choice made from them (with
  its gap guard and tie rule);
* ``blocks.{l}.attn.hook_z`` and ``hook_result`` (batch, pos, head, d_model):
  ``pattern @ v``, and the result, which is z (W_O = I);
  ``blocks.{l}.hook_attn_out`` (batch, pos, d_model): the heads' sum;
* ``blocks.{l}.cross_attn.…`` and ``blocks.{l}.hook_cross_attn_out``: the same
  for the block's heads that read the encoder;
* ``blocks.{l}.mlp.hook_pre``, ``hook_post`` (batch, pos, d_mlp): ``W_in x + b_in``
  and its ReLU; ``blocks.{l}.hook_mlp_out`` (batch, pos, d_model):
  ``W_out post + b_out``;
* ``unembed.hook_out`` (batch, positions read, outputs): the read-out's values.

(``d_model`` is the stream's width, ``pos`` the positions; a hook point exists
only where the model has that activation. The layer modules ``blocks.0``,
``blocks.1``, ... sit beside the weights ``blocks.<block label>``: block labels
are identifiers, so the two never clash, and hook points hold no state, so
the state dict, and the saved format, are unchanged.)

No hook, no cost: `TorchTransformer.forward` and `apply_blocks` run their fast
paths unless some hook point has a forward hook. With one, they run `Hooked`:
every block the textbook way (each head's queries, keys, values, scores and
pattern in full, every position computed: no read-out pruning), each
activation passed through its hook point, a replaced activation used from
there on (a patched score changes a hard head's choice; a patched pattern its
output). The values are those of the fast path up to the order of float
operations. Hooks fire in `forward` and in each loop's `apply_blocks` (the
embedding and read-out hooks in `forward` only); cached generation runs no
hooks and refuses to start while any are registered.
"""

from __future__ import annotations

import torch
from torch import nn

from compilers.backends.hooks import HookPoint, Place, places
from compilers.backends.torch_attention import hidden_keys, pattern
from compilers.ir import MLP, Attention, LayerNorm, Softmax

ATTENTION = ("hook_q", "hook_k", "hook_v", "hook_attn_scores", "hook_pattern", "hook_z",
             "hook_result")


def _points(*names: str) -> nn.Module:
    module = nn.Module()
    for name in names:
        module.add_module(name, HookPoint())
    return module


def add_hook_points(model) -> tuple[Place, ...]:
    """Give `model` (a `TorchTransformer`) its hook points; return each block's `Place`."""
    ir = model.ir
    model.hook_embed = HookPoint()
    if ir.positions is not None:
        model.hook_pos_embed = HookPoint()
    placed = places(ir.blocks, looped=ir.looped)
    layers: dict[int, nn.Module] = {}
    for block, place in zip(ir.blocks, placed, strict=True):
        if place.layer is None:
            model.ln_final = _points("hook_scale", "hook_normalized")
            continue
        layer = layers.get(place.layer)
        if layer is None:
            layer = layers[place.layer] = _points("hook_resid_pre", "hook_resid_post")
            model.blocks[str(place.layer)] = layer
        if isinstance(block, Attention):
            for group, source in (("attn", "self"), ("cross_attn", "encoder")):
                if any(head.source == source for head in block.heads):
                    layer.add_module(group, _points(*ATTENTION))
                    layer.add_module(f"hook_{group}_out", HookPoint())
            if not place.last:
                layer.add_module("hook_resid_mid", HookPoint())
        elif isinstance(block, MLP):
            layer.add_module("mlp", _points("hook_pre", "hook_post"))
            layer.add_module("hook_mlp_out", HookPoint())
        else:
            layer.add_module(place.slot, _points("hook_scale", "hook_normalized"))
    model.unembed = _points("hook_out")
    return placed


def embed(model, inputs: torch.Tensor, rows: torch.Tensor | None) -> torch.Tensor:
    """The stream before the first block, through ``hook_embed`` and ``hook_pos_embed``;
    `rows`: the positional features placed in the stream (positions, width), or None."""
    x = model.hook_embed(model._embed_inputs(inputs))
    if rows is None:
        return x
    return x + model.hook_pos_embed(rows.expand(x.shape[0], -1, -1))


class Hooked:
    """Where `TorchTransformer.apply_blocks` runs while hooks are registered: every
    position, every activation through its hook point (see the module docstring)."""

    def __init__(self, model, n: int, encoder_stream, flags):
        self.n, self.encoder_stream, self.flags = n, encoder_stream, flags
        self.places = model.hook_places
        self.block = 0

    def _layer(self, model) -> tuple[Place, nn.Module]:
        place = self.places[self.block]
        if place.layer is None:
            return place, model.ln_final
        return place, model.blocks[str(place.layer)]

    @staticmethod
    def _leave(place: Place, layer: nn.Module, x: torch.Tensor) -> torch.Tensor:
        if place.last:
            return layer.hook_resid_post(x)
        if place.slot == "attn":
            return layer.hook_resid_mid(x)
        return x

    def attention(self, model, block: Attention, params, x: torch.Tensor) -> torch.Tensor:
        place, layer = self._layer(model)
        x = layer.hook_resid_pre(x) if place.first else x
        total = x
        positions = torch.arange(x.shape[1], device=x.device)
        for group, source, stream in (("attn", "self", x),
                                      ("cross_attn", "encoder", self.encoder_stream)):
            heads = [head for head in block.heads if head.source == source]
            if heads:
                points = getattr(layer, group)
                out = self._heads(model, heads, params, points, x, stream, positions)
                total = total + getattr(layer, f"hook_{group}_out")(out)
        return self._leave(place, layer, total)

    def _heads(self, model, heads, params, points, x, stream, positions) -> torch.Tensor:
        """One group's heads: their sum (batch, pos, width), every activation hooked."""
        width = max(len(head.query.rows) for head in heads)

        def stacked(source, what: str, pad: int | None) -> torch.Tensor:
            parts = [model._linear(source, getattr(params[head.label], what)) for head in heads]
            if pad is not None:
                parts = [torch.nn.functional.pad(p, (0, pad - p.shape[-1])) for p in parts]
            return torch.stack(parts, dim=2)  # (batch, pos, head, d)

        q = points.hook_q(stacked(x, "query", width))
        k = points.hook_k(stacked(stream, "key", width))
        v = points.hook_v(stacked(stream, "value", None))
        raw = torch.einsum("bqhd,bkhd->bhqk", q, k)
        scores, blind = [], []
        for h, head in enumerate(heads):
            s = -raw[:, h].abs() if head.score == "neg_abs_dot" else raw[:, h]
            if isinstance(head.kind, Softmax):
                s = s * model._scale(head.kind.scale, self.n)
            hidden = None
            if head.mask != "none":
                hidden = hidden_keys(head.mask, positions, k.shape[1], x.device)
                s = s.masked_fill(hidden, float("-inf"))
            blind.append(hidden.all(dim=-1) if hidden is not None
                         and head.mask.startswith("strict") else None)
            scores.append(s)
        scores = points.hook_attn_scores(torch.stack(scores, dim=1))
        weights = points.hook_pattern(torch.cat([
            pattern(model, (head,), scores[:, h:h + 1], blind[h], positions, self.n, self.flags)
            for h, head in enumerate(heads)], dim=1))
        z = points.hook_z(torch.einsum("bhqk,bkhd->bqhd", weights, v))
        return points.hook_result(z).sum(dim=2)

    def mlp(self, model, block: MLP, params, x: torch.Tensor) -> torch.Tensor:
        place, layer = self._layer(model)
        x = layer.hook_resid_pre(x) if place.first else x
        pre = layer.mlp.hook_pre(model._add_bias(model._linear(x, params.w_in), params.b_in))
        post = layer.mlp.hook_post(torch.relu(pre))
        out = layer.hook_mlp_out(model._add_bias(model._linear(post, params.w_out),
                                                 params.b_out))
        return self._leave(place, layer, x + out)

    def layer_norm(self, model, block: LayerNorm, params, x: torch.Tensor) -> torch.Tensor:
        place, layer = self._layer(model)
        if place.layer is not None and place.first:
            x = layer.hook_resid_pre(x)
        norm = layer if place.layer is None else getattr(layer, place.slot)
        x = model._normalise(block, params, x, norm.hook_scale, norm.hook_normalized)
        return x if place.layer is None else self._leave(place, layer, x)
