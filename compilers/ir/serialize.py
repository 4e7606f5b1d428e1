"""The IR to a JSON-able config plus exact weight tensors, and back.

`to_config(t)` returns ``(config, tensors)``: the config describes every node
(labels, direction names, kinds, formulas as sympy strings) and names its
weights by the path that the torch backend gives the same parameter
(``blocks.l1.h0.query``); `tensors` holds each weight exactly, as its non-zero
entries: ``exact.<path>.index`` (int64 positions into the named rows and
columns), ``exact.<path>.num`` and ``exact.<path>.den`` (int64). `from_config`
rebuilds an equal `Transformer`. Numerators or denominators beyond int64 are
refused with an error naming the weight.
"""

from __future__ import annotations

import re
from fractions import Fraction

import numpy as np
import sympy

from compilers.ir.nodes import (
    MLP,
    Attention,
    AverageHard,
    Hard,
    Head,
    I,
    LayerNorm,
    N,
    PositionalEncoding,
    Readout,
    Softmax,
    TokenEmbedding,
    Transformer,
    VectorInput,
    formula,
)
from compilers.ir.values import IRError, Matrix

FORMAT = "circuitx-ir"
VERSION = 1
_INT64 = 2**63 - 1


class _Writer:
    def __init__(self, prefix: str):
        self.prefix = prefix
        self.tensors: dict[str, np.ndarray] = {}

    def _store(self, path: str, index: list, values: list[Fraction], width: int) -> None:
        for v in values:
            if abs(v.numerator) > _INT64 or v.denominator > _INT64:
                raise IRError(f"{path}: weight {v} does not fit int64 numerator/denominator; "
                              "cannot save it to safetensors")
        key = f"exact.{self.prefix}{path}"
        self.tensors[f"{key}.index"] = np.asarray(index, dtype=np.int64).reshape(len(values), width)
        self.tensors[f"{key}.num"] = np.asarray([v.numerator for v in values], dtype=np.int64)
        self.tensors[f"{key}.den"] = np.asarray([v.denominator for v in values], dtype=np.int64)

    def matrix(self, m: Matrix, path: str) -> dict:
        r_index = {r: k for k, r in enumerate(m.rows)}
        c_index = {c: k for k, c in enumerate(m.cols)}
        items = list(m.entries.items())
        self._store(path, [[r_index[r], c_index[c]] for (r, c), _ in items], [v for _, v in items],
                    2)
        return {"rows": list(m.rows), "cols": list(m.cols), "weights": self.prefix + path}

    def vector(self, v, names, path: str) -> dict:
        index = {d: k for k, d in enumerate(names)}
        self._store(path, [[index[d]] for d in v], list(v.values()), 1)
        return {"names": list(names), "weights": self.prefix + path}


def _kind(kind) -> dict:
    if isinstance(kind, Softmax):
        return {"type": "softmax", "scale": str(kind.scale)}
    gap = None if kind.gap is None else str(kind.gap)
    if isinstance(kind, Hard):
        return {"type": "hard", "tie": kind.tie, "gap": gap}
    return {"type": "average_hard", "gap": gap}


def to_config(t: Transformer, *, _prefix: str = "") -> tuple[dict, dict[str, np.ndarray]]:
    """The config dict and the exact weight tensors of `t` (see the module docstring)."""
    w = _Writer(_prefix)
    if isinstance(t.inputs, TokenEmbedding):
        inputs = {"type": "tokens", "label": t.inputs.label, "tokens": list(t.inputs.tokens),
                  "table": w.matrix(t.inputs.table, "embedding.table")}
    else:
        inputs = {"type": "vectors", "label": t.inputs.label, "dims": list(t.inputs.dims)}
    positions = None if t.positions is None else {
        "label": t.positions.label,
        "features": {d: str(e) for d, e in t.positions.features.items()}}
    blocks = []
    for b in t.blocks:
        base = f"blocks.{b.label}"
        if isinstance(b, Attention):
            blocks.append({"type": "attention", "label": b.label, "heads": [
                {"label": h.label, "kind": _kind(h.kind), "score": h.score, "mask": h.mask,
                 "source": h.source,
                 "query": w.matrix(h.query, f"{base}.{h.label}.query"),
                 "key": w.matrix(h.key, f"{base}.{h.label}.key"),
                 "value": w.matrix(h.value, f"{base}.{h.label}.value")} for h in b.heads]})
        elif isinstance(b, MLP):
            blocks.append({"type": "mlp", "label": b.label, "hidden": list(b.hidden),
                           "w_in": w.matrix(b.w_in, f"{base}.w_in"),
                           "b_in": w.vector(b.b_in, b.hidden, f"{base}.b_in"),
                           "w_out": w.matrix(b.w_out, f"{base}.w_out"),
                           "b_out": w.vector(b.b_out, t.stream, f"{base}.b_out")})
        else:
            blocks.append({"type": "layer_norm", "label": b.label, "dims": list(b.dims),
                           "epsilon": str(b.epsilon),
                           "gain": w.vector(b.gain, b.dims, f"{base}.gain"),
                           "bias": w.vector(b.bias, b.dims, f"{base}.bias")})
    r = t.readout
    config = {
        "format": FORMAT, "version": VERSION, "label": t.label, "stream": list(t.stream),
        "inputs": inputs, "positions": positions, "blocks": blocks,
        "readout": {"label": r.label, "position": r.position,
                    "matrix": w.matrix(r.matrix, "readout.matrix"),
                    "bias": w.vector(r.bias, r.outputs, "readout.bias"),
                    **({} if r.gap is None else {"gap": str(r.gap)})},
        "looped": t.looped, "feedback": t.feedback, "encoder": None,
    }
    tensors = w.tensors
    if t.encoder is not None:
        config["encoder"], more = to_config(t.encoder, _prefix=f"{_prefix}encoder.")
        tensors |= more
    return config, tensors


class _Reader:
    def __init__(self, tensors: dict):
        self.tensors = tensors

    def _load(self, path: str):
        key = f"exact.{path}"
        try:
            index = self.tensors[f"{key}.index"]
            num, den = self.tensors[f"{key}.num"], self.tensors[f"{key}.den"]
        except KeyError:
            raise IRError(f"weights {path!r} are missing from the tensors") from None
        values = [Fraction(int(a), int(b)) for a, b in zip(num, den, strict=True)]
        return [tuple(int(k) for k in row) for row in np.asarray(index)], values

    def matrix(self, spec: dict) -> Matrix:
        index, values = self._load(spec["weights"])
        rows, cols = spec["rows"], spec["cols"]
        return Matrix(rows=rows, cols=cols, where=spec["weights"],
                      entries={(rows[r], cols[c]): v for (r, c), v in zip(index, values,
                                                                          strict=True)})

    def vector(self, spec: dict) -> dict:
        index, values = self._load(spec["weights"])
        return {spec["names"][k]: v for (k,), v in zip(index, values, strict=True)}


_NAMES = {"i", "n", "pi", "E", "cos", "sin", "log", "exp", "sqrt", "floor", "ceiling", "Mod",
          "Abs", "Min", "Max", "Piecewise", "Integer", "Rational", "Eq", "Ne", "Lt", "Le",
          "Gt", "Ge", "And", "Or", "Not", "True", "False", "sign", "zoo", "oo"}
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ALLOWED_CHARS = re.compile(r"[A-Za-z0-9_+\-*/()., <>=!&|~%]*\Z")


def _parse(text: str, where: str) -> sympy.Expr:
    """Read a formula written by `str(expr)`; only known function names are accepted,
    so a config file cannot run code."""
    unknown = set(_IDENTIFIER.findall(text)) - _NAMES
    if not isinstance(text, str) or unknown or not _ALLOWED_CHARS.match(text):
        raise IRError(f"{where}: formula {text!r} uses names or characters outside "
                      f"{sorted(_NAMES)}" + (f" ({sorted(unknown)})" if unknown else ""))
    try:
        expr = sympy.parse_expr(text, local_dict={"i": I, "n": N})
    except Exception as error:  # any parse failure is a config error
        raise IRError(f"{where}: cannot read formula {text!r}: {error}") from None
    return formula(expr, where=where)


def _read_kind(spec: dict, where: str):
    kind = spec.get("type")
    gap = spec.get("gap")
    gap = None if gap is None else _parse(gap, f"{where} gap")
    if kind == "softmax":
        return Softmax(scale=_parse(spec["scale"], f"{where} scale"))
    if kind == "hard":
        return Hard(tie=spec["tie"], gap=gap)
    if kind == "average_hard":
        return AverageHard(gap=gap)
    raise IRError(f"{where}: attention type {kind!r}; allowed: softmax, hard, average_hard")


def from_config(config: dict, tensors: dict) -> Transformer:
    """Rebuild the `Transformer` that `to_config` described."""
    if config.get("format") != FORMAT or config.get("version") != VERSION:
        raise IRError(f"config format {config.get('format')!r} version {config.get('version')!r}"
                      f"; expected {FORMAT!r} version {VERSION}")
    try:
        return _from_config(config, _Reader(tensors))
    except KeyError as error:
        raise IRError(f"config of {config.get('label')!r} lacks the field {error}") from None


def _from_config(c: dict, r: _Reader) -> Transformer:
    spec = c["inputs"]
    if spec["type"] == "tokens":
        inputs = TokenEmbedding(label=spec["label"], tokens=tuple(spec["tokens"]),
                                table=r.matrix(spec["table"]))
    else:
        inputs = VectorInput(label=spec["label"], dims=tuple(spec["dims"]))
    positions = None
    if c["positions"] is not None:
        p = c["positions"]
        positions = PositionalEncoding(label=p["label"], features={
            d: _parse(e, f"{p['label']}[{d!r}]") for d, e in p["features"].items()})
    blocks = []
    for b in c["blocks"]:
        if b["type"] == "attention":
            blocks.append(Attention(label=b["label"], heads=tuple(
                Head(label=h["label"], kind=_read_kind(h["kind"], h["label"]), score=h["score"],
                     mask=h["mask"], source=h["source"], query=r.matrix(h["query"]),
                     key=r.matrix(h["key"]), value=r.matrix(h["value"])) for h in b["heads"])))
        elif b["type"] == "mlp":
            blocks.append(MLP(label=b["label"], hidden=tuple(b["hidden"]),
                              w_in=r.matrix(b["w_in"]), b_in=r.vector(b["b_in"]),
                              w_out=r.matrix(b["w_out"]), b_out=r.vector(b["b_out"])))
        elif b["type"] == "layer_norm":
            blocks.append(LayerNorm(label=b["label"], dims=tuple(b["dims"]),
                                    epsilon=Fraction(b["epsilon"]), gain=r.vector(b["gain"]),
                                    bias=r.vector(b["bias"])))
        else:
            raise IRError(f"block {b.get('label')!r}: type {b['type']!r}; "
                          "allowed: attention, mlp, layer_norm")
    ro = c["readout"]
    gap = ro.get("gap")
    readout = Readout(label=ro["label"], position=ro["position"], matrix=r.matrix(ro["matrix"]),
                      bias=r.vector(ro["bias"]),
                      gap=None if gap is None else _parse(gap, f"{ro['label']} gap"))
    encoder = None if c["encoder"] is None else _from_config(c["encoder"], r)
    return Transformer(label=c["label"], stream=tuple(c["stream"]), inputs=inputs,
                       positions=positions, blocks=tuple(blocks), readout=readout,
                       looped=c["looped"], feedback=c["feedback"], encoder=encoder)
