"""Loop: the same blocks applied to an input matrix until a halt, on any backend.

`loop(construction, inputs, backend=...)` encodes each input as its input
matrix (a SUBLEQ punchcard), starts the backend's streams, and applies the
looped model's blocks once per step. Between loops it reads, as entries of
the stream, what the construction's `Halting` names: whether a run has
stopped (then its step count stops growing) and the byte a loop printed. At
the end every stream is decoded (`construction.decode`) into the answer the
interpreter would give; with ``trace=True`` also after every loop. A batch
runs in lock step (torch: one tensor, on the device; exact and circuit: one
example after another, stopped ones skipped).

Exactness. Every entry the construction keeps between loops
(`construction.persistent()`) must stay within 1/4 of its exact value (±1 or
0/1): the run checks this every `check_every` loops and at the end (exact
and circuit: every loop), and raises `EvaluationError` rather than decode a
state that drifted; the torch backend's deferred non-finite checks are read
back at the same points, so a loop costs no host sync. The circuit
backend's loop is proved only where its unique-argmax promise holds; a run
with a loop that broke it is not trusted, and says which.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from compilers.constructions.base import require_mode
from compilers.errors import EvaluationError
from compilers.runs import validate
from compilers.runs.backends import backend_for
from compilers.runs.results import Result

LIMIT = 0.25  # how far a persistent entry may drift from its exact value


def loop(construction, inputs: Sequence, *, backend: str = "exact", dtype: str = "float64",
         device: str = "cpu", precision="auto", max_steps: int, check_every: int | None = None,
         trace: bool = False, stop_at_halt: bool = True, reference: bool = True,
         module=None, runner=None, lookups: str = "dense",
         dense_every: int | None = None, progress=None) -> list[Result]:
    """Run a looped construction on every input (see the module docstring).

    Args:
        construction: a looped construction (``mode == "loop"``).
        inputs: its inputs (SUBLEQ: programs, or (program, input bytes) pairs).
        backend, dtype, device, precision: as for `compilers.runs.run`.
        max_steps: the most loops.
        check_every: loops between drift checks (default: 32 for torch, else 1).
        trace: keep the decoded state after every loop each run made.
        stop_at_halt: stop once every run has stopped (else loop `max_steps` times,
            halted punchcards included, and trace every loop).
        reference: also run the interpreter and compare.
        module, runner: a prebuilt `TorchTransformer`, or a prebuilt backend.
        lookups, dense_every: ``"index"`` runs each loop incrementally with indexed
            lookups (exact and torch), ``dense_every=K`` compares a dense loop every K
            loops besides the last (`compilers.backends.lookups_option`).
        progress: called with 1 after each loop (a progress bar).
    """
    require_mode(construction, "loop")
    max_steps = validate.integer(max_steps, "max_steps", 0, 10**9)
    if check_every is not None:
        check_every = validate.integer(check_every, "check_every", 1)
    inputs = [construction.prepare(x) for x in validate.sequence(inputs, "inputs")]
    be = validate.prebuilt(runner, "runner", "start", "loop") or backend_for(
        construction, backend, dtype=dtype, device=device, precision=precision, module=module,
        lookups=lookups, dense_every=dense_every)
    every = check_every or (32 if be.name == "torch" else 1)
    n = construction.positions
    state = be.start([construction.encode(x) for x in inputs], n=n)
    halting = construction.halting(inputs)
    persistent = [(j, d) for j, d, _ in construction.persistent()]
    kinds = be.array(np.asarray([kind == "pm" for _, _, kind in construction.persistent()],
                                dtype=bool))  # the ±1 entries (else 0/1), made once
    by_column: dict[int, list[int]] = {}  # column -> its persistent entries' indices
    if getattr(getattr(be, "lookups", None), "index", False):  # see `_check`
        for k, (j, _) in enumerate(persistent):
            by_column.setdefault(j, []).append(k)
    targets = be.array(np.asarray(halting.targets, dtype=bool)) if halting.code else None
    stop = _stopped(be, state, halting, targets)
    steps = stop * 0
    printed: list = []
    traces: list[list] = [[] for _ in inputs]
    index = be.index()
    loops = 0
    # indexed loops read the halt every loop: a loop past a halt may break the promise
    # and cost a dense loop (`compilers.backends.incremental`), far more than the read
    indexed = getattr(getattr(be, "lookups", None), "index", False)
    for step in range(1, max_steps + 1):
        host_stop = (be.host(stop) if (step - 1) % every == 0 or trace or indexed
                     else None)
        if stop_at_halt and host_stop is not None and bool(host_stop.all()):
            break
        loops = step
        running = ~stop
        steps = steps + running * 1
        active = None if host_stop is None or not stop_at_halt else ~host_stop
        state = be.loop(state, n=n, active=active)
        if halting.printed is not None:  # a byte printed by this loop, by a run that ran it
            printed.append(((be.read(state, [halting.printed]) > 0.5)[:, 0] & running,
                            be.read(state, halting.byte)))
        stop = _stopped(be, state, halting, targets)
        if progress is not None:
            progress(1)
        if step % every == 0:
            _check(be, state, persistent, kinds, step, by_column)
        if trace:
            streams = be.streams(state)
            for b, x in enumerate(inputs):
                if not (stop_at_halt and host_stop[b]):
                    traces[b].append(construction.decode(streams[b], index, x))
    _check(be, state, persistent, kinds, loops, by_column)
    finish = getattr(be, "finish", None)
    if finish is not None:  # lookups='index': the last loop against the dense loop
        finish(state)
    return _results(construction, be, inputs, state, be.host(steps), printed, traces, trace,
                    max_steps, reference, precision)


def _stopped(be, state, halting, targets):
    """Native (batch,) bools: the run has stopped (see `Halting`)."""
    stop = None
    if halting.code:
        stop = ((be.read(state, halting.code) > 0) == targets).all(-1)
    if halting.flags:
        flags = (be.read(state, halting.flags) > 0.5).any(-1)
        stop = flags if stop is None else stop | flags
    return stop


def _check(be, state, entries, pm, step: int, by_column: dict) -> None:
    """Deferred checks, then every persistent entry within `LIMIT` of its exact value
    (`pm`: which entries are ±1, the others 0/1). Where the backend names the columns
    changed since its last check (indexed loops: `changed_columns`), only their entries
    (`by_column`): every other entry holds the value that check passed."""
    be.check()
    changed = getattr(be, "changed_columns", None)
    columns = changed() if changed is not None else None
    if columns is not None:
        pick = sorted(k for j in columns for k in by_column.get(j, ()))
        entries = [entries[k] for k in pick]
        pm = pm[pick] if pick else pm[:0]
    values = be.read(state, entries)
    target = (values > 0) * 2 - 1
    target = target * pm + (values > 0.5) * ~pm  # ±1 entries, 0/1 entries
    worst = float(abs(values - target).max()) if len(entries) else 0.0
    if not worst < LIMIT:
        raise EvaluationError(f"{be.name} backend: by loop {step} a state entry drifted "
                              f"{worst:.3g} from its exact value (limit 1/4); the run cannot "
                              "be trusted")


def _results(construction, be, inputs, state, steps, printed, traces, trace, max_steps,
             reference, precision) -> list[Result]:
    streams = be.streams(state)
    index = be.index()
    outputs = [b""] * len(inputs)
    if printed:
        valid = np.stack([be.host(v) for v, _ in printed])  # (loops, batch)
        bits = np.stack([be.host(b) > 0 for _, b in printed])  # (loops, batch, 8)
        weights = 1 << np.arange(bits.shape[-1])
        values = (bits * weights).sum(-1)
        outputs = [bytes(int(v) for v, ok in zip(values[:, k], valid[:, k], strict=True) if ok)
                   for k in range(len(inputs))]
    broken, why = be.flags()
    results = []
    for k, x in enumerate(inputs):
        decoded = construction.decode(streams[k], index, x)
        error = construction.fault(x, decoded) if decoded.fault else None
        count = int(steps[k]) - (error is not None)
        expected = expected_trace = None
        if reference:
            try:
                expected = construction.reference(x, max_steps=max_steps)
            except Exception as failure:  # the interpreter's own error is the reference
                if error is None:
                    raise
                expected = failure
            if trace:
                expected_trace = _reference_trace(construction, x, max_steps)
        untrusted = None
        if k < len(broken) and broken[k]:
            untrusted = why[k]
        elif be.name == "circuit" and str(precision) != "auto":
            untrusted = f"the circuit rounds at the stated precision {precision}"
        results.append(Result(
            construction=construction.name, mode="loop", backend=be.name, dtype=be.dtype,
            input=x, answer=construction.answer(x, decoded, count, outputs[k]),
            reference=expected, reference_trace=expected_trace,
            trace=tuple(construction.observe(traces[k])) if trace else (),
            trusted=untrusted is None, why_untrusted=untrusted, error=error,
            values={"states": tuple(traces[k])} if trace else {}))
    return results


def _reference_trace(construction, x, max_steps: int) -> tuple:
    """The interpreter's states after each step, up to its end or its error."""
    states = []
    try:
        for state in construction.reference_states(x, max_steps=max_steps):
            states.append(tuple(state))
    except Exception:  # the run's error is compared on its own (`Result.error`)
        pass
    return tuple(states)
