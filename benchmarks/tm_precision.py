"""Where float runs of the Turing-machine transformer depart from the reference.

For each dtype, runs a batch of 5-state machines that do not halt (BB(5)'s
champion first, then random ones whose head wanders) through the torch backend
for `--steps` steps, as one batch on stacked weights
(`compilers.runs.generate(first, words, stacked=constructions, ...)`), and
compares each decoded trace (`Result.trace`) with `languages.turing.trace`:
the first step that differs, the first step the gap check flagged
(``Result.values["flagged_step"]``), and the steps the run is trusted for
(``Result.values["trusted_bound"]``: the error analysis's bound, cut before a
flagged step, not capped at the steps run). A departure at or before the
trusted steps would be a silent failure (never expected).

    python -m benchmarks.tm_precision [--dtypes float32,float16,bfloat16] [--steps 3000]
"""

from __future__ import annotations

import argparse
import json
import time

from benchmarks.tm_steps import machines
from compilers.constructions import tm
from compilers.runs import generate
from languages.turing import trace


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dtypes", default="float32,float16,bfloat16")
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--machines", type=int, default=8)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--json", dest="json_file")
    args = parser.parse_args()
    constructions = [tm.build(code) for code in machines(args.machines, args.steps)]
    references = [trace(c.machine, max_steps=args.steps) for c in constructions]
    results = []
    for dtype in args.dtypes.split(","):
        start = time.perf_counter()
        runs = generate(constructions[0], [""] * len(constructions), stacked=constructions,
                        backend="torch", dtype=dtype, device=args.device,
                        max_steps=args.steps, reference=False)
        seconds = time.perf_counter() - start
        for c, r, reference in zip(constructions, runs, references, strict=True):
            departure = next((k + 1 for k, (a, b) in enumerate(zip(r.trace, reference,
                                                                     strict=False))
                              if a != b), None)
            trusted = r.values["trusted_bound"]
            results.append({"dtype": dtype, "machine": c.options["machine"],
                            "first_departure": departure,
                            "first_flagged": r.values["flagged_step"],
                            "trusted_steps": trusted,
                            "max_abs_head": max(abs(s.head_after) for s in reference),
                            "silent": departure is not None and departure <= trusted})
        print(f"{dtype}: {len(constructions)} machines x {args.steps} steps in {seconds:.1f} s")
        for r in results[-len(constructions):]:
            print(f"  {r['machine']}: departs at {r['first_departure']}, flagged at "
                  f"{r['first_flagged']}, guaranteed {r['trusted_steps']}, "
                  f"max |head| {r['max_abs_head']}, silent {r['silent']}")
    if args.json_file:
        with open(args.json_file, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
