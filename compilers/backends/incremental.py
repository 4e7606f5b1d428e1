"""Incremental loops with indexed lookups: one loop of a looped model, recomputing
only the columns whose inputs changed.

`IncrementalLoop` runs the blocks of a looped model (Giannou et al. 2023:
the same layers applied to the punchcard again and again) on one stream,
backend-neutrally through an `ops` object (`incremental_exact.ExactOps`,
`incremental_torch.TorchOps`). It keeps, from the last loop, the stream after
every block (`stages`) and, per head, every column's key and value, the
columns each query read, and a `lookups.CodeIndex` of the keys.

What a loop recomputes. A block is a function of its column (an MLP, a layer
norm) or reads other columns through its heads; each head at query i reads
its argmax columns (saturated attention). So the stream after block b at
column i changes only if i's stream before b changed, or a head's key or
value changed at a column i read, or a changed key may now win i's lookup
(its new or old code is the code i asks for; a key that changes group: the
queries whose best score its group's bound reaches, `_Head.threatened`; a
special key: every query). The loop starts from the columns the last loop
changed (the written memory word, the scratchpad) and adds, block by block,
the queries those changes reach; every other column's stages are carried
over. Within those, a query equal to the one looked up at its column last
loop keeps that lookup where no change to the index can have altered it
(`IncrementalLoop._attention`). A halted punchcard (a fixed point) costs
nothing. A group read uniformly (below) keeps its values' total, updated by
each changed value (`_Head.mean`, `_Head.changed`), where the backend's ops
can keep it exact (exact: always; torch: values on a 2^-24 grid, see
`incremental_torch`); otherwise its mean is recomputed after a change to the group.

One assumption, named and checked rather than proved: a query that asks no
question (its code part is 0: `lookups.Found.target` is None) reads by its
other rows alone (a whole group's mean, or a sink column), and that read is
not tracked, so a column whose only change is such a read is not recomputed.
In the SUBLEQ computers these are the reads at the columns off the
scratchpad, whose values no gated MLP unit uses and the store clears
(`compilers.constructions.subleq_gadgets`). `check` (every
`dense_every` loops, and at the end of a run) runs the dense loop from the
same input and compares the whole punchcard; a difference is an
`EvaluationError` naming the loop, column and direction.

Saturation. The heads are evaluated at their saturated limit (all weight on
the argmax), as the circuit backend does under the unique-argmax promise;
the promise is checked at every lookup (`lookups`), its margin for a softmax
head being the gap at which the softmax weight off the argmax is below
``2^-8`` (`margin`). The stages inside a loop are therefore the saturated
head's, not the finite-temperature head's; the punchcard between loops is the
same where the MLPs snap every kept entry (the SUBLEQ computers'
error correction), which is what `check` compares. A broken promise recomputes
that loop densely (`on_broken="dense"`, recorded in `broken`) or raises
(`"error"`).
"""

from __future__ import annotations

import math

import sympy

from compilers.backends.common import EvaluationError
from compilers.backends.lookups import CodeIndex, PromiseError
from compilers.ir import MLP, Attention, Hard, LayerNorm, N, Softmax

ON_BROKEN = ("dense", "error")
OFF_ARGMAX = 2.0 ** -8  # a softmax lookup's weight off the argmax, at most
MAX_MEANS = 64  # group means kept per head


def margin(head, n: int, tol) -> float | int:
    """The least gap between the maximum and any other score that a lookup accepts.

    Softmax with scale c: ``(n - 1) e^{-c gap} <= 2^-8``, i.e. ``gap >=
    (ln(n - 1) + 8 ln 2) / c`` (the weight off the argmax; for Giannou et al.'s
    temperature, derived for gaps of 1, this is below 1). Hard heads: any gap
    above `tol` (exact: above 0), or half the stated ``gap`` at position 0.
    """
    kind = head.kind
    if isinstance(kind, Softmax):
        scale = float(sympy.N(kind.scale.xreplace({N: sympy.Integer(n)}), 30))
        if scale <= 0:
            raise EvaluationError(f"head {head.label}: softmax scale {kind.scale} at n = {n} "
                                  "is not positive; lookups need a saturating head")
        return (math.log(max(n - 1, 1)) + 8 * math.log(2)) / scale
    gap = getattr(kind, "gap", None)
    if gap is not None and tol:
        return float(sympy.N(gap.xreplace({N: sympy.Integer(n), sympy.Symbol("i"): 0}))) / 2
    return tol or 0


def indexable(transformer) -> list[str]:
    """Why `transformer`'s loop cannot run with lookups (empty: it can)."""
    problems = []
    if not transformer.looped:
        problems.append(f"{transformer.label} is not looped")
    for head in transformer.heads():
        if head.mask != "none":
            problems.append(f"head {head.label} has mask {head.mask!r} (lookups need 'none')")
        if head.source != "self":
            problems.append(f"head {head.label} reads the encoder")
        if head.score != "dot":
            problems.append(f"head {head.label} scores {head.score!r} (lookups need 'dot')")
        if isinstance(head.kind, Hard) and head.kind.tie is not None:
            problems.append(f"head {head.label} breaks ties to the {head.kind.tie} (lookups "
                            "need a unique argmax)")
    return problems


class _Head:
    """One head's lookups state: index, values, and who read what."""

    def __init__(self, head, index: CodeIndex, values: list, margin):
        self.head, self.index, self.values, self.margin = head, index, values, margin
        n = len(values)
        self.reads: list[tuple] = [()] * n  # tracked columns each query read
        self.asked: list = [None] * n  # the code each query asked for
        self.query: list = [None] * n  # each query as last looked up
        self.found: list = [None] * n  # ... what that lookup found
        self.seen: list = [None] * n  # ... and the index's version then
        self.out: list = [None] * n  # the head's output at each query
        self.readers: dict[int, set[int]] = {}
        self.askers: dict[tuple, set[int]] = {}
        self.kind: list = [None] * n  # each query's profile key (`CodeIndex.profile`)
        self.best: list = [None] * n  # each query's best score
        self.profiles: dict[tuple, tuple] = {}  # key -> (profile, {query: best})
        self.means: dict[tuple, tuple] = {}  # uniform reads: columns -> (total, mean)
        self.groups: dict[int, set[tuple]] = {}  # column -> the cached means it is in

    def record(self, i: int, columns: tuple, target, profile: tuple, best) -> None:
        for j in self.reads[i]:
            self.readers[j].discard(i)
        if self.asked[i] is not None:
            self.askers[self.asked[i]].discard(i)
        if self.kind[i] is not None:
            del self.profiles[self.kind[i]][1][i]
        self.reads[i], self.asked[i] = columns, target
        for j in columns:
            self.readers.setdefault(j, set()).add(i)
        if target is not None:
            self.askers.setdefault(target, set()).add(i)
        self.kind[i] = profile[0]
        self.profiles.setdefault(profile[0], (profile, {}))[1][i] = best

    def mean(self, columns: tuple, ops):
        """The mean of the values at `columns` (a group read uniformly), kept with their
        total and updated as values change (`changed`), where `ops.total` can keep it
        exact; else recomputed after any change to the group."""
        entry = self.means.get(columns)
        if entry is None:
            if len(self.means) >= MAX_MEANS:  # groups that keep changing: start afresh
                self.means.clear()
                self.groups.clear()
            values = [self.values[j] for j in columns]
            total = ops.total(values)
            entry = self.means[columns] = (total, ops.mean(values) if total is None
                                           else ops.divide(total, len(columns)))
            for j in columns:
                self.groups.setdefault(j, set()).add(columns)
        return entry[1]

    def changed(self, j: int, value, ops) -> None:
        """Column j's value is now `value`: the cached means that hold it follow."""
        old, self.values[j] = self.values[j], value
        for columns in self.groups.get(j, ()):
            entry = self.means.get(columns)
            if entry is None:
                continue
            total = None if entry[0] is None else ops.adjust(entry[0], old, value)
            if total is None:
                del self.means[columns]
            else:
                self.means[columns] = (total, ops.divide(total, len(columns)))

    def threatened(self, place: tuple) -> set[int]:
        """Queries for which a key now at `place` may come within the margin of their
        best score (all, for a special key)."""
        out: set[int] = set()
        for profile, bests in self.profiles.values():
            if not bests:
                continue
            bound = self.index.bound(profile, place)
            if bound is None or bound >= min(bests.values()) - self.margin:
                out |= set(bests)
        return out


class IncrementalLoop:
    """One stream looped incrementally (see the module docstring).

    Args:
        ops: the backend's arithmetic (`ExactOps` or `TorchOps`).
        blocks: the looped model's blocks.
        stream: the stream before the first loop (the ops' array).
        n: the input length the formulas see.
        on_broken: ``"dense"`` (recompute a loop that broke the promise densely)
            or ``"error"`` (raise `EvaluationError`).
    """

    def __init__(self, ops, blocks, stream, *, n: int, on_broken: str = "dense"):
        if on_broken not in ON_BROKEN:
            raise EvaluationError(f"on_broken {on_broken!r}; allowed: {', '.join(ON_BROKEN)}")
        self.ops, self.blocks, self.n, self.on_broken = ops, tuple(blocks), n, on_broken
        self.columns = ops.length(stream)
        self.stages = [stream] + [None] * len(self.blocks)
        self.heads: dict[str, _Head] = {}
        self.loops = 0
        self.changed: set[int] = set(range(self.columns))
        self.touched: set[int] = set(self.changed)  # changed since `take_touched`
        self.fresh = True
        self.last_input: dict[int, object] = {}  # rows the last loop changed, as they were
        self.broken: list[str] = []  # "loop k: why" for each loop that broke the promise
        self.recomputed = 0  # columns recomputed over all loops (a measure of the work)
        self.kept = 0  # lookups kept, not made again (`_attention`), over all loops

    @property
    def stream(self):
        """The stream after the last loop (the next loop's input)."""
        return self.stages[0]

    def step(self) -> None:
        """One loop: the changed columns and what reads them, carried over elsewhere."""
        self.loops += 1
        try:
            rows = self._blocks(set(self.changed))
        except PromiseError as broken:
            if self.on_broken == "error":
                raise EvaluationError(f"lookups='index', loop {self.loops}: {broken}") from None
            self.broken.append(f"loop {self.loops}: {broken}")
            self._dense_step()
            return
        last = self.stages[-1]
        changed = set(self.ops.changed(self.stages[0], last, sorted(rows)))
        self.recomputed += len(rows)
        first = self.stages[0]
        self.last_input = {i: self.ops.row(first, i) for i in changed}
        if changed:
            self.ops.put(first, sorted(changed), self.ops.take(last, sorted(changed)))
        self.changed = changed
        self.touched |= changed

    def _dense_step(self) -> None:
        """The loop recomputed densely (after a broken promise): every index rebuilt."""
        first = self.stages[0]
        new = self.ops.dense(first, self.n)
        everything = list(range(self.columns))
        changed = self.ops.changed(first, new, everything)
        self.last_input = {i: self.ops.row(first, i) for i in changed}
        self.ops.put(first, everything, new)  # in place: the backend's state is this array
        self.stages = [first] + [None] * len(self.blocks)
        self.heads.clear()
        self.fresh = True
        self.changed = set(everything)
        self.touched |= self.changed

    def take_touched(self) -> set[int]:
        """The columns whose stream changed since the last call (every column at first): a
        column not among them holds what it held then."""
        touched, self.touched = self.touched, set()
        return touched

    def check(self, *, where: str) -> None:
        """The dense loop from the last loop's input against the stream (module docstring)."""
        if self.loops == 0:
            return
        first = self.ops.copy(self.stages[0])
        for i, row in self.last_input.items():
            self.ops.put_row(first, i, row)
        dense = self.ops.dense(first, self.n)
        found = self.ops.mismatch(dense, self.stages[0])
        if found is not None:
            column, direction, mine, theirs = found
            raise EvaluationError(f"lookups='index': {where} loop {self.loops} differs from the "
                                  f"dense loop at column {column}, direction {direction}: "
                                  f"{mine} (indexed) against {theirs} (dense)")

    def _blocks(self, rows: set[int]) -> set[int]:
        ops = self.ops
        for b, block in enumerate(self.blocks):
            before, after = self.stages[b], self.stages[b + 1]
            if self.fresh:
                rows = set(range(self.columns))
                after = self.stages[b + 1] = ops.copy(before)
            order = sorted(rows)
            if isinstance(block, Attention):
                rows = self._attention(block, before, rows)
                order = sorted(rows)
                if order:
                    ops.put(after, order, ops.attend(before, order, [
                        (self.heads[h.label].head, [self.heads[h.label].out[i] for i in order])
                        for h in block.heads]))
            elif isinstance(block, MLP | LayerNorm):
                if order:
                    ops.put(after, order, ops.block(block, ops.take(before, order)))
            else:
                raise EvaluationError(f"lookups='index': no rule for block {block.label}")
        self.fresh = False
        return rows

    def _attention(self, block: Attention, before, rows: set[int]) -> set[int]:
        """Every head's lookups at `rows` and at the queries `_reached` adds; returns all of
        them. A block's keys, values and queries at `rows` are one product
        (`ops.project`), the added queries one more.

        A query at one of `rows` that `_reached` did not add and that equals the query
        looked up there last (exactly) keeps that lookup's `Found` where its index cannot
        have changed it: the lookup is a function of the query and of the index. A query
        that asked a code (`_Head.asked`) is added by every change to the index that may
        alter its lookup (the argument that carries over the columns outside `rows`); one
        that asked none, only while no key of the head was placed since
        (`CodeIndex.version`). Its output is then read again from the kept `Found`, as
        `_lookup` reads it."""
        ops = self.ops
        order = sorted(rows)
        if not order:
            return set(rows)
        taken = ops.take(before, order)
        if self.fresh:  # the first loop (or after a dense one): `order` is every column
            for head, (keys, values) in zip(block.heads, ops.project(block.heads, taken, "kv"),
                                            strict=True):
                self.heads[head.label] = _Head(head, CodeIndex(keys, tol=ops.tol,
                                                               label=head.label),
                                               values, margin(head, self.n, ops.tol))
            states = [self.heads[head.label] for head in block.heads]
            queries = [q for (q,) in ops.project(block.heads, taken, "q")]
            more = [set() for _ in states]
        else:
            states = [self.heads[head.label] for head in block.heads]
            projected = ops.project(block.heads, taken, "kvq")
            more = [self._reached(state, order, keys, values)
                    for state, (keys, values, _) in zip(states, projected, strict=True)]
            queries = [q for _, _, q in projected]
        reached = set(rows).union(*more)
        extra = sorted(reached - rows)
        at = {i: k for k, i in enumerate(extra)}
        added = ops.project(block.heads, ops.take(before, extra), "q") if extra else None
        for h, state in enumerate(states):
            mine = dict(zip(order, queries[h], strict=True))
            for i in more[h] - rows:
                mine[i] = added[h][0][at[i]]
            made: dict = {}  # this pass's lookups by query (the index is fixed during it)
            for i in sorted(mine):
                q = mine[i]
                if i not in more[h] and q == state.query[i] and (
                        state.asked[i] is not None or state.seen[i] == state.index.version):
                    self._read(state, i, state.found[i])  # the same lookup: kept
                    self.kept += 1
                else:
                    self._lookup(state, i, q, made)
        return reached

    def _lookup(self, state: _Head, i: int, q, made: dict) -> None:
        """Query i's lookup of `state`'s index: its output and what it read, recorded.

        `made` holds the lookups made in this pass over the head's queries, by query:
        a lookup is a function of the query and of the index, which no lookup changes,
        so an equal query (``==`` entry by entry: 0.0 and -0.0 alike, in which a
        lookup's scores and signs agree; a NaN equals nothing) takes the same `Found`.
        In the first loop every column is a query, and most columns ask one of a few
        queries (a SUBLEQ computer's memory columns: two per fetch head)."""
        key = tuple(q)
        kept = made.get(key)
        if kept is None:
            found = state.index.lookup(q, state.margin)
            if found is None:
                found = state.index.scan(q, state.margin)
            kept = made[key] = (found, state.index.profile(q))
        found, profile = kept
        self._read(state, i, found)
        tracked = () if found.target is None else found.columns  # see the module docstring
        state.record(i, tracked, found.target, profile, found.best)
        state.query[i], state.found[i], state.seen[i] = q, found, state.index.version

    def _read(self, state: _Head, i: int, found) -> None:
        """The head's output at query i: the mean of the values `found` names."""
        if found.uniform:  # many queries read one group: its mean, kept
            state.out[i] = state.mean(found.columns, self.ops)
        else:
            state.out[i] = self.ops.mean([state.values[j] for j in found.columns])

    def _reached(self, state: _Head, order: list[int], keys: list, values: list) -> set[int]:
        """Queries that read a column whose key or value changed, or whose lookup such a
        key may now win; keys, values and the index updated. `keys` and `values` are the
        head's at the columns `order`."""
        ops = self.ops
        out: set[int] = set()
        for j, key, value in zip(order, keys, values, strict=True):
            old_key = state.index.keys[j]
            if not (key == old_key or ops.same(key, old_key)):
                old, new = state.index.update(j, key)
                out |= state.readers.get(j, set())
                for place in (old, new):
                    if place[0] == "code":
                        out |= state.askers.get(place[2], set())
                if new[:2] != old[:2]:  # a key that changed group (or is special)
                    out |= state.threatened(new)
            if not ops.same(value, state.values[j]):
                state.changed(j, value, ops)
                out |= state.readers.get(j, set())
        return out
