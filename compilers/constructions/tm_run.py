"""Running Pérez et al.'s Turing-machine transformer and decoding its trace.

`simulate(construction, backend=...)` feeds the decoder its start vector, then
its own read-out (vector feedback), one position per machine step, through the
exact or the torch backend's cached generator (step t costs O(t)). Position
p >= 1 computes step p (counted from 1); its read-out gives the next state
(``st``), the symbol under the head afterwards (``sy``), the move (``mv_in``),
and the observations ``wrote`` (the symbol written), ``head`` (``h_p/(p+1)``,
so the head is ``head * (p+1)``) and ``undef``. Decoding: the exact backend's
one-hot outputs must be exactly 0/1 and its head an integer (else
`TMDecodeError`); torch outputs are decoded by argmax and rounding.

Halting is read from the emitted state: HALT ends the run after that step;
``undef`` means the machine met an undefined transition and halted *before*
that step. As in `languages.turing.run`, a run stops after `max_steps` steps,
but one more position is computed to see whether the next transition is
undefined (the reference counts that as halting).

Trust. The exact backend is right for any number of steps. A torch run is
trusted up to `trusted_steps`: the smaller of the error analysis's bound
(`compilers.constructions.tm.trusted_steps`) and the step before the first
position where the backend's gap check flagged a hard-attention choice. The
decoded trace goes on past that point (so that `precision_report` can see
where it really departs), but `TMTrace.trusted` is False and ``as_dict()``
says so; with ``strict=True`` `simulate` raises `UntrustedRunError` naming
the first untrusted step instead.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from compilers.constructions.tm import START, TMConstruction, build, trusted_steps
from compilers.errors import CompileError
from languages.turing import HALT, TMResult, TMStep, run, trace

BACKENDS = ("exact", "torch")


class TMDecodeError(CompileError):
    """The decoder's read-out is not a configuration (a construction bug, never expected)."""


class UntrustedRunError(CompileError):
    """A float run reached a step its precision does not guarantee (strict mode)."""

    def __init__(self, message: str, *, step: int):
        super().__init__(message)
        self.step = step


@dataclass(frozen=True, kw_only=True)
class TMTrace:
    """The decoded run of one machine on one word.

    Attributes:
        construction: what ran.
        backend, dtype: "exact" (dtype None) or "torch" with its dtype.
        steps: the decoded steps, as `languages.turing.TMStep`.
        halted, undefined: as in `languages.turing.TMResult`.
        state, head: the state and head at the end.
        max_steps: the step limit of the run.
        trusted_steps: the number of steps guaranteed right (all of them for exact).
        flagged_step: the first step the backend's gap check flagged (None: none).
    """

    construction: TMConstruction
    backend: str
    dtype: str | None
    steps: tuple[TMStep, ...]
    halted: bool
    undefined: bool
    state: str
    head: int
    max_steps: int
    trusted_steps: int
    flagged_step: int | None = None

    @property
    def trusted(self) -> bool:
        return len(self.steps) <= self.trusted_steps and self.flagged_step is None

    def tape(self) -> tuple[str, int, int]:
        """(cells from the leftmost to the rightmost cell visited or written, start, ones)."""
        word, blank = self.construction.word, self.construction.machine.blank
        cells = dict(enumerate(word))
        low, high = 0, max(len(word) - 1, 0)
        for step in self.steps:
            cells[step.head] = step.write
            low, high = min(low, step.head_after), max(high, step.head_after)
        text = "".join(cells.get(k, blank) for k in range(low, high + 1))
        return text, low, sum(1 for s in cells.values() if s != blank)

    def agrees_with_reference(self) -> bool:
        """Whether the steps and the end agree with `languages.turing` on the same run."""
        c = self.construction
        reference = trace(c.machine, c.word, max_steps=self.max_steps)
        result = run(c.machine, c.word, max_steps=self.max_steps)
        mine = self.as_dict(compare=False)
        keys = ("halted", "steps", "ones", "state", "tape", "head", "tape_start", "undefined")
        return list(self.steps) == reference and all(mine[k] == result.as_dict()[k]
                                                     for k in keys)

    def result(self) -> TransformerTMResult:
        """The run as a `TMResult` (what `circuitx run tm` prints), agreement included."""
        d = self.as_dict()
        return TransformerTMResult(
            halted=d["halted"], steps=d["steps"], state=d["state"], head=d["head"],
            tape=d["tape"], tape_start=d["tape_start"], ones=d["ones"],
            undefined=d["undefined"], backend=self.backend, dtype=self.dtype,
            agrees_with_reference=d["agrees_with_reference"], trusted=d["trusted"],
            trusted_steps=d["trusted_steps"])

    def as_dict(self, *, compare: bool = True) -> dict:
        """The reference interpreter's JSON, plus agreement and trust."""
        tape, start, ones = self.tape()
        out = {"halted": self.halted, "steps": len(self.steps), "ones": ones,
               "state": self.state, "tape": tape, "head": self.head, "tape_start": start,
               "undefined": self.undefined, "backend": self.backend}
        if self.dtype is not None:
            out["dtype"] = self.dtype
        out["trusted"] = self.trusted
        out["trusted_steps"] = min(self.trusted_steps, len(self.steps))
        if compare:
            out["agrees_with_reference"] = self.agrees_with_reference()
        return out


@dataclass(frozen=True, kw_only=True)
class TransformerTMResult(TMResult):
    """A `languages.turing.TMResult` decoded from the transformer, with agreement and trust.

    ``as_dict()`` is the reference JSON plus `agrees_with_reference`, `backend`,
    `dtype` (torch), `trusted` and `trusted_steps`.
    """

    backend: str = "exact"
    dtype: str | None = None
    agrees_with_reference: bool = True
    trusted: bool = True
    trusted_steps: int = 0

    def as_dict(self) -> dict:
        out = super().as_dict() | {"agrees_with_reference": self.agrees_with_reference,
                                   "backend": self.backend}
        if self.dtype is not None:
            out["dtype"] = self.dtype
        return out | {"trusted": self.trusted, "trusted_steps": self.trusted_steps}


class _Decoder:
    """Turns one example's read-outs, position by position, into `TMStep`s."""

    def __init__(self, construction: TMConstruction, max_steps: int):
        self.c, self.max_steps = construction, max_steps
        self.states, self.symbols = construction.layout.states, construction.layout.symbols
        self.steps: list[TMStep] = []
        self.state = self.symbol = None
        self.head = 0
        self.done = self.halted = self.undefined = False
        self.flagged: int | None = None

    def feed(self, position: int, state: int, symbol: int, wrote: int, move: int, head: int,
             undefined: bool) -> None:
        """One position's decoded read-out (indices into the layout's states and symbols)."""
        if self.done:
            return
        next_state, next_symbol = self.states[state], self.symbols[symbol]
        if position == 0:  # the start position: the initial state and the symbol at cell 0
            self.state, self.symbol = next_state, next_symbol
            return
        if undefined:
            self.done = self.halted = self.undefined = True
            return
        if position > self.max_steps:  # only looked to see if the next step was undefined
            self.done = True
            return
        self.steps.append(TMStep(step=position, state=self.state, head=self.head,
                                 read=self.symbol, write=self.symbols[wrote],
                                 move="R" if move > 0 else "L", next_state=next_state,
                                 head_after=head))
        self.state, self.symbol, self.head = next_state, next_symbol, head
        if next_state == HALT:
            self.done = self.halted = True

    def result(self, backend: str, dtype: str | None, bound: int) -> TMTrace:
        trusted = bound
        if self.flagged is not None:
            trusted = min(trusted, self.flagged - 1)
        return TMTrace(construction=self.c, backend=backend, dtype=dtype,
                       steps=tuple(self.steps), halted=self.halted, undefined=self.undefined,
                       state=self.state if self.state is not None else self.c.machine.start,
                       head=self.head, max_steps=self.max_steps,
                       trusted_steps=max(trusted, 0), flagged_step=self.flagged)


def _check_max_steps(max_steps: int) -> int:
    if not isinstance(max_steps, int) or isinstance(max_steps, bool) or max_steps < 0:
        raise CompileError(f"max_steps must be an integer >= 0, got {max_steps!r}")
    return max_steps


def simulate(construction: TMConstruction, *, backend: str = "exact", dtype: str = "float64",
             device: str = "cpu", max_steps: int = 1000, strict: bool = False) -> TMTrace:
    """Run the transformer for at most `max_steps` machine steps and decode its trace."""
    if backend not in BACKENDS:
        raise CompileError(f"unknown backend {backend!r}; allowed: {', '.join(BACKENDS)}")
    max_steps = _check_max_steps(max_steps)
    if backend == "torch":
        return simulate_many([construction], dtype=dtype, device=device, max_steps=max_steps,
                             strict=strict)[0]
    from compilers.backends.exact import ExactModel

    generator = ExactModel(construction.transformer).generator(construction.encoder_tokens())
    decoder = _Decoder(construction, max_steps)
    vector = construction.layout.start_vector()
    for position in range(max_steps + 2):
        outputs = generator.push(vector)
        decoder.feed(position, *_exact_fields(construction.layout, outputs, position))
        if decoder.done:
            break
        vector = generator.next_input(outputs)
    return decoder.result("exact", None, len(decoder.steps))


def _exact_fields(layout, outputs: dict, position: int) -> tuple:
    """(state, symbol, wrote, move, head, undefined) from exact outputs, checked."""
    def one_hot(dims, what):
        values = [outputs[d] for d in dims]
        if sorted(values) != [0] * (len(values) - 1) + [1]:
            raise TMDecodeError(f"position {position}: the {what} outputs "
                                f"{[str(v) for v in values]} are not one-hot")
        return values.index(1)

    head = outputs[layout.head] * (position + 1)
    if head.denominator != 1:
        raise TMDecodeError(f"position {position}: head {head} is not a cell")
    wrote = one_hot(layout.wrote_dims, "wrote") if position else 0  # nothing written yet
    return (one_hot(layout.state_dims, "state"), one_hot(layout.symbol_dims, "symbol"),
            wrote, int(outputs[layout.move]), int(head),
            outputs[layout.undef] == 1)


def simulate_many(constructions: Sequence[TMConstruction], *, dtype: str = "float64",
                  device: str = "cpu", max_steps: int = 1000, strict: bool = False,
                  module=None) -> list[TMTrace]:
    """Torch runs of many (machine, word) pairs, batched.

    Pairs of one machine share one module and run as one batch (words padded
    with blanks, which changes nothing: the tape is blank there); machines of
    one shape (same states and symbols) run as one batch on stacked weights;
    other shapes in separate batches. `module`: a prebuilt `TorchTransformer`
    for the batch (the benchmark reuses one).
    """
    max_steps = _check_max_steps(max_steps)
    groups: dict[tuple, list[int]] = {}
    for k, c in enumerate(constructions):
        groups.setdefault((c.machine.states, c.machine.symbols), []).append(k)
    if module is not None and len(groups) > 1:
        raise CompileError(f"a prebuilt module runs machines of one shape; these have "
                           f"{len(groups)} shapes (states, symbols)")
    traces: list = [None] * len(constructions)
    for indices in groups.values():
        batch = [constructions[k] for k in indices]
        for k, t in zip(indices, _torch_batch(batch, dtype, device, max_steps, module),
                        strict=True):
            traces[k] = t
    if strict:
        for t in traces:
            if not t.trusted:
                step = t.trusted_steps + 1
                why = (f"the gap check flagged step {t.flagged_step}"
                       if t.flagged_step is not None
                       else f"the error analysis guarantees {t.trusted_steps} steps")
                raise UntrustedRunError(
                    f"machine {t.construction.options['machine']} on "
                    f"{t.construction.word!r}: step {step} is not guaranteed in {dtype} "
                    f"({why}); use the exact backend or float64", step=step)
    return traces


def _torch_batch(batch: list[TMConstruction], dtype: str, device: str, max_steps: int,
                 module) -> list[TMTrace]:
    import torch

    from compilers.backends.torch_module import TorchTransformer

    same = len({c.machine for c in batch}) == 1
    if module is None:
        irs = batch[0].transformer if same else [c.transformer for c in batch]
        module = TorchTransformer(irs, dtype=dtype, device=device)
    dtype = str(module.float_dtype).removeprefix("torch.")
    length = max(len(c.word) for c in batch)
    blank = batch[0].machine.blank
    tokens = [[START, *c.word.ljust(length, blank)] for c in batch]
    encoder_ids = module.encoder.encode_tokens(tokens)
    bound = trusted_steps(dtype, length)
    generator = module.generator(encoder_ids)
    decoders = [_Decoder(c, max_steps) for c in batch]
    layout = batch[0].layout
    names = [*layout.state_dims, *layout.symbol_dims, *layout.wrote_dims, layout.move,
             layout.head, layout.undef]
    bounds = np.cumsum([0, len(layout.state_dims), len(layout.symbol_dims),
                        len(layout.wrote_dims)])
    outputs = module.ir.readout.outputs
    columns = torch.tensor([outputs.index(d) for d in names], device=module.device)
    vector = torch.tensor([layout.start_vector()] * len(batch), dtype=module.float_dtype,
                          device=module.device)
    flagged = np.zeros(len(batch), dtype=bool)
    for position in range(max_steps + 2):
        values = generator.push_values(vector)  # (batch, outputs)
        rows = values[:, columns].double().cpu().numpy()
        suspect = generator.suspect.cpu().numpy()
        newly, flagged = suspect & ~flagged, flagged | suspect
        # one-hot groups by argmax, the head as h/(p+1) times p+1: (batch,) each
        state, symbol, wrote = (rows[:, a:b].argmax(axis=1).tolist()
                                for a, b in itertools.pairwise(bounds))
        move, head, undef = rows[:, bounds[-1]:].T
        head = np.rint(head * (position + 1)).astype(np.int64).tolist()
        move, undef, newly = move.tolist(), (undef > 0.5).tolist(), newly.tolist()
        for b, decoder in enumerate(decoders):
            if newly[b] and not decoder.done:
                decoder.flagged = position
            decoder.feed(position, state[b], symbol[b], wrote[b], move[b], head[b], undef[b])
        if all(d.done for d in decoders):
            break
        vector = generator.next_input(values)
    return [d.result("torch", dtype, bound) for d in decoders]


def precision_report(machine, word: str = "", *, dtype: str = "float32", max_steps: int = 1000,
                     device: str = "cpu") -> dict:
    """Where a torch run in `dtype` departs from the reference trace, and what was promised.

    Returns a dict: `steps_run`, `first_departure` (the first step whose decoded
    fields differ from `languages.turing.trace`, or where the run ended
    differently; None if none), `guaranteed_steps` (the error analysis's bound),
    `first_flagged` (the first step the gap check flagged), `trusted_steps`,
    and `silent` (a departure at or before `trusted_steps`: never expected).
    """
    construction = build(machine, word)
    result = simulate(construction, backend="torch", dtype=dtype, device=device,
                      max_steps=max_steps)
    reference = trace(construction.machine, word, max_steps=max_steps)
    departure = next((k + 1 for k, (a, b) in enumerate(zip(result.steps, reference, strict=False))
                      if a != b), None)
    if departure is None and len(result.steps) != len(reference):
        departure = min(len(result.steps), len(reference)) + 1
    return {"machine": construction.options["machine"], "word": word, "dtype": dtype,
            "max_steps": max_steps, "steps_run": len(result.steps),
            "reference_steps": len(reference), "first_departure": departure,
            "guaranteed_steps": construction.limits.get(dtype),
            "first_flagged": result.flagged_step,
            "trusted_steps": result.trusted_steps,
            "silent": departure is not None and departure <= result.trusted_steps}
