"""The torch backend: the IR as a `torch.nn.Module` with its exact weights cast to a dtype.

`TorchTransformer(ir, dtype=..., device=...)` holds every weight as a
parameter named by its IR label (``blocks.<block>.<head>.query``, ...), dense
over the whole stream. `forward` runs a batch of same-length inputs; a
generating model runs one position at a time through `TorchGenerator`
(`compilers.backends.torch_generate`), which caches each head's keys and
values so that step t costs O(t).

Given a list of IRs of identical structure (the same stream, blocks, labels and
kinds; only the weights differ, e.g. one Turing machine each), the weights are
stacked along a leading batch dimension and example b runs on the b-th model.

No silent wrong answer: hard and average-hard heads that carry a `gap` (the
construction's promise that unequal scores differ by at least ``gap(i, n)``)
treat scores within ``gap/2`` of the maximum as ties, and mark an example
*suspect* when any score lies ``gap/4 .. 3 gap/4`` below the maximum, which
exact arithmetic never produces: float error has reached a quarter of the gap.
A non-finite value anywhere raises `EvaluationError` naming the block. The
checks run on the device and are read back once per call (or, for a looped
run, once every few loops: see `apply_blocks`), not once per block.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import sympy
import torch
from torch import nn

from compilers.backends.common import EvaluationError, positional_float, token_ids
from compilers.ir import (
    MLP,
    Attention,
    AverageHard,
    Hard,
    Head,
    I,
    LayerNorm,
    N,
    Softmax,
    TokenEmbedding,
    Transformer,
    check,
)
from compilers.ir.values import Matrix

DTYPES = {"float64": torch.float64, "float32": torch.float32,
          "bfloat16": torch.bfloat16, "float16": torch.float16}


def resolve_dtype(name: str | torch.dtype) -> torch.dtype:
    """A torch dtype from its name, or `EvaluationError` naming the allowed ones."""
    if isinstance(name, torch.dtype):
        return name
    if name not in DTYPES:
        raise EvaluationError(f"unknown dtype {name!r}; allowed: {', '.join(DTYPES)}")
    return DTYPES[name]


@dataclass
class TorchPass:
    """One batched run: read-outs, final stream, per-example trust flags.

    Attributes:
        outputs: read-out name -> tensor (batch,) or (batch, positions) for 'all'.
        stream: final residual stream (batch, positions, width).
        suspect: (batch,) bool: some guarded decision came within float error.
        suspect_heads: head label -> (batch,) bool, for the heads that fired.
        record: (label, stream after that block), if recorded.
    """

    outputs: dict
    stream: torch.Tensor
    suspect: torch.Tensor
    suspect_heads: dict = field(default_factory=dict)
    record: list = field(default_factory=list)


def _dense(matrices: Sequence[Matrix], rows: Sequence[str], cols: Sequence[str]) -> torch.Tensor:
    """Stack sparse exact matrices into a float64 tensor (models, rows, cols)."""
    r_index = {r: k for k, r in enumerate(rows)}
    c_index = {c: k for k, c in enumerate(cols)}
    out = np.zeros((len(matrices), len(rows), len(cols)), dtype=np.float64)
    for m, matrix in enumerate(matrices):
        for (r, c), v in matrix.entries.items():
            out[m, r_index[r], c_index[c]] = float(v)
    return torch.from_numpy(out)


def _vector(vectors, names: Sequence[str]) -> torch.Tensor:
    out = np.zeros((len(vectors), len(names)), dtype=np.float64)
    for m, vec in enumerate(vectors):
        for k, name in enumerate(names):
            out[m, k] = float(vec.get(name, 0))
    return torch.from_numpy(out)


def _structure(model: Transformer):
    """Everything but the weights, to check that stacked models agree."""
    def block(b):
        if isinstance(b, Attention):
            return ("attention", b.label, tuple((h.label, h.query.rows, h.kind, h.score, h.mask,
                                                 h.source) for h in b.heads))
        if isinstance(b, MLP):
            return ("mlp", b.label, b.hidden)
        return ("layernorm", b.label, b.dims, b.epsilon)
    return (model.label, model.stream, type(model.inputs).__name__,
            getattr(model.inputs, "tokens", getattr(model.inputs, "dims", None)),
            model.positions, tuple(block(b) for b in model.blocks), model.readout.outputs,
            model.readout.position, model.looped, model.feedback,
            _structure(model.encoder) if model.encoder is not None else None)


class _Params(nn.Module):
    """A bag of named, frozen parameters."""

    def __init__(self, **tensors: torch.Tensor):
        super().__init__()
        for name, tensor in tensors.items():
            self.register_parameter(name, nn.Parameter(tensor, requires_grad=False))


class TorchTransformer(nn.Module):
    """A `Transformer` (or a list of same-structure ones) as an `nn.Module`."""

    def __init__(self, transformer: Transformer | Sequence[Transformer], *,
                 dtype: str | torch.dtype = torch.float32, device: str | torch.device = "cpu"):
        super().__init__()
        models = [transformer] if isinstance(transformer, Transformer) else list(transformer)
        if not models:
            raise EvaluationError("TorchTransformer needs at least one transformer")
        for model in models:
            check(model)
        shape = _structure(models[0])
        for model in models[1:]:
            if _structure(model) != shape:
                raise EvaluationError(f"cannot stack {model.label}: its structure differs from "
                                      f"{models[0].label} (only weights may differ)")
        self.ir = models[0]
        self.stacked = len(models) if not isinstance(transformer, Transformer) else None
        self.float_dtype = resolve_dtype(dtype)
        self.encoder = None
        if self.ir.encoder is not None:
            self.encoder = TorchTransformer([m.encoder for m in models], dtype=self.float_dtype,
                                            device=device)
            self.encoder.stacked = self.stacked
        stream = self.ir.stream
        self.index = {d: k for k, d in enumerate(stream)}
        inputs = self.ir.inputs
        if isinstance(inputs, TokenEmbedding):
            self.embedding = _Params(table=_dense([m.inputs.table for m in models], stream,
                                                  inputs.tokens))
        else:
            self.register_buffer("input_columns", torch.tensor(
                [self.index[d] for d in inputs.dims], dtype=torch.long))
        self.blocks = nn.ModuleDict()
        for k, block in enumerate(self.ir.blocks):
            same = [m.blocks[k] for m in models]
            if isinstance(block, Attention):
                source = self.ir.encoder.stream if self.ir.encoder is not None else ()
                heads = nn.ModuleDict()
                for h, head in enumerate(block.heads):
                    src = source if head.source == "encoder" else stream
                    parts = [b.heads[h] for b in same]
                    heads[head.label] = _Params(
                        query=_dense([p.query for p in parts], head.query.rows, stream),
                        key=_dense([p.key for p in parts], head.key.rows, src),
                        value=_dense([p.value for p in parts], stream, src))
                self.blocks[block.label] = heads
            elif isinstance(block, MLP):
                self.blocks[block.label] = _Params(
                    w_in=_dense([b.w_in for b in same], block.hidden, stream),
                    b_in=_vector([b.b_in for b in same], block.hidden),
                    w_out=_dense([b.w_out for b in same], stream, block.hidden),
                    b_out=_vector([b.b_out for b in same], stream))
            else:
                self.blocks[block.label] = _Params(
                    gain=_vector([b.gain for b in same], block.dims),
                    bias=_vector([b.bias for b in same], block.dims))
        readout = self.ir.readout
        self.readout = _Params(matrix=_dense([m.readout.matrix for m in models],
                                             readout.outputs, stream),
                               bias=_vector([m.readout.bias for m in models], readout.outputs))
        if self.stacked is None:  # a single model: drop the leading models dimension
            for param in self.parameters():
                param.data = param.data[0]
        self.to(device=device, dtype=self.float_dtype)
        self._heads = {h.label: h for h in self.ir.heads()}
        self._formulas: dict = {}
        # heads whose scores are 0 in every stacked model: uniform attention, computed as a mean
        self._uniform = {h.label for h in self.ir.heads() if not isinstance(h.kind, Hard)
                         and all(not (g.query.entries and g.key.entries)
                                for m in models for g in m.heads() if g.label == h.label)}

    # -- helpers ------------------------------------------------------------

    @property
    def device(self) -> torch.device:
        return self.readout.matrix.device

    def _linear(self, x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        """x (batch, positions, in) times weight (out, in) or (batch, out, in)."""
        return torch.matmul(x, weight.transpose(-1, -2))

    def _bias(self, bias: torch.Tensor) -> torch.Tensor:
        return bias if bias.dim() == 1 else bias[:, None, :]

    def _formula(self, expr: sympy.Expr, positions: torch.Tensor, n: int) -> torch.Tensor:
        """A formula in (i, n) at the given positions, in float64.

        Values are computed for positions 0 .. capacity-1 at once and kept per
        (formula, n), the capacity doubling as needed, so that generation does
        not call the formula once per step.
        """
        if expr not in self._formulas:
            self._formulas[expr] = sympy.lambdify((I, N), expr, modules="numpy")
        tables = self.__dict__.setdefault("_formula_tables", {})
        top = int(positions.max()) if positions.numel() else 0
        table = tables.get((expr, n))
        if table is None or top >= table.shape[0]:
            size = max(256, top + 1, 2 * (0 if table is None else table.shape[0]))
            i = np.arange(size, dtype=np.float64)
            with np.errstate(divide="ignore", invalid="ignore"):
                values = np.broadcast_to(np.asarray(self._formulas[expr](i, float(n)),
                                                    np.float64), i.shape)
            table = tables[(expr, n)] = torch.from_numpy(values.copy()).to(self.device)
        return table[positions.to(table.device)]

    def encode_tokens(self, sequences: Sequence[Sequence[str]]) -> torch.Tensor:
        """Token ids (batch, positions) for sequences of token strings of one length."""
        lengths = {len(s) for s in sequences}
        if len(lengths) > 1:
            raise EvaluationError(f"a batch needs sequences of one length, got {sorted(lengths)}")
        ids = [token_ids(self.ir, s) for s in sequences]
        return torch.tensor(ids, dtype=torch.long, device=self.device)

    # -- the forward pass ---------------------------------------------------

    def positional(self, positions: torch.Tensor, n: int) -> dict[str, torch.Tensor]:
        """The positional features at `positions`: name -> (positions,) in the float dtype."""
        pe = positional_float(self.ir.positions, positions.cpu().numpy(), n)
        return {name: torch.as_tensor(values, device=self.device).to(self.float_dtype)
                for name, values in pe.items()}

    def embed(self, inputs: torch.Tensor, positions: torch.Tensor, n: int,
              features: dict | None = None) -> torch.Tensor:
        """The stream before the first block: (batch, positions, width).

        `features`: the positional features at `positions` if already computed
        (see `positional`).
        """
        if isinstance(self.ir.inputs, TokenEmbedding):
            if inputs.dtype != torch.long:
                raise EvaluationError(f"{self.ir.label}: token inputs must be a long tensor of "
                                      "ids (see encode_tokens)")
            table = self.embedding.table  # (width, tokens) or (models, width, tokens)
            if table.dim() == 2:
                x = table.T[inputs]  # (batch, positions, width)
            else:
                rows = torch.arange(inputs.shape[0], device=inputs.device)[:, None]
                x = table.transpose(1, 2)[rows if table.shape[0] > 1 else 0 * rows, inputs]
        else:
            dims = len(self.ir.inputs.dims)
            if inputs.shape[-1] != dims:
                raise EvaluationError(f"{self.ir.inputs.label}: inputs have {inputs.shape[-1]} "
                                      f"values per position, expected {dims}")
            x = torch.zeros(*inputs.shape[:-1], len(self.index), dtype=self.float_dtype,
                            device=self.device)
            x[..., self.input_columns] = inputs.to(self.float_dtype)
        if self.ir.positions is not None:
            features = self.positional(positions, n) if features is None else features
            for name, values in features.items():
                x[..., self.index[name]] += values
        return x

    def forward(self, inputs: torch.Tensor, *, n: int | None = None,
                encoder_inputs: torch.Tensor | None = None, record: bool = False,
                only_readout: bool = False) -> TorchPass:
        """Run a batch of same-length inputs (token ids, or vectors over the input dims).

        With `only_readout` (and a read-out at the first or last position of a
        model that is not looped), blocks after the last attention block, and
        that block's queries, are computed at the read-out position only: the
        outputs are the same, the returned stream has that one position, and
        the cost of the last attention falls from O(length^2) to O(length).
        """
        length = inputs.shape[1]
        encoder_stream, n = self._encode(encoder_inputs, n, default=length)
        positions = torch.arange(length, device=self.device)
        x = self.embed(inputs, positions, n)
        state = _Flags(x.shape[0], x.device)
        trace: list = []
        prune = (only_readout and not self.ir.looped
                 and self.ir.readout.position in ("first", "last"))
        x = self.apply_blocks(x, n=n, encoder_stream=encoder_stream, flags=state,
                              record=trace if record else None,
                              readout_row=(0 if self.ir.readout.position == "first" else -1)
                              if prune else None)
        return TorchPass(outputs=self.read(x), stream=x, suspect=state.any,
                         suspect_heads=state.heads, record=trace)

    def _encode(self, encoder_inputs, n, *, default):
        if self.encoder is None:
            if encoder_inputs is not None:
                raise EvaluationError(f"{self.ir.label} has no encoder; encoder_inputs must be "
                                      "None")
            return None, default if n is None else n
        if encoder_inputs is None:
            raise EvaluationError(f"{self.ir.label} reads an encoder: pass encoder_inputs")
        n = encoder_inputs.shape[1] if n is None else n
        return self.encoder(encoder_inputs, n=n).stream, n

    def apply_blocks(self, x: torch.Tensor, *, n: int, encoder_stream=None, flags=None,
                     record: list | None = None, readout_row: int | None = None,
                     finite: NonFiniteChecks | None = None, where: str = "") -> torch.Tensor:
        """Every block once (one loop step of a looped model).

        `readout_row` (0 or -1): from the last attention block on, compute
        only that position (see `forward`'s `only_readout`).

        Non-finite values: each block's stream is checked on the device; by
        default the results are read back once at the end of the call (one
        host sync, not one per block). With `finite` (a `NonFiniteChecks`, see
        `non_finite_checks`) they are only queued, `where` (e.g. " in loop
        7") naming the call in the error: the caller reads them back with
        ``finite.check()`` when it likes, e.g. once every few loops.
        """
        flags = flags or _Flags(x.shape[0], x.device)
        queue = finite if finite is not None else NonFiniteChecks(self.float_dtype)
        positions = torch.arange(x.shape[1], device=self.device)
        attention_blocks = [k for k, b in enumerate(self.ir.blocks) if isinstance(b, Attention)]
        last_attention = attention_blocks[-1] if attention_blocks else -1
        for index, block in enumerate(self.ir.blocks):
            params = self.blocks[block.label]
            if isinstance(block, Attention):
                rows = slice(None)
                if readout_row is not None and index == last_attention:
                    rows = slice(readout_row, None) if readout_row == -1 else slice(0, 1)
                delta = torch.zeros_like(x[:, rows])
                for head in block.heads:
                    p = params[head.label]
                    source = encoder_stream if head.source == "encoder" else x
                    q = self._linear(x[:, rows], p.query)  # (batch, queries, head dims)
                    k = self._linear(source, p.key)  # (batch, keys, head dims)
                    v = self._linear(source, p.value)  # (batch, keys, width)
                    delta = delta + self._attend(head, q, k, v, positions[rows], n, flags)
                x = x[:, rows] + delta
            elif isinstance(block, MLP):
                hidden = torch.relu(self._linear(x, params.w_in) + self._bias(params.b_in))
                x = x + self._linear(hidden, params.w_out) + self._bias(params.b_out)
            else:
                x = self._layer_norm(block, params, x)
            queue.add(block.label, x, where)
            if record is not None:
                record.append((block.label, x.clone()))
        if finite is None:
            queue.check()
        return x

    step = apply_blocks

    def non_finite_checks(self) -> NonFiniteChecks:
        """A queue for `apply_blocks`' non-finite checks, read back with its ``check()``."""
        return NonFiniteChecks(self.float_dtype)

    def read(self, x: torch.Tensor) -> dict:
        """Read-outs: name -> (batch,) or (batch, positions)."""
        readout = self.ir.readout
        rows = {"first": x[:, :1], "last": x[:, -1:], "all": x}[readout.position]
        values = self._linear(rows, self.readout.matrix) + self._bias(self.readout.bias)
        if readout.position != "all":
            values = values[:, 0]
            return {o: values[:, k] for k, o in enumerate(readout.outputs)}
        return {o: values[..., k] for k, o in enumerate(readout.outputs)}

    def _layer_norm(self, block: LayerNorm, params, x: torch.Tensor) -> torch.Tensor:
        columns = [self.index[d] for d in block.dims]
        part = x[..., columns]
        mean = part.mean(dim=-1, keepdim=True)
        var = ((part - mean) ** 2).mean(dim=-1, keepdim=True)
        normed = (part - mean) / torch.sqrt(var + float(block.epsilon))
        x = x.clone()
        x[..., columns] = normed * self._bias(params.gain) + self._bias(params.bias)
        return x

    def _attend(self, head: Head, q, k, v, positions, n, flags: _Flags) -> torch.Tensor:
        if self._constant_scores(head):  # uniform attention: a mean, O(length) not O(length^2)
            if head.mask == "causal":
                sums = torch.cumsum(v, dim=1)[:, positions]
                return sums / (positions + 1).to(v.dtype)[None, :, None]
            return v.mean(dim=1, keepdim=True).expand(-1, len(positions), -1)
        scores = torch.matmul(q, k.transpose(-1, -2))  # (batch, queries, keys)
        if head.score == "neg_abs_dot":
            scores = -scores.abs()
        keys = torch.arange(k.shape[1], device=self.device)
        visible = (keys[None, :] <= positions[:, None] if head.mask == "causal"
                   else torch.ones(len(positions), len(keys), dtype=torch.bool,
                                   device=self.device))
        kind = head.kind
        if isinstance(kind, Softmax):
            scale = self._scale(kind.scale, n)
            weights = torch.softmax((scores * scale).masked_fill(~visible, float("-inf")), dim=-1)
            return torch.matmul(weights, v)
        masked = scores.masked_fill(~visible, float("-inf"))
        best = masked.max(dim=-1, keepdim=True).values
        below = best - masked  # >= 0 where visible, +inf elsewhere
        if kind.gap is not None:
            gap = self._formula(kind.gap, positions, n).to(scores.dtype)[None, :, None]
            winners = below < gap / 2
            doubtful = (below >= gap / 4) & (below < 3 * gap / 4)
            flags.mark(head.label, doubtful.flatten(1).any(dim=1))
        else:
            winners = below == 0
        if isinstance(kind, Hard):
            order = keys if kind.tie == "last" else (len(keys) - 1 - keys)
            pick = torch.where(winners, order, -1).argmax(dim=-1)  # (batch, queries)
            weights = torch.nn.functional.one_hot(pick, len(keys)).to(v.dtype)
        else:
            assert isinstance(kind, AverageHard)
            weights = winners.to(v.dtype)
            weights = weights / weights.sum(dim=-1, keepdim=True)
        return torch.matmul(weights, v)

    def _scale(self, expr: sympy.Expr, n: int) -> float:
        """A softmax scale at length n, evaluated once (a looped model asks every loop)."""
        cache = self.__dict__.setdefault("_scales", {})
        if (expr, n) not in cache:
            cache[(expr, n)] = float(sympy.N(expr.xreplace({N: sympy.Integer(n)}), 30))
        return cache[(expr, n)]

    def _constant_scores(self, head: Head) -> bool:
        """Whether every score of `head` is 0 (an empty query or key map in every model)."""
        return head.label in self._uniform

    # -- generation ---------------------------------------------------------

    def generator(self, encoder_inputs: torch.Tensor | None = None, *, n: int | None = None,
                  batch: int | None = None) -> TorchGenerator:
        """A cached one-position-at-a-time run (see `TorchGenerator`)."""
        if any(h.mask != "causal" for h in self.ir.heads() if h.source == "self"):
            raise EvaluationError(f"{self.ir.label}: cached generation needs every "
                                  "self-attention head to be causal")
        return TorchGenerator(self, encoder_inputs, n, batch)


class _Flags:
    """Per-example suspicion, or-ed together on the device while a batch runs (no host sync)."""

    def __init__(self, batch: int, device):
        self.any = torch.zeros(batch, dtype=torch.bool, device=device)
        self.guarded: dict[str, torch.Tensor] = {}  # every guarded head that ran

    def mark(self, label: str, fired: torch.Tensor) -> None:
        if label in self.guarded:
            self.guarded[label] |= fired
        else:
            self.guarded[label] = fired.clone()
        self.any |= fired

    @property
    def heads(self) -> dict[str, torch.Tensor]:
        """Head label -> (batch,) bool, for the heads that fired (reads the flags back)."""
        return {label: fired for label, fired in self.guarded.items() if bool(fired.any())}


class NonFiniteChecks:
    """Non-finite checks queued on the device and read back at once.

    `add` queues "every value of this stream is finite" as a 0-d tensor (no
    host sync); `check` reads all queued results back in one transfer and
    raises `EvaluationError` for the first that failed, naming its block and
    where it ran.
    """

    def __init__(self, dtype: torch.dtype):
        self.dtype = dtype
        self.queued: list = []  # (block label, where, 0-d bool)

    def add(self, label: str, x: torch.Tensor, where: str = "") -> None:
        self.queued.append((label, where, torch.isfinite(x).all()))

    def check(self) -> None:
        if not self.queued:
            return
        queued, self.queued = self.queued, []
        ok = torch.stack([q[2] for q in queued]).tolist()
        if all(ok):
            return
        label, where, _ = queued[ok.index(False)]
        raise EvaluationError(f"{label}: non-finite values{where} in {self.dtype} "
                              "(overflow, or a zero variance in layer norm)")


from compilers.backends.torch_generate import TorchGenerator  # noqa: E402  (re-exported)
