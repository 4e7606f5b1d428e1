"""What `recognise` and `predict` share: forward passes over words grouped by length, and
the trust of a float run.

The formulas see ``n = len(word)``, so the words are grouped by length and each group
goes through the backend's `forward` in batches of at most `batch_size`; `Batches`
collects each word's suspect flag and reason as the passes come back.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np


class Batches:
    """Forward passes over `words` (in length groups and batches), and what they flagged."""

    def __init__(self, backend, construction, words: Sequence[str], batch_size: int):
        self.backend, self.construction, self.words = backend, construction, words
        self.batch_size = batch_size
        self.suspect = np.zeros(len(words), dtype=bool)
        self.why: dict[int, str] = {}

    def __iter__(self) -> Iterator[tuple[list[int], object]]:
        """(indices into `words`, the backend's `Forward`) for each batch, shortest first."""
        by_length: dict[int, list[int]] = {}
        for k, word in enumerate(self.words):
            by_length.setdefault(len(word), []).append(k)
        tokens = self.construction.tokens
        for length, indices in sorted(by_length.items()):
            for start in range(0, len(indices), self.batch_size):
                chunk = indices[start:start + self.batch_size]
                done = self.backend.forward([tokens(self.words[k]) for k in chunk], n=length)
                self.suspect[chunk] = done.suspect
                self.why |= {chunk[k]: reason for k, reason in done.why.items()}
                yield chunk, done

    def doubts(self) -> str:
        """The plan's reasons to doubt every float run (torch only), joined, or ''."""
        return "; ".join(self.backend.plan.float_doubts()) if self.backend.name == "torch" else ""

    def float_trust(self, k: int, doubts: str) -> tuple[bool, str | None]:
        """Whether word k's torch run is trusted, and why not: the plan's doubts, a guarded
        decision within float error, or a length past the construction's guarantee."""
        if doubts:
            return False, doubts
        if self.suspect[k]:
            return False, self.why.get(k) or "a guarded decision came within float error"
        construction, dtype, n = self.construction, self.backend.dtype, len(self.words[k])
        if not construction.trusted(dtype, n):
            limit = construction.limits.get(dtype)
            return False, (f"{dtype} is guaranteed up to n = {limit}, and this word has "
                           f"n = {n}" if limit is not None else f"nothing is guaranteed in {dtype}")
        return True, None
