"""The Backend seam: what the run layer asks of exact, torch and circuit alike.

A backend evaluates one IR `Transformer`; it knows nothing of languages,
machines or programs (the constructions turn those into inputs and back). It
offers three ways to run, matching the three ways a construction runs
(`compilers.runs`):

* `forward`: one pass over a batch of same-length inputs (a recogniser);
* `generator`: position by position, the read-out fed back (a decoder);
* `start` / `loop`: the blocks applied again and again to a stream (a looped
  model), with `read` to look at a few entries between loops.

Values cross the seam as the backend's own arrays (`Native`: numpy object
arrays of Fractions for exact, torch tensors for torch, numpy arrays of
integers for circuit), which all support ``> == * ~ | & .any(-1) .all(-1)
.sum(-1)``: the run layer writes its halting and decoding tests once, and
`host` brings values to numpy when they must be looked at in Python.

Every backend reads the same `compilers.ir.plan.Plan`, so that decisions
(read-out pruning, uniform heads, tie rules, what makes a float run
untrusted) cannot differ between them; where one backend raises an
`EvaluationError`, the others raise it too or flag the run (`suspect`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from compilers.ir.plan import Plan

Native = Any
"""A backend's own array type (see the module docstring)."""


@dataclass
class Pass:
    """One forward pass over a batch.

    Attributes:
        outputs: read-out name -> host array, one value per example (for a
            read-out at 'all' positions: (batch, positions)).
        suspect: (batch,) bool: a guarded decision came within float error.
        why: example index -> why it is suspect (the heads that fired).
    """

    outputs: dict[str, np.ndarray]
    suspect: np.ndarray
    why: dict[int, str] = field(default_factory=dict)


@runtime_checkable
class Generator(Protocol):
    """A cached, position-by-position run of a generating model over a batch."""

    position: int

    def push(self, inputs: Native) -> Native:
        """Append one input per example; the read-out at the new position, (batch, outputs)."""

    def next_input(self, outputs: Native) -> Native:
        """The next inputs by the model's feedback rule (a token tie is an `EvaluationError`)."""

    def suspect(self) -> np.ndarray:
        """(batch,) bool: some guarded decision so far came within float error."""


@runtime_checkable
class Backend(Protocol):
    """One way to evaluate an IR (see the module docstring)."""

    name: str
    plan: Plan
    dtype: str | None

    def forward(self, inputs: Sequence[Sequence], *, n: int,
                encoder_inputs: Sequence[Sequence] | None = None) -> Pass:
        """Run a batch of same-length sequences (tokens, or vectors over the input dims)."""

    def generator(self, *, n: int, batch: int,
                  encoder_inputs: Sequence[Sequence] | None = None) -> Generator:
        """A cached generator over `batch` examples (every self-attention head causal)."""

    def inputs(self, rows: Sequence[Sequence]) -> Native:
        """One input per example (a token or a vector), as this backend's array."""

    def start(self, matrices: Sequence[np.ndarray], *, n: int) -> Native:
        """The streams of a batch of input matrices (positions x input dims each)."""

    def loop(self, state: Native, *, n: int) -> Native:
        """The blocks applied once more (one loop of a looped model)."""

    def read(self, state: Native, entries: Sequence[tuple[int, str]]) -> Native:
        """The entries ``(position, direction)`` of every example: (batch, len(entries))."""

    def streams(self, state: Native) -> np.ndarray:
        """Every example's whole stream on the host: (batch, positions, width)."""

    def index(self) -> dict[str, int]:
        """Direction -> column of `streams`."""

    def array(self, values: np.ndarray) -> Native:
        """A host array as this backend's array (to compare with `read`'s values)."""

    def host(self, values: Native) -> np.ndarray:
        """This backend's array as a numpy array."""

    def check(self) -> None:
        """Raise what deferred checks found (torch: non-finite values); a no-op elsewhere."""

    def flags(self) -> tuple[np.ndarray, dict[int, str]]:
        """Per-example flags raised while looping (circuit: a broken promise), and why."""
