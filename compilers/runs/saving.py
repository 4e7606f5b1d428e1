"""Save a construction as ``model.safetensors`` + ``config.json``; load it back.

``model.safetensors`` holds, under the torch backend's parameter names
(``blocks.l1.h0.query``, ...), the weights cast to the saved dtype, ready for
`torch.nn.Module.load_state_dict`, and, under ``exact.<name>.index|num|den``,
every weight as an exact rational. ``config.json`` describes the IR (labels,
direction names, kinds, positional formulas) and the construction around it:
its registered name (``kind``), the options that build it, its precision
limits.
Nothing is pickled. `load` rebuilds the IR from the exact weights, rebuilds
the construction from its name and options (`compilers.constructions`) and
checks that it gives that same IR, and checks that the float weights in the
file are what that IR casts to: an edited or corrupt file is refused, never
run.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from compilers.backends.torch_module import TorchTransformer, resolve_dtype
from compilers.constructions import families, get
from compilers.errors import CompileError
from compilers.ir.serialize import from_config, to_config

CONFIG, WEIGHTS = "config.json", "model.safetensors"
FORMAT, VERSION = "circuitx-model", 2


class SavedModelError(CompileError):
    """A saved model directory is missing, incomplete or inconsistent."""


def save(construction, directory: str | Path, *, dtype: str = "float32") -> Path:
    """Write `construction` (any registered construction) to `directory`."""
    get(construction.name)  # a construction the loader can rebuild
    if hasattr(construction, "check_dtype"):
        construction.check_dtype(dtype)  # refuses a dtype that cannot carry it, by name
    transformer = construction.transformer
    ir_config, exact = to_config(transformer)
    module = TorchTransformer(transformer, dtype=dtype)
    tensors = {name: p.detach().contiguous() for name, p in module.state_dict().items()}
    tensors |= {name: torch.from_numpy(np.ascontiguousarray(a)) for name, a in exact.items()}
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(out / WEIGHTS), metadata={"format": "circuitx", "dtype": dtype})
    config = {"format": FORMAT, "version": VERSION, "kind": construction.name, "dtype": dtype,
              "construction": {"name": construction.name, "options": dict(construction.options),
                               "limits": dict(construction.limits), "note": construction.note},
              "ir": ir_config}
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
    if config.get("format") != FORMAT:
        raise SavedModelError(f"{config_path}: format {config.get('format')!r}, expected "
                              f"{FORMAT!r}")
    if config.get("kind") not in families():
        raise SavedModelError(f"{config_path}: kind {config.get('kind')!r}; known: "
                              f"{sorted(families())}")
    if config.get("version") != VERSION:
        raise SavedModelError(f"{config_path}: version {config.get('version')!r}, this "
                              f"circuitx reads version {VERSION}; compile the model again")
    tensors = load_file(str(weights_path))
    exact = {k: v.numpy() for k, v in tensors.items() if k.startswith("exact.")}
    transformer = from_config(config["ir"], exact)
    construction = _rebuild(config, transformer)
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


def _rebuild(config: dict, transformer):
    """The construction from its name and options; it must give the saved IR."""
    meta = config.get("construction") or {}
    name, options = meta.get("name"), meta.get("options", {})
    try:
        construction = get(name).make(**options)
    except (TypeError, ValueError, CompileError) as error:
        raise SavedModelError(f"options {options} do not build {name}: {error}") from None
    if construction.transformer != transformer:
        raise SavedModelError(f"the saved IR is not the transformer that {name} builds with "
                              f"options {options}; the file was edited or is corrupt")
    return construction
