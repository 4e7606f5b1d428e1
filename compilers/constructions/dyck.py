"""Dyck-k of depth at most D: the Transformer Cookbook's two recipes, hard and average-hard.

Yang et al. (2026), "The Transformer Cookbook" (TMLR; arXiv 2510.00368), the
recipes chapter, section "Dyck Language", subsections "UHAT for Dyck-k-D" and
"AHAT for Dyck-k-D" (cited by title), after Yao, Peng, Papadimitriou & Narasimhan
(2021): a (D+1)-layer unique-hard-attention transformer recognises
``Dyck_{k,D}`` (their Sec. 5.1), and a two-layer average-hard-attention
transformer generates it (their Sec. 5.2; App. B.3 adapts it to
recognition). ``Dyck_{k,D}``: well-nested words over k bracket pairs
(``()``, ``[]``, ``{}``, ``<>``: `PAIRS`) with no prefix more than D deep.
Its oracle is `languages.dyck.Dyck` with ``max_depth=D``.

The input is ``w_1 ... w_n $`` (positions 0-based: position i holds
``w_{i+1}``; the end symbol ``$`` at position n holds the answer, the CLS
convention of the recognisers). Per bracket type t the embedding writes
``open_t`` (1 at an opener of type t) and ``close_t``. The two recipes are
`compilers.constructions.dyck_hard` (``attention="hard"``) and
`compilers.constructions.dyck_average` (``attention="average-hard"``); their
docstrings give every weight, the deviations from the Cookbook, and the float
guarantee.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from compilers.constructions import dyck_average, dyck_hard
from compilers.constructions.base import Family, Option
from compilers.constructions.recognizer import Recognizer
from compilers.dtypes import UNIT_ROUNDOFF
from compilers.errors import CompileError
from languages.dyck import Dyck

PAIRS = "()[]{}<>"
"""The bracket pairs, opener then closer; k pairs use the first 2k symbols."""
ATTENTION = ("hard", "average-hard")
MAX_PAIRS, MAX_DEPTH = len(PAIRS) // 2, 32
NOTES = {"hard": "UHAT for Dyck-k-D (Yao et al. 2021, Sec. 5.1)",
         "average-hard": "AHAT for Dyck-k-D (Yao et al. 2021, Sec. 5.2, App. B.3)"}


@dataclass(frozen=True, kw_only=True)
class DyckRecognizer(Recognizer):
    """A `Recognizer` of ``Dyck_{k,D}``, whose oracle is `languages.dyck.Dyck` with the
    depth bound (the zoo names only the unbounded ``dyck1`` and ``dyck2``, so `language`
    is None and `oracle` is that bounded language: `runs.check` draws half members, half
    non-members from it).

    Attributes:
        pairs: the bracket pairs, opener then closer (``"()[]"`` for k = 2).
        depth: D, the largest depth of a member.
    """

    pairs: str
    depth: int

    @property
    def alphabet(self) -> str:
        return self.pairs

    @cached_property
    def oracle(self) -> Dyck:
        return Dyck(name=f"dyck{len(self.pairs) // 2}_depth{self.depth}", alphabet=self.pairs,
                    max_depth=self.depth)

    def reference(self, word: str) -> bool:
        """Whether `word` is in ``Dyck_{k,D}`` (the language's own stack-based test)."""
        return self.oracle.contains(word)


def build(*, pairs: int = 2, depth: int = 3, attention: str = "hard") -> DyckRecognizer:
    """The ``Dyck_{k,D}`` recogniser with k = `pairs` bracket pairs, D = `depth`, built by
    the recipe `attention` names (see the module docstring)."""
    if attention not in ATTENTION:
        raise CompileError(f"unknown attention {attention!r}; allowed: {', '.join(ATTENTION)}")
    for name, value, high in (("pairs", pairs, MAX_PAIRS), ("depth", depth, MAX_DEPTH)):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
            raise CompileError(f"{name} is {value!r}; allowed: an integer 1..{high}")
    brackets = PAIRS[:2 * pairs]
    recipe = dyck_hard if attention == "hard" else dyck_average
    transformer = recipe.transformer(brackets, depth)
    return DyckRecognizer(
        name="dyck", transformer=transformer, language=None, eos=("$",), accept="logit",
        pairs=brackets, depth=depth,
        options={"pairs": pairs, "depth": depth, "attention": attention},
        limits={dtype: recipe.guaranteed_length(dtype, depth) for dtype in UNIT_ROUNDOFF},
        note=f"Yang et al. 2026 (Transformer Cookbook), Dyck recipes: {NOTES[attention]}")


FAMILY = Family(
    name="dyck", title="Dyck-k of depth at most D, hard or average-hard (Transformer Cookbook)",
    paper="Yang et al. 2026, The Transformer Cookbook, Dyck recipes: UHAT and AHAT for "
          "Dyck-k-D (after Yao et al. 2021, Sec. 5.1, 5.2, App. B.3)",
    mode="recognise",
    options=(Option(name="pairs", kind="int", default=2, low=1, high=MAX_PAIRS,
                    help="k, the number of bracket pairs: ()[]{}<> in that order."),
             Option(name="depth", kind="int", default=3, low=1, high=MAX_DEPTH,
                    help="D, the largest depth of a member."),
             Option(name="attention", kind="choice", choices=ATTENTION, default="hard",
                    help="hard: D+1 layers of unique-hard attention (Yao et al. Sec. 5.1); "
                         "average-hard: 3 layers of average-hard attention and layer norm "
                         "(Sec. 5.2).")),
    build=build, circuit="recogniser", inputs="Dyck words over --pairs bracket pairs")
