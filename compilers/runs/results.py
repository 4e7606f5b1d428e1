"""The one result type of every run: the answer, the reference's, agreement and trust.

A `Result` is what `compilers.runs.run` returns for each input, whatever the
construction's mode and the backend: the decoded `answer` (accept or reject;
the machine's end; the program's end), the `reference` answer (the
language's membership, the interpreter's run), the `trace` where there is one
(the steps or the states after each loop), whether they agree, and whether
the run can be trusted, with the reason when it cannot. `as_dict` is the
JSON the command line prints (a contract: the keys of `run tm` and
`run subleq` are the interpreters' plus agreement and trust).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from compilers.errors import CompileError


@dataclass(frozen=True, kw_only=True)
class Result:
    """One input's run (see the module docstring).

    Attributes:
        construction: the construction's name.
        mode: ``recognise``, ``generate``, ``loop`` or ``predict``.
        backend: ``exact``, ``torch`` or ``circuit``.
        dtype: the torch dtype (None for the others).
        input: the input (a word; a word for a machine; a program and its bytes).
        answer: the decoded answer (a bool; a `languages.turing.TMResult`; a
            `languages.subleq.SubleqResult`; `compilers.constructions.predictor.Predictions`).
        reference: the answer the construction must agree with (None: not asked for).
        trace: the decoded steps (generate) or states after each loop (loop).
        reference_trace: the reference's steps or states, where compared.
        trusted: the run is right as far as the construction's guarantee and the
            backend's checks can tell.
        why_untrusted: why not, in one line (None when trusted).
        values: what else the run read: ``logit`` and ``suspect`` (recognise);
            ``trusted_steps`` (at most the steps run), ``trusted_bound`` (not capped)
            and ``flagged_step`` (generate); ``states`` (the decoded states after each
            loop, with ``trace``).
        error: the interpreter's error the run ran into (a program's bad address),
            raised by the command line.
    """

    construction: str
    mode: str
    backend: str
    dtype: str | None
    input: Any
    answer: Any
    reference: Any = None
    trace: tuple = ()
    reference_trace: tuple | None = None
    trusted: bool = True
    why_untrusted: str | None = None
    values: Mapping[str, Any] = field(default_factory=dict)
    error: Exception | None = None

    @property
    def agrees_with_reference(self) -> bool | None:
        """The answer (and trace, where compared) equal the reference's; None: not compared."""
        if self.error is not None:
            return isinstance(self.reference, Exception) and str(self.reference) == str(
                self.error)
        if self.reference is None:
            return None
        if self.reference_trace is not None and tuple(self.trace) != tuple(
                self.reference_trace):
            return False
        return self.answer == self.reference

    @property
    def p_accept(self) -> float:
        """A recogniser's ``sigmoid(logit)``."""
        z = float(self.values["logit"])
        return 1 / (1 + math.exp(-z)) if z > -700 else 0.0

    def as_dict(self) -> dict:
        """The JSON of the command line's `run` (see the module docstring)."""
        if self.mode == "recognise":
            return {"word": self.input, "accept": bool(self.answer), "p_accept": self.p_accept,
                    "trusted": self.trusted, "agrees_with_reference": self.agrees_with_reference}
        if self.mode == "predict":
            return {"word": self.input, **self.answer.as_dict(), "trusted": self.trusted,
                    "agrees_with_reference": self.agrees_with_reference}
        out = dict(self.answer.as_dict())
        if self.mode == "generate":
            out |= {"agrees_with_reference": self.agrees_with_reference, "backend": self.backend}
            if self.dtype is not None:
                out["dtype"] = self.dtype
            return out | {"trusted": self.trusted,
                          "trusted_steps": self.values.get("trusted_steps", 0)}
        out["backend"] = self.backend
        if self.reference is not None:
            out["agrees_with_reference"] = self.agrees_with_reference
        return out


class UntrustedRunError(CompileError):
    """A float run reached a step its precision does not guarantee (``strict=True``)."""

    def __init__(self, message: str, *, step: int):
        super().__init__(message)
        self.step = step
