"""Cached generation for the torch backend: one position per `push`, keys and values kept.

`TorchTransformer.generator(...)` returns a `TorchGenerator`. Step p attends
from the new position to the cached keys and values of positions 0..p (self
heads, all causal; 0..p-1 for a strictly causal head, which adds 0 at p = 0)
or of the encoder (cross heads), so step p costs O(p), not the O(p^2) of
recomputing the prefix with `forward`.

It computes what `TorchTransformer.apply_blocks` computes at the last
position, with the same float operations in the same order (the same floats
bit for bit, up to the sign of a zero, the one-hot case below, and the order
in which a BLAS kernel sums a product's terms, which may depend on the
product's shape: the full pass makes one product of several heads' weights),
but with less work per step. A step is a few dozen tiny tensor
operations, so their number and Python's overhead per operation are its cost:
about 80 operations, views included, for the Turing-machine decoder of
`compilers.constructions.tm`, against about 235 for the former generator:

* weights are looked up once (transposed views, biases shaped) in a plan;
* key and value caches are preallocated and grow by doubling;
* a causal head whose scores are all 0 keeps a running sum of its values (the
  mean over positions 0..p, or 0..p-1 if strictly causal, O(1) per step);
* positional features are computed for 256 positions ahead, already placed in
  the stream's columns;
* the query at position p sees every cached key, so no mask is built; a hard
  head's gap thresholds ``gap/2``, ``gap/4``, ``3 gap/4`` at p come from a
  table rounded once to the float dtype (the same values as the full pass);
  ``-|s|`` scores give ``best - score = |s| - min |s|`` (exactly the same
  floats); a hard head gathers the chosen value row instead of multiplying by
  a one-hot matrix (the same row; only an infinite value at a position it
  does not choose, which the product turned into NaN (0 * inf), now stays
  out of the result);
* the guard's suspect flags are or-ed together on the device (no host sync);
* a non-finite value is checked once per step, on the last block's stream: a
  non-finite entry persists through every later block (each block adds to the
  residual stream, and a layer norm over a non-finite entry is non-finite in
  all its dims), so the block named in the error, the first whose output is
  non-finite, is found afterwards from the streams kept during the step.

Heads outside these cases (an encoder head with a causal mask, or with
constant scores) go through `TorchTransformer._attend` as in the full pass.
"""

from __future__ import annotations

import math

import torch

from compilers.backends.lookups_step import float_step
from compilers.backends.lookups_torch import TorchRatioLookups
from compilers.backends.torch_attention import refuse_ties
from compilers.backends.torch_flags import Flags
from compilers.errors import EvaluationError
from compilers.ir import MLP, Attention, Hard, Softmax

AHEAD = 256  # positions of positional features computed at once
GAP_AHEAD = 4096  # positions of a head's gap thresholds computed at once (a window, not all)


class TorchGenerator:
    """Feeds a decoder one position at a time, caching keys and values per head.

    `push(inputs)` takes one input per example ((batch,) token ids or (batch,
    dims) vectors) and returns the read-out at the new position (``push_values``
    returns it as one (batch, outputs) tensor); `suspect` accumulates the trust
    flags of every step so far, on the device.
    """

    def __init__(self, model, encoder_inputs, n, batch, lookups: bool = False):
        self.model = model
        self.encoder_stream, self.n = model._encode(encoder_inputs, n, default=n)
        if self.n is None:
            raise EvaluationError(f"{model.ir.label}: generation needs the input length n")
        if batch is None:
            if encoder_inputs is None:
                raise EvaluationError("generation without an encoder needs the batch size")
            batch = encoder_inputs.shape[0]
        self.batch = batch
        self.position = 0
        self.flags = Flags(batch, model.device)
        self.sums: dict[str, torch.Tensor] = {}
        self._features: tuple | None = None  # (first position, (positions, width) rows)
        self.cache: dict[str, list] = {}
        self._rows = torch.arange(batch, device=model.device)[:, None]
        self._thresholds: dict = {}
        self._arange = torch.arange(AHEAD, device=model.device)
        self._heads = {block.label: self._head_plan(block) for block in model.ir.blocks
                       if isinstance(block, Attention)}
        self.lookups = TorchRatioLookups(self, lookups)
        self._mlps = {block.label: self._mlp_plan(block) for block in model.ir.blocks
                      if isinstance(block, MLP)}
        self._rules = model.rules()
        readout = model.readout
        self._readout = (readout.matrix.transpose(-1, -2), model._bias(readout.bias))
        self._outputs = model.ir.readout.outputs
        self._feedback = None  # the read-out columns fed back as the next input vector
        if model.ir.feedback == "vector" and set(model.ir.inputs.dims) <= set(self._outputs):
            self._feedback = torch.tensor([self._outputs.index(d) for d in model.ir.inputs.dims],
                                          dtype=torch.long, device=model.device)
        self._vector_inputs = not hasattr(model, "embedding")
        if self._vector_inputs and model.ir.positions is not None:
            overlap = set(model.ir.inputs.dims) & set(model.ir.positions.features)
            self._vector_inputs = not overlap  # else embed's order of additions is kept
        self.fast = float_step(self) if lookups else None  # lookups='index', CPU float64

    def _head_plan(self, block: Attention) -> list:
        """How each head of `block` runs at one new position (see the module docstring)."""
        model = self.model
        params = model.blocks[block.label]
        heads = []
        for head in block.heads:
            p = params[head.label]
            query, key, value = (w.transpose(-1, -2) for w in (p.query, p.key, p.value))
            if head.source == "encoder":
                self.cache[head.label] = [torch.matmul(self.encoder_stream, key),
                                          torch.matmul(self.encoder_stream, value), None]
                fast = head.mask != "causal" and not model._constant_scores(head)
                heads.append(("encoder" if fast else "general", head, query, key, value))
            elif model._constant_scores(head):
                heads.append(("sum", head, query, key, value))
            else:
                self.cache[head.label] = [None, None, 0]
                heads.append(("self", head, query, key, value))
        return heads

    def _mlp_plan(self, block: MLP) -> tuple:
        """`block`'s weights transposed and its biases shaped, once per run."""
        model, params = self.model, self.model.blocks[block.label]
        return (params.w_in.transpose(-1, -2), model._bias(params.b_in),
                params.w_out.transpose(-1, -2), model._bias(params.b_out))

    @property
    def suspect(self) -> torch.Tensor:
        return self.flags.any

    def _append(self, label: str, x: torch.Tensor, key: torch.Tensor, value: torch.Tensor):
        """Write x's key and value (x @ key, x @ value) into the cache; all keys and values."""
        entry = self.cache[label]
        keys, values, used = entry
        if keys is None or used == keys.shape[1]:
            capacity = max(16, 2 * used)
            new_k = x.new_zeros(x.shape[0], capacity, key.shape[-1])
            new_v = x.new_zeros(x.shape[0], capacity, value.shape[-1])
            if keys is not None:
                new_k[:, :used], new_v[:, :used] = keys[:, :used], values[:, :used]
            keys, values = new_k, new_v
            entry[0], entry[1] = keys, values
        torch.matmul(x, key, out=keys[:, used:used + 1])
        torch.matmul(x, value, out=values[:, used:used + 1])
        entry[2] = used + 1
        return keys[:, :used + 1], values[:, :used + 1]

    def _positional_row(self):
        """The positional features at the current position, placed in the stream: (1, width).

        None without positions, or when a feature is not finite somewhere in
        the block ahead (`embed` then computes, or rejects, this position alone).
        """
        model, position = self.model, self.position
        if model.ir.positions is None:
            return None
        first, rows = self._features or (0, None)
        if rows is None or position - first >= rows.shape[0]:
            ahead = torch.arange(position, position + AHEAD, device=model.device)
            try:
                rows = model.placed_positional(ahead, self.n)
            except EvaluationError:
                return None
            first, self._features = position, (position, rows)
        k = position - first
        return rows[k:k + 1]

    def _embed(self, inputs: torch.Tensor) -> torch.Tensor:
        """`TorchTransformer.embed` at the current position: (batch, 1, width)."""
        model = self.model
        row = self._positional_row()
        if row is None or not self._vector_inputs:
            features = None
            if row is not None:
                features = {name: row[:, model.index[name]] for name in model.ir.positions.features}
            positions = torch.tensor([self.position], device=model.device)
            return model.embed(inputs[:, None], positions, self.n, features=features)
        dims = len(model.ir.inputs.dims)
        if inputs.shape[-1] != dims:
            raise EvaluationError(f"{model.ir.inputs.label}: inputs have {inputs.shape[-1]} "
                                  f"values per position, expected {dims}")
        x = row.expand(inputs.shape[0], -1).clone()  # zero but for the positional columns
        x[:, model.input_columns] = inputs.to(model.float_dtype)
        return x[:, None]

    def _gap(self, head, position: int) -> tuple[float, float, float]:
        """``gap/2, gap/4, 3 gap/4`` at `position`, rounded as the full pass rounds them."""
        model = self.model
        first, table = self._thresholds.get(head.label, (0, None))
        if table is None or not 0 <= position - first < len(table[0]):  # the next window
            first = position
            ahead = torch.arange(position, position + GAP_AHEAD)
            gap = model._formula(head.kind.gap, ahead, self.n).to(model.float_dtype)
            table = (gap / 2).tolist(), (gap / 4).tolist(), (3 * gap / 4).tolist()
            self._thresholds[head.label] = first, table
        k = position - first
        return table[0][k], table[1][k], table[2][k]

    def _attend(self, head, q, k, v, position: int) -> torch.Tensor:
        """One query, at `position`, over every key in `k`: (batch, 1, width)."""
        scores = torch.matmul(q, k.transpose(-1, -2))  # (batch, 1, keys)
        kind = head.kind
        if isinstance(kind, Softmax):
            if head.score == "neg_abs_dot":
                scores = -scores.abs()
            weights = torch.softmax(scores * self.model._scale(kind.scale, self.n), dim=-1)
            return torch.matmul(weights, v)
        if head.score == "neg_abs_dot":
            scores = scores.abs()  # best - (-|s|) = |s| - min |s|, the same float
            below = scores - scores.amin(dim=-1, keepdim=True)
        else:
            below = scores.amax(dim=-1, keepdim=True) - scores
        if kind.gap is not None:
            half, quarter, three_quarters = self._gap(head, position)
            winners = below < half
            doubtful = (below >= quarter) & (below < three_quarters)
            self.flags.mark(head.label, doubtful.flatten(1).any(dim=1))
        else:
            winners = below == 0
        if isinstance(kind, Hard):
            if kind.tie is None:
                refuse_ties((head,), winners)
            keys = k.shape[1]
            if keys > len(self._arange):
                self._arange = torch.arange(2 * keys, device=k.device)
            order = self._arange[:keys]
            order = order if kind.tie != "first" else keys - 1 - order
            pick = torch.where(winners, order, -1).argmax(dim=-1)  # (batch, 1)
            return v[self._rows, pick]
        weights = winners.to(v.dtype)
        weights = weights / weights.sum(dim=-1, keepdim=True)
        return torch.matmul(weights, v)

    @torch.inference_mode()
    def push_values(self, inputs: torch.Tensor) -> torch.Tensor:
        """One position: the read-out values (batch, outputs), in `readout.outputs` order."""
        if self.fast is not None:
            return self.fast.push(inputs)
        model = self.model
        x = self._embed(inputs)
        streams = []
        for rule, block, params in self._rules:  # each block's rule, this generator as `at`
            x = rule(model, block, params, x, self)
            streams.append((block.label, x))
        self._check_finite(x, streams)
        self.position += 1
        matrix, bias = self._readout
        return (torch.matmul(x, matrix) + bias)[:, 0]

    def attention(self, model, block: Attention, params, x: torch.Tensor) -> torch.Tensor:
        """The rule of an attention block at the new position (`TorchTransformer._attention`)."""
        delta = None
        for plan in self._heads[block.label]:
            out = self.head_output(plan, x)
            delta = out if delta is None else delta + out
        return x if delta is None else x + delta

    def head_output(self, plan: tuple, x: torch.Tensor) -> torch.Tensor:
        """One head's output at the new position, (batch, 1, width); `plan` from `_head_plan`."""
        model, position = self.model, self.position
        how, head, query, key, value = plan
        if how == "sum":
            v = torch.matmul(x, value)  # (batch, 1, width)
            before = self.sums.get(head.label)
            total = before + v if before is not None else v
            self.sums[head.label] = total
            if head.mask == "strict_causal":  # the mean over 0..p-1; nothing seen at 0
                return before / position if before is not None else torch.zeros_like(v)
            return total / (position + 1)
        if how == "general":
            k, v = self.cache[head.label][:2]
            positions = torch.tensor([position], device=model.device)
            return model._attend(head, torch.matmul(x, query), k, v, positions, self.n,
                                 self.flags)
        if how == "self":
            k, v = self._append(head.label, x, key, value)
            if head.mask == "strict_causal":  # keys 0..p-1: all but the new one
                k, v = k[:, :-1], v[:, :-1]
        else:
            k, v = self.cache[head.label][:2]
        if head.label in self.lookups.heads and k.shape[1]:  # lookups='index'
            pick = self.lookups.candidates(head, how, torch.matmul(x, query), k, position)
            if pick is not None:
                return self._attend(head, torch.matmul(x, query), k[self._rows, pick],
                                    v[self._rows, pick], position)
        if not k.shape[1]:  # no key seen: adds 0
            return x.new_zeros(x.shape[0], 1, v.shape[-1])
        return self._attend(head, torch.matmul(x, query), k, v, position)

    def mlp(self, model, block: MLP, params, x: torch.Tensor) -> torch.Tensor:
        """The rule of an MLP block at the new position (`TorchTransformer._mlp`): plain
        products with the weights of `_mlp_plan` and every bias added (one position is
        too few rows for `_linear`'s padding or `_add_bias`'s zero test to pay)."""
        w_in, b_in, w_out, b_out = self._mlps[block.label]
        hidden = torch.relu(torch.matmul(x, w_in) + b_in)
        return x + torch.matmul(hidden, w_out) + b_out

    def layer_norm(self, model, block, params, x: torch.Tensor) -> torch.Tensor:
        """The rule of a layer norm at the new position (`TorchTransformer._layer_norm`)."""
        return model._normalise(block, params, x)

    def _check_finite(self, x: torch.Tensor, streams: list) -> None:
        """One check per step: the first block whose stream holds a non-finite value, if any."""
        total = float(x.sum())  # a non-finite entry makes the sum non-finite
        if math.isfinite(total) or bool(torch.isfinite(x).all()):  # (or the sum overflowed)
            return
        label = next(label for label, s in streams if not bool(torch.isfinite(s).all()))
        raise EvaluationError(f"{label}: non-finite values at position {self.position}")

    def push(self, inputs: torch.Tensor) -> dict:
        """One position: read-out name -> (batch,) values."""
        values = self.push_values(inputs)
        return {o: values[:, k] for k, o in enumerate(self._outputs)}

    def next_input(self, outputs) -> torch.Tensor:
        """Argmax token ids (batch,) or the outputs named as the input dims (batch, dims).

        `outputs`: `push`'s dict, or `push_values`'s tensor. A tie between
        tokens is an `EvaluationError`, as in the exact backend (`Plan.choose_token`):
        with the read-out's `gap`, outputs within ``gap/2`` of the largest tie and
        ``gap/4 .. 3 gap/4`` below it marks the example suspect; without one only
        equal outputs tie (and `Plan.float_doubts` says no float run is trusted).
        """
        ir = self.model.ir
        self.model.plan.require_generating()
        if not isinstance(outputs, torch.Tensor):
            names = ir.inputs.dims if ir.feedback == "vector" else ir.readout.outputs
            if ir.feedback == "vector":
                return torch.stack([outputs[d] for d in names], dim=-1)
            outputs = torch.stack([outputs[o] for o in names], dim=-1)
        if ir.feedback == "vector":
            return outputs[:, self._feedback]
        return self._token(outputs)

    def _token(self, values: torch.Tensor) -> torch.Tensor:
        """The argmax token of each example, ties refused (see `next_input`)."""
        ir, position = self.model.ir, self.position - 1
        best = values.amax(dim=-1, keepdim=True)
        below = best - values  # (batch, tokens), 0 at the argmax
        gap = ir.readout.gap
        if gap is None:
            ties = below == 0
        else:
            value = float(self.model._formula(gap, torch.tensor([position]), self.n)[0])
            ties = below < value / 2
            doubtful = (below >= value / 4) & (below < 3 * value / 4)
            self.flags.mark(ir.readout.label, doubtful.any(dim=-1))
        counts = ties.sum(dim=-1)
        if bool((counts > 1).any()):
            example = int((counts > 1).nonzero()[0, 0])
            tied = [t for t, tie in zip(ir.readout.outputs, ties[example].tolist(), strict=True)
                    if tie]
            self.model.plan.choose_token(tied, position)  # raises, naming the tokens
        return values.argmax(dim=-1)
