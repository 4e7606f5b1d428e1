"""`compilers.runs.scaling`: depth and size of the compiled loop as the punchcard grows.

Oracle: TC0's shape, one loop of constant depth and polynomial size.
"""

from __future__ import annotations

from compilers.constructions import get
from compilers.runs.scaling import fit_exponent, measure_sizes


def test_scaling_subleq_has_a_flat_depth_in_the_columns():
    points = measure_sizes(get("subleq"), [2, 4, 8], bits=4)
    assert [p.n for p in points] == [7, 11, 19]
    assert len({p.depth for p in points}) == 1
    assert 0.5 < fit_exponent(points) < 3
