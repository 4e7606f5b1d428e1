"""The float types the torch backend runs in, by name, without importing torch.

`DTYPE_NAMES` is the order the command line lists them in (``--dtype``,
``--save-dtype``); `compilers.backends.torch_module.DTYPES` maps the same names
to torch dtypes (a test keeps the two in step). Living here, the names cost
the command line no torch import.

`SMALLEST_NORMAL` and `LARGEST` are each format's range: below the
smallest normal number a value loses relative precision (and then becomes 0),
above the largest it becomes infinite; a float guarantee holds only where every
value it rests on lies between the two.

`UNIT_ROUNDOFF` is each format's unit roundoff ``u = 2^-p`` (p the significand
bits, the hidden one included: 53, 24, 11 and 8), the ``u`` of the
constructions' float error analyses (Higham, "Accuracy and Stability of
Numerical Algorithms", Sec. 2.1).
"""

from __future__ import annotations

DTYPE_NAMES: tuple[str, ...] = ("float64", "float32", "bfloat16", "float16")

UNIT_ROUNDOFF: dict[str, float] = {"float64": 2.0**-53, "float32": 2.0**-24,
                                   "float16": 2.0**-11, "bfloat16": 2.0**-8}

SMALLEST_NORMAL: dict[str, float] = {"float64": 2.0**-1022, "float32": 2.0**-126,
                                     "float16": 2.0**-14, "bfloat16": 2.0**-126}

LARGEST: dict[str, float] = {"float64": (2 - 2.0**-52) * 2.0**1023,
                             "float32": (2 - 2.0**-23) * 2.0**127,
                             "float16": 65504.0, "bfloat16": (2 - 2.0**-7) * 2.0**127}
