"""A frozen forward: a snapshot of a `TorchTransformer`'s weights, run as one generated function.

`freeze(module)` copies the module's weights as they are at the call, as
``torch.jit.freeze`` does: a weight edited in the module afterwards does not
reach the frozen copy (freeze again to see it). What the eager forward derives
from the live weights at every call, so that an entry edited in place is never
ignored (the (position, token) embedding table, the heads' projections side by
side, each weight's nonzero rows and columns), is derived here once, from the
copy. Per (length, n) the whole pass is then generated as the source of one
straight-line function (`Frozen.source`) and compiled: no per-block dispatch,
no planning per call, the thresholds and masks of that length as constants.

The function runs on numpy's CPU kernels, in the module's float dtype
(float32 or float64), and returns torch tensors that share its arrays (a
`TorchPass`). On a small model's forward each operation costs its overhead
more than its arithmetic, and a numpy operation costs a fraction of a torch
one; a large model's time is its products, which go to torch's kernels on the
same memory (`_product`).

It computes the eager forward (`TorchTransformer.forward`, every position)
block by block, with the same rules, checks and flags:

* the stream starts as one lookup in a (position, token) table, flattened to
  (batch x positions, width) for the products; a token id outside the table
  is an `EvaluationError`;
* an attention block is one product of the stream with every head's query,
  key and value weights side by side (values on their nonzero rows: the dims
  the head writes; the stream on the product's nonzero columns where it is
  wide and those are at most half of it); per head, the scores (an elementwise
  product where the query and key have one or two dims), the mask, and the
  kind's rule of `torch_attention.attend` and `pattern`: softmax at the scale of
  n, or the hard and average-hard rule with a gap's ties and its suspect band
  (``gap/4 .. 3 gap/4`` below the maximum marks the example; an average-hard
  head's output is the sum of its tied values over their count, one product
  with a column of ones beside the values), the tie refusal
  of a hard head without a tie rule, constant-score heads as means over the
  visible keys; each head's output is added to the columns it writes;
* a product of at least `BIG_PRODUCT` multiply-adds is torch's, on the same
  memory (its CPU kernels are the faster there), and where the weight is large
  and mostly zeros (a thermometer MLP's output weights, a read-out that picks
  columns) torch's sparse-dense product on the compressed weight, as in the
  eager forward (`torch_sparse`);
* an MLP is ``x + W_out relu(W_in x + b_in) + b_out`` on the hidden units with a
  nonzero W_out column and on the columns written (W_out's nonzero rows, b_out's
  nonzero entries); a layer norm is the module's own `_normalise`;
* the stream is checked for non-finite values once, after the last block (its
  sum): blocks only add to the stream or normalise it, so a non-finite value
  persists to the end. Where the sum is not finite, the same function
  generated with a check after every block (its least and greatest value)
  runs again and raises `EvaluationError` naming the first such block (or,
  where the sum only overflowed, returns the pass). Token ids are checked in
  one comparison (as unsigned integers: a negative id is out of range too),
  the message naming the least and greatest id.

Deviations, named: sums are taken in another order (numpy's BLAS, not
torch's; a head's output is added to the stream head by head, not summed into
one delta first; an MLP's bias is added to its product before the stream; a
softmax is ``exp(s - max) / sum``), so a float may differ from the eager
forward's in its last bits; the constructions' gaps are what make the
decisions insensitive to that. Hidden units and value rows that write nothing
are not computed, so an overflow there (0 times inf) is not reported, as in
the eager forward's sparse products. Hooks do not run, and nothing is recorded.

What it freezes (`refusals`): one model on the CPU in float32 or float64 (not
stacked weights), token inputs, no encoder, not looped, no hooks registered.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import torch

from compilers.backends import torch_sparse as sparse
from compilers.backends.common import EvaluationError, require_length
from compilers.backends.torch_attention import _masked_mean, hidden_keys, refuse_ties
from compilers.backends.torch_module import TorchPass, _check_token_ids
from compilers.ir import MLP, AverageHard, Hard, LayerNorm, Softmax, TokenEmbedding

BIG_PRODUCT = sparse.SPARSE_MACS  # multiply-adds from which a product is torch's
COMPRESS_FROM = 1 << 14  # entries of a weight from which a sparse one is compressed
GATHER_WIDTH = 64  # a product reads the stream's nonzero columns only from this width
SMALL_DOT = 1  # query/key dims up to which scores are elementwise products, not a matmul
FUNCTIONS = 16  # (length, n) functions kept per snapshot
SHORT_ROWS = 48  # rows of scores up to this length: maxima over their transpose (`row_max`)
DTYPES = {torch.float32: np.float32, torch.float64: np.float64}


def refusals(module) -> list[str]:
    """Why `module` cannot be frozen (empty: it can)."""
    ir = module.ir
    why = []
    if module.stacked is not None:
        why.append("it runs stacked weights")
    if ir.encoder is not None:
        why.append("it reads an encoder")
    if ir.looped:
        why.append("it is looped")
    if not isinstance(ir.inputs, TokenEmbedding):
        why.append("its inputs are vectors, not tokens")
    if module.device.type != "cpu":
        why.append(f"it is on {module.device} (a frozen forward runs on the CPU)")
    if module.float_dtype not in DTYPES:
        why.append(f"its dtype is {module.float_dtype} (allowed: float32, float64)")
    if module.hooked:
        why.append("hooks are registered")
    return why


def freeze(module) -> Frozen:
    """A `Frozen` snapshot of `module` (see the module docstring)."""
    return Frozen(module)


def _nonzero(weight: torch.Tensor, dim: int) -> list[int]:
    """The indices along `dim` (0: rows, 1: columns) where `weight` has a nonzero entry."""
    return torch.nonzero(weight.ne(0).any(dim=1 - dim)).flatten().tolist()


def _finite(ends: list, dtype) -> None:
    """`ends`: (block label, least, greatest) per block, in order; the first block whose
    stream holds a non-finite value is an `EvaluationError`."""
    for label, low, high in ends:
        if not (math.isfinite(low) and math.isfinite(high)):
            raise EvaluationError(f"{label}: non-finite values in {dtype} (overflow, or a "
                                  "zero variance in layer norm)")


def _product(x: np.ndarray, weight: tuple) -> np.ndarray:
    """``x @ dense`` for ``weight = (dense, compressed, entries)``: numpy's product where it
    is small (below `BIG_PRODUCT` multiply-adds: its call costs less than torch's), else
    torch's on the same memory, the compressed weight's sparse-dense product where there
    is one (torch's CPU kernels are the faster on large products, its sparse ones on
    mostly-zero weights)."""
    dense, compressed, entries = weight
    if x.shape[0] * entries < BIG_PRODUCT:
        return x @ dense
    if compressed is not None:
        return (compressed @ torch.from_numpy(x).T).T.numpy()
    return (torch.from_numpy(x) @ torch.from_numpy(dense)).numpy()


def _torch_rule(rule, x: np.ndarray, *args) -> np.ndarray:
    """A torch function of the module applied to a numpy array (the CPU memory shared)."""
    return rule(torch.from_numpy(np.ascontiguousarray(x)), *args).numpy()


class Frozen:
    """An inference snapshot of a `TorchTransformer` (module docstring); call it as the
    module: ``frozen(ids, n=...)`` gives a `TorchPass` (outputs, stream, suspect flags)."""

    def __init__(self, module):
        why = refusals(module)
        if why:
            raise EvaluationError(f"{module.ir.label} cannot be frozen: {'; '.join(why)}")
        # the snapshot: a module of the same IR, with a copy of every weight as it is now
        self.module = type(module)(module.ir, dtype=module.float_dtype, device=module.device,
                                   word_length=module.word_length)
        self.module.load_state_dict(module.state_dict())
        self._functions: dict = {}
        self._sources: dict = {}

    def __call__(self, inputs: torch.Tensor, *, n: int | None = None) -> TorchPass:
        model = self.module
        if not isinstance(inputs, torch.Tensor) or inputs.dtype != torch.long \
                or inputs.dim() != 2:
            raise EvaluationError(f"{model.ir.label}: a frozen forward takes a (batch, "
                                  "positions) long tensor of token ids (see encode_tokens)")
        length = inputs.shape[1]
        if n is None and model.word_length is not None:
            n = model._stated_length(length)
        require_length(model.ir, n)
        n = length if n is None else n
        if length == 0 or inputs.shape[0] == 0:  # nothing to compute: the snapshot's eager
            return model(inputs, n=n)  # forward gives the empty outputs' shapes
        function = self._functions.get((length, n))
        if function is None:
            function = self._compile(length, n)
        ids = inputs.cpu().numpy()
        with np.errstate(all="ignore"):  # inf - inf at unseen keys: nan, as in torch
            result = function(ids)
            if result is None:  # a non-finite sum: every block checked, the first named
                result = self._compile(length, n, every_block=True)(ids)
        return result

    def source(self, length: int, n: int | None = None) -> str:
        """The generated function's source at `length` positions (n: the input length the
        formulas see, by default `length`)."""
        n = length if n is None else n
        if (length, n) not in self._sources:
            self._compile(length, n)
        return self._sources[(length, n)]

    def _compile(self, length: int, n: int, *, every_block: bool = False):
        """The function at (length, n), kept; `every_block`: the twin that checks the
        stream after every block (not kept: it runs only where a stream was not finite)."""
        writer = _Writer(self.module, length, n)
        writer.write(every_block=every_block)
        text = "def forward(ids):\n" + "\n".join(writer.lines) + "\n"
        scope = {"np": np, "torch": torch, "TorchPass": TorchPass,
                 "_check_token_ids": _check_token_ids, "_UNSIGNED": np.uint64,
                 "EvaluationError": EvaluationError, "refuse_ties": refuse_ties,
                 "_finite": _finite, "_torch_rule": _torch_rule, "_product": _product,
                 **writer.constants}
        exec(compile(text, f"<frozen {self.module.ir.label} at {length}>", "exec"), scope)
        if every_block:
            return scope["forward"]
        if len(self._functions) >= FUNCTIONS:
            oldest = next(iter(self._functions))
            del self._functions[oldest], self._sources[oldest]
        self._functions[(length, n)] = scope["forward"]
        self._sources[(length, n)] = text
        return scope["forward"]


class _Writer:
    """Writes one (length, n) function: its lines and the constants they name."""

    def __init__(self, model, length: int, n: int):
        self.model, self.length, self.n = model, length, n
        self.width = len(model.index)
        self.dtype = DTYPES[model.float_dtype]
        self.lines: list[str] = []
        self.constants: dict = {"DTYPE": self.dtype}
        self.fired: list[str] = []  # head labels whose suspect bands the function keeps

    def __call__(self, line: str) -> None:
        self.lines.append("    " + line)

    def constant(self, stem: str, value) -> str:
        name = f"{stem}_{len(self.constants)}"
        self.constants[name] = value
        return name

    def array(self, stem: str, value: torch.Tensor) -> str:
        """A tensor as a numpy constant (floats in the module's dtype)."""
        value = value.detach().cpu()
        array = value.numpy().astype(self.dtype) if value.is_floating_point() \
            else value.numpy()
        return self.constant(stem, np.ascontiguousarray(array))

    def scalar(self, value: float) -> str:
        return self.constant("C", self.dtype(value))

    def write(self, *, every_block: bool = False) -> None:
        model, P, W = self.model, self.length, self.width
        self(f"B = ids.shape[0]  # {P} positions, width {W}")
        table = model.embedding.table  # (width, tokens)
        tokens = table.shape[1]
        rows = (model._positional_rows(P, self.n) if model.ir.positions is not None
                else table.new_zeros(P, W))
        combined = (rows[:, None, :] + table.T[None]).reshape(P * tokens, W)
        self(f"if not (ids.view(_UNSIGNED) < {tokens}).all():")  # the message: their range
        self(f"    _check_token_ids(torch.from_numpy(ids), {tokens})")
        offsets = torch.arange(0, P * tokens, tokens)
        self(f"x = {self.array('EMBED', combined)}.take((ids + "
             f"{self.array('OFFSETS', offsets)}).reshape(-1), axis=0)")
        ends = []
        for k, block in enumerate(model.ir.blocks):
            params = model.blocks[block.label]
            if isinstance(block, MLP):
                self.mlp(block, params)
            elif isinstance(block, LayerNorm):
                norm = self.constant("NORM", lambda x, b=block, p=params: model._normalise(
                    b, p, x.view(-1, P, W)).reshape(-1, W))
                self(f"x = _torch_rule({norm}, x)")
            else:
                self.attention(block, params)
            if every_block:
                self(f"e{k} = ({block.label!r}, x.min(), x.max())")
                ends.append(f"e{k}")
        if every_block and ends:
            self(f"_finite(({', '.join(ends)},), {str(model.float_dtype)!r})")
        elif model.ir.blocks:
            self("if not np.isfinite(x.sum()):")
            self("    return None  # the caller runs the twin that names the block")
        self.readout()

    # -- products ---------------------------------------------------------------

    def product(self, x: str, weight: torch.Tensor, bias: torch.Tensor | None) -> str:
        """Source for ``x @ weight.T (+ bias)`` (`_product`), on weight's nonzero columns
        only where x is wide (`GATHER_WIDTH`) and those are at most half of it (a gather
        of them first); the weight also compressed where it has at least `COMPRESS_FROM`
        entries and at most 1 in `torch_sparse.DENSE_PER_SPARSE` of them is nonzero (a
        thermometer MLP's output weights, a read-out that picks columns)."""
        columns = _nonzero(weight, 1)
        if weight.shape[1] >= GATHER_WIDTH and len(columns) <= weight.shape[1] // 2:
            x = self.columns(x, columns)
            weight = weight[:, columns]
        dense = np.ascontiguousarray(weight.detach().cpu().T.numpy().astype(self.dtype))
        compressed = None
        entries = weight.numel()
        if (entries >= COMPRESS_FROM
                and int(weight.ne(0).sum()) * sparse.DENSE_PER_SPARSE <= entries):
            with warnings.catch_warnings():  # "sparse CSR support is in beta"
                warnings.simplefilter("ignore", UserWarning)
                compressed = torch.from_numpy(np.ascontiguousarray(dense.T)).to_sparse_csr()
        text = f"_product({x}, {self.constant('W', (dense, compressed, entries))})"
        if bias is not None and bool(bias.ne(0).any()):
            text = f"{text} + {self.array('BIAS', bias)}"
        return text

    def columns(self, x: str, columns: list[int]) -> str:
        if not columns:
            return f"{x}[:, :0]"
        if columns == list(range(columns[0], columns[-1] + 1)):
            return f"{x}[:, {columns[0]}:{columns[-1] + 1}]"
        return f"{x}[:, {self.array('COLUMNS', torch.tensor(columns))}]"

    def add_into_stream(self, columns: list[int], out: str) -> None:
        """``x[:, columns] += out`` (out: (batch x positions, len(columns)))."""
        if columns:
            self(f"{self.columns('x', columns)} += {out}")

    # -- blocks -----------------------------------------------------------------

    def mlp(self, block, params) -> None:
        units = _nonzero(params.w_out, 1)  # hidden units that write something
        written = sorted(set(_nonzero(params.w_out, 0))
                         | set(torch.nonzero(params.b_out.ne(0)).flatten().tolist()))
        self(f"# {block.label}: {len(units)} hidden units, {len(written)} columns written")
        if not written:
            return
        if units:
            self(f"h = {self.product('x', params.w_in[units], params.b_in[units])}")
            self("np.maximum(h, 0, out=h)")
            out = self.product("h", params.w_out[written][:, units], params.b_out[written])
        else:
            out = self.array("BIAS", params.b_out[written])
        self.add_into_stream(written, out)

    def attention(self, block, params) -> None:
        pieces, plans = [], []
        start = 0
        for head in block.heads:
            weights = params[head.label]
            scored = not self.model._constant_scores(head)
            written = _nonzero(weights.value, 0)
            at = {}
            parts = ([("q", weights.query), ("k", weights.key)] if scored else []) + \
                ([("v", weights.value[written])] if written else [])
            for what, weight in parts:
                at[what] = (start, weight.shape[0])
                pieces.append(weight)
                start += weight.shape[0]
            plans.append((head, scored, written, at))
        self(f"# {block.label}: {', '.join(h.label for h in block.heads)}")
        if pieces:
            self(f"y = {self.product('x', torch.cat(pieces), None)}")
        outputs = []
        for head, scored, written, at in plans:
            out = self.head(head, scored, at)
            if out is not None:
                outputs.append((written, out))
        for written, out in outputs:
            self.add_into_stream(written, out)

    def slice(self, at: tuple) -> str:
        first, width = at
        return f"y[:, {first}:{first + width}].reshape(B, {self.length}, {width})"

    def head(self, head, scored: bool, at: dict) -> str | None:
        """Source for one head; returns the name of its output (batch x positions,
        written dims), or None where it writes nothing."""
        model, P = self.model, self.length
        tag = f"o{len(self.lines)}"
        mask = head.mask
        positions = torch.arange(P)
        if not scored:
            if "v" not in at:
                return None
            v = self.slice(at["v"])
            if mask == "none":
                self(f"{tag} = np.broadcast_to({v}.mean(axis=1, keepdims=True, dtype=DTYPE), "
                     f"(B, {P}, {at['v'][1]})).reshape(B * {P}, -1)")
            elif mask == "causal":
                counts = self.array("COUNT", (positions + 1)[None, :, None].double())
                self(f"{tag} = (np.cumsum({v}, axis=1, dtype=DTYPE) / {counts})"
                     f".reshape(B * {P}, -1)")
            else:
                rule = self.constant("MEAN", lambda v, m=mask: _masked_mean(
                    v[:, None], positions, m)[:, 0])
                self(f"{tag} = _torch_rule({rule}, {v}).reshape(B * {P}, -1)")
            return tag
        dims = at["q"][1]
        if dims == 0:
            self(f"s = np.zeros((B, {P}, {P}), dtype=DTYPE)")
        elif dims <= SMALL_DOT:
            self(f"q = {self.slice(at['q'])}")
            self(f"k = {self.slice(at['k'])}.transpose(0, 2, 1)")
            self("s = " + " + ".join(f"q[:, :, {d}:{d + 1}] * k[:, {d}:{d + 1}, :]"
                                     for d in range(dims)))
        else:
            self(f"s = np.matmul({self.slice(at['q'])}, "
                 f"{self.slice(at['k'])}.transpose(0, 2, 1))")
        if head.score == "neg_abs_dot":
            self("s = -np.abs(s)")
        kind = head.kind
        if isinstance(kind, Softmax):
            self(f"s = s * {self.scalar(model._scale(kind.scale, self.n))}")
        hidden = hidden_keys(mask, positions, P, "cpu") if mask != "none" else None
        if hidden is not None:
            self(f"s[:, {self.array('HIDDEN', hidden)}] = -np.inf")
        if isinstance(kind, Softmax):
            self(f"w = np.exp(s - {self.row_max()})")
            self("w /= w.sum(axis=-1, keepdims=True)")
        else:
            self.hard(head, kind)
        blind = None
        if hidden is not None and mask.startswith("strict") and bool(hidden.all(dim=-1).any()):
            blind = self.array("BLIND", hidden.all(dim=-1))
        if "v" not in at:
            return None
        v = self.slice(at["v"])
        if isinstance(kind, AverageHard):  # the values' sum and the count in one product
            width = at["v"][1]
            self(f"v = np.empty((B, {P}, {width + 1}), dtype=DTYPE)")
            self(f"v[..., :{width}] = {v}")
            self(f"v[..., {width}] = 1")
            self("r = np.matmul(w, v)")
            self(f"{tag} = r[..., :{width}] / r[..., {width}:]")
        else:
            self(f"{tag} = np.matmul(w, {v})")
        if blind is not None:
            self(f"{tag}[:, {blind}] = 0")
        self(f"{tag} = {tag}.reshape(B * {P}, -1)")
        return tag

    def row_max(self) -> str:
        """Source for ``s.max(axis=-1, keepdims=True)`` of the (B, P, P) scores ``s``. On
        short rows (P <= `SHORT_ROWS`) it is the maximum over the first axis of their
        transposed copy: numpy reduces a short last axis row by row (some 50 ns a row),
        a first axis in long vector operations. The same maxima (a maximum is exact,
        a NaN propagates in both; a tie of 0.0 and -0.0 may give either, which every
        use, a difference with ``s`` compared with thresholds or exponentiated, treats
        alike)."""
        P = self.length
        if P <= SHORT_ROWS:
            return f"np.ascontiguousarray(s.reshape(-1, {P}).T).max(axis=0).reshape(B, {P}, 1)"
        return "s.max(axis=-1, keepdims=True)"

    def hard(self, head, kind) -> None:
        """The hard and average-hard rule (`torch_attention.pattern`) from scores ``s`` to
        weights ``w``; a guarded head's suspect band into ``fired_<k>``."""
        P = self.length
        self(f"below = {self.row_max()} - s")
        if kind.gap is not None:
            torch_dtype = self.model.float_dtype
            value = self.model._formula(kind.gap, torch.arange(P), self.n).to(
                torch_dtype)[None, :, None]
            names = []
            for stem, t in (("HALF", value / 2), ("QUARTER", value / 4),
                            ("THREE_QUARTERS", 3 * value / 4)):
                flat = t.flatten()
                names.append(self.scalar(float(flat[0])) if bool((flat == flat[0]).all())
                             else self.array(stem, t))
            self(f"win = below < {names[0]}")
            self(f"fired_{len(self.fired)} = ((below >= {names[1]}) & (below < {names[2]}))"
                 ".reshape(B, -1).any(axis=1)")
            self.fired.append(head.label)
        else:
            self("win = below == 0")
        if isinstance(kind, Hard):
            if kind.tie is None:
                self(f"refuse_ties({self.constant('HEADS', (head,))}, torch.from_numpy(win))")
            order = torch.arange(P)
            order = order if kind.tie != "first" else P - 1 - order
            self(f"w = {self.array('EYE', torch.eye(P))}[np.where(win, "
                 f"{self.array('ORDER', order)}, -1).argmax(axis=-1)]")
        else:  # average-hard: `head` divides by the count
            assert isinstance(kind, AverageHard)
            self("w = win.astype(DTYPE)")

    def readout(self) -> None:
        model, P = self.model, self.length
        readout = model.ir.readout
        rows = {"all": "x", "first": f"x.reshape(B, {P}, -1)[:, 0]",
                "last": f"x.reshape(B, {P}, -1)[:, -1]"}[readout.position]
        matrix, bias = model.readout.matrix, model.readout.bias
        self(f"r = {self.product(rows, matrix, bias)}")
        if readout.position == "all":
            self(f"r = r.reshape(B, {P}, -1)")
        names = ", ".join(f"{o!r}: torch.from_numpy(r[..., {k}])"
                          for k, o in enumerate(readout.outputs))
        self(f"outputs = {{{names}}}")
        if self.fired:
            flags = [f"fired_{k}" for k in range(len(self.fired))]
            labels = self.constant("LABELS", tuple(self.fired))
            self(f"heads = {{label: torch.from_numpy(f) for label, f in zip({labels}, "
                 f"({', '.join(flags)},)) if f.any()}}")
            self(f"suspect = torch.from_numpy({' | '.join(flags)})")
        else:
            self("heads = {}")
            self("suspect = torch.zeros(B, dtype=torch.bool)")
        self(f"return TorchPass(outputs=outputs, stream=torch.from_numpy(x).view(B, {P}, "
             f"{self.width}), suspect=suspect, suspect_heads=heads)")
