"""What every backend decides the same way, computed once from the IR.

A backend does arithmetic; it does not make decisions of its own. Whatever is
not arithmetic is read off the IR here, once, and every backend (exact, torch,
circuit) reads the same `Plan`, so that they cannot drift apart:

* **read-out pruning**: a model read out at its first or last position and
  not looped needs, from its last attention block on, that one position only
  (`prunable`, `last_attention`, `readout_row`);
* **uniform heads**: a softmax or average-hard head whose query or key map is
  empty scores every key 0, so it is the mean of the visible values
  (`uniform`); backends compute it as a mean, without scores;
* **masks**: the keys a query sees (`visible`); a query that sees none adds 0;
* **float trust**: a hard or average-hard head whose scores depend on the
  input decides an argmax; with a `gap` a float backend can tell a tie from
  rounding (`guarded`), without one it cannot (`unguarded`), so float runs
  through it are never trusted (`float_doubts`);
* **generation**: cached generation needs every self-attention head causal or
  strictly causal, so that position p reads positions up to p only
  (`require_causal`); token feedback takes the argmax token, and a tie
  between tokens is an error in every backend (`choose_token`); vector
  feedback feeds back the outputs named as input dims (`fed_back`);
* **the encoder**: a model with an encoder gets its input length n from the
  encoder's input unless n is given (`encoder`).

Exact ties are decided here (`choose_token`, `argmax_positions`); float
backends call the same rule on the tie set they determine with the gap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from compilers.errors import EvaluationError
from compilers.ir.check import check
from compilers.ir.nodes import MLP, Attention, Hard, Head, Softmax, Transformer


def constant_scores(head: Head) -> bool:
    """Whether every score of `head` is 0: its query or its key map is empty."""
    return not (head.query.entries and head.key.entries)


def is_uniform(head: Head) -> bool:
    """A softmax or average-hard head with constant scores: the mean of its values."""
    return not isinstance(head.kind, Hard) and constant_scores(head)


@dataclass(frozen=True)
class Plan:
    """The decisions of `compilers.ir.plan` for one transformer (see the module docstring).

    Attributes:
        transformer: the checked IR.
        last_attention: index of the last attention block, or None.
        prunable: read-out at 'first' or 'last' and not looped.
        uniform: labels of the uniform heads.
        guarded: labels of hard and average-hard heads with a gap.
        unguarded: labels of hard and average-hard heads whose scores depend
            on the input and that declare no gap.
        causal: every self-attention head is causal or strictly causal.
        fed_back: for vector feedback, the read-out indices of the input dims.
        encoder: the encoder's plan, or None.
    """

    transformer: Transformer
    last_attention: int | None
    prunable: bool
    uniform: frozenset
    guarded: frozenset
    unguarded: frozenset
    causal: bool
    fed_back: tuple[int, ...]
    encoder: Plan | None

    @property
    def label(self) -> str:
        return self.transformer.label

    def readout_row(self, length: int) -> int:
        """The position the read-out reads ('first': 0, else the last)."""
        return 0 if self.transformer.readout.position == "first" else length - 1

    def float_doubts(self) -> tuple[str, ...]:
        """Why no float run of this model can be trusted (empty when nothing stands in the way)."""
        reasons = [f"head {label} decides an argmax but declares no gap, so a float run cannot "
                   "tell its ties from rounding" for label in sorted(self.unguarded)]
        model = self.transformer
        if model.feedback == "token" and model.readout.gap is None:
            reasons.append(f"{model.readout.label} feeds back the argmax token but declares no "
                           "gap, so a float run cannot tell a tie between tokens from rounding")
        if self.encoder is not None:
            reasons += self.encoder.float_doubts()
        return tuple(reasons)

    def require_causal(self) -> None:
        """Raise `EvaluationError` unless cached generation is possible."""
        if not self.causal:
            raise EvaluationError(f"{self.label}: cached generation needs every "
                                  "self-attention head to be causal (or strictly causal)")

    def require_generating(self) -> None:
        """Raise `EvaluationError` unless the model feeds its output back."""
        if self.transformer.feedback is None:
            raise EvaluationError(f"{self.label} does not generate (feedback is None)")

    def choose_token(self, ties: Sequence[str], position: int) -> str:
        """The next token among the maximal outputs `ties`; more than one is an error."""
        if len(ties) > 1:
            raise EvaluationError(f"{self.transformer.readout.label}: tie between tokens "
                                  f"{list(ties)} at position {position}")
        return ties[0]

    def encoder_length(self, n: int | None, encoder_length: int | None,
                       default: int | None) -> int | None:
        """The input length the formulas see: `n` if given, else the encoder's input length
        (a model with an encoder), else `default`."""
        if n is not None:
            return n
        if self.encoder is not None and encoder_length is not None:
            return encoder_length
        return default


CAUSAL = ("causal", "strict_causal")
"""The masks under which position i reads positions up to i only (cached generation)."""


def visible(mask: str, position: int, length: int) -> range:
    """The key positions a query at `position` sees over `length` keys, by the head's mask
    (`compilers.ir.nodes.MASKS`); empty for a strict mask at the first or last position."""
    if mask == "causal":
        return range(min(position + 1, length))
    if mask == "strict_causal":
        return range(min(position, length))
    if mask == "anticausal":
        return range(position, length)
    if mask == "strict_anticausal":
        return range(position + 1, length)
    return range(length)


def argmax_positions(head: Head, winners: Sequence[int]) -> list[int]:
    """The positions a hard or average-hard head attends to, given its maximal ones (sorted):
    all of them (average-hard), or one by the tie rule; a tie without a rule is an error."""
    kind = head.kind
    if not isinstance(kind, Hard):
        return list(winners)
    if kind.tie == "first":
        return [winners[0]]
    if kind.tie == "last":
        return [winners[-1]]
    if len(winners) > 1:
        raise EvaluationError(f"{head.label}: hard attention tie between positions "
                              f"{list(winners)[:8]} and no tie rule")
    return [winners[0]]


def plan(transformer: Transformer) -> Plan:
    """The `Plan` of `transformer` (checked first)."""
    model = check(transformer)
    attention = [k for k, b in enumerate(model.blocks) if isinstance(b, Attention)]
    heads = model.heads()
    decides = [h for h in heads if not isinstance(h.kind, Softmax) and not constant_scores(h)]
    fed_back: tuple[int, ...] = ()
    if model.feedback == "vector":
        outputs = model.readout.outputs
        fed_back = tuple(outputs.index(d) for d in model.inputs.dims)
    return Plan(
        transformer=model,
        last_attention=attention[-1] if attention else None,
        prunable=not model.looped and model.readout.position in ("first", "last"),
        uniform=frozenset(h.label for h in heads if is_uniform(h)),
        guarded=frozenset(h.label for h in decides if h.kind.gap is not None),
        unguarded=frozenset(h.label for h in decides if h.kind.gap is None),
        causal=all(h.mask in CAUSAL for h in heads if h.source == "self"),
        fed_back=fed_back,
        encoder=None if model.encoder is None else plan(model.encoder))


def shape(model: Transformer) -> tuple:
    """Everything but the weights: two models of one shape can run stacked, example b on
    model b (the torch backend), and a batch of their inputs runs as one."""
    def block(b):
        if isinstance(b, Attention):
            return ("attention", b.label, tuple((h.label, h.query.rows, h.kind, h.score, h.mask,
                                                 h.source) for h in b.heads))
        if isinstance(b, MLP):
            return ("mlp", b.label, b.hidden)
        return ("layernorm", b.label, b.dims, b.epsilon)
    return (model.label, model.stream, type(model.inputs).__name__,
            getattr(model.inputs, "tokens", getattr(model.inputs, "dims", None)),
            model.positions, tuple(block(b) for b in model.blocks), model.readout.outputs,
            model.readout.position, model.looped, model.feedback,
            shape(model.encoder) if model.encoder is not None else None)
