"""Machine steps per second of Pérez et al.'s Turing-machine transformer.

Side by side, in one run, on the same machines (5-state, 2-symbol, started on
the blank tape, none halting within the steps asked; the first is the BB(5)
champion), every run checked against the reference trace:

* ``reference``: the plain interpreter `languages.turing.run`;
* ``torch cached``: `compilers.runs.generate` on one machine, the torch
  backend with a prebuilt module (``module=``; the generator caches keys and
  values: step t costs O(t));
* ``torch uncached``: the same module, but every step recomputes the whole
  prefix with `forward` (what a decoder without a cache does: O(t^2) per step);
* ``torch batched``: `generate(first, words, stacked=constructions, ...)` on
  `--batch` machines at once (one construction per input, their weights
  stacked in one module, one generator), against running them one at a time
  (`generate` on one machine each, a fresh module each);
* ``exact``: `generate(..., backend="exact")`, the rational backend (cached),
  on fewer steps (it is O(t) per step in exact fractions).

Every run is timed with ``reference=False`` (the transformer alone) and its
decoded trace (`Result.trace`) checked against `languages.turing.trace`,
computed outside the timing.

Ratios: cached / uncached and batched / one-at-a-time, in steps per second.
`--repeat N` times the cached and uncached runs N times each, alternating, and
keeps the best of each (on a loaded machine); `--threads T` sets torch's CPU
threads (on a machine shared with other jobs, 1 thread keeps the uncached
run's matrix products from fighting over the cores, which favours the
baseline).

    python -m benchmarks.tm_steps [--steps 1000] [--batch 1024] [--device cpu] [--quick]
                                  [--repeat 3] [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import random
import time

import torch

from compilers.backends.torch_module import TorchTransformer
from compilers.constructions import tm
from compilers.runs import generate
from languages.turing import TuringMachine, run, trace

BB5 = "1RB1LC_1RC1RB_1RD0LE_1LA1LD_1RZ0LA"


def machines(count: int, steps: int, seed: int = 0) -> list[str]:
    """BB(5) and random 5-state machines that run `steps` steps without halting."""
    rng = random.Random(seed)
    codes = [BB5]
    while len(codes) < count:
        code = "_".join("".join(rng.choice("01") + rng.choice("LR") + rng.choice("ABCDE")
                                for _ in "01") for _ in "ABCDE")
        if not run(TuringMachine.from_bbchallenge(code), max_steps=steps).halted:
            codes.append(code)
    return codes


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def uncached(construction: tm.TMConstruction, module: TorchTransformer, steps: int) -> list:
    """Generation without a cache: position p reruns `forward` on all p + 1 inputs."""
    encoder = module.encoder.encode_tokens([construction.encoder_tokens()])
    layout = construction.layout
    names = layout.input_dims
    inputs = torch.tensor([[layout.start_vector()]], dtype=module.float_dtype,
                          device=module.device)
    states = []
    with torch.no_grad():
        for _ in range(steps + 1):
            out = module(inputs, encoder_inputs=encoder).outputs
            vector = torch.stack([out[d] for d in names], dim=-1)  # (1, dims)
            states.append(layout.states[int(vector[0, :len(layout.state_dims)].argmax())])
            inputs = torch.cat([inputs, vector[:, None]], dim=1)
    return states[1:]


def _timed(function, device: str):
    _sync(device)
    start = time.perf_counter()
    value = function()
    _sync(device)
    return time.perf_counter() - start, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=1024)
    parser.add_argument("--single", type=int, default=4,
                        help="Machines run one at a time for the per-machine baseline.")
    parser.add_argument("--exact-steps", type=int, default=300)
    parser.add_argument("--dtype", default="float64")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--quick", action="store_true",
                        help="200 steps, a batch of 64, 100 exact steps.")
    parser.add_argument("--repeat", type=int, default=1,
                        help="Best of this many cached and uncached runs.")
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's)")
    parser.add_argument("--json", dest="json_file", help="Also write the results here.")
    args = parser.parse_args()
    if args.quick:
        args.steps, args.batch, args.exact_steps, args.single = 200, 64, 100, 2
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    steps, device = args.steps, args.device

    codes = machines(args.batch, steps)
    constructions = [tm.build(c) for c in codes]
    references = [trace(c.machine, max_steps=steps) for c in constructions]
    results: dict = {"device": device, "dtype": args.dtype, "steps": steps,
                     "batch": args.batch, "threads": torch.get_num_threads(),
                     "repeat": args.repeat}

    seconds, _ = _timed(lambda: [run(c.machine, max_steps=steps) for c in constructions[:64]],
                        device)
    results["reference"] = {"steps_per_s": 64 * steps / seconds}

    first = constructions[0]
    module = TorchTransformer(first.transformer, dtype=args.dtype, device=device)
    torch_run = {"backend": "torch", "dtype": args.dtype, "device": device, "reference": False}
    generate(first, [""], module=module, max_steps=100, **torch_run)  # warm-up
    cached_s = uncached_s = float("inf")
    for _ in range(args.repeat):  # alternating, the best of each
        seconds, runs = _timed(lambda: generate(first, [""], module=module, max_steps=steps,
                                                **torch_run), device)
        cached_s = min(cached_s, seconds)
        seconds, states = _timed(lambda: uncached(first, module, steps), device)
        uncached_s = min(uncached_s, seconds)
    results["torch cached"] = {"steps_per_s": steps / cached_s, "seconds": cached_s,
                               "correct": list(runs[0].trace) == references[0]}
    results["torch uncached"] = {
        "steps_per_s": steps / uncached_s, "seconds": uncached_s,
        "correct": states == [s.next_state for s in references[0]]}
    results["cached / uncached"] = (results["torch cached"]["steps_per_s"]
                                    / results["torch uncached"]["steps_per_s"])

    single_time = 0.0
    single_ok = True
    for c, reference in zip(constructions[:args.single], references, strict=False):
        seconds, runs = _timed(lambda c=c: generate(c, [""], max_steps=steps, **torch_run),
                               device)
        single_time += seconds
        single_ok &= list(runs[0].trace) == reference
    results["torch one at a time"] = {"steps_per_s": args.single * steps / single_time,
                                      "correct": single_ok}
    stacked = TorchTransformer([c.transformer for c in constructions], dtype=args.dtype,
                               device=device)
    seconds, runs = _timed(lambda: generate(first, [""] * len(constructions),
                                            stacked=constructions, module=stacked,
                                            max_steps=steps, **torch_run), device)
    results["torch batched"] = {
        "steps_per_s": args.batch * steps / seconds, "seconds": seconds,
        "correct": all(list(r.trace) == t for r, t in zip(runs, references, strict=True)),
        "trusted": sum(r.trusted for r in runs)}
    results["batched / one at a time"] = (results["torch batched"]["steps_per_s"]
                                          / results["torch one at a time"]["steps_per_s"])

    exact_steps = min(args.exact_steps, steps)
    seconds, (exact,) = _timed(lambda: generate(first, [""], backend="exact",
                                                max_steps=exact_steps, reference=False), device)
    results["exact"] = {"steps": exact_steps, "steps_per_s": exact_steps / seconds,
                        "correct": list(exact.trace) == references[0][:exact_steps]}

    print(f"Pérez et al. TM transformer, {steps} steps, {args.dtype} on {device} "
          f"({torch.get_num_threads()} threads, best of {args.repeat})")
    for name in ("reference", "torch cached", "torch uncached", "torch one at a time",
                 "torch batched", "exact"):
        r = results[name]
        extra = f", correct: {r['correct']}" if "correct" in r else ""
        print(f"  {name:>20}: {r['steps_per_s']:>14,.0f} steps/s{extra}")
    print(f"  cached / uncached at {steps} steps: {results['cached / uncached']:.1f}x "
          "(target: 10x at 1000 steps)")
    print(f"  batched ({args.batch}) / one at a time: {results['batched / one at a time']:.1f}x")
    print(f"  reference / torch batched: "
          f"{results['reference']['steps_per_s'] / results['torch batched']['steps_per_s']:.1f}x")
    if args.json_file:
        with open(args.json_file, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
