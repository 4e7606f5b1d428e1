"""Decoding a chain of thought of automaton states: read-outs in, the run and a verdict out.

The chain-of-thought decoders (`compilers.constructions.cot`,
`compilers.constructions.cot_parity`) read out one logit per token, the start
token first and then one per state; decoder position 0 emits q_0, the start
state, and position p >= 1 emits q_p, the state after the input symbol w_p
(step p, as for every decoder of the run layer). `fields` reads the emitted
state from a batch of read-outs by the kind of values the backend gives:

* ``exact`` (Fractions): the logits must be one-hot over the states (one 1,
  every other 0, the start token's 0), else `CoTDecodeError` (a construction
  bug, never expected);
* ``float``: the argmax over the states' logits;
* ``sign`` (the circuit backend's +1/0/-1 per output): the state whose logit
  is positive (the argmax of the signs).

`CoTDecoder` collects the states of one run; it is done after step
``min(n, max_steps)``. Its `answer` is a `CoTRun` (the emitted states
and the verdict: accept iff the run is complete and its last state accepts)
and its `trace` the `CoTStep`s, each compared with the DFA's own step
(`compilers.constructions.cot_language.Automaton.run`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from compilers.errors import CompileError


class CoTDecodeError(CompileError):
    """A read-out that is not one state (a construction bug, never expected)."""


@dataclass(frozen=True, kw_only=True)
class CoTStep:
    """Step k of a run: in `state` (q_{k-1}), read `read` (w_k), entered `next_state` (q_k)."""

    step: int
    state: str
    read: str
    next_state: str

    def as_dict(self) -> dict:
        return {"step": self.step, "state": self.state, "read": self.read,
                "next_state": self.next_state}


@dataclass(frozen=True, kw_only=True)
class CoTRun:
    """A run of `word`: the states q_1 .. q_k entered (k = `steps`), and the verdict.

    Attributes:
        word: the input.
        states: the states emitted (the chain of thought), q_0 not included.
        accept: whether the last state accepts (the start state's verdict for the
            empty word); None when the run stopped before the end of the word.
        halted: the run read the whole word.
        dfa_states: the DFA's own run, shown beside (not compared: `Result` compares
            `states` and `accept`, and the traces).
    """

    word: str
    states: tuple[str, ...]
    accept: bool | None
    halted: bool = True
    dfa_states: tuple[str, ...] = field(default=(), compare=False)

    @property
    def steps(self) -> int:
        return len(self.states)

    @property
    def head(self) -> int:
        """The input position read last (the command line's message for a cut-off run)."""
        return len(self.states)

    @property
    def state(self) -> str | None:
        return self.states[-1] if self.states else None

    def as_dict(self) -> dict:
        return {"word": self.word, "states": list(self.states), "accept": self.accept,
                "steps": self.steps, "halted": self.halted, "dfa_states": list(self.dfa_states)}

    def lines(self) -> list[str]:
        """The run for a terminal: the word, the emitted states beside the DFA's, the
        verdict."""
        width = max([len(s) for s in (*self.states, *self.dfa_states)] + [1])
        out = [f"word: {self.word!r} ({len(self.word)} symbols)",
               f"{'k':>4}  {'read':<4}  {'emitted':<{width}}  dfa"]
        for k, symbol in enumerate(self.word[:len(self.states)], start=1):
            ours = self.states[k - 1]
            theirs = self.dfa_states[k - 1] if k <= len(self.dfa_states) else "-"
            mark = "" if ours == theirs else "  <- differs"
            out.append(f"{k:>4}  {symbol:<4}  {ours:<{width}}  {theirs}{mark}")
        verdict = {True: "accept", False: "reject", None: "no verdict (cut off)"}[self.accept]
        out.append(f"{verdict} after {self.steps} steps")
        return out


def fields(outputs: tuple[str, ...], states: tuple[str, ...], values, position: int,
           kind: str) -> list[int]:
    """The index (into `states`) of the state each example emits (see the module docstring);
    `outputs` are the read-out's names, the start token first, then `states`."""
    if kind == "exact":
        return [_exact_state(row, states, position) for row in np.asarray(values).tolist()]
    rows = np.asarray(values)[:, 1:].astype(np.float64)
    return rows.argmax(axis=1).tolist()


def _exact_state(row: list, states: tuple[str, ...], position: int) -> int:
    start, logits = row[0], row[1:]
    if start != 0 or sorted(logits) != [0] * (len(logits) - 1) + [1]:
        raise CoTDecodeError(f"position {position}: the read-out {[str(v) for v in row]} is not "
                             f"one of the states {list(states)}")
    return logits.index(1)


class CoTDecoder:
    """Collects one run's emitted states, position by position (see the module docstring)."""

    def __init__(self, automaton, word: str, max_steps: int, states: tuple[str, ...]):
        self.automaton, self.word, self.states = automaton, word, states
        self.limit = min(len(word), max_steps)
        self.current = automaton.start
        self.emitted: list[str] = []
        self.steps: list[CoTStep] = []
        self.done = False

    def feed(self, position: int, index: int) -> None:
        """The state emitted at `position` (an index into the states): q_0 at position 0,
        then step p's q_p."""
        if self.done:
            return
        state = self.states[index]
        if position > 0:
            self.steps.append(CoTStep(step=position, state=self.current,
                                      read=self.word[position - 1], next_state=state))
            self.emitted.append(state)
        self.current = state
        self.done = position >= self.limit

    def answer(self) -> CoTRun:
        return run_of(self.automaton, self.word, tuple(self.emitted))

    def trace(self) -> tuple[CoTStep, ...]:
        return tuple(self.steps)


def circuit_interface(transformer, alphabet: str, bos: str, start: str) -> dict:
    """What the circuit backend needs to compile one decoding step of a token decoder: the
    encoder's alphabet and BOS, the tokens fed back (every token but the start token) as
    one one-hot group, each setting the directions its embedding column writes, and the
    start token's column, the constant input at position 0."""
    table = transformer.inputs.table
    columns = {t: {} for t in table.cols}
    for (row, token), value in table.entries.items():
        columns[token][row] = value
    return {"encoder_alphabet": tuple(alphabet), "encoder_bos": (bos,),
            "groups": {"token": {t: c for t, c in columns.items() if t != start}},
            "start": columns[start]}


def run_of(automaton, word: str, states: tuple[str, ...]) -> CoTRun:
    """The `CoTRun` of `states` emitted on `word` (verdict from the last one)."""
    complete = len(states) == len(word)
    last = states[-1] if states else automaton.start
    dfa = automaton.run(word)
    return CoTRun(word=word, states=states, halted=complete,
                  accept=automaton.accepts_state(last) if complete else None, dfa_states=dfa)


def reference(automaton, word: str, max_steps: int) -> tuple[tuple[CoTStep, ...], CoTRun]:
    """The DFA's own steps and run on `word`, cut after `max_steps` steps."""
    states = automaton.run(word)[:max_steps]
    previous = (automaton.start, *states)
    steps = tuple(CoTStep(step=k + 1, state=previous[k], read=word[k], next_state=states[k])
                  for k in range(len(states)))
    return steps, run_of(automaton, word, states)


__all__ = ["CoTDecodeError", "CoTDecoder", "CoTRun", "CoTStep", "circuit_interface", "fields",
           "reference", "run_of"]
