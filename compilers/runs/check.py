"""The central property check: oracle == exact == torch == circuit, on generated inputs.

`check(construction, ...)` draws inputs for the construction's mode, runs
each asked-for backend on them (`compilers.runs.run`), and compares every
answer with the reference, which shares no code with the construction (the
language's own membership test; the machine's or program's interpreter):

* recognise: at each length, every word when there are at most `samples`
  of them, else `samples` words drawn half members, half non-members;
* predict: at each length, every word over the alphabet when there are at
  most `samples`, else `samples` drawn uniformly; every position's
  distribution compared, exactly;
* generate (a Turing machine): at each length, every word over the
  machine's symbols when there are at most `samples`, else `samples` drawn
  uniformly; each run for at most `max_steps` steps, its whole trace compared;
* loop (SUBLEQ): the construction's own program and `samples` random
  programs of the same sizes, each for at most `max_steps` loops, every
  loop's state compared with the interpreter's.

For each backend it counts the inputs checked, those it got wrong, those it
did not vouch for (untrusted) and the *silent* failures, wrong while
trusted: that count is the toolkit's promise and must be zero. The first
counterexample is kept.

Seeds: the inputs of one length are drawn from `length_seed(seed, length)`,
numpy's `SeedSequence` with entropy `seed` and spawn key ``(length,)``
hashed to one 63-bit integer, so that every (seed, length) pair has a stream
of its own (``seed + length`` would give seed 1 at n = 4 and seed 0 at n = 5
the same words) and a check over many lengths draws, at each length, what a
check of that length alone draws (`compilers.runs.sweep` relies on it).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from compilers.errors import CompileError
from compilers.runs import run, validate
from compilers.runs.backends import backend_for


def length_seed(seed: int, length: int) -> int:
    """The seed of the inputs of one length: ``SeedSequence(seed, spawn_key=(length,))``'s
    first 64-bit word, halved to 0..2**63-1 (what the samplers take)."""
    state = np.random.SeedSequence(seed, spawn_key=(length,)).generate_state(1, np.uint64)
    return int(state[0]) >> 1


def words_for(language, length: int, samples: int, seed: int) -> list[str]:
    """All words of `length` if there are at most `samples`, else a balanced sample."""
    alphabet = language.alphabet
    if len(alphabet) ** length <= samples:
        return ["".join(w) for w in itertools.product(alphabet, repeat=length)]
    half = samples // 2
    words: list[str] = []
    for label, count in (("member", half), ("nonmember", samples - half)):
        try:
            words += language.sample(length, count, label=label, seed=seed)
        except ValueError:  # no such words at this length: fill from the other label
            words += language.sample(length, count, label="any", seed=seed + 1)
    return words


def recogniser_words(construction, length: int, samples: int, seed: int) -> list[str]:
    """Words to check a recogniser on: `words_for` its language where it has one (`oracle`,
    a `languages.Language`), else `symbol_words` over its alphabet."""
    oracle = getattr(construction, "oracle", None)
    if oracle is None:
        return symbol_words(construction.alphabet, length, samples, seed)
    return words_for(oracle, length, samples, seed)


def symbol_words(symbols: Sequence[str], length: int, samples: int, seed: int) -> list[str]:
    """All words of `length` over `symbols` if at most `samples`, else a uniform sample."""
    if len(symbols) ** length <= samples:
        return ["".join(w) for w in itertools.product(symbols, repeat=length)]
    rng = np.random.default_rng(seed)
    return ["".join(symbols[k] for k in row)
            for row in rng.integers(len(symbols), size=(samples, length)).tolist()]


@dataclass
class Tally:
    """What one backend did on the checked inputs."""

    checked: int = 0
    failed: int = 0
    untrusted: int = 0
    silent: int = 0  # wrong although trusted: must stay 0
    first_counterexample: dict | None = None

    def as_dict(self) -> dict:
        return {"checked": self.checked, "failed": self.failed, "untrusted": self.untrusted,
                "silent_failures": self.silent,
                "first_counterexample": self.first_counterexample}


@dataclass
class CheckReport:
    """The outcome of `check` (``as_dict`` is the JSON of ``circuitx check``)."""

    construction: str
    header: dict
    backends: dict[str, Tally] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(t.failed == 0 for t in self.backends.values())

    def as_dict(self) -> dict:
        return {"construction": self.construction, **self.header, "ok": self.ok,
                "backends": {name: t.as_dict() for name, t in self.backends.items()}}


def check(construction, *, lengths: Sequence[int] = (), samples: int = 64,
          backends: Sequence[str] = ("exact", "torch"), dtype: str = "float64",
          device: str = "cpu", seed: int = 0, max_steps: int = 64, precision="auto",
          progress: Callable[[int], None] | None = None) -> CheckReport:
    """Compare each backend's answers with the reference (see the module docstring)."""
    mode = validate.construction(construction).mode
    lengths = validate.lengths(lengths)
    samples = validate.integer(samples, "samples", 1 if mode != "loop" else 0)
    seed = validate.seed(seed)
    max_steps = validate.integer(max_steps, "max_steps", 0, 10**9)
    backends = validate.sequence(backends, "backends")
    if mode == "recognise":
        header = {"language": getattr(construction, "language", None),
                  "lengths": list(lengths)}
    elif mode == "predict":
        header = {"lengths": list(lengths)}
    elif mode == "generate":
        header = {"lengths": list(lengths), "max_steps": max_steps}
    else:
        header = {"programs": 1 + samples if construction.program is not None else samples,
                  "max_steps": max_steps}
    report = CheckReport(construction.name, header, {b: Tally() for b in backends})
    options = {"dtype": dtype, "device": device, "precision": precision}
    if mode in ("recognise", "predict"):  # one backend for every length (one torch module)
        runners = {b: backend_for(construction, b, **options) for b in backends}
    else:
        options |= {"max_steps": max_steps, **({"trace": True} if mode == "loop" else {})}
    for _, inputs in _inputs(construction, lengths, samples, seed):
        for backend in backends:
            extra = {"runner": runners[backend]} if mode in ("recognise", "predict") else {}
            results = run(construction, inputs, backend=backend, **options, **extra)
            _tally(report.backends[backend], results, mode)
        if progress is not None:
            progress(1)
    return report


def _inputs(construction, lengths: Sequence[int], samples: int, seed: int):
    """(length, inputs) pairs to check (see the module docstring)."""
    mode = construction.mode
    if mode == "recognise":
        for length in lengths:
            yield length, recogniser_words(construction, length, samples, length_seed(seed, length))
    elif mode == "generate":
        symbols = construction.machine.symbols
        for length in lengths:
            yield length, symbol_words(symbols, length, samples, length_seed(seed, length))
    elif mode == "predict":
        for length in lengths:
            yield length, symbol_words(construction.alphabet, length, samples,
                                       length_seed(seed, length))
    elif mode == "loop":
        programs = [] if construction.program is None else [construction.program]
        programs += random_programs(construction, samples, seed)
        yield 0, programs
    else:
        raise CompileError(f"{construction.name}: cannot check a {mode!r} construction")


def random_programs(construction, count: int, seed: int) -> list:
    """`count` random programs that fit a SUBLEQ construction's sizes (seeded)."""
    from languages import subleq

    layout, rng = construction.layout, np.random.default_rng(seed)
    low, high = -(1 << (layout.bits - 1)), (1 << (layout.bits - 1)) - 1
    out = []
    for _ in range(count):
        if construction.semantics == "giannou":
            k, m = int(rng.integers(1, layout.slots + 1)), layout.memory
            triples = tuple((int(rng.integers(m)), int(rng.integers(m)),
                             int(rng.integers(k + 1))) for _ in range(k))
            memory = tuple(int(v) for v in rng.integers(low, high + 1, size=m))
            out.append(subleq.GiannouProgram(instructions=triples, memory=memory,
                                             bits=layout.bits))
        else:  # addresses in [-1, M): a run may print, read, halt or fault, by the numbers
            m = layout.memory
            words = rng.integers(-1, m, size=m)
            out.append(subleq.EsolangProgram(memory=tuple(int(v) for v in words)))
    return out


def _tally(tally: Tally, results, mode: str) -> None:
    for result in results:
        wrong = not result.agrees_with_reference
        tally.checked += 1
        tally.failed += wrong
        tally.untrusted += not result.trusted
        tally.silent += wrong and result.trusted
        if wrong and tally.first_counterexample is None:
            tally.first_counterexample = _counterexample(result, mode)


def _counterexample(result, mode: str) -> dict:
    if mode == "recognise":
        return {"word": result.input, "expected": bool(result.reference),
                "got": bool(result.answer), "trusted": result.trusted}
    if mode == "predict":
        rows = zip(result.answer.rows, result.reference.rows, strict=True)
        t = next(t for t, (got, expected) in enumerate(rows) if got != expected)
        return {"word": result.input, "first_wrong_position": t, "trusted": result.trusted,
                "expected": [str(p) for p in result.reference.rows[t]],
                "got": [str(p) for p in result.answer.rows[t]]}
    shown = result.input if mode == "generate" else _program_text(result.input)
    step = next((k + 1 for k, (a, b) in enumerate(zip(result.trace, result.reference_trace or (),
                                                      strict=False)) if a != b), None)
    return {"input": shown, "first_wrong_step": step, "trusted": result.trusted,
            "expected": _shown(result.reference), "got": _shown(result.answer)}


def _program_text(input) -> str:
    program, data = input
    text = " ".join(str(v) for v in getattr(program, "memory", ()))
    if hasattr(program, "instructions"):
        text = " ".join(f"{a} {b} {c}" for a, b, c in program.instructions) + " ; " + text
    return text + (f" (input {data!r})" if data else "")


def _shown(value):
    return value.as_dict() if hasattr(value, "as_dict") else str(value)
