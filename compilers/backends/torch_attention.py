"""The torch backend's attention block: projections as few products, like heads at once.

`attention_block` is what `TorchTransformer.apply_blocks` runs for an
`Attention` block: ``x[:, rows] + sum_h head_h(x)`` in the block's head
order. It computes the same per-head values as running each head alone, with
fewer (and larger) tensor operations, which is what a small model's forward
costs on CPU:

* the queries of every head are one product with x[:, rows], and the keys and
  values of every head that reads the same stream one product with that
  stream (the weights concatenated, the result sliced per head); a head whose
  scores are all 0 (uniform attention) needs neither query nor key;
* heads of the same kind, score, mask, source and query and key widths (e.g.
  PARITY's ``odd`` and ``even``) form a group that runs as one batched
  attention over a head dimension: the same products per head, one tensor
  operation for all of them (heads one by one where their scores together
  would exceed `GROUPED_SCORES` values, not to multiply peak memory);
* scores over one query and key dim are elementwise products (the same
  floats as a matmul's); an unmasked head builds no mask; a guarded head's gap
  thresholds are built once per (length, n) and kept in the module's cache.

What each head computes is `attend`'s docstring.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from compilers.backends import torch_sparse as sparse
from compilers.ir import Attention, AverageHard, Hard, Head, Softmax
from compilers.ir.plan import argmax_positions

GROUPED_SCORES = 1 << 22  # the most scores a group of heads computes at once (see _split)


def attention_block(model, block: Attention, params, x: torch.Tensor, rows: slice, n: int,
                    encoder_stream, flags) -> torch.Tensor:
    """``x[:, rows]`` plus the sum, in head order, of the block's heads at the query `rows`."""
    length = x.shape[1]
    positions = model._cached(("arange", length),
                              lambda: torch.arange(length, device=model.device))[rows]
    restricted = _restricted_block(model, block, params, x, rows, positions, n,
                                   encoder_stream, flags)
    if restricted is not None:
        return restricted
    plan = model._cached(("plan", block.label), lambda: _Plan.of(model, block))
    products = {}
    if plan.parts["query"]:
        queries = x if rows == slice(None) else x[:, rows].contiguous()  # (strided: slow)
        products["query"] = model._linear(queries, [params[label].query
                                                    for label, _ in plan.parts["query"]])
    streams = {"self": x, "encoder": encoder_stream}
    for source in ("self", "encoder"):
        if plan.parts[source]:
            products[source] = model._linear(streams[source], [
                getattr(params[label], what) for label, what in plan.parts[source]])
    outputs = {}
    for whole in plan.groups:
        scores = x.shape[0] * positions.shape[0] * streams[whole[0].source].shape[1]
        for group in _split(whole, scores):
            _run_group(model, plan, group, products, positions, n, flags, (length, rows.start),
                       outputs)
    delta = None
    for head in block.heads:
        out = outputs[head.label]
        delta = out if delta is None else delta + out
    x = x[:, rows]
    return x if delta is None else x + delta


def _restricted_block(model, block: Attention, params, x: torch.Tensor, rows: slice,
                      positions, n: int, encoder_stream, flags) -> torch.Tensor | None:
    """`attention_block` head by head, each weight on its nonzero rows and columns
    (`torch_sparse.support`): a head's value reads and writes few of the stream's dims, so
    its values, ``weights @ values`` and the sum into the stream shrink from the stream's
    width to those dims. None (run the grouped dense path) unless some head's value
    product is large enough to look at (`torch_sparse.SPARSE_MACS`).

    Each head computes what it computes alone (`attend`), and the heads' outputs are
    summed in head order into a zero delta before it is added to the stream, as in the
    dense path: the same floats, but for the order of a BLAS kernel's sums.
    """
    streams = {"self": x, "encoder": encoder_stream}
    written = {head.label: sparse.support(params[head.label].value,
                                              sparse.rows(streams[head.source]))
               for head in block.heads}
    if all(where is None for where in written.values()):
        return None
    queries = x if rows == slice(None) else x[:, rows].contiguous()
    outputs = []
    for head in block.heads:
        source, weights = streams[head.source], params[head.label]
        q = k = None
        if not model._constant_scores(head):
            q = sparse.linear(queries, weights.query, model._linear)[:, None]
            k = sparse.linear(source, weights.key, model._linear)[:, None]
        where = written[head.label]
        if where is None:
            where = (slice(0, weights.value.shape[0]), None)
            v = model._linear(source, weights.value)
        else:
            v = sparse.product(source, weights.value, where)
        out = attend(model, (head,), q, k, v[:, None], positions, n, flags,
                     rows_key=(x.shape[1], rows.start))[0]
        outputs.append((where[0], out))
    base = x[:, rows]
    if len(outputs) == 1:
        return sparse.add_at(base, *outputs[0])
    delta = base.new_zeros(base.shape)
    for columns, out in outputs:
        delta = sparse.add_at(delta, columns, out)
    return base + delta


def _split(group: tuple, scores: int) -> list[tuple]:
    """The group, or its heads one by one when their `scores` each (batch x queries x keys)
    would together exceed `GROUPED_SCORES`: batching saves per-operation overhead, which
    only small tensors feel, and would multiply the peak memory of large ones."""
    if len(group) == 1 or len(group) * scores <= GROUPED_SCORES:
        return [group]
    return [(head,) for head in group]


def _run_group(model, plan, group, products, positions, n, flags, rows_key, outputs) -> None:
    """`attend` on one group, its outputs into `outputs` by head label."""
    first = group[0]
    q = k = None
    if first.label in plan.scored:
        q = plan.columns(products["query"], group, "query")
        k = plan.columns(products[first.source], group, "key")
    v = plan.columns(products[first.source], group, "value")
    out = attend(model, group, q, k, v, positions, n, flags, rows_key=rows_key)
    outputs.update(zip([head.label for head in group], out, strict=True))


@dataclass(frozen=True)
class _Plan:
    """A block's head groups and where each head's query, key and value columns lie in the
    product of its stream with all their weights side by side (built once per block)."""

    groups: tuple  # tuples of heads (see `head_groups`)
    scored: frozenset  # labels of the heads whose scores are not constant
    parts: dict  # "query" | "self" | "encoder" -> ((head label, "query" | "key" | "value"), ...)
    at: dict  # (head label, what) -> (first column, width) in its product

    @classmethod
    def of(cls, model, block: Attention) -> _Plan:
        groups = head_groups(model, block)
        ordered = [head for group in groups for head in group]
        scored = frozenset(h.label for h in ordered if not model._constant_scores(h))
        parts = {"query": [(h, "query") for h in ordered if h.label in scored]}
        for source in ("self", "encoder"):
            heads = [h for h in ordered if h.source == source]
            parts[source] = ([(h, "key") for h in heads if h.label in scored]
                             + [(h, "value") for h in heads])
        widths = {"query": lambda h: len(h.query.rows), "key": lambda h: len(h.key.rows),
                  "value": lambda h: len(model.index)}  # values are dense over the stream
        at = {}
        for listed in parts.values():
            start = 0
            for head, what in listed:
                at[(head.label, what)] = (start, widths[what](head))
                start += widths[what](head)
        return cls(groups=groups, scored=scored, at=at,
                   parts={k: tuple((h.label, what) for h, what in v) for k, v in parts.items()})

    def columns(self, product: torch.Tensor, group, what: str) -> torch.Tensor:
        """The group's columns of `product`: (batch, heads, positions, width), a view."""
        start, width = self.at[(group[0].label, what)]
        part = product[..., start:start + width * len(group)]
        return part.unflatten(-1, (len(group), width)).transpose(1, 2)


def head_groups(model, block: Attention) -> tuple[tuple[Head, ...], ...]:
    """The block's heads in groups that can run as one: same kind, score, mask, source,
    query and key widths, scores not constant; every other head alone."""
    groups: dict = {}
    for head in block.heads:
        key = (head.label,) if model._constant_scores(head) else (
            head.source, head.kind, head.score, head.mask, len(head.query.rows),
            len(head.key.rows))
        groups.setdefault(key, []).append(head)
    return tuple(tuple(group) for group in groups.values())


def attend(model, heads, q, k, v, positions, n, flags, *, rows_key=None) -> list:
    """Heads of one group at the query `positions`: one (batch, queries, width) per head.

    q (batch, heads, queries, d), k (batch, heads, keys, d), v (batch, heads,
    keys, width); q and k are None for a head with constant scores.

    * constant scores (uniform attention): the mean of the values over the
      visible keys, O(length) not O(length^2) (a running sum under any mask);
    * the keys a query sees follow the head's mask (`ir.plan.visible`); a query
      that sees none (a strict mask at the first or last position) adds 0;
    * softmax: ``softmax(scale(n) * q.k)`` over the visible keys;
    * hard and average-hard: ``below = max - score``; with a `gap`, scores
      with ``below < gap/2`` are ties and ``gap/4 <= below < 3 gap/4`` marks
      the example suspect for that head; without one only ``below == 0`` ties.
      Hard picks one tie by its rule (a one-hot row), average-hard averages them.

    `rows_key` (length, first query row) names `positions` in the module's
    cache, for the gap thresholds; None builds them afresh.
    """
    head = heads[0]
    mask = head.mask
    if model._constant_scores(head):
        if mask == "causal":
            sums = torch.cumsum(v, dim=2)[:, :, positions]
            return [(sums / (positions + 1).to(v.dtype)[None, None, :, None])[:, 0]]
        if mask == "none":
            return [v.mean(dim=2, keepdim=True).expand(-1, -1, len(positions), -1)[:, 0]]
        return [_masked_mean(v, positions, mask)[:, 0]]
    # (batch, heads, queries, keys); with one query and key dim each score is one product,
    # the same float as the matmul gives, and an elementwise product is much faster (k made
    # contiguous first, or the scores and weights would inherit its heads-innermost layout,
    # which makes the weights @ v products below several times slower)
    scores = q * k.transpose(-1, -2).contiguous() if q.shape[-1] == 1 \
        else torch.matmul(q, k.transpose(-1, -2))
    if head.score == "neg_abs_dot":
        scores = -scores.abs()
    masked_keys, blind = mask != "none", None
    if masked_keys:  # without a mask every key is visible, and masked_fill would change nothing
        hidden = hidden_keys(mask, positions, k.shape[2], model.device)  # (queries, keys)
        blind = hidden.all(dim=-1) if mask.startswith("strict") else None  # sees no key
    if isinstance(head.kind, Softmax):
        scores = scores * model._scale(head.kind.scale, n)
    masked = scores.masked_fill(hidden, float("-inf")) if masked_keys else scores
    return _per_head(pattern(model, heads, masked, blind, positions, n, flags,
                             rows_key=rows_key), v)


def pattern(model, heads, masked, blind, positions, n, flags, *, rows_key=None
            ) -> torch.Tensor:
    """The attention weights (batch, heads, queries, keys) of heads of one kind from their
    scores `masked` (scaled by the softmax scale for a softmax head; ``-inf`` at the keys
    a query does not see); `blind` (queries,) bool, or None: the queries that see no key,
    whose weights are 0. See `attend` for each kind's rule."""
    kind = heads[0].kind
    if isinstance(kind, Softmax):
        return _unseen(torch.softmax(masked, dim=-1), blind)
    if masked.shape[-1] == 0:  # no key at all (no positions): no weight
        return masked
    best = masked.max(dim=-1, keepdim=True).values
    below = best - masked  # >= 0 where visible, +inf elsewhere
    if kind.gap is not None:
        half, quarter, three_quarters = _thresholds(model, kind.gap, positions, n,
                                                    masked.dtype, rows_key)
        winners = below < half
        doubtful = (below >= quarter) & (below < three_quarters)
        flags.mark_heads([h.label for h in heads], doubtful.flatten(2).any(dim=2))
    else:
        winners = below == 0  # nan (never a winner) where a query sees no key
    if isinstance(kind, Hard):
        if kind.tie is None:
            refuse_ties(heads, winners)
        keys = masked.shape[-1]
        order = torch.arange(keys, device=model.device)
        order = order if kind.tie != "first" else keys - 1 - order
        pick = torch.where(winners, order, -1).argmax(dim=-1)  # (batch, heads, queries)
        weights = torch.nn.functional.one_hot(pick, keys).to(masked.dtype)
    else:
        assert isinstance(kind, AverageHard)
        weights = winners.to(masked.dtype)
        weights = weights / weights.sum(dim=-1, keepdim=True)
    return _unseen(weights, blind)


def hidden_keys(mask: str, positions: torch.Tensor, keys: int, device) -> torch.Tensor:
    """(queries, keys) bool: the keys a query does not see, by the mask (`ir.plan.visible`)."""
    key_positions = torch.arange(keys, device=device)[None, :]
    query = positions[:, None]
    if mask == "causal":
        return key_positions > query
    if mask == "strict_causal":
        return key_positions >= query
    if mask == "anticausal":
        return key_positions < query
    return key_positions <= query  # strict_anticausal


def _unseen(weights: torch.Tensor, blind: torch.Tensor | None) -> torch.Tensor:
    """`weights` with the rows of queries that see no key set to 0 (they add nothing)."""
    if blind is None or not bool(blind.any()):
        return weights
    return weights.masked_fill(blind[:, None], 0.0)


def _masked_mean(v: torch.Tensor, positions: torch.Tensor, mask: str) -> torch.Tensor:
    """The mean of the values each query sees under a strict or anticausal mask (0 if none):
    differences of one running sum, (batch, heads, queries, width)."""
    length = v.shape[2]
    sums = torch.cat([torch.zeros_like(v[:, :, :1]), torch.cumsum(v, dim=2)], dim=2)
    start = {"strict_causal": torch.zeros_like(positions), "anticausal": positions,
             "strict_anticausal": positions + 1}[mask].clamp(max=length)
    stop = {"strict_causal": positions, "anticausal": torch.full_like(positions, length),
            "strict_anticausal": torch.full_like(positions, length)}[mask]
    count = (stop - start).clamp(min=1).to(v.dtype)[None, None, :, None]
    return (sums[:, :, stop] - sums[:, :, start]) / count


def refuse_ties(heads, winners: torch.Tensor) -> None:
    """For hard heads without a tie rule: a tie is an `EvaluationError` (`Plan`'s rule).

    `winners`: (..., keys) bool, the keys tied at the maximum, heads on dim 1 if batched.
    """
    counts = winners.sum(dim=-1)
    if not bool((counts > 1).any()):
        return
    where = (counts > 1).nonzero()[0].tolist()
    row = winners[tuple(where)]
    head = heads[where[1]] if winners.dim() == 4 else heads[0]
    argmax_positions(head, row.nonzero().flatten().tolist())  # raises, naming the positions


def _per_head(weights: torch.Tensor, v: torch.Tensor) -> list[torch.Tensor]:
    """``weights @ v`` head by head: v's heads are strided slices of one product, which a
    batched product over all heads would first copy."""
    return [torch.matmul(weights[:, h], v[:, h]) for h in range(v.shape[1])]


def _thresholds(model, gap, positions, n: int, dtype, rows_key) -> tuple:
    """``gap/2, gap/4, 3 gap/4`` at `positions`, each (1, queries, 1) in `dtype`."""
    def make():
        value = model._formula(gap, positions, n).to(dtype)[None, :, None]
        return value / 2, value / 4, 3 * value / 4
    if rows_key is None:
        return make()
    return model._cached(("gap", gap, n, dtype, *rows_key), make)
