"""A backend for a construction: `compilers.backends.make` with what the construction knows.

The backends know IRs, not constructions; `backend_for` passes them what they
cannot know: the exact backend's working precision, the dtype check of a
construction that refuses some dtypes, and the circuit backend's shape hints
(a recogniser's or predictor's constant tokens and alphabet; a decoder's
one-hot input groups; a looped model's input entries).
"""

from __future__ import annotations

from collections.abc import Sequence

from compilers.backends import BACKENDS, make
from compilers.backends.circuit.fixed import UnsupportedError
from compilers.backends.lookups_option import LOOKUPS
from compilers.errors import CompileError
from compilers.runs import validate

VALUES = {"exact": "exact", "torch": "float", "circuit": "sign"}
"""What a backend's read-out values are when generating: Fractions, floats, or the circuit's
signs."""

FORWARD_VALUES = {"exact": "exact", "torch": "float", "circuit": "exact"}
"""What a forward pass's values are: Fractions, floats, or the exact values the circuit
holds (a recogniser's logit, a predictor's outputs at every position)."""


def backend_for(construction, name: str = "exact", *, dtype: str = "float64",
                device: str = "cpu", precision="auto", module=None,
                stacked: Sequence | None = None, lookups: str = "dense",
                dense_every: int | None = None):
    """The backend `name` for `construction` (or, torch, for `stacked` same-shape ones);
    the arguments are checked first (`compilers.runs.validate`). `lookups` and
    `dense_every` are the exact and torch backends' (`compilers.backends.lookups_option`)."""
    validate.construction(construction)
    if not isinstance(name, str) or name not in BACKENDS:
        raise CompileError(f"unknown backend {name!r}; allowed: {', '.join(BACKENDS)}")
    if lookups not in LOOKUPS:
        raise CompileError(f"unknown lookups {lookups!r}; allowed: {', '.join(LOOKUPS)}")
    indexed = {} if lookups == "dense" and dense_every is None else {
        "lookups": lookups, "dense_every": dense_every}
    if indexed and name == "circuit":
        raise CompileError("lookups and dense_every apply to the exact and torch backends, "
                           "not 'circuit'")
    if module is not None and name != "torch":
        raise CompileError(f"a prebuilt module runs on the torch backend, not {name!r}; "
                           "pass backend='torch'")
    if name == "torch":
        device = validate.device(device)
        dtype = validate.dtype(dtype)
        if hasattr(construction, "check_dtype"):
            construction.check_dtype(dtype)
        if module is not None:
            return make("torch", None, module=module, **indexed)
        irs = (construction.transformer if stacked is None
               else [c.transformer for c in stacked])
        return make("torch", irs, dtype=dtype, device=device, **indexed)
    if name == "exact":
        return make("exact", construction.transformer,
                    precision_bits=getattr(construction, "precision_bits", 256), **indexed)
    return make("circuit", construction.transformer, precision=precision,
                **circuit_hints(construction))


def circuit_hints(construction) -> dict:
    """The circuit backend's shape hints for `construction` (see the module docstring)."""
    if construction.mode == "recognise":
        return {"bos": construction.bos, "eos": construction.eos,
                "alphabet": tuple(construction.alphabet), "accept": construction.accept}
    if construction.mode == "predict":  # the word's symbols are its tokens
        return {"bos": tuple(construction.bos), "eos": tuple(construction.eos),
                "alphabet": tuple(construction.alphabet)}
    interface = getattr(construction, "circuit_interface", None)
    if interface is None:
        raise UnsupportedError(f"{construction.name}: the circuit backend needs the "
                               f"construction's circuit interface for a {construction.mode} run")
    return interface()
