"""How a `SubleqConstruction` is written into and read from a saved model's config.json."""

from __future__ import annotations

from compilers.constructions.subleq import SubleqConstruction, layout_for
from compilers.ir import Transformer


class SubleqMeta:
    """The wrapper of `compilers.saving` for the looped SUBLEQ computer."""

    kind = SubleqConstruction

    @staticmethod
    def to_meta(c: SubleqConstruction) -> dict:
        return {"name": c.name, "semantics": c.semantics, "bits": c.layout.bits,
                "memory": c.layout.memory, "slots": getattr(c.layout, "slots", None),
                "input_size": getattr(c.layout, "input_size", 0),
                "scale": c.scale, "options": dict(c.options), "note": c.note}

    @staticmethod
    def from_meta(meta: dict, transformer: Transformer) -> SubleqConstruction:
        layout = layout_for(meta["semantics"], bits=meta["bits"], memory=meta["memory"],
                            slots=meta["slots"], input_size=meta.get("input_size", 0))
        return SubleqConstruction(name=meta["name"], semantics=meta["semantics"],
                                  transformer=transformer, layout=layout, scale=meta["scale"],
                                  options=meta["options"], note=meta.get("note", ""))
