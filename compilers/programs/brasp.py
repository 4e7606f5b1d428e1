"""B-RASP to masked unique-hard attention: one layer per level of attention depth.

Yang, Chiang & Angluin (NeurIPS 2024, arXiv 2310.13897): their translation of
B-RASP into masked hard-attention transformers, built from the Cookbook's
blocks (Yang et al. 2026): `compilers.library.attention.attend` with `Hard` heads,
`compilers.library.ffn.truth_table`, token features. Every vector is a 0/1
direction (or a 0/1 form); positions are the word's, no BOS, no positional
encoding (the paper's transformers have none).

The transformer for a program of attention depth K (`languages.brasp.depths`):

* the embedding writes every Boolean function of the symbol the first
  attention layer reads (depth-0 vectors, and the features below for depth-1
  operations) as token features;
* layer k = 1..K: an attention sublayer with one head per attention operation
  of depth k, then one MLP that writes every Boolean function the next layer
  reads (the query, key and value features of the operations of depth k + 1,
  and the vectors they read at i) and every output of depth k, each as a
  function of what the heads retrieved and of vectors made before
  (`compilers.programs.booleans`: a truth table or disjoint conjunctions).
  So the Cookbook's layer count (`compilers.library.size`) is K.

One operation ``P(i) := ◀_j [M(i,j), S(i,j)] V(i,j) : D(i)`` (▶ alike). Let A
be the vectors S reads at i, W those S and V read at i, E those D reads (all
made by the layer before, 0/1 each).

1. Score: for each assignment α of A, a query feature ``q_α(i) = [A(i) = α]``
   and a key feature ``k_α(j) = S(α, j)`` (S with its i-side fixed to α); the
   head's score is ``s_ij = sum_α q_α(i) k_α(j) = S(i, j)``, in {0, 1}, since
   exactly one α holds at i. Unique-hard attention with ties to the first
   (◀) or the last (▶) key (``Hard(tie, gap=1)``), under the mask ``j < i``
   (``strict_causal``), ``j > i`` (``strict_anticausal``) or none, picks the
   leftmost or rightmost j with ``S(i, j) = 1`` when there is one (the paper's
   ``j_i``), and some visible j of score 0 when there is none.
2. Values: at the chosen j the head retrieves ``f_α = k_α(j)`` for each α and
   ``g_u = S(u, j) ∧ V(u, j)`` for each assignment u of W (a query that sees
   no key retrieves 0 everywhere).
3. The vector is then the Boolean function
   ``P(i) = ∨_u ([W(i) = u] ∧ g_u) ∨ ∨_{α, γ: D(α, γ)} ([A(i) = α] ∧ [E(i) = γ] ∧ ¬f_α)``
   of what was retrieved and the vectors at i: where ``S(i, j_i) = 1`` (``f_α``
   is 1 for the α that holds) the first part is ``V(i, j_i)`` and the second
   0; otherwise the first is 0 and the second ``D(i)``. Nothing writes it
   into the stream unless a later layer (or the read-out) reads it; then the
   MLP after the head writes it, or any function of it, directly.

Exactness: every value in the stream is 0 or 1 and every score an integer,
so the exact backend and float backends compute the same bits (float
products of 0/1 and small integers are exact).

Deviations from the paper's construction, by number:
  1. Width: the features of an operation are exponential in |A| and |W|
     (more than `MAX_AT_I` vectors read at i is refused), and each Boolean
     function of a layer is one MLP of at most `booleans.MAX_UNITS` units (the
     paper's FFNs compute them without a stated size).
  2. The default is reached without a BOS or a position: the head retrieves
     the score at the key it chose (``f_α``) and the MLP falls back on D where
     that is 0, so a chosen key of score 0 (no j with ``S(i, j)``) and no key
     at all (position 0 under ``j < i``) both give ``D(i)``.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from compilers.ir import Hard, Transformer
from compilers.library import Model, attention, positions
from compilers.programs.booleans import (
    Booleans,
    ProgramCompileError,
    at_i,
    check_readout,
    leaf_key,
    readout,
    substitute,
    value,
)
from languages import brasp
from languages.brasp import Attention, Const, Not, Symbol, Var, leaves

MASKS = {"future": "strict_causal", "past": "strict_anticausal", "none": "none"}
TIES = {"leftmost": "first", "rightmost": "last"}
MAX_AT_I = 12  # vectors an attention operation reads at i (its features are 2^k of each)


def needed(program, outputs: Sequence[str]) -> list:
    """The definitions the outputs read, in program order."""
    want, stack = set(), list(outputs)
    while stack:
        name = stack.pop()
        if name in want:
            continue
        want.add(name)
        op = program.definition(name).operation
        parts = (op.score, op.value, op.default) if isinstance(op, Attention) else (op,)
        stack += [leaf.name for part in parts for leaf in leaves(part) if isinstance(leaf, Var)]
    return [d for d in program.definitions if d.name in want]


class _Compiler:
    def __init__(self, program: brasp.Program, outputs: Sequence[str], label: str, *,
                 position: str = "all", logit: str | None = None):
        self.program = program
        self.read = list(outputs)
        self.position, self.logit = position, logit
        self.outputs = list(dict.fromkeys([*outputs, *([program.output] if logit else [])]))
        self.definitions = {d.name: d.operation for d in needed(program, self.outputs)}
        self.depth = {k: v for k, v in brasp.depths(program).items() if k in self.definitions}
        self.model = Model(label, tokens=tuple(program.alphabet))
        positions.none(self.model)
        self.model.one()  # declared first: a vector named "one" must not be taken for it
        self.booleans = Booleans(self.model, program.alphabet)
        self.made: dict[str, tuple[dict, int]] = {}  # vector -> (form, stage it was made in)
        self.raw: dict = {}  # attention output -> its expression over retrieved atoms

    # -- expressions over what the stream holds ---------------------------------------

    def expand(self, expr, stage: int):
        """`expr` (read at i) over atoms: a vector made before `stage` is an atom, a
        position-wise one not yet made is replaced by its definition, an attention
        output by its expression over what its head retrieved (`attend`)."""
        if isinstance(expr, Var):
            if expr.name in self.made and self.made[expr.name][1] < stage:
                return Var(expr.name, expr.side)
            op = self.definitions[expr.name]
            if isinstance(op, Attention):
                if expr.name not in self.raw:
                    raise ProgramCompileError(f"B-RASP compiler: {expr.name!r} is read before "
                                              "its layer")
                return self.raw[expr.name]
            return self.expand(op, stage)
        kids = expr.operands()
        return expr.with_operands([self.expand(k, stage) for k in kids]) if kids else expr

    def make(self, expr, stage: int, hint: str) -> dict:
        """The 0/1 form of `expr` (leaves read at i), built at `stage` if not there yet."""
        return self.booleans.materialize(self.expand(at_i(expr), stage), hint=hint)

    def vector(self, name: str, stage: int) -> dict:
        if name not in self.made:
            form = self.make(Var(name), stage, name)
            self.made[name] = (form, stage)
            self.booleans.atom(name, form)
        return self.made[name][0]

    # -- one attention operation -----------------------------------------------------------

    def prepare(self, name: str, op: Attention, stage: int) -> dict:
        """The features the head of `name` reads, built at `stage` (see the module docstring)."""
        i_side = lambda expr: list(dict.fromkeys(  # noqa: E731
            leaf_key(leaf) for leaf in leaves(expr) if leaf.side == "i"))
        a = i_side(op.score)
        w = list(dict.fromkeys(a + i_side(op.value)))
        e = i_side(op.default)
        if len(set(w) | set(e)) > MAX_AT_I:
            raise ProgramCompileError(f"B-RASP compiler: vector {name!r} reads "
                                      f"{len(set(w) | set(e))} vectors at i; at most {MAX_AT_I}")
        leaves_at_i = {leaf_key(leaf): leaf for part in (op.score, op.value, op.default)
                       for leaf in leaves(part) if leaf.side == "i"}
        atoms = {}  # each vector at i, as a leaf of the raw expression (made by this stage)
        for key, leaf in leaves_at_i.items():
            if isinstance(leaf, Symbol):
                atoms[key] = Symbol(leaf.symbol)
            else:
                self.vector(leaf.name, stage)
                atoms[key] = Var(leaf.name)
        pairs, keys, values = [], {}, {}
        for alpha in itertools.product((False, True), repeat=len(a)):
            bits = dict(zip(a, alpha, strict=True))
            key = self.make(substitute(op.score, "i", bits), stage, f"{name}_key")
            keys[alpha] = key
            if key:
                query = self.make(_assignment(a, alpha, leaves_at_i), stage, f"{name}_query")
                pairs.append((query, key))
        for u in itertools.product((False, True), repeat=len(w)):
            bits = dict(zip(w, u, strict=True))
            both = brasp.And(substitute(op.score, "i", bits), substitute(op.value, "i", bits))
            values[u] = self.make(both, stage, f"{name}_value")
        return {"a": a, "w": w, "e": e, "leaves": atoms, "pairs": pairs, "keys": keys,
                "values": values}

    def attend(self, name: str, op: Attention, plan: dict, stage: int) -> bool:
        """The head of `name`, and the vector's expression over what it retrieves and the
        vectors at i (`raw`); whether a head was needed (not where the score is always 0)."""
        retrieved = {}
        writes = {}
        for alpha, key in plan["keys"].items():
            if key:
                retrieved[("found", name, alpha)] = key
        for u, form in plan["values"].items():
            if form:
                retrieved[("got", name, u)] = form
        for atom, form in retrieved.items():
            direction = self.model.fresh(f"{name}_{atom[0]}")
            writes[direction] = form
            self.booleans.atom(atom, direction)
        if writes:
            attention.attend(self.model, writes, scores=plan["pairs"] or [({}, {})],
                             kind=Hard(tie=TIES[op.choice], gap=1), mask=MASKS[op.mask],
                             prefix=f"attend_{name}")
        leaf, a, w, e = plan["leaves"], plan["a"], plan["w"], plan["e"]

        def lit(key, bit):
            return leaf[key] if bit else Not(leaf[key])

        terms = []
        for u in itertools.product((False, True), repeat=len(w)):
            if ("got", name, u) in retrieved:
                terms.append([*(lit(k, b) for k, b in zip(w, u, strict=True)),
                              Var(("got", name, u))])
        rest = [k for k in e if k not in a]
        for alpha in itertools.product((False, True), repeat=len(a)):
            for gamma in itertools.product((False, True), repeat=len(rest)):
                bits = dict(zip(a, alpha, strict=True)) | dict(zip(rest, gamma, strict=True))
                if not brasp_value(op.default, bits):
                    continue
                term = [lit(k, bits[k]) for k in a + rest]
                if ("found", name, alpha) in retrieved:
                    term.append(Not(Var(("found", name, alpha))))
                terms.append(term)
        self.raw[name] = _disjunction([_conjunction(term) for term in terms])
        return bool(writes)

    # -- the whole -------------------------------------------------------------------------

    def build(self) -> Transformer:
        model = self.model
        levels = max((self.depth[n] for n in self.outputs), default=0)
        by_level: dict[int, list[str]] = {}
        for name, op in self.definitions.items():
            if isinstance(op, Attention):
                by_level.setdefault(self.depth[name], []).append(name)
        for level in range(1, levels + 1):
            stage = 2 * level - 2  # the FFN after layer level - 1 (0: the embedding)
            plans = {}
            with model.parallel(f"ffn{level - 1}"):
                self._outputs_at(level - 1, stage)
                for name in by_level.get(level, []):
                    plans[name] = self.prepare(name, self.definitions[name], stage)
            with model.parallel(f"layer{level}"):
                heads = [self.attend(name, self.definitions[name], plan, stage + 1)
                         for name, plan in plans.items()]
                if not any(heads):
                    attention.identity(model)
        with model.parallel(f"ffn{levels}"):
            self._outputs_at(levels, 2 * levels)
        weights, bias = readout({n: self.vector(n, 2 * levels) for n in self.read},
                                logit=self.logit, of=self.vector(self.program.output, 2 * levels))
        return model.build(weights, bias=bias, position=self.position)

    def _outputs_at(self, level: int, stage: int) -> None:
        for name in self.outputs:
            if self.depth[name] == level:
                self.vector(name, stage)


def _assignment(keys: list, bits: tuple, leaves_at_i: dict):
    """``[A(i) = α]`` as an expression (1 for an empty A)."""
    expr = Const(True)
    for key, bit in zip(keys, bits, strict=True):
        leaf = leaves_at_i[key]
        expr = brasp.And(expr, leaf if bit else brasp.Not(leaf))
    return expr


def _conjunction(parts: list):
    expr = Const(True)
    for part in parts:
        expr = part if expr == Const(True) else brasp.And(expr, part)
    return expr


def _disjunction(parts: list):
    expr = Const(False)
    for part in parts:
        expr = part if expr == Const(False) else brasp.Or(expr, part)
    return expr


def brasp_value(expr, bits: dict) -> bool:
    """`expr` with its i-side leaves given by `bits` (it reads nothing else)."""
    return value(substitute(expr, "i", bits), {})


def compile_brasp(program: brasp.Program, *, outputs: Sequence[str] | None = None,
                  label: str = "brasp", position: str = "all",
                  logit: str | None = None) -> Transformer:
    """The masked unique-hard attention transformer of `program` (see the module docstring),
    read out at every position (or the last): output ``name`` is the 0/1 value of vector
    ``name``.

    Args:
        program: a B-RASP program.
        outputs: the vectors to read out (default: the program's output).
        label: the transformer's label.
        position: ``all`` or ``last``: where the read-out reads.
        logit: also read out, under this name, ``2 Y - 1`` for the program's output Y
            (``±1``; positive iff the program accepts, read at the last position).

    Raises:
        ProgramCompileError: a bad option, or a Boolean function of more than
            `booleans.MAX_INPUTS` vectors within one layer.
    """
    if not isinstance(program, brasp.Program):
        raise ProgramCompileError(f"compile_brasp needs a B-RASP Program, got "
                                  f"{type(program).__name__}")
    outputs = [program.output] if outputs is None else list(outputs)
    names = [d.name for d in program.definitions]
    for name in outputs:
        if name not in names:
            raise ProgramCompileError(f"compile_brasp: output {name!r} is not a vector of the "
                                      f"program; its vectors: {', '.join(names)}")
    check_readout("compile_brasp", outputs, position, logit)
    return _Compiler(program, outputs, label, position=position, logit=logit).build()
