"""Torch generation with ``lookups='index'`` on the CPU in float64: one step in Python floats.

With lookups a decoder step is a few products at one position plus the index
queries, so on the CPU its cost is the overhead per operation, not arithmetic:
about 2-4 microseconds per small torch or numpy call, against about 0.1 for
one multiply-add on Python floats (IEEE doubles, as float64 tensors). The
weights of the decoders that generate (Pérez et al.'s Turing-machine decoder:
one-hot transitions, moves, reads) are sparse, so `FloatStep` runs the step
of a `torch_generate.TorchGenerator` on the module's own float64 weights, kept
as their nonzero entries, output column by output column, block by block as
`TorchGenerator.push_values` does:

* embedding: the positional row (computed by the module for 256 positions at
  a time, as the generator does) with the inputs in their columns;
* an MLP: ``x + (relu(x W_in + b_in) W_out) + b_out``;
* a head with constant scores (Pérez et al.'s uniform causal averages): the
  running sum of its values over positions 0..p, divided by p + 1 (0..p-1 over
  p where strictly causal);
* a hard ``-|<q, k>|`` head with a `lookups_ratio.RatioIndex` (last write,
  input cell): the index names the candidate keys (the matches and the special
  keys, every other key certified at least the head's gap below the best, as
  in `lookups_torch`), and the hard-attention rule of `TorchGenerator._attend`
  runs on them: winners within ``gap/2`` of the best, the tie rule, the suspect
  flag for a candidate ``gap/4 .. 3 gap/4`` below (`RatioIndex.pick`). Where
  the index cannot certify, the same rule runs over every cached key (numpy;
  the keys and values are kept in flat float64 arrays, 8 bytes an entry).

The whole step is compiled once into one straight-line Python function
(`lookups_step_source`: every stream entry a local variable, every weight a
float literal that reads back as the same double, ``inf``/``nan`` included),
which calls out only for the hard heads' lookups, and `FloatStep.push_rows`
takes and returns plain lists, so that a caller that feeds the read-out back
itself (`benchmarks.interpreter_runs`) makes no tensor per step. Each entry
is the sum of its nonzero terms in the order of the input columns, then the
bias: the floats of the torch step up to the order in which a product's
terms are summed, which torch's own kernels do not fix either
(`torch_generate` says the same of its step); a zero weight's term is left
out (it adds 0, or turns an infinite entry into NaN where the product keeps
it: the per-step non-finite check fires in both). The non-finite check, the
suspect flags and the read-out are the generator's.

Taken only where every block is covered (MLPs, and attention whose heads are
all constant-score or ratio-indexed), the weights are one model's (not
stacked), the inputs are vectors and the dtype float64 on the CPU; otherwise
the torch step runs (a GPU keeps it).
"""

from __future__ import annotations

import math
from array import array

import numpy as np
import torch

from compilers.backends.lookups_step_source import step_source
from compilers.errors import EvaluationError
from compilers.ir import MLP, Attention
from compilers.ir.plan import argmax_positions

MAX_BATCH = 8  # beyond this many examples the batched torch step is cheaper


def float_step(generator) -> FloatStep | None:
    """The Python-float step of `generator`, or None where the torch step must run."""
    model = generator.model
    if (model.device.type != "cpu" or model.float_dtype != torch.float64
            or not generator._vector_inputs or generator.batch > MAX_BATCH):
        return None
    for _rule, block, _params in generator._rules:
        if isinstance(block, Attention):
            for how, head, *weights in generator._heads[block.label]:
                if not (how == "sum" or head.label in generator.lookups.heads):
                    return None
                if any(w.dim() != 2 for w in weights):
                    return None
        elif not isinstance(block, MLP):
            return None
    if any(w.dim() > 2 for plan in generator._mlps.values() for w in plan):
        return None
    return FloatStep(generator)


def _compile(name: str, source: str, scope: dict):
    """The function `name` defined by `source` (our own generated text) in `scope`, where
    ``inf`` and ``nan`` name the floats whose ``repr`` they are (a corrupted weight's)."""
    scope = {"inf": math.inf, "nan": math.nan, **scope}
    exec(compile(source, f"<lookups_step {name}>", "exec"), scope)
    return scope[name]


class _Affine:
    """``y = x M + b`` from M (inputs, outputs) and b, kept as nonzero terms (the step's
    source, `lookups_step_source`, writes them out as float literals)."""

    def __init__(self, matrix: torch.Tensor, bias: torch.Tensor | None = None):
        m = matrix.detach().cpu().numpy()
        self.outputs = m.shape[1]
        self.bias = ([0.0] * self.outputs if bias is None
                     else bias.detach().cpu().numpy().reshape(-1).tolist())
        self.rows = []  # (output column, ((input column, weight), ...)), outputs with terms
        for o in range(self.outputs):
            terms = tuple((int(i), float(m[i, o])) for i in np.flatnonzero(m[:, o]))
            if terms:
                self.rows.append((o, terms))
        self.touched = sorted({o for o, _ in self.rows}
                              | {o for o, b in enumerate(self.bias) if b != 0})


class FloatStep:
    """One position of a `TorchGenerator` in Python floats (see the module docstring)."""

    def __init__(self, generator):
        self.g = generator
        model = generator.model
        self.batch = generator.batch
        blocks, self.labels = [], []
        slots: dict = {}  # (sum head, column) -> its running sum's index in each example's S
        calls: dict = {}  # hard head -> its lookup's index in each example's H
        hards = []
        for _rule, block, _params in generator._rules:
            self.labels.append(block.label)
            if isinstance(block, MLP):
                w_in, b_in, w_out, b_out = generator._mlps[block.label]
                blocks.append(("mlp", _Affine(w_in, b_in), _Affine(w_out, b_out)))
                continue
            heads = []
            for how, head, query, key, value in generator._heads[block.label]:
                plan = (how, head, _Affine(query), _Affine(key), _Affine(value))
                heads.append(plan)
                if how == "sum":
                    for o, _ in plan[4].rows:
                        slots[(head.label, o)] = len(slots)
                else:
                    calls[head.label] = len(hards)
                    hards.append(plan)
            blocks.append(("attention", heads))
        matrix, bias = generator._readout
        self.columns = model.input_columns.tolist()
        source = step_source(blocks, _Affine(matrix, bias), len(model.index), self.columns,
                             slots, calls)
        self._step = _compile("step", source, {"_isfinite": math.isfinite})
        self.sums = [[None] * len(slots) for _ in range(self.batch)]
        self.heads = [[self._hard_function(plan, b) for plan in hards]
                      for b in range(self.batch)]
        self.scans = 0  # queries the index could not certify, run over every cached key
        self._bad = self._non_finite
        self._positions: tuple[int, list] | None = None

    # -- one position ---------------------------------------------------------------

    def push(self, inputs: torch.Tensor) -> torch.Tensor:
        """One position: the read-out values (batch, outputs), as `push_values`."""
        return torch.tensor(self.push_rows(inputs.tolist()), dtype=torch.float64)

    def push_rows(self, vectors: list) -> list[list]:
        """`push` on lists: each example's input vector in, its read-out row out (floats,
        in `readout.outputs` order); no tensor is made but where the module embeds a
        position itself."""
        position = self.g.position
        step, bad = self._step, self._non_finite
        row = self._row()
        if row is None:  # features computed alone: the module embeds the position
            embedded = self.g._embed(torch.tensor(vectors, dtype=torch.float64))[:, 0].tolist()
            out = [step(x, [x[c] for c in self.columns], position, self.sums[b],
                        self.heads[b], bad) for b, x in enumerate(embedded)]
        else:
            out = []
            for b, vector in enumerate(vectors):
                if len(vector) != len(self.columns):
                    self.g._embed(torch.tensor([vector], dtype=torch.float64))  # names dims
                out.append(step(row, vector, position, self.sums[b], self.heads[b], bad))
        self.g.position += 1
        return out

    def push_one(self, vector: list) -> list:
        """`push_rows` for a batch of one: ``push_rows([vector])[0]``, the positional row
        taken from the window `_row` keeps without a call where it holds this position
        (a streamed run makes millions of these calls)."""
        position = self.g.position
        first, rows = self._positions or (0, None)
        at = position - first
        if (rows is None or not 0 <= at < len(rows) or self.batch != 1
                or len(vector) != len(self.columns)):
            return self.push_rows([vector])[0]
        self.g.position = position + 1
        return self._step(rows[at], vector, position, self.sums[0], self.heads[0],
                          self._bad)

    def _non_finite(self, block: int):
        raise EvaluationError(f"{self.labels[block]}: non-finite values at position "
                              f"{self.g.position}")

    def _row(self) -> list | None:
        """The positional row at this position (the module's, computed for 256 positions at
        a time as the generator does), or None where the generator embeds alone."""
        g = self.g
        position = g.position
        first, rows = self._positions or (0, None)
        if rows is None or position - first >= len(rows):
            if g._positional_row() is None:
                return None
            first, placed = g._features
            rows = placed.tolist()
            self._positions = (first, rows)
        if position - first >= len(rows):
            return None
        return rows[position - first]

    # -- the hard heads -------------------------------------------------------------

    def _hard_function(self, plan, b: int):
        """Example `b`'s lookup for one hard ``-|<q, k>|`` head: ``hard(q, position[, key,
        values])`` appends a self-attention head's key and values at this position, then
        runs the hard rule of `TorchGenerator._attend` on the candidates the index names
        (`RatioIndex.pick`), or on every cached key (numpy) where it names none, and
        returns the chosen position's values (at the value's `touched` columns)."""
        how, head, _query, key, value = plan
        g = self.g
        index = g.lookups.heads[head.label][b]
        tie, gapped, label = head.kind.tie, head.kind.gap is not None, head.label
        width = len(value.touched)
        if how == "self":  # flat float64 arrays: compact, appended in O(1)
            keys, values, dims = array("d"), array("d"), key.outputs
        else:
            cached_keys, cached_values = g.cache[label][:2]
            keys = cached_keys.cpu().numpy()[b]
            values = cached_values.cpu().numpy()[b][:, value.touched]
        pick, gaps = index.pick, [0, ((), (), ())]  # the generator's window of gap/2, ...

        def hard(q, position, k=None, v=None):
            if k is not None:
                keys.extend(k)
                values.extend(v)
                index.add(k)
            half = quarter = three_quarters = None
            if gapped:
                at = position - gaps[0]
                if not 0 <= at < len(gaps[1][0]):  # the next window (`TorchGenerator._gap`)
                    g._gap(head, position)
                    gaps[:] = g._thresholds[label]
                    at = position - gaps[0]
                table = gaps[1]
                half, quarter, three_quarters = table[0][at], table[1][at], table[2][at]
            found = pick(q, half, quarter, three_quarters)
            if found is None:
                every = np.frombuffer(keys).reshape(-1, dims) if how == "self" else keys
                found = self._scan(every, q, half, quarter, three_quarters)
                del every  # a view of `keys` would block its next append
            winners, fired = found
            if fired:
                flagged = torch.zeros(self.batch, dtype=torch.bool)
                flagged[b] = True
                g.flags.mark(label, flagged)
            if len(winners) == 1:
                chosen = winners[0]
            elif tie is None:
                argmax_positions(head, sorted(winners))  # raises, naming the positions
            else:
                chosen = min(winners) if tie == "first" else max(winners)
            if how == "self":
                return values[chosen * width:(chosen + 1) * width]
            return values[chosen].tolist()

        return hard

    def _scan(self, keys, q, half, quarter, three_quarters) -> tuple[list, bool]:
        """The hard rule over every key (numpy; the same float64 values and comparisons)."""
        self.scans += 1
        scores = np.abs(keys @ np.asarray(q))
        below = scores - scores.min()
        if half is None:
            return np.flatnonzero(below == 0).tolist(), False
        return (np.flatnonzero(below < half).tolist(),
                bool(((quarter <= below) & (below < three_quarters)).any()))


__all__ = ["FloatStep", "float_step"]
