"""Generate: a decoder fed its own read-out, position by position, on any backend.

`generate(construction, inputs, backend=...)` encodes each input (the
encoder's tokens, the first decoder input, n), pushes the first input
through the backend's cached generator, decodes the read-out at each
position with the construction's decoder, and feeds the read-out back by
the model's feedback rule, until every run is done (or after `max_steps`
steps and one more position, which tells whether the next step is defined).
Position p >= 1 gives step p. Inputs of one length run as one batch; with
`stacked` constructions of one shape (say one Turing machine each), torch
runs them on stacked weights, example b on construction b.

Trust. The exact backend is right for any number of steps, and so is the
circuit backend at ``precision="auto"``. A torch run is trusted up to its
`trusted_steps`: the smaller of what the construction's error analysis
guarantees for the input in that dtype and the step before the first
position where a guarded decision came within float error. The decoded
trace goes on past that point (so that `compilers.runs.precision` can see
where it really departs), but `Result.trusted` is False and says why; with
``strict=True`` the run raises `UntrustedRunError` naming the first
untrusted step instead.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from compilers.constructions.base import require_mode
from compilers.errors import CompileError
from compilers.ir.plan import shape
from compilers.runs import validate
from compilers.runs.backends import VALUES, backend_for
from compilers.runs.results import Result, UntrustedRunError


def generate(construction, inputs: Sequence, *, backend: str = "exact",
             dtype: str = "float64", device: str = "cpu", precision="auto",
             max_steps: int = 1000, strict: bool = False, reference: bool = True,
             stacked: Sequence | None = None, module=None,
             lookups: str = "dense", progress=None) -> list[Result]:
    """Run a generating construction on every input (see the module docstring).

    Args:
        construction: a decoder (``mode == "generate"``).
        inputs: the inputs (for a Turing machine: words).
        backend, dtype, device, precision: as for `compilers.runs.run`.
        max_steps: the most steps of each run.
        strict: raise `UntrustedRunError` for a run that is not trusted.
        reference: also run the reference and compare.
        stacked: one construction per input, all of one shape (torch stacks their
            weights; the other backends run them one after another).
        module: a prebuilt `TorchTransformer` for the batch.
        lookups: ``"index"`` answers uniform causal heads by running sums and hard
            ``-|<q, k>|`` heads by an index, so that a step costs its width, not t
            (exact backend; `compilers.backends.lookups_generate`).
        progress: called with 1 after each decoding step of each batch (a progress bar).
    """
    require_mode(construction, "generate")
    max_steps = _check_max_steps(max_steps)
    inputs = validate.sequence(inputs, "inputs")
    owners = ([validate.construction(c, "generate") for c in validate.sequence(stacked,
                                                                                 "stacked")]
              if stacked is not None else [construction] * len(inputs))
    if len(owners) != len(inputs):
        raise CompileError(f"{len(owners)} constructions for {len(inputs)} inputs")
    if module is not None and len({shape(c.transformer) for c in owners}) > 1:
        raise CompileError("a prebuilt module runs constructions of one shape")
    groups: dict[tuple, list[int]] = {}
    for k, (owner, x) in enumerate(zip(owners, inputs, strict=True)):
        key = (owner.encode(x).n, shape(owner.transformer),
               id(owner) if backend != "torch" else 0)
        groups.setdefault(key, []).append(k)
    results: list = [None] * len(inputs)
    for indices in groups.values():
        batch = [owners[k] for k in indices]
        same = all(c is batch[0] for c in batch)
        be = backend_for(batch[0], backend, dtype=dtype, device=device, precision=precision,
                         module=module, stacked=None if same else batch, lookups=lookups)
        done = _batch(batch, [inputs[k] for k in indices], be, max_steps, precision, reference,
                      progress)
        for k, result in zip(indices, done, strict=True):
            results[k] = result
    if strict:
        for result in results:
            if not result.trusted:
                step = result.values["trusted_steps"] + 1
                raise UntrustedRunError(f"{result.construction} on {result.input!r}: step "
                                        f"{step} is not guaranteed in {result.dtype} "
                                        f"({result.why_untrusted}); use the exact backend or "
                                        "float64", step=step)
    return results


def _batch(constructions: list, inputs: list, be, max_steps: int, precision,
           reference: bool, progress=None) -> list[Result]:
    """One batch of inputs of one length on one backend."""
    first = constructions[0]
    encoded = [c.encode(x) for c, x in zip(constructions, inputs, strict=True)]
    encoders = None if first.transformer.encoder is None else [e.encoder for e in encoded]
    generator = be.generator(n=encoded[0].n, batch=len(inputs), encoder_inputs=encoders)
    decoders = [c.decoder(x, max_steps) for c, x in zip(constructions, inputs, strict=True)]
    kind = VALUES[be.name]
    flagged = np.zeros(len(inputs), dtype=bool)
    first_flag: list[int | None] = [None] * len(inputs)
    vector = be.inputs([e.first for e in encoded])
    for position in range(max_steps + 2):
        values = generator.push(vector)
        fields = first.read(be.host(values), position, kind)
        suspect = generator.suspect()
        newly = (suspect & ~flagged).tolist()
        flagged |= suspect
        for b, decoder in enumerate(decoders):
            if newly[b] and not decoder.done:
                first_flag[b] = position
            decoder.feed(position, fields[b])
        if progress is not None:
            progress(1)
        if all(d.done for d in decoders):
            break
        vector = generator.next_input(values)
    doubts = "; ".join(be.plan.float_doubts()) if be.name == "torch" else ""
    return [_result(c, x, d, be, flag, doubts, precision, max_steps, reference)
            for c, x, d, flag in zip(constructions, inputs, decoders, first_flag, strict=True)]


def _result(construction, x, decoder, be, flag: int | None, doubts: str, precision,
            max_steps: int, reference: bool) -> Result:
    trace = decoder.trace()
    why = None
    if be.name == "torch":
        bound = construction.trusted_steps(be.dtype, x)
        if flag is not None:
            bound = min(bound, flag - 1)
            why = f"the gap check flagged step {flag}"
        elif len(trace) > bound:
            why = f"the error analysis guarantees {bound} steps in {be.dtype}"
        if doubts:
            bound, why = 0, doubts
        bound = max(bound, 0)
    elif be.name == "circuit" and str(precision) != "auto":
        bound, why = 0, f"the circuit rounds at the stated precision {precision}"
    else:
        bound = len(trace)
    trusted = why is None
    expected = construction.reference(x, max_steps=max_steps) if reference else None
    return Result(construction=construction.name, mode="generate", backend=be.name,
                  dtype=be.dtype, input=x, answer=decoder.answer(), trace=trace,
                  reference=None if expected is None else expected[1],
                  reference_trace=None if expected is None else expected[0],
                  trusted=trusted, why_untrusted=why,
                  values={"trusted_steps": min(bound, len(trace)), "trusted_bound": bound,
                          "flagged_step": flag})


def _check_max_steps(max_steps: int) -> int:
    if not isinstance(max_steps, int) or isinstance(max_steps, bool) or max_steps < 0:
        raise CompileError(f"max_steps must be an integer >= 0, got {max_steps!r}")
    return max_steps
