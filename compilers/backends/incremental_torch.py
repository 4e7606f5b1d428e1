"""The torch backend's arithmetic for `incremental.IncrementalLoop`.

Streams are one example's (positions, width) tensor, on the module's device
and in its dtype; blocks run on the rows asked for with the module's own
weights (``x + W_out relu(W_in x + b_in) + b_out``, the layer norm of
`TorchTransformer._normalise`), the MLPs' and heads' matrices as sparse CSR
(`_csr`: a loop's few rows cost the nonzero weights; the Giannou et al.
computers' matrices are 1-5% nonzero); keys, queries and head values come to
the host as float64 for the index. On the CPU rows are taken and put through
numpy views of the stream (no index tensor per call), and a product on at
most `FEW_ROWS` rows runs on one torch thread (`_OneThread`): on a loop's one
or two rows a thread pool's hand-offs cost more than the product, and on a
machine whose other cores are busy some 5-40 times the whole loop (each
output entry is the same sum on any number of threads). A block's heads'
keys, values and queries are one product (`TorchOps.project`). A float is
taken as equal to another within `tol` (``2^-30`` in float64, ``2^-12`` in
float32, ``2^-6`` below), and the dense
comparison (`mismatch`) allows `CHECK_TOL`: both far below the 1/4 that the
SUBLEQ computers' gadgets absorb.
"""

from __future__ import annotations

import contextlib
import operator
import warnings

import numpy as np
import torch

from compilers.backends.common import EvaluationError
from compilers.ir import MLP

CHECK_TOL = 2.0 ** -10
TOLERANCES = {torch.float64: 2.0 ** -30, torch.float32: 2.0 ** -12}


FEW_ROWS = 64  # products on at most this many rows run on one thread
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


class _OneThread:
    """Torch's intra-op threads set to one inside the block, restored after."""

    def __enter__(self):
        self.threads = torch.get_num_threads()
        if self.threads != 1:
            torch.set_num_threads(1)

    def __exit__(self, *exc):
        if self.threads != 1:
            torch.set_num_threads(self.threads)


def _threads(rows: torch.Tensor):
    """One thread (`_OneThread`) for a few rows on the CPU, else torch's own setting."""
    if rows.shape[0] <= FEW_ROWS and rows.device.type == "cpu":
        return _OneThread()
    return contextlib.nullcontext()


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
        self._views: dict = {}  # id(stream) -> (stream, its numpy view or None)

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

    def _view(self, x: torch.Tensor):
        """x's memory as a numpy array (kept per stream), or None off the CPU."""
        kept = self._views.get(id(x))
        if kept is None or kept[0] is not x:
            if len(self._views) >= 64:  # streams of runs gone, or of dense loops
                self._views.clear()
            kept = self._views[id(x)] = (x, x.numpy() if _numpy_view(x) else None)
        return kept[1]

    def take(self, x: torch.Tensor, order: list[int]) -> torch.Tensor:
        view = self._view(x)
        if view is not None:  # numpy's indexing by a list: no index tensor to build
            return torch.from_numpy(view[order])
        return x[torch.as_tensor(order, dtype=torch.long, device=x.device)]

    def put(self, x: torch.Tensor, order: list[int], rows: torch.Tensor) -> None:
        view = self._view(x)
        if view is not None:  # into x's own memory
            view[order] = rows.numpy()
            return
        x[torch.as_tensor(order, dtype=torch.long, device=x.device)] = rows

    def row(self, x: torch.Tensor, i: int) -> torch.Tensor:
        return x[i].clone()

    def put_row(self, x: torch.Tensor, i: int, row: torch.Tensor) -> None:
        x[i] = row

    def changed(self, a: torch.Tensor, b: torch.Tensor, order: list[int]) -> list[int]:
        if not order:
            return []
        x, y = self._view(a), self._view(b)
        if x is not None and y is not None:
            moved = np.abs(x[order] - y[order]).max(axis=1) > self.tol
            return [order[k] for k in np.flatnonzero(moved).tolist()]
        index = torch.as_tensor(order, dtype=torch.long, device=a.device)
        moved = (a[index] - b[index]).abs().amax(-1) > self.tol
        return [order[k] for k in torch.nonzero(moved).flatten().tolist()]

    def block(self, block, rows: torch.Tensor) -> torch.Tensor:
        if isinstance(block, MLP):
            w_in, b_in, w_out, b_out = self._sparse(block.label)
            with _threads(rows):
                hidden = torch.relu((w_in @ rows.T).T + b_in)
                return rows + (w_out @ hidden.T).T + b_out
        return self.module._normalise(block, self.module.blocks[block.label], rows)

    def _sparse(self, label: str) -> tuple:
        """The MLP's weights as sparse CSR matrices (W_in: hidden x width, W_out: width x
        hidden) with its biases: a loop's few rows cost the nonzero weights, not the full
        product (the SUBLEQ computers' MLPs are some 2% nonzero). The products' terms
        are the dense ones less the zero terms, summed in another order: equal within
        float rounding, which the dense check (`mismatch`) allows."""
        if label not in self._weights:
            params = self.module.blocks[label]
            self._weights[label] = (_csr(params.w_in), params.b_in, _csr(params.w_out),
                                    params.b_out)
        return self._weights[label]

    def project(self, heads, rows: torch.Tensor, parts: str) -> list:
        """Per head, its keys ("k"), values ("v") and queries ("q") at `rows`, in the order
        of `parts`: one product with every head's matrices stacked into one CSR matrix
        (made once per heads and parts). Each output row is the same sum of the same
        nonzero terms as that head's own product; keys and queries come back as lists of
        floats, values as float64 rows."""
        key = (tuple(head.label for head in heads), parts)
        if key not in self._weights:
            which = {"q": 0, "k": 1, "v": 2}
            blocks = [self._head(head)[which[p]].to_dense() for head in heads for p in parts]
            cuts = np.cumsum([0] + [b.shape[0] for b in blocks]).tolist()
            self._weights[key] = (_csr(torch.cat(blocks)), cuts)
        stacked, cuts = self._weights[key]
        with _threads(rows):
            out = (stacked @ rows.T).T.double().cpu().numpy()
        pieces = iter(range(len(cuts) - 1))
        result = []
        for _ in heads:
            mine = []
            for p in parts:
                k = next(pieces)
                piece = out[:, cuts[k]:cuts[k + 1]]
                mine.append(list(piece) if p == "v" else piece.tolist())
            result.append(tuple(mine))
        return result

    def same(self, a, b) -> bool:
        """Every entry of a within `tol` of b's (a NaN entry is within nothing). A row of
        values is first compared to the bit (most of a loop's are equal; a row equal to
        the bit is the same row, NaNs included)."""
        if isinstance(a, list):  # a key or query: a few floats
            if len(a) != len(b):
                raise ValueError(f"comparing {len(a)} floats with {len(b)}")
            return all(map(self.tol.__ge__, map(abs, map(operator.sub, a, b))))
        if a.shape == b.shape and a.tobytes() == b.tobytes():
            return True
        return a.size == 0 or bool(abs(a - b).max() <= self.tol)  # NaN: not <= tol

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
        """The rows at `order` plus the heads' outputs there, summed head by head in the
        order given (``((0 + a) + b) + c`` per entry), in float64."""
        rows = self.take(before, order)
        total = np.stack([sum(outs) for outs in zip(*(outs for _, outs in heads),
                                                    strict=True)])
        if rows.dtype == torch.float64 and rows.device.type == "cpu":
            return torch.from_numpy(rows.numpy() + total)
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
