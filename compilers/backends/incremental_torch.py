"""The torch backend's arithmetic for `incremental.IncrementalLoop`.

Streams are one example's (positions, width) tensor, on the module's device
and in its dtype; blocks run on the rows asked for with the module's own
weights (``x + W_out relu(W_in x + b_in) + b_out``, the layer norm of
`TorchTransformer._normalise`); keys, queries and head values come to the
host as float64 for the index. A float is taken as equal to another within
`tol` (``2^-30`` in float64, ``2^-12`` in float32, ``2^-6`` below), and the dense
comparison (`mismatch`) allows `CHECK_TOL`: both far below the 1/4 that the
SUBLEQ computers' gadgets absorb.
"""

from __future__ import annotations

import numpy as np
import torch

from compilers.backends.common import EvaluationError
from compilers.ir import MLP

CHECK_TOL = 2.0 ** -10
TOLERANCES = {torch.float64: 2.0 ** -30, torch.float32: 2.0 ** -12}


class TorchOps:
    """See the module docstring; `module` is a `TorchTransformer` (one model, not stacked)."""

    def __init__(self, module):
        if module.stacked is not None:
            raise EvaluationError("lookups='index' runs one model, not stacked weights")
        self.module = module
        self.tol = TOLERANCES.get(module.float_dtype, 2.0 ** -6)
        self._weights: dict = {}

    def _head(self, head):
        if head.label not in self._weights:
            block = next(b for b in self.module.ir.blocks
                         if any(h.label == head.label for h in getattr(b, "heads", ())))
            params = self.module.blocks[block.label][head.label]
            self._weights[head.label] = (params.query.T, params.key.T, params.value.T)
        return self._weights[head.label]

    def length(self, x: torch.Tensor) -> int:
        return x.shape[0]

    def copy(self, x: torch.Tensor) -> torch.Tensor:
        return x.clone()

    def take(self, x: torch.Tensor, order: list[int]) -> torch.Tensor:
        return x[torch.as_tensor(order, dtype=torch.long, device=x.device)]

    def put(self, x: torch.Tensor, order: list[int], rows: torch.Tensor) -> None:
        x[torch.as_tensor(order, dtype=torch.long, device=x.device)] = rows

    def row(self, x: torch.Tensor, i: int) -> torch.Tensor:
        return x[i].clone()

    def put_row(self, x: torch.Tensor, i: int, row: torch.Tensor) -> None:
        x[i] = row

    def changed(self, a: torch.Tensor, b: torch.Tensor, order: list[int]) -> list[int]:
        if not order:
            return []
        index = torch.as_tensor(order, dtype=torch.long, device=a.device)
        moved = (a[index] - b[index]).abs().amax(-1) > self.tol
        return [order[k] for k in torch.nonzero(moved).flatten().tolist()]

    def block(self, block, rows: torch.Tensor) -> torch.Tensor:
        params = self.module.blocks[block.label]
        if isinstance(block, MLP):
            hidden = torch.relu(rows @ params.w_in.T + params.b_in)
            return rows + hidden @ params.w_out.T + params.b_out
        return self.module._normalise(block, params, rows)

    def _host(self, values: torch.Tensor) -> list:
        return values.double().cpu().numpy().tolist()

    def keys(self, head, rows: torch.Tensor) -> list:
        return self._host(rows @ self._head(head)[1])

    def queries(self, head, rows: torch.Tensor) -> list:
        return self._host(rows @ self._head(head)[0])

    def values(self, head, rows: torch.Tensor) -> list:
        return list((rows @ self._head(head)[2]).double().cpu().numpy())

    def same(self, a, b) -> bool:
        return bool(np.max(np.abs(np.subtract(a, b)), initial=0.0) <= self.tol)

    def mean(self, values: list):
        return values[0] if len(values) == 1 else np.mean(np.stack(values), axis=0)

    def attend(self, before: torch.Tensor, order: list[int], heads: list) -> torch.Tensor:
        rows = self.take(before, order)
        total = sum(np.stack(outs) for _, outs in heads)
        return rows + torch.as_tensor(total, device=rows.device).to(rows.dtype)

    def dense(self, x: torch.Tensor, n: int) -> torch.Tensor:
        return self.module.step(x[None], n=n)[0]

    def mismatch(self, a: torch.Tensor, b: torch.Tensor):
        """The first (column, direction, value in b, value in a) differing by over `CHECK_TOL`."""
        far = torch.nonzero((a - b).abs() > CHECK_TOL)
        if not len(far):
            return None
        column, c = far[0].tolist()
        return column, self.module.ir.stream[c], float(b[column, c]), float(a[column, c])
