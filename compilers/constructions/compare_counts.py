"""Comparison of two counts: ``#a(w) R #b(w)`` for R one of >, >=, <, <=, =, != (MAJORITY is >).

Yang et al. 2026, "The Transformer Cookbook" (TMLR; arXiv 2510.00368), the
Recipes chapter, section "Comparison" (of two count terms ``C_1(i) <= C_2(i)``
with ``±1/(i+1)`` at hand, the answer as a ±1 Boolean). With the symbols
``first = 1``, ``second = 0`` over ``01`` and R = ``gt`` it decides the zoo's
MAJORITY (strictly more 1s than 0s).

The input is ``$ w_1 ... w_n`` (the BOS at position 0), read out at the last
position; ``d_i = #first - #second`` among ``w_1 .. w_i``, an integer.
Directions and weights, all exact:

* embedding: ``is_<first>``, ``is_<second>``, ``bos``; no positional encoding.
* layer 1, attention: one uniform causal head (Sec. 5.1.2): ``diff = d_i/(i+1)``
  (value ``is_first - is_second``) and ``inv = 1/(i+1)`` (value ``bos``).
* layer 1, MLP: the Cookbook's clipped comparison
  ``gtz(X) = clamp(X/(i+1) - 1/(2(i+1)), ±1/(2(i+1)))``
  ``= relu(X inv) - relu(X inv - inv) - inv/2``, which for an *integer* X is
  ``+inv/2`` when ``X >= 1`` and ``-inv/2`` when ``X <= 0`` (both ReLUs read
  the forms ``±diff + c inv``, linear in the stream; ``inv/2`` is
  ``relu(inv)/2``, since inv > 0). R picks X: ``d`` (gt), ``d + 1`` (ge),
  ``-d`` (lt), ``1 - d`` (le); eq is ``gtz(d+1) + gtz(1-d) - inv/2`` (the AND
  of ge and le in the ±inv/2 encoding), ne its negative. The MLP writes
  ``answer = g`` and ``answer_neg = -g`` (the Cookbook's pair of dimensions).
* ``layernorm=True``: a layer norm over ``(answer, answer_neg)``, epsilon 0,
  makes the pair exactly ``(±1, ∓1)``: the Boolean in the ±1 encoding, at
  every n (Sec. 6.3; the square root of ``g^2`` is exact).
* read-out at the last position: ``logit = scale * answer``: ``±scale``, or
  ``±scale/(2(n+1))`` without the layer norm.

Deviations, named:

1. The Cookbook computes ``0.5/(i+1)`` and ``±(C_2 - C_1 + 0.5)/(i+1)`` in the
   MLP's first layer and the clipped value with a min; here the same function
   is ``relu(X inv) - relu(X inv - inv) - relu(inv)/2``: three units for one
   comparison (five for eq and ne, the AND folded into the output weights).
2. The counts come from the BOS: ``inv`` is the causal mean of the BOS
   indicator, so the model needs no positional encoding.

Float precision. ``diff`` and ``inv`` carry a relative error of at most u
(exact integer sums, one division), each unit's input an absolute error of
at most ``3u (|d| + 1) inv``, so g is within ``(10 |d| + 13) u inv`` of
``±inv/2`` (twice that for eq and ne): the sign is right while
``30 u (n+1) < 1/2``, and the layer norm of ``(g, -g)`` (mean exactly 0) keeps
it. We claim n with ``SAFETY u (n+1) <= 1``, ``SAFETY = 128`` (131 071 in
float32, about 7e13 in float64, 15 in float16, 1 in bfloat16), and the
values it rests on normal numbers of the dtype: ``inv/2``, its square with the
layer norm, and the logit.
"""

from __future__ import annotations

from fractions import Fraction

from compilers.constructions.base import Family, Option, OptionError, exact_number
from compilers.constructions.predicate import PredicateRecognizer
from compilers.constructions.predictor import checked_alphabet, direction
from compilers.constructions.recognizer import Recognizer
from compilers.dtypes import LARGEST, SMALLEST_NORMAL, UNIT_ROUNDOFF
from compilers.library import Model, attention, norm, positions, tokens

BOS = "$"
SAFETY = 128  # the error constant of the analysis above, with a factor ~4 to spare
RELATIONS = {"gt": (1, 0), "ge": (1, 1), "lt": (-1, 0), "le": (-1, 1), "eq": None, "ne": None}
"""R -> (sign, c): R holds iff the integer ``X = sign d + c`` is at least 1."""
TESTS = {"gt": lambda a, b: a > b, "ge": lambda a, b: a >= b, "lt": lambda a, b: a < b,
         "le": lambda a, b: a <= b, "eq": lambda a, b: a == b, "ne": lambda a, b: a != b}


def guaranteed_length(dtype: str, *, scale=4, layernorm: bool = True) -> int | None:
    """The largest n the float analysis covers in `dtype`, None for none."""
    u, tiny, big = UNIT_ROUNDOFF[dtype], SMALLEST_NORMAL[dtype], LARGEST[dtype]
    top = int(1 / (SAFETY * u)) - 1
    scale = float(Fraction(scale))
    if top < 0 or not tiny <= scale <= big / 2:
        return None
    while top >= 0:
        margin = 1 / (2 * (top + 1))  # |g| = inv/2 at the last position
        logit = scale if layernorm else scale * margin
        if margin >= tiny and logit >= tiny and (not layernorm or margin**2 >= tiny):
            return top
        top -= 1
    return None


def build(*, alphabet: str = "01", first: str = "1", second: str = "0",
          relation: str = "gt", layernorm: bool = True, scale="4") -> Recognizer:
    """The comparison recogniser (see the module docstring for every weight)."""
    alphabet = checked_alphabet(alphabet, reserved=BOS, where="--alphabet")
    for flag, symbol in (("--first", first), ("--second", second)):
        if not isinstance(symbol, str) or len(symbol) != 1 or symbol not in alphabet:
            raise OptionError(f"{flag} is {symbol!r}; allowed: one symbol of {alphabet!r}")
    if first == second:
        raise OptionError(f"--first and --second are both {first!r}; compare two symbols")
    if relation not in RELATIONS:
        raise OptionError(f"--relation is {relation!r}; allowed: {', '.join(RELATIONS)}")
    scale = exact_number(scale, name="--scale")
    model = Model("compare_counts", tokens=(BOS, *alphabet))
    positions.none(model)
    bos = tokens.bos(model, BOS)
    a = model.token_feature(f"is_{direction(first)}", {first: 1})
    b = model.token_feature(f"is_{direction(second)}", {second: 1})
    attention.attend(model, {"diff": {a: 1, b: -1}, "inv": bos}, mask="causal", prefix="count")
    answer, mirror = model.new("answer"), model.new("answer_neg")
    with model.mlp("compare") as units:
        half = units.unit({"inv": 1})

        def gtz(sign: int, c: int) -> list[tuple[str, Fraction]]:  # g + inv/2
            return [(units.unit({"diff": sign, "inv": c}), 1),
                    (units.unit({"diff": sign, "inv": c - 1}), -1)]

        if RELATIONS[relation] is not None:
            terms = [*gtz(*RELATIONS[relation]), (half, Fraction(-1, 2))]
        else:
            terms = [*gtz(1, 1), *gtz(-1, 1), (half, Fraction(-3, 2))]
            if relation == "ne":
                terms = [(unit, -w) for unit, w in terms]
        units.emit(answer, terms)
        units.emit(mirror, terms, -1)
    if layernorm:
        norm.layer_norm(model, (answer, mirror))
    transformer = model.build({"logit": {answer: scale}})
    common = dict(name="compare_counts", transformer=transformer, bos=(BOS,), accept="logit",
                  options={"alphabet": alphabet, "first": first, "second": second,
                           "relation": relation, "layernorm": layernorm, "scale": str(scale)},
                  limits={d: guaranteed_length(d, scale=scale, layernorm=layernorm)
                          for d in UNIT_ROUNDOFF},
                  note="Yang et al. 2026 (Transformer Cookbook), Recipes: comparison")
    if (alphabet, first, second, relation) == ("01", "1", "0", "gt"):
        return Recognizer(language="majority", **common)
    test = TESTS[relation]
    return PredicateRecognizer(symbols=alphabet,
                               predicate=lambda w: test(w.count(first), w.count(second)),
                               description=f"#{first} {relation} #{second}", **common)


FAMILY = Family(
    name="compare_counts", title="Comparison of two counts (MAJORITY: #1 > #0)",
    paper="Yang et al. 2026, The Transformer Cookbook, Recipes: comparison",
    mode="recognise",
    options=(Option(name="alphabet", kind="text", default="01",
                    help="The symbols (1 to 16, distinct, not '$')."),
             Option(name="first", kind="text", default="1", help="The symbol counted first."),
             Option(name="second", kind="text", default="0",
                    help="The symbol counted second."),
             Option(name="relation", kind="choice", choices=tuple(RELATIONS), default="gt",
                    help="Accept when #first R #second (gt: MAJORITY)."),
             Option(name="layernorm", kind="flag", default=True,
                    help="Normalise the answer to exactly ±1 by a layer norm (the Cookbook's "
                         "±1 Boolean)."),
             Option(name="scale", kind="number", default="4",
                    help="The logit's scale (an exact rational).")),
    build=build, circuit="recogniser", inputs="words over the alphabet")
