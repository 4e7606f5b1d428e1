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

Every activation has a TransformerLens-style hook point (``hook_embed``,
``blocks.0.attn.hook_pattern``, ...; ``run_with_cache``, ``run_with_hooks``):
`compilers.backends.torch_hooks` lists them. Unused, they cost one look per
pass (is any hook registered?); with a hook, the pass runs every block the
textbook way through its points.

No silent wrong answer: hard and average-hard heads that carry a `gap` (the
construction's promise that unequal scores differ by at least ``gap(i, n)``)
treat scores within ``gap/2`` of the maximum as ties, and mark an example
*suspect* when any score lies ``gap/4 .. 3 gap/4`` below the maximum, which
exact arithmetic never produces: float error has reached a quarter of the gap.
A non-finite value anywhere raises `EvaluationError` naming the block. The
checks run on the device and are read back once per call (or, for a looped
run, once every few loops: see `apply_blocks`), not once per block.

Speed. A small model's forward on CPU costs tensor operations and their
overhead more than arithmetic, so the pass does each value's arithmetic as a
plain per-block implementation would, in fewer operations: the attention block
runs as `compilers.backends.torch_attention` describes (one product for all
projections from a stream, like heads batched); positional features are placed
in the stream's columns once per (length, n) and added with the token lookup
(one lookup in a (position, token) table); an all-zero bias is not added on
CPU; the non-finite check of a block is one reduction (its least and greatest
value); a product over many rows on CPU has its output width padded to a
multiple of 16 (see `_linear`); on CPU, a large product (an MLP's, a head's, the
read-out's) runs on its weight's nonzero rows and columns only, compressed where
that part is itself mostly zeros (`compilers.backends.torch_sparse`, found from
the tensors at each call); the token lookup goes through a (position, token)
table only where the tokens are fewer than the examples. Only the order in
which a kernel sums a product's terms may differ from one product per head.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import sympy
import torch
from torch import nn

from compilers.backends import torch_sparse as sparse
from compilers.backends.common import (
    EvaluationError,
    char_token_ids,
    positional_float,
    require_length,
    token_ids,
)
from compilers.backends.hooks import HookedModule
from compilers.backends.torch_attention import attend, attention_block
from compilers.backends.torch_flags import Flags as _Flags
from compilers.backends.torch_flags import NonFiniteChecks
from compilers.backends.torch_generate import TorchGenerator
from compilers.backends.torch_hooks import Hooked, add_hook_points
from compilers.backends.torch_hooks import embed as hooked_embed
from compilers.ir import (
    MLP,
    Attention,
    Head,
    I,
    LayerNorm,
    N,
    TokenEmbedding,
    Transformer,
)
from compilers.ir.plan import plan
from compilers.ir.plan import shape as plan_shape
from compilers.ir.values import Matrix

PAD_ROWS = 1024  # see TorchTransformer._linear
ZERO_BIAS_TEST = 1 << 14  # see TorchTransformer._add_bias
CACHED = 64  # entries of a module's cache (see TorchTransformer._cached), oldest dropped first

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


def _staging(dtype: torch.dtype) -> type:
    """The numpy dtype in which the weights of a module of `dtype` are built: float32 and
    float64 themselves (rounding each exact value to float64 and that to float32, as the
    cast of a float64 tensor does, without a float64 copy of every weight), float64 for the
    others (numpy has no bfloat16: rounded from float64 by the module's cast)."""
    return np.float32 if dtype == torch.float32 else np.float64


def _dense(matrices: Sequence[Matrix], rows: Sequence[str], cols: Sequence[str],
           dtype: type = np.float64) -> torch.Tensor:
    """Stack sparse exact matrices into a tensor (models, rows, cols) of numpy's `dtype`.

    Only the entries are written into ``np.zeros``' memory, which the operating system
    maps lazily: a dense weight of mostly zeros (a head's value over a wide stream) keeps
    resident only the pages that hold its nonzero entries until something writes it
    whole (it is still read as the dense tensor it is)."""
    r_index = {r: k for k, r in enumerate(rows)}
    c_index = {c: k for k, c in enumerate(cols)}
    out = np.zeros((len(matrices), len(rows), len(cols)), dtype=dtype)
    for m, matrix in enumerate(matrices):
        for (r, c), v in matrix.entries.items():
            out[m, r_index[r], c_index[c]] = float(v)
    return torch.from_numpy(out)


def _vector(vectors, names: Sequence[str], dtype: type = np.float64) -> torch.Tensor:
    out = np.zeros((len(vectors), len(names)), dtype=dtype)
    for m, vec in enumerate(vectors):
        for k, name in enumerate(names):
            out[m, k] = float(vec.get(name, 0))
    return torch.from_numpy(out)


def _columns(indices: list[int]) -> slice | list[int]:
    """Stream columns as a slice (a view, no gather) when they are consecutive."""
    if indices == list(range(indices[0], indices[0] + len(indices))):
        return slice(indices[0], indices[0] + len(indices))
    return indices


def _check_token_ids(inputs: torch.Tensor, tokens: int) -> None:
    """Token ids outside ``0 .. tokens-1`` are an `EvaluationError` (a lookup in the
    (position, token) table would read another position's row, silently)."""
    if inputs.numel():
        low, high = (int(v) for v in torch.aminmax(inputs))
        if low < 0 or high >= tokens:
            raise EvaluationError(f"token ids {low} .. {high}; allowed: 0 .. {tokens - 1}")


class _Params(nn.Module):
    """A bag of named, frozen parameters."""

    def __init__(self, **tensors: torch.Tensor):
        super().__init__()
        for name, tensor in tensors.items():
            self.register_parameter(name, nn.Parameter(tensor, requires_grad=False))


class TorchTransformer(HookedModule):
    """A `Transformer` (or a list of same-structure ones) as an `nn.Module`.

    Args:
        transformer: the IR, or IRs of one structure (their weights stacked).
        dtype, device: the float type and device of the weights and the pass.
        word_length: how the input length n that the formulas see follows from the
            number of positions, as the construction states it (a recogniser's n is
            the positions less its tokens around the word); without it, a forward
            pass through a model whose formulas read n must be given ``n=``.

    Hook points (TransformerLens's names and calls: ``run_with_cache``,
    ``run_with_hooks``, ``hook_dict``) are listed in `compilers.backends.torch_hooks`.
    """

    def __init__(self, transformer: Transformer | Sequence[Transformer], *,
                 dtype: str | torch.dtype = torch.float32, device: str | torch.device = "cpu",
                 word_length: Callable[[int], int] | None = None):
        super().__init__()
        self.word_length = word_length
        models = [transformer] if isinstance(transformer, Transformer) else list(transformer)
        if not models:
            raise EvaluationError("TorchTransformer needs at least one transformer")
        plans = [plan(model) for model in models]
        shape = plan_shape(models[0])
        for model in models[1:]:
            if plan_shape(model) != shape:
                raise EvaluationError(f"cannot stack {model.label}: its structure differs from "
                                      f"{models[0].label} (only weights may differ)")
        self.ir = models[0]
        self.plan = plans[0]
        self.stacked = len(models) if not isinstance(transformer, Transformer) else None
        self.float_dtype = resolve_dtype(dtype)
        self.encoder = None
        if self.ir.encoder is not None:
            self.encoder = TorchTransformer([m.encoder for m in models], dtype=self.float_dtype,
                                            device=device)
            self.encoder.stacked = self.stacked
        stream = self.ir.stream
        self.index = {d: k for k, d in enumerate(stream)}
        staged = _staging(self.float_dtype)
        inputs = self.ir.inputs
        if isinstance(inputs, TokenEmbedding):
            self.embedding = _Params(table=_dense([m.inputs.table for m in models], stream,
                                                  inputs.tokens, staged))
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
                        query=_dense([p.query for p in parts], head.query.rows, stream, staged),
                        key=_dense([p.key for p in parts], head.key.rows, src, staged),
                        value=_dense([p.value for p in parts], stream, src, staged))
                self.blocks[block.label] = heads
            elif isinstance(block, MLP):
                self.blocks[block.label] = _Params(
                    w_in=_dense([b.w_in for b in same], block.hidden, stream, staged),
                    b_in=_vector([b.b_in for b in same], block.hidden, staged),
                    w_out=_dense([b.w_out for b in same], stream, block.hidden, staged),
                    b_out=_vector([b.b_out for b in same], stream, staged))
            else:
                self.blocks[block.label] = _Params(
                    gain=_vector([b.gain for b in same], block.dims, staged),
                    bias=_vector([b.bias for b in same], block.dims, staged))
        readout = self.ir.readout
        self.readout = _Params(matrix=_dense([m.readout.matrix for m in models],
                                             readout.outputs, stream, staged),
                               bias=_vector([m.readout.bias for m in models], readout.outputs,
                                             staged))
        if self.stacked is None:  # a single model: drop the leading models dimension
            for param in self.parameters():
                param.data = param.data[0]
        self.to(device=device, dtype=self.float_dtype)
        self._heads = {h.label: h for h in self.ir.heads()}
        self._formulas: dict = {}
        # heads whose scores are 0 in every stacked model: uniform attention, computed as a mean
        self._uniform = frozenset.intersection(*(p.uniform for p in plans))
        self._norm_columns = {b.label: _columns([self.index[d] for d in b.dims])
                              for b in self.ir.blocks if isinstance(b, LayerNorm)}
        self._cache: dict = {}  # see _cached: positional rows, gap thresholds, block plans
        self.hook_places = add_hook_points(self)
        self.setup_hooks()

    # -- helpers ------------------------------------------------------------

    @property
    def device(self) -> torch.device:
        return self.readout.matrix.device

    def _linear(self, x: torch.Tensor, weight) -> torch.Tensor:
        """x (batch, positions, in) times weight (out, in) or (batch, out, in).

        `weight` may be a list of such weights, one product giving their outputs
        side by side. On CPU, in float32 or float64, a product over at least
        `PAD_ROWS` rows has its output width padded with zero weight rows to a
        multiple of 16 and the padding sliced off: MKL's kernels for narrower
        outputs are up to five times slower (each value is still one dot
        product of a row of x with a row of the weight; only the order in which
        the kernel sums its terms may differ).
        """
        if not isinstance(weight, list) and x.numel() < PAD_ROWS * x.shape[-1]:
            return torch.matmul(x, weight.transpose(-1, -2))  # one weight, few rows: no padding
        parts = list(weight) if isinstance(weight, list) else [weight]
        out = sum(w.shape[-2] for w in parts)
        if (out % 16 and x.device.type == "cpu" and x.dtype in (torch.float32, torch.float64)
                and x.numel() >= PAD_ROWS * x.shape[-1]):
            first = parts[0]
            parts.append(first.new_zeros(*first.shape[:-2], -out % 16, first.shape[-1]))
        product = torch.matmul(x, (parts[0] if len(parts) == 1 else torch.cat(parts, dim=-2))
                               .transpose(-1, -2))
        return product if product.shape[-1] == out else product[..., :out]

    def _bias(self, bias: torch.Tensor) -> torch.Tensor:
        return bias if bias.dim() == 1 else bias[:, None, :]

    def _add_bias(self, y: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        """y + bias; on CPU a bias of zeros is skipped (adding it could only turn a -0 to +0)
        when y has at least `ZERO_BIAS_TEST` entries: below that, the test (a host sync)
        costs more than the sum, as at one position of cached generation.

        The test is on the tensor, not the IR, so that a weight edited in place
        (a patched or corrupted model) is never ignored.
        """
        if (y.numel() >= ZERO_BIAS_TEST and bias.device.type == "cpu"
                and not bool(bias.any())):
            return y
        return y + self._bias(bias)

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
        ids = char_token_ids(self.ir, sequences)
        if ids is None:
            ids = np.array([token_ids(self.ir, s) for s in sequences], dtype=np.int64)
        shape = (len(sequences), lengths.pop() if lengths else 0)
        return torch.from_numpy(ids.reshape(shape)).to(self.device)

    # -- the forward pass ---------------------------------------------------

    def positional(self, positions: torch.Tensor, n: int) -> dict[str, torch.Tensor]:
        """The positional features at `positions`: name -> (positions,) in the float dtype."""
        pe = positional_float(self.ir.positions, positions.cpu().numpy(), n)
        return {name: torch.as_tensor(values, device=self.device).to(self.float_dtype)
                for name, values in pe.items()}

    def _cached(self, key: tuple, make):
        """``make()``, kept under `key` (with the device and dtype) for later calls."""
        key = (*key, self.device, self.float_dtype)
        if key not in self._cache:
            if len(self._cache) >= CACHED:
                self._cache.pop(next(iter(self._cache)))  # the oldest entry
            self._cache[key] = make()
        return self._cache[key]

    def placed_positional(self, positions: torch.Tensor, n: int) -> torch.Tensor:
        """The positional features at `positions`, placed in the stream's columns (zero
        elsewhere): (len(positions), width)."""
        rows = torch.zeros(len(positions), len(self.index), dtype=self.float_dtype,
                           device=self.device)
        for name, values in self.positional(positions, n).items():
            rows[:, self.index[name]] = values
        return rows

    def _positional_rows(self, length: int, n: int) -> torch.Tensor:
        """`placed_positional` at positions 0 .. length-1, computed once per (length, n)."""
        return self._cached(("positions", length, n),
                            lambda: self.placed_positional(torch.arange(length), n))

    def embed(self, inputs: torch.Tensor, positions: torch.Tensor, n: int,
              features: dict | None = None) -> torch.Tensor:
        """The stream before the first block: (batch, positions, width).

        `features`: the positional features at `positions` if already computed
        (see `positional`).
        """
        x = self._embed_inputs(inputs)
        if self.ir.positions is not None:
            features = self.positional(positions, n) if features is None else features
            for name, values in features.items():
                x[..., self.index[name]] += values
        return x

    def _embed_inputs(self, inputs: torch.Tensor, rows: torch.Tensor | None = None
                      ) -> torch.Tensor:
        """The stream from the inputs, plus `rows` (positions, width) if given."""
        if isinstance(self.ir.inputs, TokenEmbedding):
            if inputs.dtype != torch.long:
                raise EvaluationError(f"{self.ir.label}: token inputs must be a long tensor of "
                                      "ids (see encode_tokens)")
            table = self.embedding.table  # (width, tokens) or (models, width, tokens)
            _check_token_ids(inputs, table.shape[-1])
            length, tokens = (0, 0) if rows is None else (rows.shape[0], table.shape[1])
            if table.dim() == 2 and rows is not None and tokens <= inputs.shape[0]:
                # one lookup in a (position, token) table: fewer sums than one per input
                # where the tokens are fewer than the examples
                combined = (rows[:, None, :] + table.T[None]).reshape(length * tokens, -1)
                offsets = self._cached(("offsets", length, tokens), lambda: torch.arange(
                    0, length * tokens, tokens, device=self.device))
                return torch.nn.functional.embedding(inputs + offsets, combined)
            if table.dim() == 2:  # (batch, positions, width); a lookup, faster than indexing
                x = torch.nn.functional.embedding(inputs, table.T.contiguous())
                return x if rows is None else x + rows
            models = torch.arange(inputs.shape[0], device=inputs.device)[:, None]
            x = table.transpose(1, 2)[models if table.shape[0] > 1 else 0 * models, inputs]
            return x if rows is None else x + rows
        dims = len(self.ir.inputs.dims)
        if inputs.shape[-1] != dims:
            raise EvaluationError(f"{self.ir.inputs.label}: inputs have {inputs.shape[-1]} "
                                  f"values per position, expected {dims}")
        x = torch.zeros(*inputs.shape[:-1], len(self.index), dtype=self.float_dtype,
                        device=self.device)
        x[..., self.input_columns] = inputs.to(self.float_dtype)
        return x if rows is None else x + rows

    def forward(self, inputs: torch.Tensor, *, n: int | None = None,
                encoder_inputs: torch.Tensor | None = None, record: bool = False,
                only_readout: bool = False) -> TorchPass:
        """Run a batch of same-length inputs (token ids, or vectors over the input dims).

        `n`, the input length the formulas see, is never guessed: where they
        read it, it must be given, or follow from the positions by the
        module's `word_length`, or (a model with an encoder) be the encoder's
        input length; else `EvaluationError` (`common.require_length`).

        With `only_readout` (and a read-out at the first or last position of a
        model that is not looped), blocks after the last attention block, and
        that block's queries, are computed at the read-out position only: the
        outputs are the same, the returned stream has that one position, and
        the cost of the last attention falls from O(length^2) to O(length).
        """
        length = inputs.shape[1]
        if n is None and self.word_length is not None:
            n = self._stated_length(length)
        require_length(self.ir, n)
        encoder_stream, n = self._encode(encoder_inputs, n, default=length)
        rows = None if self.ir.positions is None else self._positional_rows(length, n)
        hooked = self.hooked  # looked up once per pass: the hooks, or the fast paths
        x = hooked_embed(self, inputs, rows) if hooked else self._embed_inputs(inputs, rows)
        state = _Flags(x.shape[0], x.device)
        trace: list = []
        prune = only_readout and self.plan.prunable
        x = self.apply_blocks(x, n=n, encoder_stream=encoder_stream, flags=state,
                              record=trace if record else None,
                              readout_row=(0 if self.ir.readout.position == "first" else -1)
                              if prune else None, hooked=hooked)
        return TorchPass(outputs=self.read(x, hooked=hooked), stream=x, suspect=state.any,
                         suspect_heads=state.heads, record=trace)

    def _stated_length(self, positions: int) -> int:
        """n from the number of positions, by the construction's `word_length`."""
        n = self.word_length(positions)
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise EvaluationError(f"{self.ir.label}: {positions} positions give no input length "
                                  f"(word_length gave {n!r}); pass n=")
        return n

    def _encode(self, encoder_inputs, n, *, default):
        if self.encoder is None:
            if encoder_inputs is not None:
                raise EvaluationError(f"{self.ir.label} has no encoder; encoder_inputs must be "
                                      "None")
            return None, default if n is None else n
        if encoder_inputs is None:
            raise EvaluationError(f"{self.ir.label} reads an encoder: pass encoder_inputs")
        n = self.plan.encoder_length(n, encoder_inputs.shape[1], default)
        return self.encoder(encoder_inputs, n=n).stream, n

    def apply_blocks(self, x: torch.Tensor, *, n: int, encoder_stream=None, flags=None,
                     record: list | None = None, readout_row: int | None = None,
                     finite: NonFiniteChecks | None = None, where: str = "",
                     hooked: bool | None = None) -> torch.Tensor:
        """Every block once (one loop step of a looped model).

        `readout_row` (0 or -1): from the last attention block on, compute
        only that position (see `forward`'s `only_readout`).

        With hooks registered (see `compilers.backends.torch_hooks`; `hooked`:
        whether there are, None to look), every block runs through its hook
        points at every position (`readout_row` is then ignored).

        Non-finite values: each block's stream is checked on the device (its
        least and greatest value: both are finite iff every value is, a NaN
        propagating through both); by default the results are read back once
        at the end of the call (one host sync, not one per block). With
        `finite` (a `NonFiniteChecks`, see `non_finite_checks`) they are only
        queued, `where` (e.g. " in loop 7") naming the call in the error: the
        caller reads them back with ``finite.check()`` when it likes, e.g.
        once every few loops.
        """
        flags = flags or _Flags(x.shape[0], x.device)
        hooked = self.hooked if hooked is None else hooked
        at = (Hooked(self, n, encoder_stream, flags) if hooked
              else _Full(n, encoder_stream, flags, readout_row))
        queue = finite if finite is not None else NonFiniteChecks(self.float_dtype)
        for index, (rule, block, params) in enumerate(self.rules()):
            at.block = index
            x = rule(self, block, params, x, at)
            queue.add(block.label, x, where)
            if record is not None:
                record.append((block.label, x.clone()))
        if finite is None:
            queue.check()
        return x

    step = apply_blocks

    def rules(self) -> list[tuple]:
        """``(rule, block, params)`` of every block in order: ``rule(self, block, params,
        x, at)`` is the block's rule in `RULES`, applied where `at` runs (the full pass,
        see `apply_blocks`, or a generator)."""
        return [(RULES[type(block)], block, self.blocks[block.label])
                for block in self.ir.blocks]

    def non_finite_checks(self) -> NonFiniteChecks:
        """A queue for `apply_blocks`' non-finite checks, read back with its ``check()``."""
        return NonFiniteChecks(self.float_dtype)

    def read(self, x: torch.Tensor, *, hooked: bool | None = None) -> dict:
        """Read-outs: name -> (batch,) or (batch, positions); through ``unembed.hook_out``
        when hooks are registered (`hooked`: whether there are, None to look)."""
        readout = self.ir.readout
        rows = x if readout.position == "all" else x[:, :1] if readout.position == "first" \
            else x[:, -1:]
        values = self._add_bias(sparse.linear(rows, self.readout.matrix, self._linear),
                                self.readout.bias)
        if self.hooked if hooked is None else hooked:
            values = self.unembed.hook_out(values)
        if readout.position != "all":
            values = values[:, 0]
            return {o: values[:, k] for k, o in enumerate(readout.outputs)}
        return {o: values[..., k] for k, o in enumerate(readout.outputs)}

    # -- the rules, one per block type (`RULES`) ---------------------------------

    def _attention(self, block: Attention, params, x: torch.Tensor, at) -> torch.Tensor:
        """Every head added to the stream, where `at` (the full pass or a generator) runs."""
        return at.attention(self, block, params, x)

    def _mlp(self, block: MLP, params, x: torch.Tensor, at) -> torch.Tensor:
        """``x + W_out relu(W_in x + b_in) + b_out``, where `at` (the full pass or a
        generator) runs."""
        return at.mlp(self, block, params, x)

    def _layer_norm(self, block: LayerNorm, params, x: torch.Tensor, at) -> torch.Tensor:
        """The layer norm, where `at` (the full pass or a generator) runs."""
        return at.layer_norm(self, block, params, x)

    def _normalise(self, block: LayerNorm, params, x: torch.Tensor, scale=None,
                   normalized=None) -> torch.Tensor:
        """``x`` with its `block.dims` replaced by ``gain * (v - mean) / sqrt(var + eps) +
        bias``; `scale` and `normalized`, if given, are the hook points of
        ``sqrt(var + eps)`` and of the result on those dims."""
        columns = self._norm_columns[block.label]
        part = x[..., columns]
        centred = part - part.mean(dim=-1, keepdim=True)
        var = (centred * centred).mean(dim=-1, keepdim=True)
        root = torch.sqrt(var + float(block.epsilon))
        if scale is not None:
            root = scale(root)
        normed = centred / root * self._bias(params.gain) + self._bias(params.bias)
        if normalized is not None:
            normed = normalized(normed)
        x = x.clone()
        x[..., columns] = normed
        return x

    def _attend(self, head: Head, q, k, v, positions, n, flags: _Flags) -> torch.Tensor:
        """One head at the query `positions`: (batch, queries, width) (see
        `torch_attention.attend`); q, k, v without the heads dimension."""
        q, k = (None, None) if q is None else (q[:, None], k[:, None])
        return attend(self, (head,), q, k, v[:, None], positions, n, flags)[0]

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
                  batch: int | None = None, lookups: bool = False) -> TorchGenerator:
        """A cached one-position-at-a-time run (see `TorchGenerator`; `lookups`: hard
        ``-|<q, k>|`` heads through `lookups_torch`); it runs no hooks, so it refuses to
        start while any are registered."""
        self.plan.require_causal()
        if self.hooked:
            names = [name for name, point in self.hook_dict.items() if point._forward_hooks]
            raise EvaluationError(f"{self.ir.label}: cached generation runs no hooks; remove "
                                  f"those at {', '.join(names[:4])} (or run forward)")
        return TorchGenerator(self, encoder_inputs, n, batch, lookups)


class _Full:
    """Where `TorchTransformer.apply_blocks` runs: every position, or, from the last
    attention block on, the read-out row only (`readout_row`: 0 or -1)."""

    def __init__(self, n: int, encoder_stream, flags: _Flags, readout_row: int | None):
        self.n, self.encoder_stream, self.flags = n, encoder_stream, flags
        self.readout_row = readout_row
        self.block = 0

    def attention(self, model: TorchTransformer, block: Attention, params, x: torch.Tensor):
        rows = slice(None)
        if self.readout_row is not None and self.block == model.plan.last_attention:
            rows = slice(self.readout_row, None) if self.readout_row == -1 else slice(0, 1)
        return attention_block(model, block, params, x, rows, self.n, self.encoder_stream,
                               self.flags)

    def mlp(self, model: TorchTransformer, block: MLP, params, x: torch.Tensor):
        """The MLP at every position: padded products (`_linear`), zero biases skipped;
        a large weight on its nonzero columns (``W_in``: the dims read) and rows (``W_out``:
        the dims written) only (`torch_sparse`)."""
        pre = sparse.linear(x, params.w_in, model._linear)
        hidden = torch.relu(model._add_bias(pre, params.b_in))
        written = sparse.support(params.w_out, sparse.rows(x))
        if written is None:
            return model._add_bias(x + model._linear(hidden, params.w_out), params.b_out)
        return model._add_bias(sparse.add_at(x, written[0], sparse.product(
            hidden, params.w_out, written)), params.b_out)

    def layer_norm(self, model: TorchTransformer, block: LayerNorm, params, x: torch.Tensor):
        return model._normalise(block, params, x)


RULES = {Attention: TorchTransformer._attention, MLP: TorchTransformer._mlp,
         LayerNorm: TorchTransformer._layer_norm}
"""The one table from block type to its torch rule, for the full pass, loops and generation."""
