"""The backend options ``lookups`` and ``dense_every``, shared by exact and torch.

``lookups="dense"`` (the default) runs every head over every key, every block
at every column. ``lookups="index"`` runs a looped model's loops
incrementally with indexed lookups (`compilers.backends.incremental`,
`compilers.backends.lookups`): per loop, only the columns whose inputs changed
and what reads them; and a generating model's steps with running sums and
ratio lookups (`compilers.backends.lookups_generate`, `lookups_torch`).
``dense_every=K`` also runs the dense loop every K loops and compares the
whole punchcard; at the end of a run (`finish`) the last
loop is always compared, unless ``dense_every=0`` (no dense loop at all: an
unchecked run, for timing). ``on_broken``: what a loop that breaks the
unique-argmax promise does (``"dense"``: that loop is recomputed densely and
recorded; ``"error"``: `EvaluationError`).
"""

from __future__ import annotations

from compilers.backends.common import EvaluationError
from compilers.backends.incremental import ON_BROKEN, indexable

LOOKUPS = ("dense", "index")


class Lookups:
    """The options, checked, and the loop driver for ``lookups='index'``."""

    def __init__(self, transformer, lookups: str, dense_every: int | None, on_broken: str):
        if lookups not in LOOKUPS:
            raise EvaluationError(f"lookups {lookups!r}; allowed: {', '.join(LOOKUPS)}")
        if dense_every is not None and (isinstance(dense_every, bool) or not isinstance(
                dense_every, int) or dense_every < 0):
            raise EvaluationError(f"dense_every {dense_every!r}; allowed: None or an integer "
                                  ">= 0 (0: no dense loop)")
        if on_broken not in ON_BROKEN:
            raise EvaluationError(f"on_broken {on_broken!r}; allowed: {', '.join(ON_BROKEN)}")
        if lookups == "dense" and dense_every is not None:
            raise EvaluationError("dense_every applies to lookups='index' only")
        self.index = lookups == "index"
        if dense_every is not None and not transformer.looped:
            raise EvaluationError("dense_every applies to looped models only")
        if self.index and transformer.looped:
            problems = indexable(transformer)
            if problems:
                raise EvaluationError("lookups='index' cannot run this model: "
                                      + "; ".join(problems))
        self.dense_every, self.on_broken = dense_every, on_broken

    def loop(self, runs: list, active) -> list:
        """One loop of every active run; the dense comparison every `dense_every` loops."""
        for k, run in enumerate(runs):
            if active is None or active[k]:
                run.step()
                if self.dense_every and run.loops % self.dense_every == 0:
                    run.check(where=f"run {k},")
        return [run.stream for run in runs]

    def changed(self, runs: list) -> set[int] | None:
        """The columns any run changed since the last call (`IncrementalLoop.take_touched`),
        or None without lookups (then every column may have)."""
        if not self.index:
            return None
        return set().union(*(run.take_touched() for run in runs))

    def finish(self, runs: list) -> None:
        """The dense comparison of each run's last loop (not with ``dense_every=0``)."""
        if self.dense_every == 0:
            return
        for k, run in enumerate(runs):
            if not self.dense_every or run.loops % self.dense_every:
                run.check(where=f"run {k}, last")

    def broken(self, runs: list) -> dict[int, str]:
        """Run index -> the loops that broke the promise (recomputed densely)."""
        return {k: "; ".join(run.broken) for k, run in enumerate(runs) if run.broken}
