"""The torch backend behind the `compilers.backends.base.Backend` seam.

`TorchBackend` holds a `TorchTransformer` (one IR, or several of one
structure with their weights stacked, example b running on model b) and
turns the run layer's inputs (token strings, vectors, input matrices) into
tensors on its device. Values stay on the device between loops and steps;
`host` brings them back. Non-finite checks of a loop are queued on the
device and read back by `check`, so a loop costs no host sync.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from compilers.backends.base import Pass
from compilers.backends.incremental import IncrementalLoop
from compilers.backends.incremental_torch import TorchOps
from compilers.backends.lookups_option import Lookups
from compilers.backends.torch_module import TorchTransformer, resolve_dtype
from compilers.ir import TokenEmbedding, Transformer

LONG_ENTRIES = 64  # `TorchBackend.read` keeps a longer list of entries by its identity


def dtype_name(dtype: str | torch.dtype) -> str:
    """``float32`` for torch.float32 (or for the name itself)."""
    return str(resolve_dtype(dtype)).removeprefix("torch.")


class TorchBackend:
    """See the module docstring."""

    name = "torch"

    def __init__(self, transformer: Transformer | Sequence[Transformer] | None = None, *,
                 dtype: str = "float64", device: str = "cpu",
                 module: TorchTransformer | None = None, lookups: str = "dense",
                 dense_every: int | None = None, on_broken: str = "dense"):
        self.module = module or TorchTransformer(transformer, dtype=dtype, device=device)
        self.plan = self.module.plan
        self.lookups = Lookups(self.module.ir, lookups, dense_every, on_broken)
        self._runs: list[IncrementalLoop] = []
        self.dtype = dtype_name(self.module.float_dtype)
        self.device = self.module.device
        self._finite = self.module.non_finite_checks()
        self._loops = 0
        self._entries: dict = {}  # see `read`

    # -- one pass ---------------------------------------------------------------

    def inputs(self, rows) -> torch.Tensor:
        """Token strings -> ids (batch,) or (batch, positions); vectors -> floats."""
        module = self.module
        if isinstance(module.ir.inputs, TokenEmbedding):
            rows = list(rows)
            if rows and isinstance(rows[0], str):
                return module.encode_tokens([[t] for t in rows])[:, 0]
            return module.encode_tokens(rows)
        return torch.as_tensor(np.asarray(rows, dtype=np.float64), device=self.device
                               ).to(module.float_dtype)

    def forward(self, inputs, *, n: int, encoder_inputs=None) -> Pass:
        module = self.module
        encoder = None
        if encoder_inputs is not None:
            encoder = module.encoder.encode_tokens(list(encoder_inputs))
        with torch.inference_mode():
            out = module(self.inputs(inputs), n=n, encoder_inputs=encoder, only_readout=True)
        outputs = {k: v.double().cpu().numpy() for k, v in out.outputs.items()}
        suspect = out.suspect.cpu().numpy()
        why = {}
        for label, fired in out.suspect_heads.items():
            for k in np.flatnonzero(fired.cpu().numpy()).tolist():
                why[k] = (why[k] + ", " if k in why else "") + f"head {label} near a tie"
        return Pass(outputs=outputs, suspect=suspect, why=why)

    # -- generation ---------------------------------------------------------------

    def generator(self, *, n: int, batch: int, encoder_inputs=None) -> _Generator:
        encoder = None
        if encoder_inputs is not None:
            encoder = self.module.encoder.encode_tokens(list(encoder_inputs))
        return _Generator(self.module.generator(encoder, n=n, batch=batch,
                                                lookups=self.lookups.index))

    # -- loops ----------------------------------------------------------------------

    def start(self, matrices, *, n: int) -> torch.Tensor:
        cards = torch.as_tensor(np.stack(list(matrices)), device=self.device)
        self._loops = 0
        with torch.inference_mode():
            state = self.module.embed(cards, None, n)
            if self.lookups.index:  # each run's stream is a view of the batch: updated in place
                ops = TorchOps(self.module)
                self._runs = [IncrementalLoop(ops, self.module.ir.blocks, state[b], n=n,
                                              on_broken=self.lookups.on_broken)
                              for b in range(state.shape[0])]
            return state

    def loop(self, state: torch.Tensor, *, n: int, active=None) -> torch.Tensor:
        self._loops += 1
        with torch.inference_mode():
            if self.lookups.index:
                self.lookups.loop(self._runs, active)
                return state
            return self.module.step(state, n=n, finite=self._finite,
                                    where=f" in loop {self._loops}")

    def changed_columns(self) -> set[int] | None:
        """With ``lookups='index'``: the columns a loop changed since the last call (the
        drift check reads only their entries); None: any may have."""
        return self.lookups.changed(self._runs)

    def finish(self, state) -> None:
        """With ``lookups='index'``: the dense check of each run's last loop (`Lookups`)."""
        with torch.inference_mode():
            self.lookups.finish(self._runs)

    def read(self, state: torch.Tensor, entries) -> torch.Tensor:
        """``state[:, column, dim]`` for each entry; the index tensors are made once per
        set of entries, a long list (a SUBLEQ memory's bits) kept by identity, so that a
        read does not hash it again."""
        long = len(entries) > LONG_ENTRIES
        key = id(entries) if long else tuple(entries)
        kept = self._entries.get(key)
        if kept is None or (long and kept[0] is not entries):
            if len(self._entries) >= 256:
                self._entries.clear()
            index = self.module.index
            kept = self._entries[key] = (entries, torch.tensor(
                [c for c, _ in entries], device=self.device), torch.tensor(
                [index[d] for _, d in entries], device=self.device))
        _, columns, dims = kept
        if state.device.type == "cpu" and state.dtype in (torch.float32, torch.float64):
            # numpy's fancy index: the same entries, without torch's per-call overhead
            return torch.from_numpy(state.numpy()[:, columns.numpy(), dims.numpy()])
        return state[:, columns, dims]

    def streams(self, state: torch.Tensor) -> np.ndarray:
        return state.double().cpu().numpy()

    def index(self) -> dict[str, int]:
        return dict(self.module.index)

    def array(self, values) -> torch.Tensor:
        return torch.as_tensor(np.asarray(values), device=self.device)

    def host(self, values) -> np.ndarray:
        if isinstance(values, torch.Tensor):
            if values.dtype == torch.bfloat16:  # numpy has none; float32 holds each exactly
                values = values.float()
            return values.cpu().numpy()
        return np.asarray(values)

    def check(self) -> None:
        self._finite.check()

    def flags(self) -> tuple[np.ndarray, dict]:
        return np.zeros(0, dtype=bool), {}


class _Generator:
    """A `TorchGenerator` as the `compilers.backends.base.Generator` protocol."""

    def __init__(self, generator):
        self.generator = generator

    @property
    def position(self) -> int:
        return self.generator.position

    def push(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.generator.push_values(inputs)

    def next_input(self, outputs: torch.Tensor) -> torch.Tensor:
        return self.generator.next_input(outputs)

    def suspect(self) -> np.ndarray:
        return self.generator.suspect.cpu().numpy()
