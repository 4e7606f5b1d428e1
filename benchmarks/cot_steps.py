"""Steps per second of Merrill & Sabharwal's chain-of-thought decoder, and its size.

Side by side, in one run, on the same random DFAs (`--states` states over
`--symbols` symbols, one random word of `--steps` symbols each), every run
checked against the DFA's own run:

* ``reference``: the plain DFA interpreter (a loop over the transition
  table, `compilers.constructions.cot_language.Automaton.run`);
* ``torch cached``: `compilers.runs.generate` on one DFA, the torch backend
  with a prebuilt module (the generator caches keys and values: step t costs
  O(t));
* ``torch uncached``: the same module, but every step recomputes the whole
  prefix with `forward` (a decoder without a cache: O(t^2) per step);
* ``torch batched``: `generate(first, words, stacked=constructions, ...)` on
  `--batch` DFAs at once (their weights stacked in one module, one generator),
  against running them one at a time (`generate` on one DFA each, a fresh
  module each);
* ``exact``: `generate(..., backend="exact")`, the rational backend, on
  fewer steps.

The runs are timed with ``reference=False`` (the transformer alone); their
decoded states are checked outside the timing. Then the model's size against
the number of states and symbols: the decoder's and encoder's width, hidden
units and dense parameters (the torch module's, encoder included) as built,
beside `compilers.constructions.cot.width` (the paper states no width
formula; its transition is the same one-hot table of |Q||Σ| entries: our
``|Q|(|Σ| + 1) + 4`` hidden units are that table, |Q| units that keep the
state on the BOS and the 4 units of the hash).

    python -m benchmarks.cot_steps [--steps 500] [--batch 1024] [--states 8] [--symbols 3]
                                   [--device cpu] [--dtype float64] [--quick] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import random
import time

import torch

from compilers.backends.torch_module import TorchTransformer
from compilers.constructions import cot
from compilers.constructions.cot import BOS, START
from compilers.library import size
from compilers.runs import generate
from languages.dfa import DFA


def dfas(count: int, states: int, symbols: int, seed: int = 0) -> list[DFA]:
    """`count` random complete DFAs of one shape (start 0, random accepting states)."""
    rng = random.Random(seed)
    alphabet = "abcdefghijklmnop"[:symbols]
    return [DFA(alphabet=alphabet, start=0,
                transitions=tuple(tuple(rng.randrange(states) for _ in alphabet)
                                  for _ in range(states)),
                accepting=frozenset(q for q in range(states) if rng.random() < 0.5))
            for _ in range(count)]


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def _timed(function, device: str):
    _sync(device)
    start = time.perf_counter()
    value = function()
    _sync(device)
    return time.perf_counter() - start, value


def uncached(construction: cot.CoTConstruction, module: TorchTransformer, word: str) -> list:
    """Generation without a cache: position p reruns `forward` on all p + 1 tokens."""
    encoder = module.encoder.encode_tokens([[BOS, *word]])
    tokens, states = [START], []
    outputs = construction.transformer.readout.outputs
    with torch.no_grad():
        for _ in range(len(word) + 1):
            out = module(module.encode_tokens([tokens]), encoder_inputs=encoder,
                         only_readout=True).outputs
            logits = torch.stack([out[o] for o in outputs], dim=-1)[0]
            token = outputs[int(logits.argmax())]
            states.append(token)
            tokens.append(token)
    return states[1:]


def sizes(states_list, symbols_list) -> list[dict]:
    """The built model's size beside the width formula, per (|Q|, |Σ|)."""
    rows = []
    for q in states_list:
        for s in symbols_list:
            built = cot.build(dfas(1, q, s)[0]).transformer
            formula = cot.width(q, s)
            decoder, encoder = size(built), size(built.encoder)
            parameters = sum(p.numel() for p in TorchTransformer(built).parameters())
            rows.append({"states": q, "symbols": s, "decoder width": built.width,
                         "formula width": formula["decoder width"],
                         "decoder hidden": decoder.hidden,
                         "formula hidden": formula["decoder hidden"],
                         "encoder width": built.encoder.width, "encoder hidden": encoder.hidden,
                         "paper table |Q||Σ|": q * s, "dense parameters": parameters})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--batch", type=int, default=1024)
    parser.add_argument("--single", type=int, default=4,
                        help="DFAs run one at a time for the per-DFA baseline.")
    parser.add_argument("--states", type=int, default=8)
    parser.add_argument("--symbols", type=int, default=3)
    parser.add_argument("--exact-steps", type=int, default=200)
    parser.add_argument("--dtype", default="float64")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--quick", action="store_true",
                        help="200 steps, a batch of 1024, 100 exact steps, 2 single runs.")
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's)")
    parser.add_argument("--json", dest="json_file", help="Also write the results here.")
    args = parser.parse_args()
    if args.quick:
        args.steps, args.exact_steps, args.single = 200, 100, 2
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    steps, device = args.steps, args.device

    machines = dfas(args.batch, args.states, args.symbols)
    rng = random.Random(1)
    words = ["".join(rng.choice(m.alphabet) for _ in range(steps)) for m in machines]
    constructions = [cot.build(m) for m in machines]
    references = [c.automaton.run(w) for c, w in zip(constructions, words, strict=True)]
    results: dict = {"device": device, "dtype": args.dtype, "steps": steps,
                     "batch": args.batch, "states": args.states, "symbols": args.symbols,
                     "threads": torch.get_num_threads(),
                     "guaranteed_steps": cot.guaranteed_steps(args.dtype)}

    seconds, _ = _timed(lambda: [c.automaton.run(w) for c, w in zip(constructions, words,
                                                                    strict=True)], device)
    results["reference"] = {"steps_per_s": args.batch * steps / seconds}

    first, word = constructions[0], words[0]
    module = TorchTransformer(first.transformer, dtype=args.dtype, device=device)
    torch_run = {"backend": "torch", "dtype": args.dtype, "device": device, "reference": False}
    generate(first, [word[:20]], module=module, max_steps=20, **torch_run)  # warm-up
    seconds, (cached,) = _timed(lambda: generate(first, [word], module=module,
                                                 max_steps=steps, **torch_run), device)
    results["torch cached"] = {"steps_per_s": steps / seconds, "seconds": seconds,
                               "correct": cached.answer.states == references[0]}
    seconds, states = _timed(lambda: uncached(first, module, word), device)
    results["torch uncached"] = {"steps_per_s": steps / seconds, "seconds": seconds,
                                 "correct": tuple(states) == references[0]}
    results["cached / uncached"] = (results["torch cached"]["steps_per_s"]
                                    / results["torch uncached"]["steps_per_s"])

    single_time, single_ok = 0.0, True
    for c, w, reference in list(zip(constructions, words, references, strict=True))[
            :args.single]:
        seconds, (one,) = _timed(lambda c=c, w=w: generate(c, [w], max_steps=steps,
                                                           **torch_run), device)
        single_time += seconds
        single_ok &= one.answer.states == reference
    results["torch one at a time"] = {"steps_per_s": args.single * steps / single_time,
                                      "correct": single_ok}
    stacked = TorchTransformer([c.transformer for c in constructions], dtype=args.dtype,
                               device=device)
    seconds, runs = _timed(lambda: generate(first, words, stacked=constructions,
                                            module=stacked, max_steps=steps, **torch_run),
                           device)
    results["torch batched"] = {
        "steps_per_s": args.batch * steps / seconds, "seconds": seconds,
        "correct": all(r.answer.states == t for r, t in zip(runs, references, strict=True)),
        "trusted": sum(r.trusted for r in runs)}
    results["batched / one at a time"] = (results["torch batched"]["steps_per_s"]
                                          / results["torch one at a time"]["steps_per_s"])

    exact_steps = min(args.exact_steps, steps)
    seconds, (exact,) = _timed(lambda: generate(first, [word[:exact_steps]], backend="exact",
                                                max_steps=exact_steps, reference=False),
                               device)
    results["exact"] = {"steps": exact_steps, "steps_per_s": exact_steps / seconds,
                        "correct": exact.answer.states == references[0][:exact_steps]}
    results["sizes"] = sizes((2, 4, 8, 16, 32, 64), (2, 4, 8))

    print(f"Merrill & Sabharwal CoT decoder, {args.states}-state {args.symbols}-symbol DFAs, "
          f"{steps} steps, {args.dtype} on {device} ({torch.get_num_threads()} threads; "
          f"guaranteed steps in {args.dtype}: {results['guaranteed_steps']})")
    for name in ("reference", "torch cached", "torch uncached", "torch one at a time",
                 "torch batched", "exact"):
        r = results[name]
        extra = f", correct: {r['correct']}" if "correct" in r else ""
        print(f"  {name:>20}: {r['steps_per_s']:>14,.0f} steps/s{extra}")
    print(f"  cached / uncached at {steps} steps: {results['cached / uncached']:.1f}x")
    print(f"  batched ({args.batch}) / one at a time: {results['batched / one at a time']:.1f}x")
    print(f"  reference / torch batched: "
          f"{results['reference']['steps_per_s'] / results['torch batched']['steps_per_s']:.1f}x")
    print("  size against |Q| and |Σ| (built = formula; paper: no formula, |Q||Σ| table):")
    print("    |Q| |Σ|  width  hidden  enc width  enc hidden  |Q||Σ|  dense params")
    for row in results["sizes"]:
        assert row["decoder width"] == row["formula width"]
        assert row["decoder hidden"] == row["formula hidden"]
        print(f"    {row['states']:>3} {row['symbols']:>3}  {row['decoder width']:>5}  "
              f"{row['decoder hidden']:>6}  {row['encoder width']:>9}  "
              f"{row['encoder hidden']:>10}  {row['paper table |Q||Σ|']:>6}  "
              f"{row['dense parameters']:>12,}")
    if args.json_file:
        with open(args.json_file, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
