"""Sampling 10^6 labelled words of length 100 (label any): ours against plain Python.

For parity, dyck2 and tomita3, in one run:

* ``ours``: `Language.sample(100, 10**6, "any", seed=0)`, Python strings out
  (the numpy counting sampler, then one decode), timed end to end;
* ``naive rejection``: the textbook per-word sampler in plain Python: draw a
  uniform word (``random.choices``), test it with the language's hand-written
  `contains`, keep it if its label is still wanted. It runs for a fixed time
  budget; its draws per second, times the expected number of draws for
  5·10^5 members and 5·10^5 non-members (from the exact member share p), is
  its estimated time. For dyck2 (p ≈ 1.4e-18) and tomita3 (p ≈ 4.9e-6) it
  cannot finish at all; the estimate says how far off it is;
* ``naive exact``: a per-word, per-symbol counting sampler in plain Python (exact
  integer completion counts, the same distribution as ours) for the members,
  rejection for the non-members; timed on a few thousand words and scaled.

Ratios are naive seconds / ours. `--quick` samples 10^5 words and shortens the
budgets (the ratios are then per word, scaled the same way).

    python -m benchmarks.sampling [--quick] [--words N] [--length N] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time

from languages import zoo

LANGUAGES = ("parity", "dyck2", "tomita3")


def naive_rejection_rate(language, length: int, budget: float, seed: int) -> tuple[int, float]:
    """Draws tested per second by the per-word rejection sampler (label any)."""
    rng = random.Random(seed)
    alphabet, contains = language.alphabet, language.contains
    wanted = {True: 1 << 62, False: 1 << 62}
    draws, start = 0, time.perf_counter()
    kept = []
    while time.perf_counter() - start < budget:
        for _ in range(256):
            word = "".join(rng.choices(alphabet, k=length))
            label = contains(word)
            if wanted[label]:
                wanted[label] -= 1
                kept.append(word)
        draws += 256
    return draws, draws / (time.perf_counter() - start)


def _dfa_walker(dfa, length: int):
    """Exact completion counts N_r(q) as Python ints, and a per-word walker."""
    counts = [[int(q in dfa.accepting) for q in range(dfa.states)]]
    for _ in range(length):
        counts.append([sum(counts[-1][r] for r in row) for row in dfa.transitions])

    def member(rng: random.Random) -> str:
        state, out = dfa.start, []
        for r in range(length, 0, -1):
            x = rng.randrange(counts[r][state])
            for i, following in enumerate(dfa.transitions[state]):
                x -= counts[r - 1][following]
                if x < 0:
                    out.append(dfa.alphabet[i])
                    state = following
                    break
        return "".join(out)

    return member


def _dyck_walker(pairs: str, length: int):
    """Exact Dyck path counts paths[r][h] (r steps back to 0 from height h), per word."""
    paths = [[int(h == 0) for h in range(length + 2)]]
    for _ in range(length):
        last = paths[-1]
        paths.append([(last[h - 1] if h else 0) + last[h + 1] for h in range(length + 1)] + [0])
    kinds = len(pairs) // 2

    def member(rng: random.Random) -> str:
        height, stack, out = 0, [], []
        for r in range(length, 0, -1):
            up = paths[r - 1][height + 1]
            if rng.randrange(paths[r][height]) < up:
                t = rng.randrange(kinds)
                out.append(pairs[2 * t])
                stack.append(t)
                height += 1
            else:
                out.append(pairs[2 * stack.pop() + 1])
                height -= 1
        return "".join(out)

    return member


def naive_exact(language, length: int, words: int, seed: int) -> float:
    """Seconds for `words` labelled words (label any) by the plain-Python exact sampler."""
    rng = random.Random(seed)
    start = time.perf_counter()
    if hasattr(language, "dfa"):
        member = _dfa_walker(language.dfa, length)
    else:
        member = _dyck_walker(language.alphabet, length)
    out = [member(rng) for _ in range((words + 1) // 2)]
    while len(out) < words:
        word = "".join(rng.choices(language.alphabet, k=length))
        if not language.contains(word):
            out.append(word)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10^5 words, short budgets.")
    parser.add_argument("--words", type=int, default=None)
    parser.add_argument("--length", type=int, default=100)
    parser.add_argument("--json", dest="json_file", help="Also write the results here.")
    args = parser.parse_args()
    words = args.words or (10**5 if args.quick else 10**6)
    budget, exact_words = (0.3, 400) if args.quick else (2.0, 4000)
    n = args.length

    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"{words} words of length {n}, label any; {cpus} CPUs usable")
    print(f"{'language':>9} {'ours s':>8} {'member share':>13} {'naive rej. s':>13} "
          f"{'ratio':>10} {'naive exact s':>14} {'ratio':>7}")
    results = {}
    for name in LANGUAGES:
        language = zoo.get(name)
        language.sample(n, 4096, "any", seed=1)  # warm-up: builds the sampling tables for n
        start = time.perf_counter()
        sampled = language.sample(n, words, "any", seed=0)
        ours = time.perf_counter() - start
        assert len(sampled) == words

        share = language.count(n) / len(language.alphabet) ** n
        draws, rate = naive_rejection_rate(language, n, budget, seed=0)
        expected_draws = words / 2 / share + words / 2 / (1 - share)
        rejection = expected_draws / rate
        exact = naive_exact(language, n, exact_words, seed=0) * words / exact_words
        results[name] = {"ours_s": ours, "member_share": share, "naive_draws": draws,
                         "naive_draws_per_s": rate, "naive_rejection_s_estimated": rejection,
                         "naive_exact_s_scaled": exact, "naive_exact_words": exact_words,
                         "ratio_rejection": rejection / ours, "ratio_exact": exact / ours}
        print(f"{name:>9} {ours:8.2f} {share:13.3g} {rejection:13.3g} "
              f"{rejection / ours:9.3g}x {exact:14.1f} {exact / ours:6.0f}x")
    print(f"naive rejection: {budget} s of draws per language ({rate:,.0f} draws/s for the "
          f"last), scaled by the expected draws 0.5 N/p + 0.5 N/(1-p); naive exact: "
          f"{exact_words} words, scaled by {words / exact_words:g}")
    if args.json_file:
        with open(args.json_file, "w") as f:
            json.dump({"words": words, "length": n, "languages": results}, f, indent=1)


if __name__ == "__main__":
    main()
