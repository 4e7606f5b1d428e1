"""How a `SubleqConstruction` is written into and read from a saved model's config.json.

config.json keeps the semantics and sizes; on load the computer is rebuilt
from them and must give exactly the IR stored beside it (else
`SavedModelError`).
"""

from __future__ import annotations

from compilers.constructions.subleq import SubleqConstruction, build
from compilers.errors import CompileError
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
        from compilers.saving import SavedModelError

        sizes = {"semantics": meta.get("semantics"), "bits": meta.get("bits"),
                 "memory": meta.get("memory"), "slots": meta.get("slots"),
                 "input_size": meta.get("input_size", 0)}
        try:
            construction = build(**sizes)
        except (TypeError, ValueError, CompileError) as error:
            raise SavedModelError(f"sizes {sizes} do not build a SUBLEQ computer: "
                                  f"{error}") from None
        if construction.transformer != transformer:
            raise SavedModelError(f"the saved IR is not the SUBLEQ computer of sizes {sizes}; "
                                  "the file was edited or is corrupt")
        return construction
