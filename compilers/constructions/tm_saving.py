"""How a `TMConstruction` (Pérez et al.'s Turing machine) is saved by `compilers.saving`.

config.json keeps the machine (its bbchallenge code, or its table) and the
word; on load the construction is rebuilt from them and must give exactly the
IR stored beside it (else `SavedModelError`).
"""

from __future__ import annotations

from compilers.constructions.tm import TMConstruction, build
from compilers.ir import Transformer


class TMMeta:
    """The `compilers.saving` wrapper of `TMConstruction`."""

    kind = TMConstruction

    @staticmethod
    def to_meta(c: TMConstruction) -> dict:
        return {"name": c.name, "machine": c.options["machine"], "word": c.word,
                "options": dict(c.options), "limits": dict(c.limits), "note": c.note}

    @staticmethod
    def from_meta(meta: dict, transformer: Transformer) -> TMConstruction:
        from compilers.saving import SavedModelError

        construction = build(meta["machine"], meta["word"])
        if construction.transformer != transformer:
            raise SavedModelError(f"the saved IR is not the transformer of machine "
                                  f"{meta['machine']!r}; the file was edited or is corrupt")
        return construction
