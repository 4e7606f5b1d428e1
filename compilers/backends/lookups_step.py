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
  flag for a candidate ``gap/4 .. 3 gap/4`` below. Where the index cannot
  certify, the same rule runs over every cached key (numpy).

Each block's products are compiled once into straight-line Python (`_Affine`,
`_mlp_function`: every weight a float literal that reads back as the same
double), and `FloatStep.push_rows` takes and returns plain lists, so that a
caller that feeds the read-out back itself (`benchmarks.interpreter_runs`)
makes no tensor per step. Each entry is the sum of its nonzero terms in the
order of the input columns, then the bias: the floats of the torch step up to the order in which a
product's terms are summed, which torch's own kernels do not fix either
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

import numpy as np
import torch

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


CHUNK = 48  # terms per Python expression in the compiled products (bounds its depth)


def _sum(target: str, terms, source: str = "x") -> list[str]:
    """Lines setting `target` to ``0.0 + x_i w_i + ...``, left to right (each term rounded
    and added in turn, as the loop ``s += x[i] * w`` would)."""
    parts = [f"{source}[{i}] * {w!r}" for i, w in terms]
    lines = [f"{target} = 0.0"]
    for k in range(0, len(parts), CHUNK):
        lines.append(f"{target} = {target} + " + " + ".join(parts[k:k + CHUNK]))
    return lines


def _compile(name: str, lines: list[str], argument: str = "x"):
    """A function `name(argument)` with the given body lines (straight-line Python)."""
    source = f"def {name}({argument}):\n" + "".join(f"    {line}\n" for line in lines)
    scope: dict = {}
    exec(compile(source, f"<lookups_step {name}>", "exec"), scope)  # our own text
    return scope[name]


class _Affine:
    """``y = x M + b`` on a list `x`, from M (inputs, outputs) and b, kept as nonzero terms.

    Its three forms are compiled once into straight-line Python (each weight a
    float literal, its ``repr``, which reads back as the same double), so that
    a step runs no loop over the terms."""

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
        sums = [line for o, terms in self.rows for line in _sum(f"s{o}", terms)]
        has = {o for o, _ in self.rows}
        self.products = _compile("products", [*sums, "return {" + ", ".join(
            f"{o}: s{o}" for o, _ in self.rows) + "}"])
        self.sparse = _compile("sparse", [*sums, "return [" + ", ".join(
            (f"s{o} + {self.bias[o]!r}" if o in has else f"0.0 + {self.bias[o]!r}")
            for o in self.touched) + "]"])
        self.full = _compile("full", [*sums, "return [" + ", ".join(
            (f"s{o} + {self.bias[o]!r}" if o in has else f"{self.bias[o]!r}")
            for o in range(self.outputs)) + "]"])
    # products(x) -> {output column: sum_i x_i M_io} (no bias), the columns with terms
    # sparse(x) -> [x M + b at the `touched` columns] (every other output is 0)
    # full(x) -> every output of x M + b


def _mlp_function(w_in: _Affine, w_out: _Affine):
    """``x + relu(x W_in + b_in) W_out + b_out`` as one compiled function of the list x,
    each entry as `FloatStep._mlp` forms it: ``(x_o + sum) + b_o``."""
    lines = [line for o, terms in w_in.rows for line in _sum(f"s{o}", terms)]
    has = {o for o, _ in w_in.rows}
    for o in range(w_in.outputs):
        value = f"s{o} + {w_in.bias[o]!r}" if o in has else f"{w_in.bias[o]!r}"
        lines += [f"h{o} = {value}", f"h{o} = h{o} if h{o} > 0 else 0.0"]
    hidden = {o: f"h{o}" for o in range(w_in.outputs)}
    lines.append("x = list(x)")
    out_has = {o for o, _ in w_out.rows}
    for o, terms in w_out.rows:
        parts = [(hidden[i], w) for i, w in terms]
        lines.append(f"t{o} = 0.0")
        for k in range(0, len(parts), CHUNK):
            lines.append(f"t{o} = t{o} + " + " + ".join(f"{h} * {w!r}"
                                                         for h, w in parts[k:k + CHUNK]))
    for o in w_out.touched:
        total = f"t{o}" if o in out_has else "0.0"
        lines.append(f"x[{o}] = (x[{o}] + {total}) + {w_out.bias[o]!r}")
    lines.append("return x")
    return _compile("mlp", lines)


class FloatStep:
    """One position of a `TorchGenerator` in Python floats (see the module docstring)."""

    def __init__(self, generator):
        self.g = generator
        model = generator.model
        self.batch = generator.batch
        self.blocks = []
        for _rule, block, _params in generator._rules:
            if isinstance(block, MLP):
                w_in, b_in, w_out, b_out = generator._mlps[block.label]
                self.blocks.append(("mlp", block, _mlp_function(_Affine(w_in, b_in),
                                                                _Affine(w_out, b_out))))
            else:
                heads = []
                for how, head, query, key, value in generator._heads[block.label]:
                    heads.append((how, head, _Affine(query), _Affine(key), _Affine(value)))
                self.blocks.append(("attention", block, heads))
        matrix, bias = generator._readout
        self.readout = _Affine(matrix, bias)
        self.sums: dict[str, list[dict]] = {}
        self.caches: dict[str, list] = {}  # head -> [keys, values, used], (batch, cap, dims)
        self.self_heads = []
        for how, head, _, key, value in (h for kind, _, heads in self.blocks
                                         if kind == "attention" for h in heads):
            if how == "encoder":  # the encoder's keys, and its values where they can be nonzero
                k, v = generator.cache[head.label][:2]
                self.caches[head.label] = [k.cpu().numpy(), v.cpu().numpy()[:, :, value.touched],
                                           k.shape[1]]
            elif how == "self":
                self.self_heads.append(head.label)
                self.caches[head.label] = [np.zeros((self.batch, 16, key.outputs)),
                                           np.zeros((self.batch, 16, len(value.touched))), 0]
        self.columns = model.input_columns.tolist()
        self.scans = 0  # queries the index could not certify, run over every cached key
        self._positions: tuple[int, list] | None = None

    # -- one position ---------------------------------------------------------------

    def push(self, inputs: torch.Tensor) -> torch.Tensor:
        """One position: the read-out values (batch, outputs), as `push_values`."""
        return torch.tensor(self.push_rows(inputs.tolist()), dtype=torch.float64)

    def push_rows(self, vectors: list) -> list[list]:
        """`push` on lists: each example's input vector in, its read-out row out (floats,
        in `readout.outputs` order); no tensor is made but where the module embeds a
        position itself."""
        g = self.g
        position = g.position
        xs = self._embed(vectors)
        for label in self.self_heads:
            self._grow(label)
        out = []
        for b, x in enumerate(xs):
            streams = []
            for kind, block, plan in self.blocks:
                x = plan(x) if kind == "mlp" else self._attention(plan, x, b, position)
                streams.append((block.label, x))
            if not math.isfinite(sum(x)) and not all(map(math.isfinite, x)):
                # a non-finite entry persists through every later block (`torch_generate`)
                label = next(label for label, s in streams if not all(map(math.isfinite, s)))
                raise EvaluationError(f"{label}: non-finite values at position {position}")
            out.append(self.readout.full(x))
        for label in self.self_heads:
            self.caches[label][2] += 1
        g.position += 1
        return out

    def _grow(self, label: str) -> None:
        cache = self.caches[label]
        keys, values, used = cache
        if used == keys.shape[1]:  # grown by a quarter: amortised O(1), little left unused
            more = max(16, used // 4)
            for k, array in enumerate((keys, values)):
                batch, _, dims = array.shape
                cache[k] = np.concatenate([array, np.zeros((batch, more, dims))], axis=1)

    def _embed(self, values: list) -> list[list]:
        g = self.g
        position = g.position
        first, rows = self._positions or (0, None)
        if rows is None or position - first >= len(rows):
            if g._positional_row() is not None:
                first, placed = g._features
                rows = placed.tolist()
                self._positions = (first, rows)
            else:
                rows = None
        if rows is None or position - first >= len(rows):  # features computed alone
            return g._embed(torch.tensor(values, dtype=torch.float64))[:, 0].tolist()
        row = rows[position - first]
        xs = []
        for vector in values:
            if len(vector) != len(self.columns):
                g._embed(torch.tensor([vector], dtype=torch.float64))  # raises, naming dims
            x = list(row)
            for c, v in zip(self.columns, vector, strict=True):
                x[c] = v
            xs.append(x)
        return xs

    # -- the rules ------------------------------------------------------------------

    def _attention(self, heads, x: list, b: int, position: int) -> list:
        delta: dict = {}
        for how, head, query, key, value in heads:
            if how == "sum":
                v = value.products(x)
                sums = self.sums.setdefault(head.label, [None] * self.batch)
                before = sums[b]
                total = v if before is None else {o: before[o] + v[o] for o in v}
                sums[b] = total
                if head.mask == "strict_causal":
                    out = ({o: 0.0 for o in v} if before is None
                           else {o: s / position for o, s in before.items()})
                else:
                    out = {o: s / (position + 1) for o, s in total.items()}
            else:
                out = self._hard(head, how, query, key, value, x, b, position)
            for o, s in out.items():
                delta[o] = delta[o] + s if o in delta else s
        if not delta:
            return x
        x = list(x)
        for o, s in delta.items():
            x[o] = x[o] + s
        return x

    def _hard(self, head, how: str, query, key, value, x: list, b: int, position: int):
        """The hard ``-|<q, k>|`` rule (`TorchGenerator._attend`) on the candidates the
        index names, or on every cached key where it names none."""
        g = self.g
        cache = self.caches[head.label]
        index = g.lookups.heads[head.label][b]
        if how == "self":
            k = key.full(x)
            used = cache[2]
            cache[0][b, used] = k
            cache[1][b, used] = value.sparse(x)
            index.add(k)
            used += 1
        else:
            used = cache[2]
        q = query.full(x)
        kind = head.kind
        half = quarter = three_quarters = None
        margin = 0.0
        if kind.gap is not None:
            half, quarter, three_quarters = g._gap(head, position)
            margin = 2 * half
        found = index.candidates(q, margin)
        if found is not None:
            columns = [j for _, j in found[0]]
            scores = [-s for s, _ in found[0]]  # |<q, k_j>|
            least = min(scores)
            below = [s - least for s in scores]
            if half is not None:
                winners = [j for j, d in zip(columns, below, strict=True) if d < half]
                fired = any(quarter <= d < three_quarters for d in below)
            else:
                winners = [j for j, d in zip(columns, below, strict=True) if d == 0]
                fired = False
        else:  # every cached key, in numpy (the same float64 values and comparisons)
            self.scans += 1
            scores = np.abs(cache[0][b, :used] @ np.asarray(q))
            below = scores - scores.min()
            if half is not None:
                winners = np.flatnonzero(below < half).tolist()
                fired = bool(((quarter <= below) & (below < three_quarters)).any())
            else:
                winners = np.flatnonzero(below == 0).tolist()
                fired = False
        if fired:
            flagged = torch.zeros(self.batch, dtype=torch.bool)
            flagged[b] = True
            g.flags.mark(head.label, flagged)
        if kind.tie is None and len(winners) > 1:
            argmax_positions(head, winners)  # raises, naming the positions
        chosen = min(winners) if kind.tie == "first" else max(winners)
        return dict(zip(value.touched, cache[1][b, chosen].tolist(), strict=True))


__all__ = ["FloatStep", "float_step"]
