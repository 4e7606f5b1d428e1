"""The float types the torch backend runs in, by name, without importing torch.

`DTYPE_NAMES` is the order the command line lists them in (``--dtype``,
``--save-dtype``); `compilers.backends.torch_module.DTYPES` maps the same names
to torch dtypes (a test keeps the two in step). Living here, the names cost
the command line no torch import.

`UNIT_ROUNDOFF` is each format's unit roundoff ``u = 2^-p`` (p the significand
bits, the hidden one included: 53, 24, 11 and 8), the ``u`` of the
constructions' float error analyses (Higham, "Accuracy and Stability of
Numerical Algorithms", Sec. 2.1).
"""

from __future__ import annotations

DTYPE_NAMES: tuple[str, ...] = ("float64", "float32", "bfloat16", "float16")

UNIT_ROUNDOFF: dict[str, float] = {"float64": 2.0**-53, "float32": 2.0**-24,
                                   "float16": 2.0**-11, "bfloat16": 2.0**-8}
