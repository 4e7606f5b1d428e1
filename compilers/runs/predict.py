"""Predict: one forward pass per word, the next-symbol distribution at every position.

`predict(construction, words, backend=...)` groups the words by length (the
formulas see ``n = len(word)``), runs each group through the backend's
`forward` (the read-out at every position), and returns one `Result` per
word: the decoded `Predictions` (`compilers.constructions.predictor`), the
reference's, and trust. The answer agrees with the reference when every
position's distribution is equal, exactly.

Trust, as for `recognise`: the exact backend is the ground truth; a torch run
is trusted where the construction's error analysis covers the length in that
dtype (`Predictor.trusted`), no guarded decision came within float error and
nothing in the IR stands in the way (`Plan.float_doubts`). The circuit
backend compiles one circuit per length with the read-out at every position
(`compilers.backends.circuit.lower_positions`) and gives each value exactly,
decoded as the exact backend's: trusted at ``precision="auto"`` (exact
wherever it lowers, and refused where it cannot be); at a stated fixed
precision it rounds, and the run says so.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from compilers.constructions.base import require_mode
from compilers.runs import validate
from compilers.runs.backends import FORWARD_VALUES, backend_for
from compilers.runs.batches import Batches
from compilers.runs.results import Result


def predict(construction, words: Sequence[str], *, backend: str = "exact",
            dtype: str = "float64", device: str = "cpu", precision="auto",
            batch_size: int = 4096, reference: bool = True, runner=None) -> list[Result]:
    """Run `construction` on every word (see the module docstring).

    Args:
        construction: a predictor (``mode == "predict"``).
        words: the words, over the construction's alphabet.
        backend: ``exact``, ``torch`` or ``circuit``.
        dtype, device: the torch backend's float type and device.
        precision: the circuit backend's precision (``auto`` or ``I.F``).
        batch_size: words per forward pass.
        reference: also compute the reference's distributions.
        runner: a backend already built for this construction (reused across calls).
    """
    require_mode(construction, "predict")
    words = validate.words(construction, words)
    batch_size = validate.integer(batch_size, "batch_size", 1)
    be = validate.prebuilt(runner, "runner", "forward", "check") or backend_for(
        construction, backend, dtype=dtype, device=device, precision=precision)
    kind = FORWARD_VALUES[be.name]
    answers: list = [None] * len(words)
    batches = Batches(be, construction, words, batch_size)
    for chunk, done in batches:
        be.check()
        columns = [np.asarray(done.outputs[o]) for o in construction.outputs]
        for b, k in enumerate(chunk):  # (positions, outcomes) for example b
            rows = np.stack([column[b] for column in columns], axis=-1)
            answers[k] = construction.decode(rows, kind)
    doubts = batches.doubts()
    results = []
    for k, word in enumerate(words):
        trusted, reason = _trust(batches, k, doubts)
        results.append(Result(
            construction=construction.name, mode="predict", backend=be.name, dtype=be.dtype,
            input=word, answer=answers[k],
            reference=construction.reference(word) if reference else None,
            trusted=trusted, why_untrusted=reason,
            values={"suspect": bool(batches.suspect[k])}))
    return results



def _trust(batches: Batches, k: int, doubts: str) -> tuple[bool, str | None]:
    name = batches.backend.name
    if name == "exact":
        return True, None
    if name == "circuit":
        stated = str(batches.backend.precision)
        if stated == "auto":
            return True, None
        return False, (f"the circuit rounds at the stated precision {stated}; only 'auto' "
                       "is exact")
    return batches.float_trust(k, doubts)
