"""The torch backend's restricted products: a large weight applied on its nonzero rows and
columns only.

A compiled model's weights are dense over the whole residual stream but read
and write few of its dims: a RASP head's value reads one S-op's one-hots and
writes another's, an MLP reads one or two S-ops (Lindner et al. 2023, Sec. 3;
our compiler's stream has every S-op side by side). For ``y = x W^T`` with
``W`` (out, in), let ``R`` be the rows of ``W`` with a nonzero entry and ``C``
the columns with one. Then ``y[..., r] = 0`` for ``r`` not in ``R`` and, for
``r`` in ``R``, ``y[..., r] = sum_{c in C} x[..., c] W[r, c]``: the terms left
out are products with an exact 0, so the sum is the same float (only the order
in which a BLAS kernel adds the terms may differ, as for any product).
`support` finds ``R`` and ``C`` from the tensor at every call (never from the
IR, so that a weight edited in place is never ignored) and only where the dense
product has at least `SPARSE_MACS` multiply-adds and `SPARSE_ROWS` rows: below
that the test (a few passes over the weight and a read-back) costs more than it
saves.

Where ``W[R, C]`` is itself mostly zeros (a thermometer MLP's units read one or
two dims and write one; a Select's query and key rows read a few one-hots), it
is multiplied as a compressed sparse-row matrix: each output is then the sum of
its nonzero terms only, again the same terms as the dense product's. The CPU's
sparse-dense product is some 30 times slower per multiply-add than a dense one,
hence `DENSE_PER_SPARSE`.

A stream value that is not finite in a column a restricted product skips (the
dense product would turn it into NaN) stays in the stream, where the non-finite
check of the block that wrote it has already seen it.
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import torch

SPARSE_MACS = 1 << 21  # dense multiply-adds from which `support` looks at the weight
SPARSE_ROWS = 1024  # and rows (its cost grows with the weight, the product's with both)
SPAN = 2  # a range of dims is read or written whole where at most SPAN times the nonzero ones
WORTH = 0.5  # a restricted product is used when it keeps at most this share of the weight
DENSE_PER_SPARSE = 32  # a weight is compressed when at most 1 in this many entries is nonzero
COMPRESSED = (torch.float32, torch.float64)  # the dtypes of CPU sparse-dense products


def _index(mask: torch.Tensor) -> slice | list[int]:
    """The True positions of a 1-d mask, as the slice from the first to the last (a view,
    no gather; the positions between them that are False add exact zeros) where that
    slice is at most `SPAN` times as long as the positions are many, else as a list."""
    where = mask.nonzero().flatten().tolist()
    if not where:
        return []
    span = slice(where[0], where[-1] + 1)
    return span if span.stop - span.start <= SPAN * len(where) else where


def _count(index: slice | list[int]) -> int:
    return index.stop - index.start if isinstance(index, slice) else len(index)


class Support(NamedTuple):
    """Where a product is restricted: the rows ``R`` and columns ``C`` of the weight that
    it keeps, and ``W[R, C]`` in compressed sparse rows where its entries are mostly 0."""

    rows: slice | list[int]
    columns: slice | list[int]
    compressed: torch.Tensor | None = None


def support(weight: torch.Tensor, rows: int, *, outputs: bool = True) -> Support | None:
    """The rows ``R`` and columns ``C`` of `weight` (out, in) with a nonzero entry, and
    ``W[R, C]`` compressed where at most 1/`DENSE_PER_SPARSE` of its entries are nonzero
    (in float32 or float64). None where the dense product over `rows` rows is small
    (below `SPARSE_MACS` multiply-adds or `SPARSE_ROWS` rows), where the weight is
    stacked (one per model) or not on the CPU (a GPU's dense product is cheap, and
    each read-back a device sync), or where neither restriction pays (``R x C``
    keeps more than `WORTH` of the weight and is not sparse enough to compress).

    With ``outputs=False`` only the columns are restricted (``R`` is every row), for a
    product whose every output is needed (an MLP's hidden units, a head's queries).
    """
    if weight.dim() != 2 or weight.device.type != "cpu":
        return None
    out, width = weight.shape
    if rows < SPARSE_ROWS or rows * out * width < SPARSE_MACS:
        return None
    nonzero = weight != 0
    columns = _index(nonzero.any(dim=0))
    kept_rows = _index(nonzero.any(dim=1)) if outputs else slice(0, out)
    kept = _count(kept_rows) * _count(columns)
    if (kept and weight.dtype in COMPRESSED
            and int(nonzero.sum()) * DENSE_PER_SPARSE <= kept):
        with warnings.catch_warnings():  # "sparse CSR support is in beta": used as documented
            warnings.simplefilter("ignore", UserWarning)
            compressed = _part(weight, kept_rows, columns).to_sparse_csr()
        return Support(kept_rows, columns, compressed)
    if kept > WORTH * out * width:
        return None
    return Support(kept_rows, columns)


def rows(x: torch.Tensor) -> int:
    """The rows of a product with `x`: its entries over its last dim."""
    return x.numel() // max(1, x.shape[-1])


def linear(x: torch.Tensor, weight: torch.Tensor, dense) -> torch.Tensor:
    """``x W^T`` with every output (an MLP's hidden units, a head's queries, a read-out):
    on `weight`'s nonzero columns where `support` finds it pays, else ``dense(x, weight)``."""
    read = support(weight, rows(x), outputs=False)
    return dense(x, weight) if read is None else product(x, weight, read)


def take(x: torch.Tensor, columns: slice | list[int]) -> torch.Tensor:
    """``x[..., columns]``: a view for a slice, one gather for a list."""
    if isinstance(columns, slice):
        return x[..., columns]
    return x.index_select(-1, torch.tensor(columns, dtype=torch.long, device=x.device))


def _part(weight: torch.Tensor, rows, columns) -> torch.Tensor:
    """``W[rows][:, columns]``."""
    return take(take(weight, columns).T, rows).T


def product(x: torch.Tensor, weight: torch.Tensor, where: Support) -> torch.Tensor:
    """``x[..., C] W[R, C]^T`` for ``where = (R, C, ...)``: the outputs at ``R`` (by a
    sparse-dense product where ``W[R, C]`` is compressed)."""
    kept_rows, columns, compressed = where
    if compressed is None:
        return torch.matmul(take(x, columns), _part(weight, kept_rows, columns).T)
    flat = take(x, columns).reshape(-1, _count(columns))
    return (compressed @ flat.T).T.reshape(*x.shape[:-1], -1)


def add_at(x: torch.Tensor, columns: slice | list[int], y: torch.Tensor) -> torch.Tensor:
    """A copy of `x` with ``y`` added at `columns` (the same floats as ``x + delta`` for a
    ``delta`` that is ``y`` at `columns` and 0 elsewhere)."""
    out = x.clone()
    if isinstance(columns, slice):
        out[..., columns] += y
    elif columns:
        index = torch.tensor(columns, dtype=torch.long, device=x.device)
        out.index_copy_(-1, index, out.index_select(-1, index) + y)
    return out
