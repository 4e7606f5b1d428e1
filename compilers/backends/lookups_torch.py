"""Torch generation with ``lookups='index'``: hard ``-|<q, k>|`` heads by `RatioIndex`.

The torch generator (`torch_generate.TorchGenerator`) already keeps a running
sum for uniform causal heads; this adds, for each hard ``-|<q, k>|`` head
(Pérez et al.'s last write, causal self-attention; the input cell, encoder
attention), one `lookups_ratio.RatioIndex` per example, fed each new key on
the host (float64). At each step the index names the *candidates*: the
special keys and the keys whose ratio matches the query's, every other key
being certified at least the head's ``gap`` (its promise, at this position)
below the best candidate. The generator then runs its own hard-attention rule
(`TorchGenerator._attend`: winners within gap/2, the tie rule, the suspect
flag for scores gap/4 .. 3 gap/4 below) on the candidates only, so it picks
the row and raises the flags the dense step would: no other key can be a
winner or doubtful. Where the index cannot certify (a query it cannot
answer, a head without a tie rule whose examples have unequal candidate
counts), the step runs densely.
"""

from __future__ import annotations

import torch

from compilers.backends.lookups_ratio import RatioIndex
from compilers.ir import Hard

TOLERANCES = {torch.float64: (2.0 ** -40, 2.0 ** -30), torch.float32: (2.0 ** -20, 2.0 ** -12)}


class TorchRatioLookups:
    """The ratio indexes of one generator (empty unless `enabled`)."""

    def __init__(self, generator, enabled: bool):
        self.generator = generator
        self.heads: dict[str, list[RatioIndex]] = {}
        if not enabled:
            return
        model = generator.model
        self.tol, self.window = TOLERANCES.get(model.float_dtype, (2.0 ** -8, 2.0 ** -6))
        for plans in generator._heads.values():
            for how, head, *_ in plans:
                if (head.score == "neg_abs_dot" and isinstance(head.kind, Hard)
                        and (how, head.mask) in (("self", "causal"), ("encoder", "none"))):
                    self.heads[head.label] = [
                        RatioIndex(tie=head.kind.tie, tol=self.tol, window=self.window,
                                   label=head.label) for _ in range(generator.batch)]
                    if how == "encoder":
                        keys = generator.cache[head.label][0]
                        self._add(head.label, keys)

    def _add(self, label: str, keys: torch.Tensor) -> None:
        """Append keys (batch, positions, dims) to each example's index."""
        for index, rows in zip(self.heads[label], keys.double().cpu().tolist(), strict=True):
            for key in rows:
                index.add(key)

    def candidates(self, head, how: str, q: torch.Tensor, k: torch.Tensor, position: int):
        """(batch, m): the candidate key positions of every example, or None where the
        dense step must run (see the module docstring)."""
        label = head.label
        if how == "self":
            self._add(label, k[:, -1:])
        margin = 0.0
        if head.kind.gap is not None:
            margin = 2 * self.generator._gap(head, position)[0]  # the gap itself
        picks = []
        for index, query in zip(self.heads[label], q[:, 0].double().cpu().tolist(),
                                strict=True):
            found = index.candidates(query, margin)
            if found is None:
                return None
            picks.append(sorted(j for _, j in found[0]))
        width = max(len(p) for p in picks)
        if head.kind.tie is None and any(len(p) != width for p in picks):
            return None
        padded = [p + [p[-1]] * (width - len(p)) for p in picks]  # repeats change no pick
        return torch.tensor(padded, dtype=torch.long, device=k.device)
