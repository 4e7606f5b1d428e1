"""The circuit backend behind the `compilers.backends.base.Backend` seam.

A threshold circuit is compiled for one shape of input (a word length n, a
decoding step t, the punchcard of one loop), so `CircuitBackend` compiles on
demand and keeps each circuit it compiled:

* `forward` (a recogniser at length n): `lower.to_circuit`, with the tokens
  before and after the word (`bos`, `eos`) as constants and the word's
  symbols (`alphabet`) as one-hot inputs; the output is the exact value the
  circuit holds for the `accept` logit (`CircuitModel.logits`).
* `forward` (a predictor at length n, read out at every position):
  `lower_positions.to_positions`, the same inputs; the outputs are the exact
  values (Fractions) of every read-out output at every position, shape
  (batch, positions) per output (`PositionsModel.values`).
* `generator` (a decoder with an encoder and vector or token feedback):
  `lower_step.step_circuit` at each step t (n, the encoder's length, counts
  the `encoder_bos` tokens before the word); each fed-back vector must be one
  choice per group of `groups` (one-hot states and symbols, a move), each
  fed-back token a choice of the one group whose choices are the tokens, and
  the read-out comes back as signs (+1, 0, -1) of each output: what the step
  circuit's ``{o}>0`` and ``{o}<0`` bits say. With token feedback the next
  token is the one output whose sign is +1 (a read-out that is 1 for the
  next token and 0 for the others, as `compilers.constructions.cot`'s); any
  other sign pattern is an `EvaluationError`.
* `start` / `loop` (a looped model): `lower_loop.loop_circuit` once, over a
  `template` punchcard whose `entries` (position, dim) -> ``pm`` (a ±1
  entry) or ``01`` are input wires; a loop evaluates the circuit and writes
  the signs of its `outputs` back into the punchcard. A loop whose
  unique-argmax promise bit is 0 is flagged (`flags`): its outputs are not
  proved.

Values are numpy integer arrays (signs and exact 0/±1 entries); a logit, and
a predictor's outputs, are Fractions. Nothing here knows which construction
it runs: the run layer passes the shape hints above from the construction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from circuitx.evaluate import evaluate
from compilers.backends.base import Pass
from compilers.backends.circuit.fixed import UnsupportedError
from compilers.backends.circuit.lower import to_circuit
from compilers.backends.circuit.lower_loop import Entry, loop_circuit
from compilers.backends.circuit.lower_positions import PositionsModel, to_positions
from compilers.backends.circuit.lower_promise import PROMISE
from compilers.backends.circuit.lower_step import step_circuit
from compilers.errors import EvaluationError
from compilers.ir import Transformer
from compilers.ir.plan import plan


class CircuitBackend:
    """See the module docstring."""

    name = "circuit"
    dtype = None

    def __init__(self, transformer: Transformer, *, precision="auto", bos=(), eos=(),
                 alphabet=None, accept: str | None = None, groups: Mapping | None = None,
                 start: Mapping | None = None, encoder_alphabet=None, encoder_bos=(),
                 entries: Mapping | None = None, template: np.ndarray | None = None,
                 outputs: Sequence[tuple[int, str]] = ()):
        self.plan = plan(transformer)
        self.transformer = self.plan.transformer
        self.precision = precision
        self.bos, self.eos, self.alphabet, self.accept = tuple(bos), tuple(eos), alphabet, accept
        self.groups, self.start_vector = groups, start
        self.encoder_alphabet, self.encoder_bos = encoder_alphabet, tuple(encoder_bos)
        self.entries, self.template, self.outputs = entries, template, list(outputs)
        self.models: dict = {}  # (kind, size) -> compiled circuit
        self.broken: dict[int, dict[int, list[str]]] = {}  # example -> loop -> heads
        self._loops = 0

    # -- a recogniser at length n ----------------------------------------------------

    def recogniser(self, n: int):
        """The circuit at word length n (compiled once): a `CircuitModel` (the accept logit),
        or for a model read out at every position (a predictor) a `PositionsModel`; at
        n = 0, the empty word, a circuit without inputs."""
        key = ("n", n)
        if key not in self.models:
            if self.transformer.readout.position == "all":
                self.models[key] = to_positions(self.transformer, n, precision=self.precision,
                                                bos=self.bos, eos=self.eos,
                                                alphabet=self.alphabet)
            else:
                self.models[key] = to_circuit(self.transformer, n, precision=self.precision,
                                              bos=self.bos, eos=self.eos,
                                              alphabet=self.alphabet, accept=self.accept,
                                              allow_empty=True)
        return self.models[key]

    def forward(self, inputs, *, n: int, encoder_inputs=None) -> Pass:
        if encoder_inputs is not None:
            raise UnsupportedError(f"{self.plan.label}: the circuit backend's forward pass "
                                   "reads a word; a model with an encoder runs step by step")
        end = len(self.eos)
        words = ["".join(seq[len(self.bos):len(seq) - end if end else None]) for seq in inputs]
        model = self.recogniser(n)
        if isinstance(model, PositionsModel):
            values = model.values(words)  # (batch, positions, outputs)
            return Pass(outputs={o: values[:, :, j] for j, o in enumerate(model.outputs)},
                        suspect=np.zeros(len(words), dtype=bool))
        logits = np.empty(len(words), dtype=object)
        logits[:] = model.logits(words) if words else []
        accept = self.accept or self.transformer.readout.outputs[0]
        return Pass(outputs={accept: logits}, suspect=np.zeros(len(words), dtype=bool))

    # -- a decoder, step by step -------------------------------------------------------

    def step(self, n: int, t: int):
        """The `StepModel` of decoding step t for encoder words of length n (compiled once)."""
        key = ("t", n, t)
        if key not in self.models:
            if self.groups is None:
                raise UnsupportedError(f"{self.plan.label}: the circuit backend runs a decoder "
                                       "whose fed-back vectors are one-hot choices (groups)")
            self.models[key] = step_circuit(
                self.transformer, n=n, t=t, encoder_alphabet=self.encoder_alphabet,
                groups=self.groups, start=self.start_vector, encoder_bos=self.encoder_bos,
                precision=self.precision)
        return self.models[key]

    def generator(self, *, n: int, batch: int, encoder_inputs=None) -> _StepGenerator:
        if self.transformer.feedback not in ("vector", "token"):
            raise UnsupportedError(f"{self.plan.label}: the circuit backend generates with "
                                   "vector or token feedback only")
        words = ["".join(seq[len(self.encoder_bos):]) for seq in (encoder_inputs or [])]
        if len(words) != batch:
            raise UnsupportedError(f"{self.plan.label}: the circuit backend needs one encoder "
                                   "word per example")
        return _StepGenerator(self, words, n - len(self.encoder_bos))

    def inputs(self, rows) -> np.ndarray:
        if self.transformer.feedback == "token":
            return np.asarray(list(rows), dtype=object)
        return np.asarray([list(r) for r in rows], dtype=object)

    # -- loops -------------------------------------------------------------------------

    def loop_model(self):
        """The `LoopModel` of one loop over the template punchcard (compiled once)."""
        if "loop" not in self.models:
            if self.entries is None or self.template is None:
                raise UnsupportedError(f"{self.plan.label}: the circuit backend loops over a "
                                       "punchcard whose input entries are named (entries)")
            dims = self.transformer.inputs.dims
            card = [dict(zip(dims, (int(v) for v in row), strict=True)) for row in self.template]
            for (j, d), kind in self.entries.items():
                card[j][d] = Entry(f"{d}@{j}", -1 if kind == "pm" else 0, 1)
            self.models["loop"] = loop_circuit(self.transformer, card, outputs=self.outputs,
                                               precision=self.precision, promise_detail=True)
        return self.models["loop"]

    def start(self, matrices, *, n: int) -> np.ndarray:
        self.broken, self._loops = {}, 0
        self.loop_model()
        return np.stack([np.asarray(m, dtype=np.int64) for m in matrices])

    def loop(self, state: np.ndarray, *, n: int, active=None) -> np.ndarray:
        model = self.loop_model()
        self._loops += 1
        dims = self.transformer.inputs.dims
        rows = [k for k in range(len(state)) if active is None or active[k]]
        if not rows:
            return state
        matrices = [[dict(zip(dims, row.tolist(), strict=True)) for row in state[k]]
                    for k in rows]
        bits = evaluate(model.circuit, np.stack([model.encode(m) for m in matrices]))
        names = model.circuit.output_names
        column = {name: c for c, name in enumerate(names)}
        index = self.index()
        state = state.copy()
        for j, d in self.outputs:
            on = bits[:, column[f"{d}@{j}"]]
            kind = self.entries.get((j, d), "pm")
            state[rows, j, index[d]] = np.where(on, 1, -1 if kind == "pm" else 0)
        for name in names:
            if name.startswith(f"{PROMISE}:"):
                for b in np.flatnonzero(~bits[:, column[name]]).tolist():
                    loops = self.broken.setdefault(rows[b], {})
                    loops.setdefault(self._loops, []).append(name.split(":", 1)[1])
        return state

    def read(self, state: np.ndarray, entries) -> np.ndarray:
        index = self.index()
        return state[:, [c for c, _ in entries], [index[d] for _, d in entries]]

    def streams(self, state: np.ndarray) -> np.ndarray:
        return state

    def index(self) -> dict[str, int]:
        return {d: k for k, d in enumerate(self.transformer.inputs.dims)}

    def array(self, values) -> np.ndarray:
        return np.asarray(values)

    def host(self, values) -> np.ndarray:
        return np.asarray(values)

    def check(self) -> None:
        """Nothing is deferred."""

    def flags(self) -> tuple[np.ndarray, dict]:
        """Examples with a loop whose unique-argmax promise bit was 0, and which heads broke it."""
        size = 1 + max(self.broken, default=-1)
        broken = np.zeros(size, dtype=bool)
        broken[list(self.broken)] = True
        why = {k: "the unique-argmax promise broke in loop(s) " + ", ".join(map(str, loops))
               for k, loops in self.broken.items()}
        return broken, why


class _StepGenerator:
    """Step circuits position by position (the `Generator` protocol); see the module docstring."""

    def __init__(self, backend: CircuitBackend, words: list[str], n: int):
        self.backend, self.words, self.n = backend, words, n
        self.history: list[list[dict]] = [[] for _ in words]
        self.position = 0
        self.outputs = backend.transformer.readout.outputs
        self.token = backend.transformer.feedback == "token"

    def push(self, inputs) -> np.ndarray:
        backend, t = self.backend, self.position
        rows = np.asarray(inputs, dtype=object)
        model = backend.transformer
        if t == 0:
            start = {d: v for d, v in backend.start_vector.items() if v}
            for row in rows.tolist():
                given = (_column(model.inputs.table, row) if self.token
                         else dict(zip(model.inputs.dims, row, strict=True)))
                if {d: v for d, v in given.items() if v} != start:
                    raise UnsupportedError(f"{backend.plan.label}: the first decoder input of "
                                           "the circuit backend is the construction's start "
                                           "vector")
        else:
            for k, row in enumerate(rows.tolist()):
                self.history[k].append(fed_choices(model, backend.groups, row))
        model = backend.step(self.n, t)
        values = np.zeros((len(self.words), len(self.outputs)), dtype=np.int64)
        for k, word in enumerate(self.words):
            bits = model.outputs(word, self.history[k])
            values[k] = [int(bits.get(f"{o}>0", False)) - int(bits.get(f"{o}<0", False))
                         for o in self.outputs]
        self.position += 1
        return values

    def next_input(self, outputs) -> np.ndarray:
        if not self.token:
            return np.asarray(outputs)[:, list(self.backend.plan.fed_back)]
        tokens = []
        for row in np.asarray(outputs).tolist():
            positive = [o for o, sign in zip(self.outputs, row, strict=True) if sign > 0]
            if len(positive) != 1:
                raise EvaluationError(f"{self.backend.plan.label}: at position "
                                      f"{self.position - 1} the read-out is positive for "
                                      f"{positive or 'no token'}; the circuit backend feeds "
                                      "back the one token whose logit is positive")
            tokens.append(positive[0])
        return np.asarray(tokens, dtype=object)

    def suspect(self) -> np.ndarray:
        return np.zeros(len(self.words), dtype=bool)


def _column(table, token) -> dict:
    """The directions a token's embedding writes, {direction: value}."""
    return {row: value for (row, col), value in table.entries.items() if col == token}


def fed_value(groups: Mapping, token: str) -> dict:
    """The input directions a fed-back token sets: its choice in the one group of a token
    decoder (see the module docstring)."""
    ((group, options),) = groups.items()
    if token not in options:
        raise UnsupportedError(f"decoder input {token!r} is not a choice of group {group!r} "
                               f"({list(options)})")
    return dict(options[token])


def fed_choices(transformer: Transformer, groups: Mapping, value) -> dict:
    """The one-hot choices of a decoder input: a token's (its group) or a vector's
    (`choices`)."""
    if transformer.feedback == "token":
        fed_value(groups, value)
        return {next(iter(groups)): value}
    return choices(groups, dict(zip(transformer.inputs.dims, value, strict=True)))


def choices(groups: Mapping, vector: Mapping) -> dict:
    """The choice in each group whose dims the vector sets (the one-hot groups of step_circuit)."""
    chosen = {}
    for group, options in groups.items():
        dims = {d for values in options.values() for d in values}
        found = [c for c, values in options.items()
                 if all(vector.get(d, 0) == values.get(d, 0) for d in dims)]
        if len(found) != 1:
            raise UnsupportedError(f"decoder input {dict(vector)} is not one choice of group "
                                   f"{group!r} ({list(options)})")
        chosen[group] = found[0]
    return chosen
