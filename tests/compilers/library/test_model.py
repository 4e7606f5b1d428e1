"""The workbench: `Units` gadgets, `Model` bookkeeping and `size`.

The gadgets are checked against their stated values on grids that reach past
their promises (exact == torch float64 == the formula the docstring states);
the bookkeeping by what it builds and by its refusals.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compilers.library import LibraryError, Model, attention, ffn, norm, size
from tests.compilers.library.harness import agree, run

F = Fraction
GRID = [F(k, 8) for k in range(-40, 41)]


def _evaluate(model: Model, outputs, rows) -> tuple[dict, dict]:
    transformer = model.build({o: {o: 1} for o in outputs}, position="all")
    return run(transformer, [[[F(v) for v in row] for row in rows]])


def _ramp(t):
    return min(max(t, F(0)), F(1))


@pytest.mark.parametrize("theta", [0, 2, F(-1, 2)])
def test_ge_is_a_robust_step_for_values_within_a_quarter_of_an_integer(theta):
    """relu(2(f - theta) + 3/2) - relu(2(f - theta) + 1/2): 1 from theta - 1/4 on, 0 up to
    theta - 3/4, linear between."""
    model = Model("ge", dims=("x",))
    model.new("y")
    with model.mlp("ge") as units:
        units.emit("y", units.ge({"x": 1}, theta))
    want = [_ramp(2 * (t - theta) + F(3, 2)) for t in GRID]
    agree(*_evaluate(model, ["y"], [[t] for t in GRID]), {"y": [want]})
    assert all(w == 1 for t, w in zip(GRID, want, strict=True) if t >= theta - F(1, 4))
    assert all(w == 0 for t, w in zip(GRID, want, strict=True) if t <= theta - F(3, 4))


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(-6, 6), st.booleans()), min_size=1, max_size=8))
def test_gated_gadgets_are_zero_off_their_gate_for_bounded_inputs(rows):
    """Off the gate (0) every unit is pushed below 0 for |x| <= bound; on it (1), the gadget."""
    model = Model("gated", dims=("x", "g"))
    model.new("step")
    model.new("sign")
    with model.mlp("gated") as units:
        units.emit("step", units.ge({"x": 1}, 1, gate="g", bound=6))
        units.emit("sign", units.snap("x", gate="g", bound=6))
    inputs = [(x, int(on)) for x, on in rows]
    want = {"step": [[F(int(on and x >= 1)) for x, on in rows]],
            "sign": [[F(max(-1, min(1, 2 * x))) if on else F(0) for x, on in rows]]}
    agree(*_evaluate(model, ["step", "sign"], inputs), want)


def test_snap_clamps_twice_its_input():
    model = Model("snap", dims=("x",))
    model.new("y")
    with model.mlp("snap") as units:
        units.emit("y", units.snap("x"))
    agree(*_evaluate(model, ["y"], [[t] for t in GRID]),
          {"y": [[max(F(-1), min(F(1), 2 * t)) for t in GRID]]})


def test_replace_overwrites_a_direction_through_the_residual():
    model = Model("replace", dims=("x", "y"))
    with model.mlp("swap") as units:
        units.replace("x", units.identity({"y": 3}))
    rows = [(F(5), F(1)), (F(-2), F(-1, 3))]
    agree(*_evaluate(model, ["x", "y"], rows), {"x": [[F(3), F(-1)]], "y": [[F(1), F(-1, 3)]]})


def test_parallel_merges_heads_and_mlps_into_one_layer():
    model = Model("merge", dims=("x", "y"))
    with model.parallel():
        attention.uniform(model, "x", mask="causal", out="mean")
        ffn.add(model, "x", "y", out="total")
        ffn.not_(model, "y", out="not_y")
    shape = size(model.build({"o": {"mean": 1}}))
    assert (shape.layers, shape.heads, shape.hidden, shape.width) == (1, 1, 3, 5)
    rows = [(F(2), F(1)), (F(4), F(0)), (F(-3), F(1))]
    agree(*_evaluate(model, ["mean", "total", "not_y"], rows),
          {"mean": [[F(2), F(3), F(1)]], "total": [[F(3), F(4), F(-2)]],
           "not_y": [[F(0), F(1), F(0)]]})


def test_size_counts_layers_as_the_cookbook_does():
    model = Model("sizes", dims=("x",))
    attention.uniform(model, "x")  # layer 1: attention
    ffn.identity(model, "x")  # ... and its MLP
    ffn.identity(model, "x")  # layer 2: an MLP alone
    attention.uniform(model, "x")  # layer 3
    assert size(model.build({"o": {"x": 1}})).layers == 3


@pytest.mark.parametrize(("call", "message"), [
    (lambda: Model("both", tokens=("a",), dims=("x",)), r"both: give the tokens or the input "
                                                        r"dims, not both"),
    (lambda: Model("m", dims=("x",)).new("x"), r"m: direction 'x' is declared twice"),
    (lambda: Model("m", dims=("x",)).token_feature("t", {"a": 1}), r"token features need a "
                                                                   r"token vocabulary"),
    (lambda: Model("m", tokens=("a",)).token_feature("t", {"b": 1}), r"names tokens \['b'\]"),
    (lambda: ffn.piecewise_linear(Model("m", dims=("x",)), "x", [(0, 0), (1, F(1, 3))],
                                  out=""), r"direction name '' must be a non-empty string"),
])
def test_model_refusals_name_the_value(call, message):
    with pytest.raises(LibraryError, match=message):
        call()


def test_parallel_layers_do_not_nest_and_refuse_a_layer_norm():
    model = Model("m", dims=("x", "y"))
    with (model.parallel(), pytest.raises(LibraryError, match="parallel layers do not nest"),
          model.parallel()):
        pass
    with model.parallel(), pytest.raises(LibraryError, match=r"block norm cannot join a "
                                                            r"parallel layer"):
        norm.layer_norm(model, ("x", "y"))


def test_a_model_with_an_empty_stream_builds_and_reads_out_its_bias():
    model = Model("constant", tokens=("a", "b"))
    transformer = model.build({"y": {}}, bias={"y": 3}, position="all")
    assert transformer.width == 0 and transformer.inputs.table.rows == ()
    agree(*run(transformer, [["a", "b", "a"]]), {"y": [[F(3), F(3), F(3)]]})
