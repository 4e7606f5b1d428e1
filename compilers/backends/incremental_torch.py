"""The torch backend's arithmetic for `incremental.IncrementalLoop`.

Streams are one example's (positions, width) tensor, on the module's device
and in its dtype; blocks run on the rows asked for with the module's own
weights (``x + W_out relu(W_in x + b_in) + b_out``, the layer norm of
`TorchTransformer._normalise`), the MLPs' and heads' matrices as sparse CSR
(`_csr`: a loop's few rows cost the nonzero weights; the Giannou et al.
computers' matrices are 1-5% nonzero); keys, queries and head values come to
the host as float64 for the index. On the CPU rows are taken and put through
numpy views of the stream (no index tensor per call). A float is taken as equal to another within
`tol` (``2^-30`` in float64, ``2^-12`` in float32, ``2^-6`` below), and the dense
comparison (`mismatch`) allows `CHECK_TOL`: both far below the 1/4 that the
SUBLEQ computers' gadgets absorb.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch

from compilers.backends.common import EvaluationError
from compilers.ir import MLP

CHECK_TOL = 2.0 ** -10
TOLERANCES = {torch.float64: 2.0 ** -30, torch.float32: 2.0 ** -12}


GRID = 24
BOUND = 2.0 ** (52 - GRID)


def _on_grid(values) -> bool:
    """Every entry an integer multiple of 2^-GRID (scaling by 2^GRID is exact)."""
    scaled = np.multiply(values, 2.0 ** GRID)
    return bool(np.all(scaled == np.round(scaled)))


def _csr(weight: torch.Tensor) -> torch.Tensor:
    """`weight` (outputs x inputs) as a sparse CSR matrix: ``(W @ rows.T).T`` costs its
    nonzero entries, and its terms are the dense product's less the zero ones."""
    with warnings.catch_warnings():  # torch calls CSR support "beta"
        warnings.simplefilter("ignore", UserWarning)
        return weight.to_sparse_csr()


def _numpy_view(x: torch.Tensor) -> bool:
    """x can be indexed as a numpy view of its memory (CPU, a dtype numpy has)."""
    return x.device.type == "cpu" and x.dtype in (torch.float64, torch.float32)


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
            self._weights[head.label] = tuple(_csr(w) for w in (params.query, params.key,
                                                                params.value))
        return self._weights[head.label]

    def length(self, x: torch.Tensor) -> int:
        return x.shape[0]

    def copy(self, x: torch.Tensor) -> torch.Tensor:
        return x.clone()

    def take(self, x: torch.Tensor, order: list[int]) -> torch.Tensor:
        if _numpy_view(x):  # numpy's indexing by a list: no index tensor to build
            return torch.from_numpy(x.numpy()[order])
        return x[torch.as_tensor(order, dtype=torch.long, device=x.device)]

    def put(self, x: torch.Tensor, order: list[int], rows: torch.Tensor) -> None:
        if _numpy_view(x):  # into x's own memory (a view)
            x.numpy()[order] = rows.numpy()
            return
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
            w_in, w_out = self._sparse(block.label, params)
            hidden = torch.relu((w_in @ rows.T).T + params.b_in)
            return rows + (w_out @ hidden.T).T + params.b_out
        return self.module._normalise(block, params, rows)

    def _sparse(self, label: str, params) -> tuple:
        """The MLP's weights as sparse CSR matrices (W_in: hidden x width, W_out: width x
        hidden): a loop's few rows cost the nonzero weights, not the full product (the
        SUBLEQ computers' MLPs are some 2% nonzero). The products' terms are the dense
        ones less the zero terms, summed in another order: equal within float
        rounding, which the dense check (`mismatch`) allows."""
        if label not in self._weights:
            self._weights[label] = (_csr(params.w_in), _csr(params.w_out))
        return self._weights[label]

    def _host(self, values: torch.Tensor) -> list:
        return values.double().cpu().numpy().tolist()

    def keys(self, head, rows: torch.Tensor) -> list:
        return self._host((self._head(head)[1] @ rows.T).T)

    def queries(self, head, rows: torch.Tensor) -> list:
        return self._host((self._head(head)[0] @ rows.T).T)

    def values(self, head, rows: torch.Tensor) -> list:
        return list((self._head(head)[2] @ rows.T).T.double().cpu().numpy())

    def same(self, a, b) -> bool:
        return bool(np.max(np.abs(np.subtract(a, b)), initial=0.0) <= self.tol)

    def mean(self, values: list):
        return values[0] if len(values) == 1 else np.mean(np.stack(values), axis=0)

    # A group's total is kept only where every sum of its values, in any order, is
    # exact: the values on the grid 2^-GRID (times an integer) and their count times
    # the largest magnitude at most 2^(52 - GRID). Then a change is one exact
    # subtraction and one exact addition, and total / count is the float `mean` gives
    # (numpy's sum of the same values is the same exact total).

    def total(self, values: list):
        """``[sum, count, peak]`` of the values where it stays exact (see above), or None."""
        stacked = np.stack(values)
        peak = float(np.max(np.abs(stacked), initial=0.0))
        if not (_on_grid(stacked) and len(values) * peak <= BOUND):
            return None
        return [stacked.sum(axis=0), len(values), peak]

    def adjust(self, total, old, new):
        """The total with `old` replaced by `new`, or None where it may not stay exact."""
        total_sum, count, peak = total
        peak = max(peak, float(np.max(np.abs(new), initial=0.0)))
        if not (_on_grid(new) and count * peak <= BOUND):
            return None
        return [total_sum - old + new, count, peak]

    def divide(self, total, count: int):
        return total[0] / count

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
