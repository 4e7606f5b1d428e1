"""Size figures of a compiled construction: layers, heads, width, parameters, guarantees."""

from __future__ import annotations

from compilers.ir import MLP, Attention, LayerNorm, Transformer
from compilers.runs import validate


def transformer_stats(t: Transformer) -> dict:
    """Counts for one transformer (its encoder counted separately)."""
    attention = [b for b in t.blocks if isinstance(b, Attention)]
    mlps = [b for b in t.blocks if isinstance(b, MLP)]
    nonzero = len(t.readout.matrix.entries) + len(t.readout.bias)
    dense = len(t.readout.outputs) * (t.width + 1)
    if hasattr(t.inputs, "table"):
        nonzero += len(t.inputs.table.entries)
        dense += t.width * len(t.inputs.tokens)
    for block in attention:
        for h in block.heads:
            nonzero += len(h.query.entries) + len(h.key.entries) + len(h.value.entries)
            source = t.encoder.width if h.source == "encoder" else t.width
            dense += len(h.query.rows) * (t.width + source) + t.width * source
    for block in mlps:
        nonzero += len(block.w_in.entries) + len(block.w_out.entries)
        nonzero += len(block.b_in) + len(block.b_out)
        dense += len(block.hidden) * (2 * t.width + 1) + t.width
    for block in t.blocks:
        if isinstance(block, LayerNorm):
            nonzero += len(block.gain) + len(block.bias)
            dense += 2 * len(block.dims)
    return {"layers": max(len(attention), len(mlps)), "blocks": len(t.blocks),
            "heads": sum(len(b.heads) for b in attention),
            "mlp hidden units": sum(len(b.hidden) for b in mlps),
            "layer norms": sum(isinstance(b, LayerNorm) for b in t.blocks),
            "width": t.width, "parameters (dense)": dense, "non-zero weights": nonzero,
            "looped": t.looped}


def describe(construction) -> dict:
    """A flat summary of any construction: its options, sizes and guarantees."""
    t = validate.construction(construction).transformer
    out = {"construction": construction.name}
    out |= {f"option {k}": v for k, v in dict(construction.options).items()}
    if t.encoder is not None:
        out |= {f"encoder {k}": v for k, v in transformer_stats(t.encoder).items()
                if k != "looped"}
        out |= {f"decoder {k}": v for k, v in transformer_stats(t).items()}
    else:
        out |= transformer_stats(t)
    for dtype, limit in dict(construction.limits).items():
        out[f"guaranteed {construction.limit_name} ({dtype})"] = (
            "none" if limit is None else limit)
    return out | dict(getattr(construction, "details", {}))


def summary_table(construction, title: str):
    """`describe` as a rich table, one row per figure (what `compile` and the tour print)."""
    from rich.table import Table

    table = Table(title=title, show_header=False)
    for key, value in describe(construction).items():
        table.add_row(key, str(value))
    return table
