"""Benchmarks on an older commit and on this tree, side by side in one run.

For each benchmark (``tm_steps``, ``subleq_steps``, ``parity_forward``,
``circuit_eval``), the old commit's own script runs in a git worktree of that
commit and this tree's script here, alternately (old, new, then new, old, ...),
`--rounds` times each; every rate is the best of its rounds, and the ratio is
new / old (above 1: this tree is faster). Both scripts measure the same work
(same machines, programs, words and circuit); each checks its own answers, and
a run whose answers are wrong is reported as such.

    python -m benchmarks.old_new --old 0c78c6e            # the redesign's baseline
    python -m benchmarks.old_new --old 0c78c6e --only tm_steps --rounds 5

The worktree goes to a temporary folder (``--tree`` to reuse one) and is left
for the next run; ``git worktree remove`` deletes it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent

# benchmark: (arguments, {metric: path into its JSON (or a regex over its output)})
BENCHMARKS = {
    "tm_steps": (["--quick", "--repeat", "3"],
                 {"torch cached": ("torch cached", "steps_per_s"),
                  "torch uncached": ("torch uncached", "steps_per_s"),
                  "torch one at a time": ("torch one at a time", "steps_per_s"),
                  "torch batched": ("torch batched", "steps_per_s"),
                  "exact": ("exact", "steps_per_s")}),
    "subleq_steps": (["--quick"],
                     {"batch": ("batch", "instructions_per_s"),
                      "loops alone": ("batch", "loops_only_program_steps_per_s"),
                      "one program": ("single", "instructions_per_s")}),
    "parity_forward": (["--words", "1024", "--length", "1024", "--dense-words", "32"],
                       {"forward": ("ours", "words_per_s"),
                        "from strings": ("ours", "end_to_end_words_per_s")}),
    "circuit_eval": (["--gates", "300000", "--batch", "2048", "--reference-gates", "30000"],
                     {"torch evaluator": r"torch \(.*\): ([0-9.e+]+) gate-evaluations/s"}),
}
CORRECT = re.compile(r"(correct|agree|exact): (False)")


def worktree(rev: str, where: str | None) -> Path:
    """A worktree of `rev` (made if missing) at `where` or in the temporary folder."""
    path = Path(where) if where else Path(tempfile.gettempdir()) / f"circuitx-old-{rev}"
    if not (path / "benchmarks").is_dir():
        subprocess.run(["git", "-C", str(HERE), "worktree", "add", "--detach", str(path), rev],
                       check=True, capture_output=True)
    return path


def run_once(tree: Path, name: str, args: list[str], metrics: dict) -> dict:
    """One run of `name` in `tree`: its metrics, and whether its answers were right."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "result.json"
        wants_json = any(isinstance(m, tuple) for m in metrics.values())
        command = [sys.executable, "-m", f"benchmarks.{name}", *args]
        if wants_json:
            command += ["--json", str(out)]
        env = os.environ | {"PYTHONPATH": str(tree)}
        done = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"{name} in {tree} failed:\n{done.stderr[-2000:]}")
        data = json.loads(out.read_text()) if wants_json else {}
    found = {}
    for metric, where in metrics.items():
        if isinstance(where, str):
            found[metric] = float(re.search(where, done.stdout).group(1))
        else:
            value = data
            for key in where:
                value = value[key]
            found[metric] = float(value)
    found["wrong"] = bool(CORRECT.search(done.stdout))
    return found


def compare(old: Path, name: str, rounds: int) -> list[dict]:
    args, metrics = BENCHMARKS[name]
    best = {"old": {}, "new": {}}
    wrong = {"old": False, "new": False}
    for r in range(rounds):
        order = (("old", old), ("new", HERE)) if r % 2 == 0 else (("new", HERE), ("old", old))
        for side, tree in order:
            found = run_once(tree, name, args, metrics)
            wrong[side] |= found.pop("wrong")
            for metric, rate in found.items():
                best[side][metric] = max(rate, best[side].get(metric, 0.0))
    return [{"benchmark": name, "metric": metric, "old": best["old"][metric],
             "new": best["new"][metric], "new / old": best["new"][metric] / best["old"][metric],
             "wrong answers": [side for side in ("old", "new") if wrong[side]]}
            for metric in metrics]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--old", required=True, help="the older commit (any git revision)")
    parser.add_argument("--tree", help="a worktree of --old to use (made if missing)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", help="comma-separated benchmarks (default: all four)")
    parser.add_argument("--json", dest="json_file", help="Also write the rows here.")
    args = parser.parse_args()
    names = args.only.split(",") if args.only else list(BENCHMARKS)
    unknown = sorted(set(names) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmarks {unknown}; known: {sorted(BENCHMARKS)}")
    old = worktree(args.old, args.tree)
    rows = []
    print(f"old: {args.old} ({old}), new: this tree; best of {args.rounds} alternating rounds")
    print(f"{'benchmark':<15} {'metric':<20} {'old':>12} {'new':>12} {'new / old':>9}")
    for name in names:
        for row in compare(old, name, args.rounds):
            rows.append(row)
            flag = f"  WRONG: {row['wrong answers']}" if row["wrong answers"] else ""
            print(f"{row['benchmark']:<15} {row['metric']:<20} {row['old']:>12.4g} "
                  f"{row['new']:>12.4g} {row['new / old']:>9.2f}{flag}", flush=True)
    if args.json_file:
        Path(args.json_file).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
