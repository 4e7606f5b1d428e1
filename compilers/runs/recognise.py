"""Recognise: one forward pass per word, accept iff the construction's output is > 0.

`recognise(construction, words, backend=...)` groups the words by length
(the formulas see ``n = len(word)``), runs each group through the backend's
`forward` in batches, and returns one `Result` per word, in order: the
decision, the logit, the language's own answer, and trust.

Trust. The exact backend is the ground truth. A torch run is trusted where
the construction's error analysis covers the length in that dtype
(`Recognizer.trusted`), no guarded decision came within float error, and
nothing in the IR stands in the way (`Plan.float_doubts`). The circuit
backend computes the circuit's exact logit: trusted at ``precision="auto"``
(exact wherever it lowers); at a stated fixed precision it rounds, and the
run says so.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from compilers.constructions.base import require_mode
from compilers.runs import validate
from compilers.runs.backends import backend_for
from compilers.runs.batches import Batches
from compilers.runs.results import Result


def recognise(construction, words: Sequence[str], *, backend: str = "exact",
              dtype: str = "float64", device: str = "cpu", precision="auto",
              batch_size: int = 4096, reference: bool = True, runner=None) -> list[Result]:
    """Run `construction` on every word (see the module docstring).

    Args:
        construction: a recogniser (``mode == "recognise"``).
        words: the words, over the construction's alphabet.
        backend: ``exact``, ``torch`` or ``circuit``.
        dtype, device: the torch backend's float type and device.
        precision: the circuit backend's precision (``auto`` or ``I.F``).
        batch_size: words per forward pass.
        reference: also ask the language (the oracle) about each word.
        runner: a backend already built for this construction (reused across calls).
    """
    require_mode(construction, "recognise")
    words = validate.words(construction, words)
    batch_size = validate.integer(batch_size, "batch_size", 1)
    be = validate.prebuilt(runner, "runner", "forward") or backend_for(
        construction, backend, dtype=dtype, device=device, precision=precision)
    logits = np.empty(len(words), dtype=object)
    batches = Batches(be, construction, words, batch_size)
    for chunk, done in batches:
        logits[chunk] = list(done.outputs[construction.accept])
    doubts = batches.doubts()
    results = []
    for k, word in enumerate(words):
        trusted, reason = _trust(batches, k, doubts, precision)
        results.append(Result(
            construction=construction.name, mode="recognise", backend=be.name, dtype=be.dtype,
            input=word, answer=bool(logits[k] > 0),
            reference=construction.reference(word) if reference else None,
            trusted=trusted, why_untrusted=reason,
            values={"logit": logits[k], "suspect": bool(batches.suspect[k])}))
    return results


def _trust(batches: Batches, k: int, doubts: str, precision) -> tuple[bool, str | None]:
    name = batches.backend.name
    if name == "exact":
        return True, None
    if name == "circuit":
        if str(precision) == "auto":
            return True, None
        return False, (f"the circuit rounds at the stated precision {precision}; only 'auto' "
                       "is exact")
    return batches.float_trust(k, doubts)
