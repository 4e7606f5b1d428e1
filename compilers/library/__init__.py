"""The Transformer Cookbook's ingredients as blocks (Yang et al. 2026, TMLR, arXiv 2510.00368).

A block is a function ``block(model, ..., *, out=None)`` that adds its
layer(s) to a `Model` under construction and returns the direction(s) it
wrote; its docstring states its weights, why they are exact, the inputs it
assumes, its size and the Cookbook section. One module per chapter:

* `model`: the workbench (`Model`, `Units`, `size`, `LibraryError`);
* `ffn`: feed-forward blocks (Sec. 4): piecewise-linear functions of one
  and of several variables, identity, residual cancelling, min and max,
  sums, comparators, Boolean functions (0/1 and ±1), conditionals, products;
* `attention`: attention blocks (Sec. 5): identity, uniform averages, table
  lookups (single query, one-hot, layer-norm hash, quadratic, -|dot|),
  predecessor, tie-breaking with its gap, the masks under both names;
* `positions`: positional encodings (Sec. 3.5): none, 1/i, i/n, powers of
  i, (-1)^i, one-hot, rational sinusoids, rotations, sinusoids rounded at a
  stated precision with a certified gap;
* `norm`: layer normalisation (Sec. 6): signs to ±1 and the role of
  epsilon, the layer-norm hash, RMS norm, pre- and post-norm;
* `tokens`: BOS, EOS and CLS.

docs/cookbook.md has one runnable example per block.

The library imports `compilers.ir` and `compilers.errors` only; its blocks
cost nothing at run time (they build ordinary IR).
"""

from compilers.library.model import LibraryError, Model, Size, Units, size

__all__ = ["LibraryError", "Model", "Size", "Units", "size"]
