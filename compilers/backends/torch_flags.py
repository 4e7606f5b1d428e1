"""Per-example trust flags and deferred non-finite checks of the torch backend.

Both keep their results on the device while a batch runs and read them back
at once: `Flags` or-s together, per example, whether a guarded decision (a
hard head's argmax, a tie between tokens) came within float error;
`NonFiniteChecks` queues "this block's stream is finite" and raises
`EvaluationError` naming the first block that was not.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from compilers.errors import EvaluationError


class Flags:
    """Per-example suspicion, or-ed together on the device while a batch runs (no host sync)."""

    def __init__(self, batch: int, device):
        self.any = torch.zeros(batch, dtype=torch.bool, device=device)
        self.guarded: dict[str, torch.Tensor] = {}  # every guarded head that ran

    def mark_heads(self, labels: Sequence[str], fired: torch.Tensor) -> None:
        """`mark` for several heads at once: fired (batch, heads)."""
        self.any |= fired.any(dim=1) if len(labels) > 1 else fired[:, 0]
        for h, label in enumerate(labels):
            if label in self.guarded:
                self.guarded[label] |= fired[:, h]
            else:
                self.guarded[label] = fired[:, h]  # a column of a fresh tensor: no copy

    def mark(self, label: str, fired: torch.Tensor) -> None:
        if label in self.guarded:
            self.guarded[label] |= fired
        else:
            self.guarded[label] = fired.clone()
        self.any |= fired

    @property
    def heads(self) -> dict[str, torch.Tensor]:
        """Head label -> (batch,) bool, for the heads that fired (reads the flags back)."""
        if not self.guarded:
            return {}
        fired = torch.stack([f.any() for f in self.guarded.values()]).tolist()
        return {label: flags for (label, flags), any_fired in zip(self.guarded.items(), fired,
                                                                      strict=True)
                if any_fired}


class NonFiniteChecks:
    """Non-finite checks queued on the device and read back at once.

    `add` queues "every value of this stream is finite" as a 0-d tensor (no
    host sync); `check` reads all queued results back in one transfer and
    raises `EvaluationError` for the first that failed, naming its block and
    where it ran.
    """

    def __init__(self, dtype: torch.dtype):
        self.dtype = dtype
        self.queued: list = []  # (block label, where, (least value, greatest value))

    def add(self, label: str, x: torch.Tensor, where: str = "") -> None:
        if x.numel():  # the least and the greatest value: both finite iff every value is
            self.queued.append((label, where, torch.aminmax(x)))

    def check(self) -> None:
        if not self.queued:
            return
        queued, self.queued = self.queued, []
        ends = torch.stack([end for q in queued for end in q[2]]).tolist()
        if all(map(math.isfinite, ends)):
            return
        first = next(k for k, end in enumerate(ends) if not math.isfinite(end)) // 2
        label, where, _ = queued[first]
        raise EvaluationError(f"{label}: non-finite values{where} in {self.dtype} "
                              "(overflow, or a zero variance in layer norm)")
