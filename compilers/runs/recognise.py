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
    suspect = np.zeros(len(words), dtype=bool)
    why: dict[int, str] = {}
    by_length: dict[int, list[int]] = {}
    for k, word in enumerate(words):
        by_length.setdefault(len(word), []).append(k)
    for length, indices in sorted(by_length.items()):
        for start in range(0, len(indices), batch_size):
            chunk = indices[start:start + batch_size]
            done = be.forward([construction.tokens(words[k]) for k in chunk], n=length)
            logits[chunk] = list(done.outputs[construction.accept])
            suspect[chunk] = done.suspect
            why |= {chunk[k]: reason for k, reason in done.why.items()}
    doubts = "; ".join(be.plan.float_doubts()) if be.name == "torch" else ""
    results = []
    for k, word in enumerate(words):
        trusted, reason = _trust(construction, be, len(word), bool(suspect[k]), why.get(k),
                                 doubts, precision)
        results.append(Result(
            construction=construction.name, mode="recognise", backend=be.name, dtype=be.dtype,
            input=word, answer=bool(logits[k] > 0),
            reference=construction.reference(word) if reference else None,
            trusted=trusted, why_untrusted=reason,
            values={"logit": logits[k], "suspect": bool(suspect[k])}))
    return results


def _trust(construction, be, n: int, suspect: bool, why: str | None, doubts: str,
           precision) -> tuple[bool, str | None]:
    if be.name == "exact":
        return True, None
    if be.name == "circuit":
        if str(precision) == "auto":
            return True, None
        return False, (f"the circuit rounds at the stated precision {precision}; only 'auto' "
                       "is exact")
    if doubts:
        return False, doubts
    if suspect:
        return False, why or "a guarded decision came within float error"
    if not construction.trusted(be.dtype, n):
        limit = construction.limits.get(be.dtype)
        return False, (f"{be.dtype} is guaranteed up to n = {limit}, and this word has "
                       f"n = {n}" if limit is not None else f"nothing is guaranteed in {be.dtype}")
    return True, None
