"""The Cookbook's Dyck-k recipe, built from library blocks against the same model by hand.

`compilers.constructions.dyck` builds Dyck-k of depth at most D from the
block library (`compilers.library`: `attention.argmax`, `ffn.and_`,
`ffn.clear`, `norm.layer_norm`, ...). Here the same two models (unique-hard
and average-hard) are written directly in the IR, entry by entry, as
constructions were written before the library (`Transformer`, `Attention`,
`Head`, `MLP`, `LayerNorm`, `matrix`). Side by side, in one run:

* compile time: the checked IR (the library recipe's `transformer` vs the
  hand-written one), and the IR's torch module (the same `TorchTransformer`
  for both), the best of `--compile-repeat` builds taken in turns; the whole
  construction (`dyck.build`, float limits included) is printed beside it;
* forward throughput at n = `--length`: words per second of the two torch
  modules on the same token ids (the best of `--repeat` passes, in turns), each
  checked against the language on every word.

The ratios are library / hand (compile: time; forward: words per second).
The library builds ordinary IR, so the forward ratio should be 1 up to noise,
and the hand model must have the library model's size and answers.

    python -m benchmarks.cookbook_dyck [--quick] [--pairs 2] [--depth 3] [--length 1024]
                                       [--words 64] [--device cpu] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import time
from fractions import Fraction

import numpy as np
import torch

from compilers.backends.torch_module import TorchTransformer
from compilers.constructions import dyck, dyck_average, dyck_hard
from compilers.ir import (
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
    TokenEmbedding,
    Transformer,
    check,
    matrix,
)
from compilers.library import size
from languages.dyck import Dyck

HALF = Fraction(1, 2)


def _embedding(pairs: str, extra: dict) -> tuple[TokenEmbedding, list, list]:
    types = range(len(pairs) // 2)
    opens, closes = [f"open{t}" for t in types], [f"close{t}" for t in types]
    table = {(opens[t], pairs[2 * t]): 1 for t in types}
    table |= {(closes[t], pairs[2 * t + 1]): 1 for t in types} | extra
    rows = tuple(dict.fromkeys(r for r, _ in table))
    return (TokenEmbedding(label="embed", tokens=(*pairs, "$"),
                           table=matrix(table, rows=rows, cols=(*pairs, "$"))), opens, closes)


def hard_by_hand(pairs: str, depth: int) -> Transformer:
    """`compilers.constructions.dyck_hard` written entry by entry."""
    types = range(len(pairs) // 2)
    embed, opens, closes = _embedding(
        pairs, {("matched", "$"): 1} | {("one", t): 1 for t in (*pairs, "$")})
    lefts, rights = [f"left{t}" for t in types], [f"right{t}" for t in types]
    score = {"query": matrix({("d0", "one"): 1}), "key": matrix({("d0", "matched"): -1})}
    blocks = []
    for r in range(1, depth + 1):
        left = Head(label=f"left_r{r}", **score, mask="strict_causal",
                    kind=Hard(tie="last", gap=1),
                    value=matrix({e: w for t in types for e, w in (
                        ((lefts[t], opens[t]), 1), ((lefts[t], "matched"), -1))}))
        right = Head(label=f"right_r{r}", **score, mask="strict_anticausal",
                     kind=Hard(tie="first", gap=1),
                     value=matrix({e: w for t in types for e, w in (
                         ((rights[t], closes[t]), 1), ((rights[t], "matched"), -1))}))
        blocks.append(Attention(label=f"round{r}_attn", heads=(left, right)))
        w_in, w_out, b_in, hidden = {}, {}, {}, []
        for t in types:  # relu(close + left - matched - 1), relu(open + right - matched - 1)
            for mine, theirs, side in ((closes[t], lefts[t], "c"), (opens[t], rights[t], "o")):
                unit = f"{side}{t}"
                hidden.append(unit)
                w_in |= {(unit, mine): 1, (unit, theirs): 1, (unit, "matched"): -1}
                b_in[unit] = -1
                w_out[("matched", unit)] = 1
        if r < depth:  # cancel the heads' outputs: x - (relu(x) - relu(-x)) = 0
            for x in (*lefts, *rights):
                hidden += [f"{x}_p", f"{x}_n"]
                w_in |= {(f"{x}_p", x): 1, (f"{x}_n", x): -1}
                w_out |= {(x, f"{x}_p"): -1, (x, f"{x}_n"): 1}
        blocks.append(MLP(label=f"round{r}_mlp", hidden=tuple(hidden), b_in=b_in,
                          w_in=matrix(w_in, rows=tuple(hidden)),
                          w_out=matrix(w_out, cols=tuple(hidden))))
    blocks.append(Attention(label="check", heads=(Head(
        label="verdict", **score, kind=Hard(tie="last", gap=1),
        value=matrix({("verdict", "matched"): 1})),)))
    stream = (*opens, *closes, "matched", "one", *lefts, *rights, "verdict")
    return Transformer(label="dyck_hard_by_hand", stream=stream, inputs=embed,
                       blocks=tuple(blocks),
                       readout=Readout(label="out", matrix=matrix({("logit", "verdict"): 2}),
                                       bias={"logit": -1}, position="last"))


def average_by_hand(pairs: str, depth: int) -> Transformer:
    """`compilers.constructions.dyck_average` written entry by entry."""
    types = range(len(pairs) // 2)
    embed, opens, closes = _embedding(pairs, {})
    levels = range(-1, depth + 1)
    above = {k: f"above{k}".replace("-", "m") for k in levels}
    cut = {k: f"cut{k}".replace("-", "m") for k in levels}
    features = {cut[k]: (k + HALF) / (I + 1) for k in levels} | {
        "one": 1, "i_by_n2": I / (N + 2), "margin": HALF / (N + 1)}
    partners = [f"partner{t}" for t in types]
    step = {(above[k], o): 1 for k in levels for o in opens}
    step |= {(above[k], c): -1 for k in levels for c in closes}
    blocks = [Attention(label="depth", heads=(Head(
        label="depth_h", query=matrix({}, rows=("d0",), cols=()),
        key=matrix({}, rows=("d0",), cols=()), value=matrix(step), kind=AverageHard(),
        mask="causal"),))]
    blocks += [LayerNorm(label=f"norm{k}".replace("-", "m"), dims=(above[k], cut[k]))
               for k in levels]
    query, key = {}, {}
    for k in range(1, depth + 1):  # [h_i = k - 1] . [h_j = k]
        query |= {(f"d{k - 1}", above[k - 2]): HALF, (f"d{k - 1}", above[k - 1]): -HALF}
        key |= {(f"d{k - 1}", above[k - 1]): HALF, (f"d{k - 1}", above[k]): -HALF}
    query |= {(f"d{depth}", "one"): 1, (f"d{depth + 1}", "one"): 1}
    key |= {(f"d{depth}", o): 1 for o in opens} | {(f"d{depth + 1}", "i_by_n2"): HALF}
    rows = tuple(f"d{k}" for k in range(depth + 2))
    blocks.append(Attention(label="partner", heads=(Head(
        label="partner_h", query=matrix(query, rows=rows), key=matrix(key, rows=rows),
        value=matrix({(partners[t], opens[t]): 1 for t in types}),
        kind=AverageHard(gap=1 / (2 * (N + 2))), mask="strict_causal"),)))
    hidden = tuple(f"m{t}" for t in types)  # relu(close_t - partner_t)
    blocks.append(MLP(label="mismatch", hidden=hidden,
                      w_in=matrix({e: w for t in types for e, w in (
                          ((hidden[t], closes[t]), 1), ((hidden[t], partners[t]), -1))},
                          rows=hidden),
                      w_out=matrix({("mismatch", h): 1 for h in hidden}, cols=hidden)))
    bad = {("verdict", "mismatch"): 1, ("verdict", above[-1]): -HALF,
           ("verdict", above[depth]): HALF, ("verdict", "one"): 1}
    blocks.append(Attention(label="verdict", heads=(Head(
        label="verdict_h", query=matrix({}, rows=("d0",), cols=()),
        key=matrix({}, rows=("d0",), cols=()), value=matrix(bad), kind=AverageHard()),)))
    stream = (*opens, *closes, *above.values(), *cut.values(), "one", "i_by_n2", *partners,
              "mismatch", "verdict", "margin")
    readout = matrix({("logit", "margin"): 1, ("logit", "verdict"): -1,
                      ("logit", above[-1]): HALF, ("logit", above[0]): -HALF})
    return Transformer(label="dyck_average_by_hand", stream=stream, inputs=embed,
                       positions=PositionalEncoding(label="positions", features=features),
                       blocks=tuple(blocks),
                       readout=Readout(label="out", matrix=readout, bias={"logit": -1},
                                       position="last"))


def _best(repeat: int, works: dict) -> dict:
    """name -> (the best of `repeat` timings, the last value) for each work, run in turns
    (a, b, a, b, ...) so that a busy machine's drift falls on both."""
    best = {name: (float("inf"), None) for name in works}
    for _ in range(repeat):
        for name, work in works.items():
            start = time.perf_counter()
            value = work()
            best[name] = (min(best[name][0], time.perf_counter() - start), value)
    return best


def _forward(module: TorchTransformer, ids: torch.Tensor, n: int, chunk: int,
             device: str) -> np.ndarray:
    outs = []
    with torch.no_grad():
        for start in range(0, ids.shape[0], chunk):
            outs.append(module(ids[start:start + chunk], n=n, only_readout=True)
                        .outputs["logit"].double().cpu().numpy())
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return np.concatenate(outs)


def _words(oracle: Dyck, count: int, length: int) -> list[str]:
    """Half members, half members with one symbol changed (near misses), seeded."""
    words = oracle.sample(length, count, label="member", seed=1)
    rng = np.random.default_rng(2)
    for k in range(count // 2):
        at = int(rng.integers(length))
        words[k] = words[k][:at] + oracle.alphabet[int(rng.integers(len(oracle.alphabet)))] \
            + words[k][at + 1:]
    return words


def measure(attention: str, args) -> dict:
    pairs = dyck.PAIRS[:2 * args.pairs]
    recipe = dyck_hard if attention == "hard" else dyck_average
    by_hand = hard_by_hand if attention == "hard" else average_by_hand
    built = _best(args.compile_repeat, {
        "library": lambda: recipe.transformer(pairs, args.depth),  # Model.build checks it
        "hand": lambda: check(by_hand(pairs, args.depth))})
    (t_library, library), (t_hand, hand) = built["library"], built["hand"]
    t_construction, (construction,) = _best(args.compile_repeat, {"c": lambda: (dyck.build(
        pairs=args.pairs, depth=args.depth, attention=attention),)})["c"]
    same_size = size(library) == size(hand)
    modules = _best(args.compile_repeat, {
        "library": lambda: TorchTransformer(library, dtype=args.dtype, device=args.device),
        "hand": lambda: TorchTransformer(hand, dtype=args.dtype, device=args.device)})
    (t_module_library, module_library), (t_module_hand, module_hand) = (
        modules["library"], modules["hand"])
    words = _words(construction.oracle, args.words, args.length)
    truth = np.array([construction.oracle.contains(w) for w in words])
    ids = module_library.encode_tokens([construction.tokens(w) for w in words]).to(args.device)
    chunk = max(1, args.chunk)
    for module in (module_library, module_hand):
        _forward(module, ids[:2], args.length, chunk, args.device)  # warm-up
    passes = _best(args.repeat, {name: lambda m=module: _forward(
        m, ids, args.length, chunk, args.device)
        for name, module in (("library", module_library), ("hand", module_hand))})
    rates = {name: {"seconds": seconds, "words_per_s": len(words) / seconds,
                    "correct": bool(np.array_equal(logits > 0, truth))}
             for name, (seconds, logits) in passes.items()}
    return {"attention": attention, "size": size(library).__dict__, "same_size": same_size,
            "members": int(truth.sum()),
            "compile_ir_s": {"library": t_library, "hand": t_hand,
                             "ratio": t_library / t_hand},
            "construction_s": t_construction,
            "compile_module_s": {"library": t_module_library, "hand": t_module_hand,
                                 "ratio": t_module_library / t_module_hand},
            "forward": rates | {"ratio": rates["library"]["words_per_s"]
                                / rates["hand"]["words_per_s"]}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=2)
    parser.add_argument("--depth", type=int, default=3)
    parser.add_argument("--length", type=int, default=1024)
    parser.add_argument("--words", type=int, default=64)
    parser.add_argument("--chunk", type=int, default=8, help="Words per forward pass.")
    parser.add_argument("--repeat", type=int, default=3, help="Forward passes timed.")
    parser.add_argument("--compile-repeat", type=int, default=20, help="Builds timed.")
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--quick", action="store_true",
                        help="16 words, best of 2 (a minute on a busy CPU).")
    parser.add_argument("--json", dest="json_file", help="Also write the results here.")
    args = parser.parse_args()
    if args.quick:
        args.words, args.repeat = 16, 2
    results = {"device": args.device, "dtype": args.dtype, "length": args.length,
               "pairs": args.pairs, "depth": args.depth, "words": args.words,
               "recipes": [measure(a, args) for a in dyck.ATTENTION]}
    print(f"Dyck-{args.pairs} of depth <= {args.depth}, {args.words} words of length "
          f"{args.length} (half members), {args.dtype} on {args.device}; library / hand")
    for r in results["recipes"]:
        f, c, m = r["forward"], r["compile_ir_s"], r["compile_module_s"]
        print(f"  {r['attention']:>12}: same size {r['same_size']} ({r['size']})")
        print(f"      IR build (checked): {c['library'] * 1e3:.2f} ms / {c['hand'] * 1e3:.2f} ms "
              f"= {c['ratio']:.2f}x (the whole construction, with its float limits: "
              f"{r['construction_s'] * 1e3:.2f} ms);  torch module: {m['library'] * 1e3:.2f} ms / "
              f"{m['hand'] * 1e3:.2f} ms = {m['ratio']:.2f}x")
        print(f"      forward: {f['library']['words_per_s']:,.1f} / "
              f"{f['hand']['words_per_s']:,.1f} words/s = {f['ratio']:.2f}x; correct: "
              f"library {f['library']['correct']}, hand {f['hand']['correct']}")
    if args.json_file:
        with open(args.json_file, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
