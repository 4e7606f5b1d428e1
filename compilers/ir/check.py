"""The IR checker: names resolve, dimensions agree, reads follow writes, labels unique.

A node *writes* the rows its matrices declare (zero entries included) and
*reads* the columns where it has a non-zero weight. `check(transformer)`
collects every problem and raises one `IRError` listing
them all, each naming the node by its label. Not checked here: that the
construction computes what its docstring claims (the tests do that against
the reference semantics), or that formulas evaluate to rationals at every
position (the backends check each value as they compute it).
"""

from __future__ import annotations

from compilers.ir.nodes import (
    MLP,
    Attention,
    Head,
    LayerNorm,
    TokenEmbedding,
    Transformer,
    VectorInput,
)
from compilers.ir.values import IRError, Matrix


def check(transformer: Transformer) -> Transformer:
    """Raise `IRError` listing every problem of `transformer`; return it if there are none."""
    problems: list[str] = []
    labels: dict[str, str] = {}
    _check_one(transformer, problems, labels, encoder_stream=None)
    if problems:
        listing = "\n  ".join(problems)
        raise IRError(f"{transformer.label}: {len(problems)} problem(s):\n  {listing}")
    return transformer


def _check_one(model: Transformer, problems: list[str], labels: dict[str, str],
               encoder_stream: tuple[str, ...] | None) -> None:
    if model.encoder is not None:
        if model.encoder.encoder is not None or model.encoder.feedback is not None:
            problems.append(f"{model.encoder.label}: an encoder cannot itself have an encoder "
                            "or generate")
        _check_one(model.encoder, problems, labels, encoder_stream=None)
        encoder_stream = model.encoder.stream
    stream = set(model.stream)

    def unique(label: str, kind: str) -> None:
        if label in labels:
            problems.append(f"label {label!r} is used by a {labels[label]} and a {kind}")
        labels[label] = kind

    def within(where: str, directions, allowed: set[str], what: str) -> None:
        unknown = [d for d in directions if d not in allowed]
        if unknown:
            problems.append(f"{where}: {what} {unknown} not in the stream")

    unique(model.label, "transformer")
    written: set[str] = set()
    unique(model.inputs.label, "input")
    if isinstance(model.inputs, TokenEmbedding):
        within(model.inputs.label, model.inputs.table.rows, stream, "writes")
        written |= set(model.inputs.table.rows)
    else:
        within(model.inputs.label, model.inputs.dims, stream, "writes")
        written |= set(model.inputs.dims)
    if model.positions is not None:
        unique(model.positions.label, "positional encoding")
        within(model.positions.label, model.positions.features, stream, "writes")
        written |= set(model.positions.features)

    body_writes = set().union(*(_writes(b) for b in model.blocks)) if model.blocks else set()
    for block in model.blocks:
        unique(block.label, type(block).__name__)
        available = written | body_writes if model.looped else written
        if isinstance(block, Attention):
            for head in block.heads:
                unique(head.label, "head")
                _check_head(head, model, encoder_stream, available, problems)
        elif isinstance(block, MLP):
            within(block.label, block.w_in.cols, stream, "reads")
            within(block.label, block.w_out.rows, stream, "writes")
            _reads_written(block.label, block.w_in.read() & stream, available, problems)
        elif isinstance(block, LayerNorm):
            within(block.label, block.dims, stream, "normalises")
            _reads_written(block.label, set(block.dims) & stream, available, problems)
        written |= _writes(block)

    unique(model.readout.label, "readout")
    within(model.readout.label, model.readout.matrix.cols, stream, "reads")
    _reads_written(model.readout.label, model.readout.matrix.read() & stream, written,
                   problems)
    _check_feedback(model, problems)


def _writes(block) -> set[str]:
    if isinstance(block, Attention):
        return set().union(*(h.value.rows for h in block.heads))
    if isinstance(block, MLP):
        return set(block.w_out.rows) | set(block.b_out)
    return set(block.dims)


def _check_head(head: Head, model: Transformer, encoder_stream, available: set[str],
                problems: list[str]) -> None:
    stream = set(model.stream)
    if head.source == "encoder":
        if encoder_stream is None:
            problems.append(f"{head.label}: reads the encoder, but {model.label} has none")
            return
        source = set(encoder_stream)
        source_available = source  # the encoder's final stream is complete
    else:
        source, source_available = stream, available
    for part, matrix, allowed in (("query", head.query, stream), ("key", head.key, source),
                                  ("value", head.value, source)):
        unknown = [d for d in matrix.cols if d not in allowed]
        if unknown:
            where = "the encoder stream" if allowed is not stream else "the stream"
            problems.append(f"{head.label}.{part}: reads {unknown} not in {where}")
    unknown = [d for d in head.value.rows if d not in stream]
    if unknown:
        problems.append(f"{head.label}.value: writes {unknown} not in the stream")
    _reads_written(f"{head.label}.query", head.query.read() & stream, available, problems)
    _reads_written(f"{head.label}.key", head.key.read() & source, source_available, problems)
    _reads_written(f"{head.label}.value", head.value.read() & source, source_available,
                   problems)


def _reads_written(where: str, reads: set[str], written: set[str], problems: list[str]) -> None:
    unset = sorted(reads - written)
    if unset:
        problems.append(f"{where}: reads {unset} before anything writes them")


def _check_feedback(model: Transformer, problems: list[str]) -> None:
    outputs = model.readout.outputs
    if model.feedback is None:
        return
    if model.readout.position == "all":
        problems.append(f"{model.readout.label}: a generating model reads out at the last "
                        "position, not 'all'")
    if model.feedback == "token":
        if not isinstance(model.inputs, TokenEmbedding):
            problems.append(f"{model.label}: token feedback needs a TokenEmbedding input")
        elif tuple(outputs) != model.inputs.tokens:
            problems.append(f"{model.readout.label}: outputs {outputs} must be the tokens "
                            f"{model.inputs.tokens} for token feedback")
    elif model.feedback == "vector":
        if not isinstance(model.inputs, VectorInput):
            problems.append(f"{model.label}: vector feedback needs a VectorInput input")
        elif not set(model.inputs.dims) <= set(outputs):
            missing = [d for d in model.inputs.dims if d not in outputs]
            problems.append(f"{model.readout.label}: outputs {outputs} lack the input dims "
                            f"{missing}; vector feedback feeds back the outputs named as the "
                            "input dims (other outputs are observations only)")


__all__ = ["check", "IRError", "Matrix"]
