"""Save a compiled construction as ``model.safetensors`` + ``config.json``; load it back.

``model.safetensors`` holds, under the torch backend's parameter names
(``blocks.l1.h0.query``, ...), the weights cast to the saved dtype, ready for
`torch.nn.Module.load_state_dict`, and, under ``exact.<name>.index|num|den``,
every weight as an exact rational. ``config.json`` describes the IR (labels,
direction names, kinds, positional formulas) and the construction around it
(which language or machine, its options, its precision limits). Nothing is
pickled; `load` rebuilds the IR from the exact weights, checks that the float
weights in the file are what that IR casts to, and rebuilds the construction
from its recorded options (machine, program sizes, ...) to check that it gives
that same IR: an edited or corrupt file is refused, never run.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from compilers.backends.torch_module import TorchTransformer, resolve_dtype
from compilers.constructions.recognizer import Recognizer
from compilers.errors import CompileError
from compilers.ir import Transformer
from compilers.ir.serialize import from_config, to_config

CONFIG, WEIGHTS = "config.json", "model.safetensors"


class SavedModelError(CompileError):
    """A saved model directory is missing, incomplete or inconsistent."""


def _wrappers() -> dict:
    """Construction kinds that can be saved: name -> class with to_meta/from_meta."""
    from compilers.constructions.subleq_saving import SubleqMeta
    from compilers.constructions.tm_saving import TMMeta

    return {"recognizer": RecognizerMeta, "subleq": SubleqMeta, "tm": TMMeta}


class RecognizerMeta:
    """How a `Recognizer`'s wrapper is written into and read from config.json."""

    kind = Recognizer

    @staticmethod
    def to_meta(r: Recognizer) -> dict:
        return {"name": r.name, "language": r.language, "bos": list(r.bos),
                "eos": list(r.eos), "accept": r.accept, "options": dict(r.options),
                "limits": dict(r.limits), "note": r.note}

    @staticmethod
    def from_meta(meta: dict, transformer: Transformer) -> Recognizer:
        """Rebuild the recognizer from its name and options; it must give the saved IR."""
        from compilers.constructions import RECOGNIZERS

        name, options = meta.get("name"), meta.get("options", {})
        if name not in RECOGNIZERS:
            raise SavedModelError(f"construction {name!r}; known: {sorted(RECOGNIZERS)}")
        try:
            recognizer = RECOGNIZERS[name].build(**options)
        except (TypeError, ValueError, CompileError) as error:
            raise SavedModelError(f"options {options} do not build {name}: {error}") from None
        if recognizer.transformer != transformer:
            raise SavedModelError(f"the saved IR is not the transformer that {name} builds with "
                                  f"options {options}; the file was edited or is corrupt")
        return recognizer


def save(construction, directory: str | Path, *, dtype: str = "float32") -> Path:
    """Write `construction` (a Recognizer, or a registered wrapper) to `directory`."""
    kind = next((k for k, w in _wrappers().items() if isinstance(construction, w.kind)), None)
    if kind is None:
        raise SavedModelError(f"cannot save a {type(construction).__name__}; "
                              f"savable: {sorted(_wrappers())}")
    wrapper = _wrappers()[kind]
    transformer = construction.transformer
    ir_config, exact = to_config(transformer)
    module = TorchTransformer(transformer, dtype=dtype)
    tensors = {name: p.detach().contiguous() for name, p in module.state_dict().items()}
    tensors |= {name: torch.from_numpy(np.ascontiguousarray(a)) for name, a in exact.items()}
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(out / WEIGHTS), metadata={"format": "circuitx", "dtype": dtype})
    config = {"format": "circuitx-model", "version": 1, "kind": kind, "dtype": dtype,
              "construction": wrapper.to_meta(construction), "ir": ir_config}
    (out / CONFIG).write_text(json.dumps(config, indent=1) + "\n")
    return out


def load(directory: str | Path):
    """Rebuild the construction saved in `directory`."""
    construction, _ = load_with_module(directory)
    return construction


def load_with_module(directory: str | Path, *, device: str = "cpu"):
    """The construction and its `TorchTransformer` with the saved float weights."""
    path = Path(directory)
    config_path, weights_path = path / CONFIG, path / WEIGHTS
    for p in (config_path, weights_path):
        if not p.is_file():
            raise SavedModelError(f"{path}: no {p.name}; is this a directory written by "
                                  "`circuitx compile`?")
    try:
        config = json.loads(config_path.read_text())
    except json.JSONDecodeError as error:
        raise SavedModelError(f"{config_path}: not valid JSON ({error})") from None
    if config.get("format") != "circuitx-model":
        raise SavedModelError(f"{config_path}: format {config.get('format')!r}, expected "
                              "'circuitx-model'")
    wrappers = _wrappers()
    if config.get("kind") not in wrappers:
        raise SavedModelError(f"{config_path}: kind {config.get('kind')!r}; known: "
                              f"{sorted(wrappers)}")
    tensors = load_file(str(weights_path))
    exact = {k: v.numpy() for k, v in tensors.items() if k.startswith("exact.")}
    transformer = from_config(config["ir"], exact)
    construction = wrappers[config["kind"]].from_meta(config["construction"], transformer)
    module = TorchTransformer(transformer, dtype=resolve_dtype(config["dtype"]), device=device)
    floats = {k: v for k, v in tensors.items() if not k.startswith("exact.")}
    expected = module.state_dict()
    if set(floats) != set(expected):
        raise SavedModelError(f"{weights_path}: parameters {sorted(set(floats) ^ set(expected))} "
                              "do not match the config")
    for name, tensor in floats.items():
        if not torch.equal(tensor.to(expected[name].device), expected[name]):
            raise SavedModelError(f"{weights_path}: float weights {name!r} differ from the exact "
                                  "weights cast to the saved dtype")
    module.load_state_dict(floats)
    return construction, module
