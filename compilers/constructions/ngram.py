"""n-gram language models: the next-symbol distribution of a given n-gram table, exactly.

Yang et al. 2026, "The Transformer Cookbook" (TMLR; arXiv 2510.00368), the
Recipes chapter, section "n-grams" (after Svete & Cotterell 2024): a
transformer LM whose next-symbol distribution at every position is that of an
n-gram LM, ``p(x_{t+1} | x_{t-n+2} ... x_t)``, with n - 1 symbols of history
padded on the left with the BOS.

A table gives, for every history h (n - 1 symbols over the alphabet and the
BOS ``$``, the BOS only as a left padding: ``$$``, ``$a``, ``ab``, ...), the
probability of each outcome: a symbol or the end of the word ``#``; each row
sums to exactly 1. The input is ``$ x_1 ... x_n``; the read-out at position t
(t = 0 .. n) is the row of the history ``(x_{t-n+2}, ..., x_t)``. Directions
and weights, all exact:

* embedding: one-hot ``is_c`` for every symbol c and the BOS; the positional
  feature ``i`` (order >= 3 only).
* layer 1 (order >= 3), n - 2 lookup heads in one attention layer, head h
  (h = 1 .. n-2) reading position t - h (Cookbook Sec. 5.3: the ``-|<q, k>|``
  score of Pérez et al. 2021, as `attention.lookup_neg_abs`): query
  ``(i - h, 1)``, key ``(1, -j)``, score ``-|t - h - j|``: maximal (0) at
  ``j = t - h``, or at the BOS (j = 0) when ``t - h < 0``, which is the BOS
  padding; gap 1, unique-hard attention (no tie possible). Value: the one-hot
  symbol there, ``h<h>_c``. The current symbol ``x_t`` is read from the
  residual stream (no head).
* layer 1, MLP (order >= 3): one unit per history h,
  ``u_h = relu(sum_{k=0}^{n-2} [x_{t-k} = h_k] - (n - 2))``, the AND of the
  n - 1 one-hot matches (Sec. 4.8): exactly 1 for the history at t, 0 for
  every other; its output weights are the table (Cookbook's output matrix E,
  folded in): ``p_s += P(s | h) u_h``.
* order 2: the history is the current symbol: the read-out reads
  ``P(s | c) is_c`` directly; order 1: ``P(s)`` times the constant ``one``.
* read-out at every position: ``p_s`` for each outcome s.

Deviations, named:

1. The read-out is the distribution itself (a linear map of exact rationals),
   not logits ``log P`` for a softmax: exactly the table in the exact
   backend, with probability 0 allowed (no ``log 0``).
2. n - 2 heads, not the Cookbook's n - 1: the current symbol needs no head.
3. The table's output matrix is folded into the MLP's output weights, so the
   stream carries the |alphabet| + 1 probabilities, not a one-hot vector over
   every history.

Float precision. Every value the decision rests on is exact in a float dtype
while the positions are exact integers (n < 2^p, p the significand bits: 2047
in float16, 255 in bfloat16, 2^24 - 1 in float32; order 1 and 2 read no
position, so every n): scores are integers, one-hot values 0/1, the AND units
integer sums; the read-out is the table entry rounded once. A float run is
decoded to the nearest rational of denominator at most D (the table's largest
denominator), which is the table's entry when ``2 u D^2 < 1``; otherwise
nothing is guaranteed (None). With the default random table (D = 6) every
dtype qualifies.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np

from circuitx.jsonfile import loads
from compilers.constructions.base import Family, Option, OptionError, exact_number
from compilers.constructions.predictor import (
    MAX_SYMBOLS,
    Predictor,
    checked_alphabet,
    direction,
)
from compilers.dtypes import UNIT_ROUNDOFF
from compilers.ir import Hard
from compilers.library import Model, attention, positions, tokens

BOS, END = "$", "#"
EVERY_LENGTH = 10**9  # the claim "every n", as a number a limit table can hold
MAX_ORDER = 4
MAX_HISTORIES = 4096  # MLP units; a table of more is refused
SIGNIFICAND = {"float64": 53, "float32": 24, "float16": 11, "bfloat16": 8}


def histories(alphabet: str, order: int) -> list[str]:
    """Every history that can occur: k BOS then order - 1 - k symbols, k = order - 1 .. 0."""
    out = []
    for k in range(order - 1, -1, -1):
        out += [BOS * k + "".join(rest) for rest in itertools.product(alphabet,
                                                                      repeat=order - 1 - k)]
    return out


def history_at(word: str, t: int, order: int) -> str:
    """The history at position t of ``$ word``: the last order - 1 tokens, BOS-padded."""
    if order == 1:
        return ""
    return (BOS * (order - 1) + word[:t])[-(order - 1):]


def random_table(alphabet: str, order: int, seed: int, denominator: int) -> dict:
    """A seeded table: each row ``c / denominator`` with c drawn multinomially."""
    rng = np.random.default_rng(seed)
    outcomes = (*alphabet, END)
    table = {}
    for h in histories(alphabet, order):
        counts = rng.multinomial(denominator, [1 / len(outcomes)] * len(outcomes))
        table[h] = {s: Fraction(int(c), denominator) for s, c in zip(outcomes, counts,
                                                                     strict=True)}
    return table


def parse_table(text: str, alphabet: str) -> tuple[dict, int]:
    """The JSON table ``{history: {outcome: p}}`` checked (every history, rows summing to
    1), and its order; `OptionError` naming the first problem."""
    data = loads(text, what="--table", max_bytes=1 << 20, error=OptionError)
    if not isinstance(data, dict) or not data:
        raise OptionError("--table must be a JSON object {history: {outcome: probability}}")
    lengths = {len(h) for h in data}
    if len(lengths) != 1 or next(iter(lengths)) + 1 > MAX_ORDER:
        raise OptionError(f"--table histories must all have one length, at most "
                          f"{MAX_ORDER - 1} (the order minus 1); got lengths {sorted(lengths)}")
    order = next(iter(lengths)) + 1
    wanted = histories(alphabet, order)
    if len(wanted) > MAX_HISTORIES:
        raise OptionError(f"--table of order {order} over {len(alphabet)} symbols has "
                          f"{len(wanted)} histories; at most {MAX_HISTORIES}")
    unknown = sorted(set(data) - set(wanted))
    if unknown:
        raise OptionError(f"--table history {unknown[0]!r} cannot occur: histories are "
                          f"{order - 1} symbols of {alphabet!r}, BOS {BOS!r} only on the left")
    missing = [h for h in wanted if h not in data]
    if missing:
        raise OptionError(f"--table has no row for history {missing[0]!r}")
    outcomes = (*alphabet, END)
    table = {}
    for h in wanted:
        row = data[h]
        if not isinstance(row, dict):
            raise OptionError(f"--table row {h!r} must be an object {{outcome: probability}}")
        bad = sorted(set(row) - set(outcomes))
        if bad:
            raise OptionError(f"--table row {h!r} has outcome {bad[0]!r}; outcomes are the "
                              f"symbols and {END!r} (the end)")
        parsed = {s: exact_number(row.get(s, 0), name=f"--table[{h!r}][{s!r}]", positive=False)
                  for s in outcomes}
        if any(p > 1 for p in parsed.values()) or sum(parsed.values()) != 1:
            raise OptionError(f"--table row {h!r} sums to {sum(parsed.values())}, not 1")
        table[h] = parsed
    return table, order


def guaranteed_length(dtype: str, order: int, denominator: int) -> int | None:
    """The largest n the float analysis covers (see "Float precision"), None for none."""
    if 2 * UNIT_ROUNDOFF[dtype] * denominator**2 >= 1:
        return None
    if order <= 2:
        return EVERY_LENGTH
    return min(2 ** SIGNIFICAND[dtype] - 1, EVERY_LENGTH)


def build(*, alphabet: str = "ab", order: int = 3, table: str | None = None,
          table_seed: int = 0, denominator: int = 6) -> Predictor:
    """The n-gram predictor of `table` (JSON), or of a seeded random table of `order`."""
    alphabet = checked_alphabet(alphabet, reserved=BOS + END, where="--alphabet")
    if table:
        rows, order = parse_table(table, alphabet)
    else:
        if not isinstance(order, int) or not 1 <= order <= MAX_ORDER:
            raise OptionError(f"--order is {order!r}; allowed: 1..{MAX_ORDER}")
        if len(histories(alphabet, order)) > MAX_HISTORIES:
            raise OptionError(f"order {order} over {len(alphabet)} symbols has "
                              f"{len(histories(alphabet, order))} histories; at most "
                              f"{MAX_HISTORIES}")
        rows = random_table(alphabet, order, table_seed, denominator)
    outcomes = (*alphabet, END)
    name = {c: direction(c) for c in alphabet}
    outputs = (*(f"p_{name[s]}" for s in alphabet), "p_end")
    model = Model("ngram", tokens=(BOS, *alphabet))
    if order <= 2:
        positions.none(model)
    if order == 1:  # no history: the distribution is a constant
        readout = {o: {model.one(): rows[""][s]} for o, s in zip(outputs, outcomes, strict=True)}
    else:
        is_ = {BOS: tokens.bos(model, BOS)} | {
            c: model.token_feature(f"is_{name[c]}", {c: 1}) for c in alphabet}
        readout = (_bigram(rows, is_, outputs, outcomes) if order == 2
                   else _lookups(model, rows, is_, order, outputs, outcomes))
    transformer = model.build(readout, position="all")
    largest = max(p.denominator for row in rows.values() for p in row.values())

    def predict(word: str) -> list[tuple[Fraction, ...]]:
        return [tuple(rows[history_at(word, t, order)][s] for s in outcomes)
                for t in range(len(word) + 1)]

    options = {"alphabet": alphabet, "order": order, "table_seed": table_seed,
               "denominator": denominator}
    if table:
        options["table"] = table
    return Predictor(
        name="ngram", transformer=transformer, alphabet=alphabet, outputs=outputs,
        outcomes=outcomes, predict=predict, denominator=largest, bos=(BOS,),
        options=options,
        limits={d: guaranteed_length(d, order, largest) for d in UNIT_ROUNDOFF},
        note="Yang et al. 2026 (Transformer Cookbook), Recipes: n-grams")


def _bigram(rows: dict, is_: dict, outputs, outcomes) -> dict:
    """Order 2: the read-out ``p_s = sum_c P(s | c) is_c`` (no layer)."""
    return {o: {is_[h]: rows[h][s] for h in rows} for o, s in zip(outputs, outcomes, strict=True)}


def _lookups(model: Model, rows: dict, is_: dict, order: int, outputs, outcomes) -> dict:
    """Order >= 3: the n - 2 lookup heads and the AND units (see the module docstring);
    returns the read-out, a copy of the ``p_s`` directions."""
    i = positions.index(model)
    looked = {}
    with model.parallel("lookup"):
        for h in range(1, order - 1):
            looked[h] = {c: f"h{h}_{direction(c) if c != BOS else 'bos'}" for c in is_}
            attention.attend(model, {looked[h][c]: is_[c] for c in is_},
                             scores=[({i: 1, 1: -h}, {1: 1}), ({1: 1}, {i: -1})],
                             kind=Hard(tie=None, gap=1), mask="causal", score="neg_abs_dot",
                             prefix=f"back{h}")
    for o in outputs:
        model.new(o)
    written = set()
    with model.mlp("history") as units:
        for history, row in rows.items():
            symbols = history[::-1]  # symbols[k] is the symbol at t - k
            reads = {is_[symbols[0]]: 1} | {looked[k][symbols[k]]: 1 for k in range(1, order - 1)}
            unit = units.unit(reads, -(order - 2))
            for o, s in zip(outputs, outcomes, strict=True):
                if row[s]:
                    units.emit(o, [(unit, row[s])])
                    written.add(o)
    return {o: {o: 1} if o in written else {} for o in outputs}  # an outcome never possible: 0


def inapplicable(options: dict) -> dict:
    """With a --table, the options that make a random table do not apply."""
    why = "makes a random table; --table gives the table (and its order)"
    given = bool(options.get("table"))
    return {name: why if given else None for name in ("order", "table_seed", "denominator")}


FAMILY = Family(
    name="ngram", title="An n-gram language model: its exact next-symbol distributions",
    paper="Yang et al. 2026, The Transformer Cookbook, Recipes: n-grams", mode="predict",
    options=(Option(name="alphabet", kind="text", default="ab",
                    help=f"The symbols (1 to {MAX_SYMBOLS}, distinct, not '$' or '#')."),
             Option(name="order", kind="int", default=3, low=1, high=MAX_ORDER,
                    help="n: the history is the last n - 1 symbols (a random table)."),
             Option(name="table", kind="text", default=None,
                    help="The table as JSON {history: {outcome: p}}, e.g. for a bigram over "
                         "ab: '{\"$\": {\"a\": 1}, \"a\": {\"b\": \"1/2\", \"#\": \"1/2\"}, "
                         "\"b\": {\"#\": 1}}' ('$' the BOS, '#' the end); default: a random "
                         "table."),
             Option(name="table_seed", kind="int", default=0, low=0, high=2**32 - 1,
                    help="Seed of the random table."),
             Option(name="denominator", kind="int", default=6, low=1, high=1000,
                    help="The random table's probabilities are multiples of 1/denominator.")),
    build=build, circuit="predictor", inputs="words over the alphabet", inapplicable=inapplicable)
