"""Tracr's library of RASP programs, written on `languages.rasp`.

Every program of Tracr's ``compiler/lib.py`` (Lindner et al., arXiv
2301.05062), under the same name and arguments, built from the same
operations in the same order, so that a compiler sees the same graph; most
come from the RASP paper (Weiss, Goldberg & Yahav, ICML 2021, section 3).
Each docstring states what the program computes on ``xs = x_0 ... x_{n-1}``
under `languages.rasp.evaluate`.

The programs up to `make_sort_freq` are meant for non-causal evaluation;
`make_frac_prevs`, `shift_by` and `detect_pattern` give the same output
causally (each position reads only positions at or before it), as in Tracr.

Deviation from Tracr: Tracr's module builds one `make_length` S-op at import
and shares it between programs; here each program builds its own (the values
are the same).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from languages import rasp
from languages.brasp import RaspError


def make_length() -> rasp.SOp:
    """``n`` at every position: the width of the selector that selects everything."""
    all_true = rasp.Select(rasp.tokens, rasp.tokens, rasp.Comparison.TRUE).named(
        "all_true_selector")
    return rasp.SelectorWidth(all_true).named("length")


def make_reverse(sop: rasp.SOp) -> rasp.SOp:
    """``sop_{n-1-i}`` at position i: the query ``n - i - 1`` selects the key index equal
    to it."""
    opp_idx = (make_length() - rasp.indices).named("opp_idx")
    opp_idx = (opp_idx - 1).named("opp_idx-1")
    flip = rasp.Select(rasp.indices, opp_idx, rasp.Comparison.EQ).named("reverse_selector")
    return rasp.Aggregate(flip, sop).named("reverse")


def make_frac_prevs(bools: rasp.SOp) -> rasp.SOp:
    """``#{j <= i : bools_j} / (i + 1)``: the fraction of positions up to i where `bools`
    holds (a numerical mean over the selector ``j <= i``; at i = 0 the value ``bools_0``
    itself, which equals that fraction)."""
    bools = rasp.numerical(bools)
    prevs = rasp.Select(rasp.indices, rasp.indices, rasp.Comparison.LEQ)
    return rasp.numerical(rasp.Aggregate(prevs, bools, default=0)).named("frac_prevs")


def make_pair_balance(sop: rasp.SOp, open_token, close_token) -> rasp.SOp:
    """``(#{j <= i : sop_j = open} - #{j <= i : sop_j = close}) / (i + 1)``: the running
    balance of one pair of brackets, as a fraction of the prefix length."""
    bools_open = rasp.numerical(sop == open_token).named("bools_open")
    opens = rasp.numerical(make_frac_prevs(bools_open)).named("opens")
    bools_close = rasp.numerical(sop == close_token).named("bools_close")
    closes = rasp.numerical(make_frac_prevs(bools_close)).named("closes")
    balance = rasp.numerical(rasp.LinearSequenceMap(opens, closes, 1, -1))
    return balance.named("pair_balance")


def make_shuffle_dyck(pairs: Sequence[str]) -> rasp.SOp:
    """True at every position if `tokens` is in the shuffle of the Dyck languages of
    `pairs` (for each pair, no prefix closes more than it opens and the whole word closes
    all it opens; other tokens are ignored), else False.

    Raises:
        RaspError: no pairs, or a pair that is not two tokens.
    """
    if not pairs:
        raise RaspError("make_shuffle_dyck: pairs must name at least one pair, got none")
    balances = []
    for pair in pairs:
        if len(pair) != 2:
            raise RaspError(f"make_shuffle_dyck: pair {pair!r} is not an opening and a "
                            "closing token")
        open_token, close_token = pair[0], pair[1]
        balances.append(make_pair_balance(rasp.tokens, open_token, close_token)
                        .named(f"balance_{pair}"))
    any_negative = balances[0] < 0
    for balance in balances[1:]:
        any_negative = any_negative | (balance < 0)
    any_negative = rasp.numerical(rasp.Map(lambda x: x, any_negative)).named("any_negative")
    select_all = rasp.Select(rasp.indices, rasp.indices, rasp.Comparison.TRUE).named(
        "select_all")
    has_neg = rasp.numerical(rasp.Aggregate(select_all, any_negative, default=0)).named(
        "has_neg")
    all_zero = balances[0] == 0
    for balance in balances[1:]:
        all_zero = all_zero & (balance == 0)
    select_last = rasp.Select(rasp.indices, make_length() - 1, rasp.Comparison.EQ).named(
        "select_last")
    last_zero = rasp.Aggregate(select_last, all_zero).named("last_zero")
    not_has_neg = (~has_neg).named("not_has_neg")
    return (last_zero & not_has_neg).named("shuffle_dyck")


def make_shuffle_dyck2() -> rasp.SOp:
    """`make_shuffle_dyck` of the pairs ``()`` and ``{}``."""
    return make_shuffle_dyck(pairs=["()", "{}"]).named("shuffle_dyck2")


def make_hist() -> rasp.SOp:
    """``#{j : x_j = x_i}``: how often the token at i occurs in the input."""
    same_tok = rasp.Select(rasp.tokens, rasp.tokens, rasp.Comparison.EQ).named("same_tok")
    return rasp.SelectorWidth(same_tok).named("hist")


def make_sort_unique(vals: rasp.SOp, keys: rasp.SOp) -> rasp.SOp:
    """`vals` sorted by `keys` ascending, for distinct keys: position i takes ``vals_j``
    for the j whose key has exactly i keys below it."""
    smaller = rasp.Select(keys, keys, rasp.Comparison.LT).named("smaller")
    target_pos = rasp.SelectorWidth(smaller).named("target_pos")
    sel_new = rasp.Select(target_pos, rasp.indices, rasp.Comparison.EQ)
    return rasp.Aggregate(sel_new, vals).named("sort")


def make_sort(vals: rasp.SOp, keys: rasp.SOp, *, max_seq_len: int, min_key: float) -> rasp.SOp:
    """`vals` sorted by numerical `keys`, ties kept in input order: `make_sort_unique` on
    the keys ``keys_i + min_key * i / max_seq_len``, distinct when every two keys differ
    by at least `min_key` and ``n <= max_seq_len``."""
    keys = rasp.SequenceMap(lambda x, i: x + min_key * i / max_seq_len, keys, rasp.indices)
    return make_sort_unique(vals, keys)


def make_sort_freq(max_seq_len: int) -> rasp.SOp:
    """The tokens sorted by how often they occur, most frequent first, ties in input order:
    `make_sort` of `tokens` by ``-hist``."""
    hist = -1 * make_hist().named("hist")
    return make_sort(rasp.tokens, hist, max_seq_len=max_seq_len, min_key=1).named(
        "sort_freq")


def shift_by(offset: int, /, sop: rasp.SOp) -> rasp.SOp:
    """``sop_{i - offset}``, None for ``i < offset``: the query i selects the key
    ``j = i - offset``."""
    select_off = rasp.Select(rasp.indices, rasp.indices, lambda k, q: q == k + offset)
    return rasp.Aggregate(select_off, sop, default=None).named(f"shift_by({offset})")


def detect_pattern(sop: rasp.SOp, pattern: Sequence) -> rasp.SOp:
    """Whether ``sop_{i-m+1} ... sop_i`` equals `pattern` (length m): True or False from
    position m - 1 on, None before (the shifted detectors are None there).

    Raises:
        RaspError: an empty pattern.
    """
    if len(pattern) < 1:
        raise RaspError(f"detect_pattern: the pattern must have at least one element, got "
                        f"{pattern!r}")
    detectors = []
    for back, element in enumerate(reversed(pattern)):
        detector = sop == element
        if back:
            detector = shift_by(back, detector)
        detectors.append(detector)
    detected = detectors.pop()
    while detectors:
        detected = detected & detectors.pop()
    return detected.named(f"detect_pattern({pattern})")


def make_count_less_freq(n: int) -> rasp.SOp:
    """``#{j : hist_j <= n}`` at every position: how many positions hold a token that
    occurs at most `n` times (Tracr's docstring says "fewer than n"; the program says at
    most n)."""
    hist = make_hist().named("hist")
    select_less = rasp.Select(hist, hist, lambda x, y: x <= n).named("select_less")
    return rasp.SelectorWidth(select_less).named("count_less_freq")


def make_count(sop: rasp.SOp, token) -> rasp.SOp:
    """``#{j : sop_j = token}`` at every position."""
    return rasp.SelectorWidth(rasp.Select(sop, sop, lambda k, q: k == token)).named(
        f"count_{token}")


def make_nary_sequencemap(f: Callable, *sops: rasp.SOp) -> rasp.SOp:
    """``f(s1_i, ..., sk_i)``: binary `SequenceMap`s gather the values into a tuple at
    each position, then one `Map` applies `f` (for one S-op, ``Map(f, s1)``; Tracr's
    version calls ``f(*s1_i)`` there).

    Raises:
        RaspError: no S-ops.
    """
    if not sops:
        raise RaspError("make_nary_sequencemap: needs at least one S-op, got none")
    values, *rest = sops
    if not rest:
        return rasp.Map(f, values)
    for sop in rest:
        values = rasp.SequenceMap(
            lambda x, y: (*x, y) if isinstance(x, tuple) else (x, y), values, sop)
    return rasp.Map(lambda args: f(*args), values)


PROGRAMS = ("make_length", "make_reverse", "make_frac_prevs", "make_pair_balance",
            "make_shuffle_dyck", "make_shuffle_dyck2", "make_hist", "make_sort_unique",
            "make_sort", "make_sort_freq", "shift_by", "detect_pattern",
            "make_count_less_freq", "make_count", "make_nary_sequencemap")
"""The names of Tracr's library programs, in its order (grouped: non-causal first)."""
