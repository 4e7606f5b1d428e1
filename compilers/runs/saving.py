"""Save a construction as ``model.safetensors`` + ``config.json``; load it back, verified.

``model.safetensors`` holds, under the torch backend's parameter names
(``blocks.l1.h0.query``, ...), the weights cast to the saved dtype, ready for
`torch.nn.Module.load_state_dict`, and, under ``exact.<name>.index|num|den``,
every weight as an exact rational. ``config.json`` describes the IR (labels,
direction names, kinds, positional formulas) and the construction around it:
its registered name (``kind``), the options that build it, its precision
limits. Nothing is pickled. Each file is written to a temporary name and
renamed, so a failed save leaves the files that were there whole.

`load` trusts nothing in the files. It reads each as bytes within a size
limit, checks ``config.json`` against `CONFIG_SCHEMA` and the safetensors
header against its format (a truncated, empty or junk file is refused, never
handed to a parser that would fail deep inside), rebuilds the construction
from its name and options (`compilers.constructions`), and then requires,
naming the first key or tensor that differs:

* the saved IR and construction (``config.json``) to be what those options build;
* every exact tensor to equal the rebuilt construction's exact weights;
* every float tensor to equal those exact weights rounded to the saved dtype
  (its dtype and shape too).

So an edited or corrupt model is refused, never run. The formulas in the
config are never parsed: the rebuilt construction's are compared with them as
text.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_tensors
from safetensors.torch import save_file

from circuitx.jsonfile import Spec, check, loads, read_bytes, replacing
from compilers.backends.torch_module import TorchTransformer, resolve_dtype
from compilers.constructions import families, get
from compilers.dtypes import DTYPE_NAMES
from compilers.errors import CompileError
from compilers.ir.serialize import to_config
from compilers.runs import validate

CONFIG, WEIGHTS = "config.json", "model.safetensors"
FORMAT, VERSION = "circuitx-model", 2
MAX_CONFIG_BYTES = 256 << 20
MAX_WEIGHTS_BYTES = 4 << 30
_SCALAR = Spec(kind=(str, int, bool, None), what="an option value")
CONFIG_SCHEMA = Spec(kind=dict, what="a saved model's config", keys={
    "format": Spec(kind=str, what=f"{FORMAT!r}"),
    "version": Spec(kind=int, what=f"version {VERSION}"),
    "kind": Spec(kind=str, what="the construction's name", max_length=200),
    "dtype": Spec(kind=str, what="the saved float type", choices=DTYPE_NAMES),
    "construction": Spec(kind=dict, what="the construction", keys={
        "name": Spec(kind=str, what="its name", max_length=200),
        "options": Spec(kind=dict, what="the options that build it", values=_SCALAR,
                        max_length=64),
        "limits": Spec(kind=dict, what="its precision limits",
                       values=Spec(kind=(int, None), what="a size or null"), max_length=64),
        "note": Spec(kind=str, what="the paper"),
    }),
    "ir": Spec(kind=dict, what="the transformer"),
})
"""What ``config.json`` must hold (`circuitx.jsonfile.Spec`); the IR is then compared with
the one its options build."""
_HEADER = Spec(kind=dict, what="the tensors", values=Spec(kind=dict, keys={
    "dtype": Spec(kind=str, choices=("F64", "F32", "F16", "BF16", "I64"), what="its dtype"),
    "shape": Spec(kind=list, items=Spec(kind=int, low=0, high=1 << 40), max_length=8),
    "data_offsets": Spec(kind=list, items=Spec(kind=int, low=0, high=1 << 50)),
}, optional={}, extra=False))


class SavedModelError(CompileError):
    """A saved model directory is missing, incomplete or inconsistent."""


def save(construction, directory: str | Path, *, dtype: str = "float32") -> Path:
    """Write `construction` (any registered construction) to `directory` (see the module
    docstring); an existing model there is replaced."""
    validate.construction(construction)
    out = validate.path(directory, "directory")
    get(construction.name)  # a construction the loader can rebuild
    if not isinstance(dtype, str) or dtype not in DTYPE_NAMES:
        raise SavedModelError(f"dtype {dtype!r}; allowed: {', '.join(DTYPE_NAMES)}")
    if hasattr(construction, "check_dtype"):
        construction.check_dtype(dtype)  # refuses a dtype that cannot carry it, by name
    transformer = construction.transformer
    ir_config, exact = to_config(transformer)
    module = TorchTransformer(transformer, dtype=dtype)
    tensors = {name: p.detach().contiguous() for name, p in module.state_dict().items()}
    tensors |= {name: torch.from_numpy(np.ascontiguousarray(a)) for name, a in exact.items()}
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as failure:
        raise SavedModelError(f"cannot create the model folder {_short(str(out))}: "
                              f"{failure.strerror or type(failure).__name__}") from None
    config = {"format": FORMAT, "version": VERSION, "kind": construction.name, "dtype": dtype,
              "construction": _described(construction), "ir": ir_config}
    with replacing(out / WEIGHTS, what="model weights", error=SavedModelError) as temporary:
        save_file(tensors, str(temporary), metadata={"format": "circuitx", "dtype": dtype})
    with replacing(out / CONFIG, what="model config", error=SavedModelError) as temporary:
        temporary.write_text(json.dumps(config, indent=1) + "\n")
    return out


def _described(construction) -> dict:
    return {"name": construction.name, "options": dict(construction.options),
            "limits": dict(construction.limits), "note": construction.note}


def load(directory: str | Path, **limits):
    """Rebuild the construction saved in `directory` (verified: see the module docstring)."""
    construction, _ = load_with_module(directory, **limits)
    return construction


def load_with_module(directory: str | Path, *, device: str = "cpu",
                     max_bytes: int = MAX_WEIGHTS_BYTES):
    """The construction and its `TorchTransformer` with the saved float weights, verified.

    `max_bytes` bounds the weights file read and the module built from it.
    """
    path = validate.path(directory, "directory")
    max_bytes = validate.integer(max_bytes, "max_bytes", 1)
    config_path, weights_path = path / CONFIG, path / WEIGHTS
    for p in (config_path, weights_path):
        if not p.is_file():
            raise SavedModelError(f"{path}: no {p.name}; is this a directory written by "
                                  "`circuitx compile`?")
    config = _config(config_path)
    construction = _rebuild(config, config_path)
    expected_ir, expected_exact = to_config(construction.transformer)
    _same_json(config["ir"], expected_ir, config_path, "ir", construction, config)
    _same_json(config["construction"], _described(construction), config_path, "construction",
               construction, config)
    dtype = config["dtype"]
    from compilers.runs.budget import module_bytes

    needed = module_bytes(construction, dtype)
    if needed > max_bytes:
        raise SavedModelError(f"{path}: its torch module needs about {needed} bytes; at most "
                              f"{max_bytes} (--max-memory)")
    tensors, metadata = _tensors(weights_path, max_bytes)
    if metadata.get("dtype") != dtype:
        raise SavedModelError(f"{weights_path}: its metadata says dtype "
                              f"{metadata.get('dtype')!r}, the config {dtype!r}")
    exact = {k: v for k, v in tensors.items() if k.startswith("exact.")}
    _same_names(set(exact), set(expected_exact), weights_path, "exact weights")
    for name in sorted(exact):
        saved, want = exact[name], expected_exact[name]
        if (saved.dtype != torch.int64 or tuple(saved.shape) != want.shape
                or not np.array_equal(saved.numpy(), want)):
            raise SavedModelError(f"{weights_path}: the saved IR is not the transformer that "
                                  f"{construction.name} builds with options "
                                  f"{config['construction']['options']}: its exact weights "
                                  f"{name!r} differ; the file was edited or is corrupt")
    module = TorchTransformer(construction.transformer, dtype=resolve_dtype(dtype), device=device)
    floats = {k: v for k, v in tensors.items() if not k.startswith("exact.")}
    expected = module.state_dict()
    _same_names(set(floats), set(expected), weights_path, "float weights")
    for name in sorted(floats):
        tensor, want = floats[name], expected[name]
        if (tensor.dtype != want.dtype or tensor.shape != want.shape
                or not torch.equal(tensor.to(want.device), want)):
            raise SavedModelError(f"{weights_path}: float weights {name!r} differ from the "
                                  f"exact weights rounded to {dtype}; the file was edited or "
                                  "is corrupt")
    module.load_state_dict(floats)
    return construction, module


def _config(config_path: Path) -> dict:
    data = read_bytes(config_path, what="model config", max_bytes=MAX_CONFIG_BYTES,
                      error=SavedModelError)
    config = loads(data, what=str(config_path), max_bytes=MAX_CONFIG_BYTES,
                   error=SavedModelError)
    if not isinstance(config, dict):
        raise SavedModelError(f"{config_path}: expected a JSON object, got "
                              f"{type(config).__name__ if config is not None else 'null'}")
    if config.get("format") != FORMAT:
        raise SavedModelError(f"{config_path}: format {_short(config.get('format'))}, expected "
                              f"{FORMAT!r}")
    if not isinstance(config.get("kind"), str) or config["kind"] not in families():
        raise SavedModelError(f"{config_path}: kind {_short(config.get('kind'))}; known: "
                              f"{sorted(families())}")
    if config.get("version") != VERSION:
        raise SavedModelError(f"{config_path}: version {_short(config.get('version'))}, this "
                              f"circuitx reads version {VERSION}; compile the model again")
    return check(config, CONFIG_SCHEMA, what=str(config_path), error=SavedModelError)


def _short(value) -> str:
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _rebuild(config: dict, config_path: Path):
    """The construction from its name and options (checked by its family)."""
    meta = config["construction"]
    name, options = meta["name"], meta["options"]
    if name != config["kind"]:
        raise SavedModelError(f"{config_path}: construction.name {name!r} is not the kind "
                              f"{config['kind']!r}")
    try:
        return get(name).make(**options)
    except (TypeError, ValueError, ArithmeticError, RecursionError, CompileError) as error:
        raise SavedModelError(f"options {options} do not build {name}: {error}") from None


def _same_json(saved, built, config_path: Path, key: str, construction, config) -> None:
    """Refuse a saved part of the config that differs from what the options build."""
    expected = json.loads(json.dumps(built))
    where = _difference(saved, expected, key)
    if where is not None:
        at, have, want = where
        options = config["construction"]["options"]
        what = ("the saved IR is not the transformer" if key == "ir"
                else "the saved construction is not the one")
        raise SavedModelError(f"{config_path}: {what} that {construction.name} builds with "
                              f"options {options}: at {at} the file has {_short(have)}, the "
                              f"options build {_short(want)}; the file was edited, is corrupt, "
                              "or was written by another version: compile the model again")


def _difference(a, b, path: str):
    """The first (path, a's value, b's value) where a and b differ, or None."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            if key not in a or key not in b:
                return f"{path}.{key}", a.get(key, "<missing>"), b.get(key, "<missing>")
            found = _difference(a[key], b[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return path, f"{len(a)} items", f"{len(b)} items"
        for k, (x, y) in enumerate(zip(a, b, strict=True)):
            found = _difference(x, y, f"{path}[{k}]")
            if found:
                return found
        return None
    if type(a) is not type(b) or a != b:
        return path, a, b
    return None


def _tensors(weights_path: Path, max_bytes: int) -> tuple[dict, dict]:
    """The tensors and metadata of a safetensors file, its header checked first."""
    data = read_bytes(weights_path, what="model weights", max_bytes=max_bytes,
                      error=SavedModelError)
    if len(data) < 8:
        raise SavedModelError(f"{weights_path}: {len(data)} bytes, too short for a safetensors "
                              "file (truncated or empty)")
    (length,) = struct.unpack("<Q", data[:8])
    if length > len(data) - 8:
        raise SavedModelError(f"{weights_path}: its header claims {length} bytes, the file has "
                              f"{len(data) - 8} after the length (truncated or not safetensors)")
    header = loads(data[8:8 + length], what=f"{weights_path} (header)", max_bytes=length,
                   error=SavedModelError)
    if not isinstance(header, dict):
        raise SavedModelError(f"{weights_path}: the header is not a JSON object")
    metadata = header.pop("__metadata__", {})
    if not isinstance(metadata, dict) or metadata.get("format") != "circuitx":
        raise SavedModelError(f"{weights_path}: not written by circuitx (metadata "
                              f"{_short(metadata)})")
    check(header, _HEADER, what=f"{weights_path} (header)", error=SavedModelError)
    body = len(data) - 8 - length
    for name, entry in header.items():
        begin, end = (entry["data_offsets"] + [0, 0])[:2]
        if len(entry["data_offsets"]) != 2 or not begin <= end <= body:
            raise SavedModelError(f"{weights_path}: tensor {name!r} lies at bytes "
                                  f"{entry['data_offsets']}, outside the {body} bytes of data "
                                  "(truncated)")
    try:
        tensors = load_tensors(data)
    except (SafetensorError, ValueError, RuntimeError) as error:
        raise SavedModelError(f"{weights_path}: cannot read the tensors: {error}") from None
    return tensors, metadata


def _same_names(saved: set, expected: set, weights_path: Path, what: str) -> None:
    if saved != expected:
        missing, extra = sorted(expected - saved), sorted(saved - expected)
        raise SavedModelError(f"{weights_path}: {what} do not match the config: "
                              + "; ".join(part for part in (
                                  f"missing {missing[:3]}" if missing else "",
                                  f"unexpected {extra[:3]}" if extra else "") if part))
