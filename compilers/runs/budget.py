"""Budgets: what a command may build and run, estimated before the work starts.

A construction's IR is cheap to build; what is not cheap comes after it: the
torch module's dense weights, a forward pass's activations and attention
scores, the exact backend's Fractions, a threshold circuit's gates and wires,
a long run. Every command estimates these from the IR and its options first
and refuses, with the estimate and the limit, what is past its `Budget`:

* `gates`: the gates plus wires of the circuits it compiles, summed over sizes
  (``--max-gates``, default 2e7: about 2 GB and a few minutes);
* `memory`: the bytes held at once (``--max-memory``, default 4 GiB): weights,
  activations, the largest attention score matrix, Fractions, circuit arrays,
  a file read;
* `seconds`: the time of its runs and compiles (``--max-seconds``, default 600).

An estimate can be low (a construction whose circuits explode with the
precision the auto mode derives); so `gates` is also a hard stop: the command
line runs each command inside `circuitx.builder.limited(gates)`, and a circuit
that passes it while it is built raises `circuitx.errors.LimitError`.

How the estimates are made (each within a factor of a few of what we measure
on one CPU core; `RATES` holds the constants):

* a forward pass costs, per word, ``P (W + 2U)`` operations for the stream and
  the MLPs (P positions, W the width, U the hidden units) plus, per head, the
  positions it reads times the rows of its maps: ``P`` for a uniform head, ``q P``
  otherwise, q the query positions (1 from the last attention block on where the
  read-out is pruned, else P); positional features cost ``P F`` once per length;
* a decoder's run of T steps costs the same per position, attending to the t
  positions before it (``T^2 / 2`` in all) and to the encoder's n;
* a loop costs a forward pass over the punchcard (its P columns) per loop;
* a circuit's gates and wires are extrapolated from the circuits at two small
  sizes (`extrapolate`: at n = 8 and 16 for a recogniser, along the ray to (n, t)
  for a decoding step), or, for one loop, ``5 P W + 3 H P^2`` (H heads; within
  a factor of 1.5 of the SUBLEQ computers we compiled);
* the reference machines cost about a microsecond a step.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from compilers.errors import CompileError

GIB = 1 << 30
DEFAULT_GATES = 20_000_000
DEFAULT_MEMORY = 4 * GIB
DEFAULT_SECONDS = 600.0
FLAGS = {"gates": "--max-gates", "memory": "--max-memory", "seconds": "--max-seconds"}
"""The command-line flag of each limit (named in every refusal)."""

RATES = {
    "exact": 5e-7,  # seconds per operation on Fractions (exact_rows: shared denominators)
    "torch:cpu": 1e-7,  # seconds per operation, batched, one CPU thread
    "torch:cuda": 2e-9,
    "call": 1e-3,  # seconds of overhead per torch call (a forward, a step, a loop)
    "positional": 3e-5,  # seconds per position and positional feature (a sympy formula)
    "circuit": 1e-4,  # seconds per gate or wire compiled (the slowest lowering we measured)
    "evaluate": 2e-8,  # seconds per gate or wire evaluated, per input
    "reference": 1e-6,  # seconds per step of a reference machine
}
FRACTION_BYTES = 200  # one exact value with its share of the arrays that hold it
ELEMENT_BYTES = 100  # one gate or wire while a circuit is built
ITEMSIZE = {"float64": 8, "float32": 4, "float16": 2, "bfloat16": 2}


class BudgetError(CompileError):
    """An estimate past a limit of the `Budget`; the message names both."""


@dataclass(frozen=True, kw_only=True)
class Budget:
    """The limits of one command (see the module docstring)."""

    gates: int = DEFAULT_GATES
    memory: int = DEFAULT_MEMORY
    seconds: float = DEFAULT_SECONDS

    def __post_init__(self):
        for name in ("gates", "memory", "seconds"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not (
                    value > 0 and math.isfinite(value)):
                raise BudgetError(f"budget {name} must be a positive number, got {value!r}")


@dataclass(frozen=True)
class Estimate:
    """What some work will cost: gates and wires, bytes at once, seconds; and what it is."""

    what: str
    gates: float = 0
    memory: float = 0
    seconds: float = 0
    parts: tuple = field(default=(), compare=False)

    def __add__(self, other: Estimate) -> Estimate:
        """Work done one after the other: gates and seconds add, memory is the larger."""
        return Estimate(f"{self.what}; {other.what}" if self.what and other.what
                        else self.what or other.what,
                        self.gates + other.gates, max(self.memory, other.memory),
                        self.seconds + other.seconds)

    def check(self, budget: Budget | None) -> Estimate:
        """`self`, or `BudgetError` naming every limit it passes."""
        if budget is None:
            return self
        past = []
        if self.gates > budget.gates:
            past.append(f"{count(self.gates)} gates and wires, past the limit of "
                        f"{count(budget.gates)} ({FLAGS['gates']})")
        if self.memory > budget.memory:
            past.append(f"{size(self.memory)} of memory, past the limit of "
                        f"{size(budget.memory)} ({FLAGS['memory']})")
        if self.seconds > budget.seconds:
            past.append(f"{duration(self.seconds)} of work, past the limit of "
                        f"{duration(budget.seconds)} ({FLAGS['seconds']})")
        if past:
            raise BudgetError(f"{self.what} is estimated at {'; '.join(past)}; ask for less, "
                              "or raise the limit if you mean it")
        return self


def count(value: float) -> str:
    """A count for messages: 1234 as is, 3.2e+18 in powers of ten."""
    return f"{int(value)}" if value < 1e6 else f"{value:.2g}"


def size(value: float) -> str:
    """Bytes for messages (``3.1 GiB``)."""
    for unit, scale in (("TiB", 1 << 40), ("GiB", GIB), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if value >= scale:
            shown = value / scale
            return f"{shown:.3g} {unit}" if shown < 1e6 else f"{value:.2g} bytes"
    return f"{int(value)} bytes"


def duration(seconds: float) -> str:
    """Seconds for messages (``4.2 minutes``)."""
    for unit, scale in (("years", 3.15e7), ("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= scale:
            shown = seconds / scale
            return f"{shown:.3g} {unit}" if shown < 1e6 else f"{shown:.2g} {unit}"
    return f"{seconds:.3g} seconds"


# -- the figures of an IR -----------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """What the estimates read off a transformer (one, not its encoder)."""

    width: int
    hidden: int
    features: int
    heads: tuple  # (uniform, pruned, source, rows read per key position)
    dense: int  # parameters as the torch module holds them (dense matrices)


def figures(t) -> Figures:
    """The `Figures` of the transformer `t`."""
    from compilers.ir import MLP, Attention
    from compilers.ir.plan import is_uniform

    attention = [k for k, b in enumerate(t.blocks) if isinstance(b, Attention)]
    last = attention[-1] if attention else None
    pruned_from = last if (not t.looped and t.readout.position in ("first", "last")) else None
    heads = []
    for k, block in enumerate(t.blocks):
        if isinstance(block, Attention):
            for h in block.heads:
                rows = len(h.query.rows) + len(h.value.rows) + 1
                heads.append((is_uniform(h), pruned_from is not None and k >= pruned_from,
                              h.source, rows))
    hidden = sum(len(b.hidden) for b in t.blocks if isinstance(b, MLP))
    from compilers.runs.stats import transformer_stats

    dense = transformer_stats(t)["parameters (dense)"]
    features = len(t.positions.features) if t.positions is not None else 0
    return Figures(t.width, hidden, features, tuple(heads), dense)


def _pass_ops(f: Figures, positions: int, keys: int | None = None) -> float:
    """Operations of one forward pass over `positions` positions (see the module docstring)."""
    ops = positions * (f.width + 2 * f.hidden)
    for uniform, pruned, source, rows in f.heads:
        read = keys if source == "encoder" and keys is not None else positions
        queries = 1 if pruned else positions
        ops += rows * (read if uniform else queries * read)
    return ops


def _scores(f: Figures, positions: int) -> int:
    """Entries of the largest attention score matrix of one example."""
    return max([positions * (1 if pruned else positions)
                for uniform, pruned, _, _ in f.heads if not uniform], default=0)


def _torch(device: str) -> str:
    return "torch:cuda" if str(device).startswith("cuda") else "torch:cpu"


def module_bytes(construction, dtype: str) -> int:
    """The torch module's weights in `dtype` (dense matrices, the encoder's too)."""
    t = construction.transformer
    dense = figures(t).dense + (figures(t.encoder).dense if t.encoder is not None else 0)
    return dense * ITEMSIZE.get(dtype, 8)


def saved_bytes(construction, dtype: str) -> int:
    """About the size of a saved model: the float weights and the exact ones (non-zero)."""
    from compilers.runs.stats import transformer_stats

    t = construction.transformer
    nonzero = transformer_stats(t)["non-zero weights"]
    if t.encoder is not None:
        nonzero += transformer_stats(t.encoder)["non-zero weights"]
    return module_bytes(construction, dtype) + 32 * nonzero


# -- runs -----------------------------------------------------------------------------------


def recognise(construction, lengths: Mapping[int, int], *, backend: str, dtype: str = "float64",
              device: str = "cpu", precision="auto") -> Estimate:
    """Running a recogniser on `lengths` (word length -> how many words) on `backend`."""
    if not lengths:
        return Estimate("no words")
    f = figures(construction.transformer)
    extra = len(construction.bos) + len(construction.eos)
    seconds = memory = gates = 0.0
    for n, words in lengths.items():
        p = n + extra
        ops = _pass_ops(f, p)
        seconds += p * f.features * RATES["positional"]
        if backend == "exact":
            seconds += words * ops * RATES["exact"]
            memory = max(memory, p * (f.width + f.hidden) * FRACTION_BYTES)
        elif backend == "torch":
            batch = min(words, 4096)
            item = ITEMSIZE.get(dtype, 8)
            seconds += words * ops * RATES[_torch(device)] + RATES["call"] * math.ceil(
                words / 4096)
            memory = max(memory, batch * item * (4 * p * (f.width + f.hidden)
                                                 + 3 * _scores(f, p)))
        else:
            seconds += words * p * f.width * RATES["evaluate"]
    if backend == "circuit":
        circuit = recogniser_circuits(construction, sorted(lengths), precision=precision)
        evaluate = sum(words * RATES["evaluate"] for words in lengths.values())
        gates, memory = circuit.gates, circuit.memory
        seconds += circuit.seconds + evaluate * circuit.gates / max(len(lengths), 1)
    if backend == "torch":
        memory += module_bytes(construction, dtype)
    top = max(lengths)
    return Estimate(f"running {construction.name} on {sum(lengths.values())} word(s) of "
                    f"{len(lengths)} length(s) up to n = {top} on the {backend} backend",
                    gates, memory, seconds)


def generate(construction, runs: Sequence[tuple], *, backend: str,
             dtype: str = "float64", device: str = "cpu", precision="auto") -> Estimate:
    """Running a decoder on inputs given as (encoder length n, steps T) pairs, or
    (n, T, how many such inputs) triples."""
    t = construction.transformer
    f = figures(t)
    fe = figures(t.encoder) if t.encoder is not None else None
    seconds = memory = gates = 0.0
    item = ITEMSIZE.get(dtype, 8)
    inputs = 0
    for n, steps, *repeat in runs:
        times = repeat[0] if repeat else 1
        inputs += times
        positions = steps + 2
        ops = positions * (f.width + 2 * f.hidden)
        for _, _, source, rows in f.heads:
            read = n if source == "encoder" else positions / 2
            ops += rows * positions * read
        if fe is not None:
            ops += _pass_ops(fe, n + 1)
        if backend == "exact":
            seconds += times * ops * RATES["exact"]
            memory = max(memory, positions * (f.width + f.hidden) * FRACTION_BYTES)
        elif backend == "torch":
            seconds += times * ops * RATES[_torch(device)] + positions * RATES["call"]
            memory = max(memory, times * item * positions * (4 * f.width + sum(
                rows for *_, rows in f.heads)) * 2)
        else:
            circuit = step_circuits(construction, n, list(range(1, steps + 2)),
                                    precision=precision)
            gates += circuit.gates
            seconds += circuit.seconds
            memory = max(memory, circuit.memory)
    if backend == "torch":
        memory += module_bytes(construction, dtype)
    longest = max((r[1] for r in runs), default=0)
    return Estimate(f"running {construction.name} on {inputs} input(s) for up to {longest} "
                    f"steps on the {backend} backend", gates, memory, seconds)


def loop(construction, loops: Sequence[int], *, backend: str, dtype: str = "float64",
         device: str = "cpu", precision="auto") -> Estimate:
    """Running a looped construction for `loops` loops on each input."""
    f = figures(construction.transformer)
    p = construction.positions
    per_loop = _pass_ops(f, p)
    total = sum(loops)
    batch = max(len(loops), 1)
    item = ITEMSIZE.get(dtype, 8)
    gates = 0.0
    if backend == "exact":
        seconds = total * per_loop * RATES["exact"]
        memory = batch * p * (f.width + f.hidden) * FRACTION_BYTES
    elif backend == "torch":
        seconds = (total * per_loop * RATES[_torch(device)]
                   + max(loops, default=0) * RATES["call"] * 5)
        memory = batch * item * (4 * p * (f.width + f.hidden) + 3 * _scores(f, p))
        memory += module_bytes(construction, dtype)
    else:
        circuit = loop_circuit(construction)
        gates, memory = circuit.gates, circuit.memory
        seconds = circuit.seconds + total * circuit.gates * RATES["evaluate"]
    cells = p * construction.transformer.width
    return Estimate(f"running {construction.name} ({p} columns x "
                    f"{construction.transformer.width} rows = {cells} punchcard cells) for "
                    f"{total} loop(s) on the {backend} backend", gates, memory, seconds)


def run(construction, inputs: Sequence, *, backend: str, steps: Sequence[int] = (),
        dtype: str = "float64", device: str = "cpu", precision="auto") -> Estimate:
    """`recognise` (also for a predictor: one forward pass per word), `generate` or
    `loop`, as the construction's mode says; `steps` gives each input's steps or loops
    (the reference's), for the last two."""
    mode = construction.mode
    if mode in ("recognise", "predict"):
        lengths: dict[int, int] = {}
        for word in inputs:
            lengths[len(word)] = lengths.get(len(word), 0) + 1
        return recognise(construction, lengths, backend=backend, dtype=dtype, device=device,
                         precision=precision)
    if mode == "generate":
        return generate(construction, [(construction.encode(x).n, s)
                                       for x, s in zip(inputs, steps, strict=True)],
                        backend=backend, dtype=dtype, device=device, precision=precision)
    return loop(construction, list(steps), backend=backend, dtype=dtype, device=device,
                precision=precision)


def reference(steps: int, what: str = "the reference machine") -> Estimate:
    """A reference interpreter run for at most `steps` steps."""
    return Estimate(f"running {what} for up to {steps} steps", 0, 0,
                    steps * RATES["reference"])


# -- circuits ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Fit:
    """``elements ~ e (x / x0)^k`` and ``seconds ~ s (x / x0)^j`` from the probe at x0."""

    x0: float
    elements: float
    seconds: float
    k: float
    j: float

    def at(self, x: float) -> tuple[float, float]:
        ratio = x / self.x0
        return self.elements * ratio**self.k, self.seconds * ratio**self.j


PROBE_SECONDS = 0.15  # probes double in size until one takes this long


def extrapolate(measure: Callable[[int], tuple[float, float, float]], target: float,
                first: int = 8) -> Fit:
    """The `Fit` through ``measure(p) -> (x, elements, seconds)`` at probe sizes 8, 16, 32,
    ... (doubling while a probe takes under `PROBE_SECONDS` and stays below half the
    `target`): the exponents of elements (k) and of seconds (j) from the last two probes,
    each between 1 and 4; the larger probes make the seconds' fixed costs small."""
    p = first
    x1, e1, s1 = measure(p)
    x2, e2, s2 = measure(2 * p)
    while s2 < PROBE_SECONDS and 4 * p <= target / 2:
        p *= 2
        (x1, e1, s1), (x2, e2, s2) = (x2, e2, s2), measure(2 * p)

    def exponent(a: float, b: float) -> float:
        if x2 <= x1 or a <= 0 or b <= 0:
            return 1.0
        return min(max(math.log(b / a) / math.log(x2 / x1), 1.0), 4.0)

    return Fit(x2, max(e2, 1.0), max(s2, 1e-4), exponent(e1, e2),
               exponent(max(s1, 1e-4), max(s2, 1e-4)))


def _timed(make: Callable[[], object]) -> tuple[float, float]:
    start = time.perf_counter()
    model = make()
    seconds = time.perf_counter() - start
    stats = model.circuit.stats()
    return stats.size + stats.wires, seconds


_FITS: dict[tuple, tuple] = {}  # (kind, id of the IR, precision) -> (the IR, its Fit)


def _fit(kind: str, construction, precision, measure, target: float) -> Fit:
    """The `Fit` of `kind` for `construction`, measured once (None: the probes do not lower;
    then the attention pairs bound it)."""
    from compilers.backends.circuit.fixed import CircuitCompileError

    key = (kind, id(construction.transformer), str(precision), min(int(target), 1 << 20))
    if key not in _FITS:
        try:
            fit = extrapolate(measure, target)
        except CircuitCompileError:
            heads = max(len(figures(construction.transformer).heads), 1)
            fit = Fit(1.0, 3.0 * heads, 3.0 * heads * RATES["circuit"], 2.0, 2.0)
        if len(_FITS) > 64:
            _FITS.clear()
        _FITS[key] = (construction.transformer, fit)
    return _FITS[key][1]


def recogniser_circuits(construction, lengths: Sequence[int], *, precision="auto") -> Estimate:
    """A recogniser's circuits at the word lengths `lengths`, compiled one after another:
    extrapolated from the circuits at n = 8 and 16 (each at least one element per
    position and direction)."""
    from compilers.runs.backends import backend_for

    f = figures(construction.transformer)
    extra = len(construction.bos) + len(construction.eos)
    fit = None
    if any(n > 16 for n in lengths):
        runner = backend_for(construction, "circuit", precision=precision)

        def measure(p: int):
            elements, seconds = _timed(lambda: runner.recogniser(p))
            return p + extra, elements, seconds

        fit = _fit("recogniser", construction, precision, measure, max(lengths) + extra)
    gates = seconds = memory = 0.0
    for n in lengths:
        p = n + extra
        floor = p * f.width
        elements, spent = fit.at(p) if fit is not None and n > 16 else (floor, 0.0)
        elements = max(elements, floor)
        spent = max(spent, p * f.features * RATES["positional"], floor * RATES["circuit"] / 2)
        gates, seconds = gates + elements, seconds + spent
        memory = max(memory, elements * ELEMENT_BYTES)
    shown = (f"n = {lengths[0]}" if len(lengths) == 1
             else f"{len(lengths)} lengths up to n = {max(lengths)}")
    return Estimate(f"the circuit of {construction.name} at {shown}", gates, memory, seconds)


def recogniser_circuit(construction, n: int, *, precision="auto") -> Estimate:
    """A recogniser's circuit at word length n (`recogniser_circuits`)."""
    return recogniser_circuits(construction, [n], precision=precision)


def step_circuits(construction, n: int, steps: Sequence[int], *, precision="auto") -> Estimate:
    """Decoding steps `steps` for encoder words of length n, compiled one after another:
    extrapolated in t from steps at n = 0, times ``1 + n / (t + 1)`` for the encoder's
    gates, plus the time extrapolated in n at t = 1 (the encoder's forms cost time even
    where they leave few gates; within a factor of about 3 of the machines we compiled)."""
    from compilers.runs.backends import backend_for

    f = figures(construction.transformer)
    top = max(steps, default=0)
    along_t = along_n = None
    if top > 24 or n > 24:
        runner = backend_for(construction, "circuit", precision=precision)

        def measure_t(p: int):
            elements, seconds = _timed(lambda: runner.step(0, p))
            return p + 1, elements, seconds

        def measure_n(p: int):
            elements, seconds = _timed(lambda: runner.step(p, 1))
            return p + 2, elements, seconds

        along_t = _fit("step", construction, precision, measure_t, top + 1)
        if n > 24:
            along_n = _fit("encoder", construction, precision, measure_n, n + 2)
    gates = seconds = memory = 0.0
    for t in steps:
        x = n + t + 1
        floor = x * f.width
        if along_t is not None:
            elements, spent = along_t.at(t + 1)
            elements, spent = elements * x / (t + 1), spent * x / (t + 1)
            if along_n is not None:
                spent += along_n.at(n + 2)[1]
        else:
            elements, spent = floor, floor * RATES["circuit"]
        elements = max(elements, floor)
        gates, seconds = gates + elements, seconds + spent
        memory = max(memory, elements * ELEMENT_BYTES)
    shown = f"step t = {steps[0]}" if len(steps) == 1 else f"{len(steps)} steps up to t = {top}"
    return Estimate(f"the circuit of {construction.name}'s decoding {shown} at n = {n}", gates,
                    memory, seconds)


def step_circuit(construction, n: int, t: int, *, precision="auto") -> Estimate:
    """Decoding step t for encoder words of length n (`step_circuits`)."""
    return step_circuits(construction, n, [t], precision=precision)


def loop_circuit(construction) -> Estimate:
    """One loop's circuit: ``5 P W + 3 H P^2`` gates and wires (see the module docstring)."""
    f = figures(construction.transformer)
    p = construction.positions
    elements = 5 * p * f.width + 3 * len(f.heads) * p * p
    return Estimate(f"the circuit of one loop of {construction.name} ({p} columns, width "
                    f"{f.width})", elements, elements * ELEMENT_BYTES,
                    elements * RATES["circuit"])


def circuits(estimates: Sequence[Estimate], what: str) -> Estimate:
    """Several circuits compiled one after another (a scaling sweep)."""
    total = Estimate(what)
    for estimate in estimates:
        total = Estimate(what, total.gates + estimate.gates, max(total.memory, estimate.memory),
                         total.seconds + estimate.seconds)
    return total


__all__ = ["DEFAULT_GATES", "DEFAULT_MEMORY", "DEFAULT_SECONDS", "FLAGS", "RATES", "Budget",
           "BudgetError", "Estimate", "Fit", "circuits", "extrapolate", "figures", "generate",
           "loop", "loop_circuit", "module_bytes", "recognise", "recogniser_circuit",
           "recogniser_circuits", "reference", "run", "saved_bytes", "step_circuit",
           "step_circuits"]
