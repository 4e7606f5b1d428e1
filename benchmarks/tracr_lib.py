"""Tracr's library programs beside tracr's own compiler: correctness, size and speed, in one run.

Every program of tracr's ``compiler/lib.py`` (Lindner et al. 2023), built
once with tracr's ``rasp`` and ``lib`` and once with ours (`languages.rasp`,
`languages.rasp_lib`: the same program, operation for operation), compiled
at each maximum length L in ``--lengths`` (8, 16, 32, 64, 128):

* tracr: ``compile_rasp_to_model(program, vocab, max_seq_len=L)`` with its
  defaults (``mlp_exactness`` 100, attention softmax coldness 100);
* ours: `compilers.programs.rasp_compile.compile_rasp`, then the torch module;
  ``--attention softmax`` compiles ours with softmax heads at the derived
  inverse temperature (`compilers.programs.rasp_softmax`), ``both`` adds that
  as a third column (``ours_softmax``); ``--skip-tracr`` runs ours only.

On the same batch of ``--words`` random inputs of length L (over the program's
vocabulary; a permutation of ``0 .. L-1`` for ``sort_unique``, whose keys must
be distinct), the script reports, for both: the fraction of inputs whose every
position equals the RASP evaluator's value (ours: `languages.rasp.evaluate`;
tracr's evaluator gives the same values), compile time, parameters (tracr:
every entry of its weight arrays; ours: the dense count of `compile` and
`stats`), layers (tracr: its model's layers, an attention and an MLP each;
ours: the Cookbook's count, `compilers.library.size`), and the forward time
on that batch (float32, CPU, the best of ``--repeats`` after three untimed
calls: tracr's jitted JAX forward, whose jit compilation, in its first call,
is counted in neither its compile time nor its forward time; ours frozen
(`compilers.backends.torch_frozen`: a snapshot of the module's weights, its
forward at L generated as one function on numpy's kernels), whose freezing and
generation are counted in its compile time; the eager module's forward under
``torch.inference_mode`` is reported beside it, with the largest difference
between the two's outputs). Each cell runs in a fresh child process; tracr
compiles a tiny program first, untimed, so that JAX's start-up is not counted
as its compile time. Both run on one CPU thread (``torch.set_num_threads(1)``;
XLA's single-threaded CPU flags; numpy's BLAS by ``OPENBLAS_NUM_THREADS``), so
that a shared machine's load disturbs both alike; and where both ran, a third
child (``--paired``, `run_paired`) builds both again and times the two
forwards alternately, best of 20 each, in one process: the forward ratio to
report, since load that comes and goes between two children does not cancel.

Decoding, the same for both: a categorical output is read by argmax (tracr's
own unembedding; ours rounds each one-hot entry and takes the one at 1, the
zero vector being None); a numerical output is taken to the nearest value of
the exact value set that our compiler infers (generous to tracr, whose raw
numbers are off by more than float rounding). A cell that raises, or runs past
``--timeout`` seconds (each compile runs in a child process), is reported as
such; ours is not run past ``--max-params`` dense parameters, and past
``--max-frozen-params`` it is not frozen: its eager module alone runs (its
forward time is then the eager one, and its outputs are the eager module's;
the frozen snapshot copies every weight whole and keeps dense copies of its
restricted products, which `sort_freq` at L = 128, 2.6 · 10⁹ dense parameters,
cannot hold in memory beside the module).

Needs tracr and JAX beside this project, in a separate environment::

    python -m venv /work/.venv-tracr && . /work/.venv-tracr/bin/activate
    pip install torch==2.13.0 && pip install -e . tracr-pypi jax
    python -m benchmarks.tracr_lib [--lengths 8,16,32,64,128] [--words 64] [--json]

``--json`` prints one JSON object per line, one line per program and length;
``--table FILE...`` prints the markdown table of such files and runs nothing.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import time
from fractions import Fraction
from pathlib import Path

# numpy's BLAS on one thread, as torch and XLA (read when numpy loads, just below)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

PROGRAMS = ("length", "reverse", "hist", "frac_prevs", "pair_balance", "shuffle_dyck",
            "shuffle_dyck2", "sort_unique", "sort", "sort_freq", "shift_by", "detect_pattern",
            "count_less_freq", "count", "nary_sequencemap")


def program(name: str, L: int, rasp, lib):
    """`name` built with a `rasp` module and its `lib` (tracr's or ours), and its vocab."""
    t = rasp.tokens
    table = {
        "length": (lambda: lib.make_length(), set("abc")),
        "reverse": (lambda: lib.make_reverse(t), set("abc")),
        "hist": (lambda: lib.make_hist(), set("abc")),
        "frac_prevs": (lambda: lib.make_frac_prevs(t == "x"), set("xy")),
        "pair_balance": (lambda: lib.make_pair_balance(t, "(", ")"), set("()")),
        "shuffle_dyck": (lambda: lib.make_shuffle_dyck(["()"]), set("()")),
        "shuffle_dyck2": (lambda: lib.make_shuffle_dyck2(), set("(){}")),
        "sort_unique": (lambda: lib.make_sort_unique(t, t), set(range(L))),
        "sort": (lambda: lib.make_sort(t, t, max_seq_len=L, min_key=1), {1, 2, 3, 4, 5}),
        "sort_freq": (lambda: lib.make_sort_freq(L), {1, 2, 3}),
        "shift_by": (lambda: lib.shift_by(1, t), set("abc")),
        "detect_pattern": (lambda: lib.detect_pattern(t, "abc"), set("abc")),
        "count_less_freq": (lambda: lib.make_count_less_freq(2), set("abc")),
        "count": (lambda: lib.make_count(t, "a"), set("abc")),
        "nary_sequencemap": (lambda: lib.make_nary_sequencemap(
            lambda x, y, z: (x + y + z) % 3, t, t, rasp.indices), {0, 1, 2}),
    }
    build, vocab = table[name]
    return build(), vocab


def inputs(name: str, vocab: set, L: int, count: int, seed: int) -> list:
    rng = np.random.default_rng(seed)
    if name == "sort_unique":
        return [[int(x) for x in rng.permutation(L)] for _ in range(count)]
    ordered = sorted(vocab, key=repr)
    return [[ordered[k] for k in rng.integers(len(ordered), size=L)] for _ in range(count)]


def _best_of(repeats: int, call):
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        result = call()
        best = min(best, time.perf_counter() - start)
    return best, result


def _nearest(value: float, values) -> Fraction:
    ordered = np.asarray([float(v) for v in values])
    k = int(np.argmin(np.abs(ordered - value)))
    return values[k]


def _right(got: list, expected: list) -> bool:
    for g, e in zip(got, expected, strict=True):
        if (e is None) != (g is None):
            return False
        if e is None:
            continue
        if isinstance(e, bool | str | tuple) or isinstance(g, str | tuple):
            if g != e:
                return False
        elif abs(float(g) - float(e)) > 1e-9 * max(1.0, abs(float(e))):
            return False
    return True


def run_ours(name: str, L: int, words: int, seed: int, repeats: int, max_params: int,
             attention: str = "average-hard", max_frozen: int = 1 << 62,
             calls: dict | None = None) -> dict:
    import torch

    from compilers.backends.torch_frozen import freeze
    from compilers.backends.torch_module import TorchTransformer
    from compilers.library import size
    from compilers.programs.rasp_compile import compile_rasp
    from compilers.runs.stats import transformer_stats
    from languages import rasp, rasp_lib

    torch.set_num_threads(1)
    expr, vocab = program(name, L, rasp, rasp_lib)
    start = time.perf_counter()
    compiled = compile_rasp(expr, vocab=vocab, max_seq_len=L, bos="BOS", attention=attention)
    params = transformer_stats(compiled.transformer)["parameters (dense)"]
    out = {"params": params, "layers": size(compiled.transformer).layers}
    if compiled.beta is not None:
        out["beta"] = float(compiled.beta)
    if params > max_params:
        out["compile_s"] = time.perf_counter() - start
        out["skipped"] = f"{params} dense parameters > --max-params"
        return out
    module = TorchTransformer(compiled.transformer, dtype="float32")
    frozen = None
    if params <= max_frozen:
        frozen = freeze(module)
        frozen.source(L + 1, L)  # the generated forward at this length (BOS and L tokens)
    else:
        out["frozen"] = f"not built: {params} dense parameters > --max-frozen-params"
    out["compile_s"] = time.perf_counter() - start
    batch = inputs(name, vocab, L, words, seed)
    ids = module.encode_tokens([[compiled.bos, *(compiled.tokens[x] for x in xs)]
                                for xs in batch])
    with torch.inference_mode():
        for _ in range(3):
            module(ids, n=L)
            if frozen is not None:
                frozen(ids, n=L)
        out["eager_forward_s"], eager = _best_of(repeats, lambda: module(ids, n=L))
        result = eager
        if frozen is not None:
            out["forward_s"], result = _best_of(repeats, lambda: frozen(ids, n=L))
    if frozen is not None:
        out["frozen_eager_max_diff"] = max(
            float((result.outputs[o] - eager.outputs[o]).abs().max()) for o in compiled.outputs)
    out["suspect"] = int(result.suspect.sum())  # examples a guarded head flagged
    if calls is not None:  # for `run_paired`
        run = frozen if frozen is not None else module
        calls["ours"] = lambda: _inference(lambda: run(ids, n=L))
    columns = [result.outputs[o].double().numpy() for o in compiled.outputs]
    right = 0
    for b, xs in enumerate(batch):
        got = []
        for t in range(1, L + 1):
            row = [c[b, t] for c in columns]
            if compiled.numerical:
                got.append(_nearest(row[0], compiled.values) if compiled.values else row[0])
            else:
                hot = [k for k, v in enumerate(row) if round(v) == 1]
                got.append(compiled.values[hot[0]] if len(hot) == 1 else None)
        right += _right(got, rasp.evaluate(expr, xs))
    out["accuracy"] = right / len(batch)
    return out


def _inference(call):
    import torch

    with torch.inference_mode():
        return call()


def run_tracr(name: str, L: int, words: int, seed: int, repeats: int,
              calls: dict | None = None) -> dict:
    import jax
    import jax.numpy as jnp
    from tracr.compiler import compiling
    from tracr.compiler import lib as tracr_lib
    from tracr.rasp import rasp as tracr_rasp

    from compilers.programs.rasp_values import ValueSets
    from languages import rasp, rasp_lib

    compiling.compile_rasp_to_model(tracr_lib.make_length(), vocab={"a"}, max_seq_len=2,
                                    compiler_bos="BOS")  # JAX's start-up, not timed
    expr, vocab = program(name, L, tracr_rasp, tracr_lib)
    start = time.perf_counter()
    model = compiling.compile_rasp_to_model(expr, vocab=vocab, max_seq_len=L,
                                            compiler_bos="BOS")
    out = {"compile_s": time.perf_counter() - start,
           "params": int(sum(np.size(w) for layer in model.params.values()
                             for w in layer.values())),
           "layers": int(model.model_config.num_layers)}
    ours, _ = program(name, L, rasp, rasp_lib)
    values = None
    if rasp.is_numerical(ours):  # the exact value set at L, for the nearest-value decoding
        values = sorted(Fraction(v) for v in ValueSets(vocab, L).flat(ours))
    batch = inputs(name, vocab, L, words, seed)
    encode = model.input_encoder.encoding_map
    ids = jnp.asarray([[encode["BOS"], *(encode[x] for x in xs)] for xs in batch])
    forward = jax.jit(lambda params, x: model.forward(params, x).unembedded_output)
    for _ in range(3):  # the first call compiles the jit (timed nowhere); three, as ours
        forward(model.params, ids).block_until_ready()
    out["forward_s"], result = _best_of(repeats, lambda: forward(model.params, ids)
                                        .block_until_ready())
    if calls is not None:  # for `run_paired`
        calls["tracr"] = lambda: forward(model.params, ids).block_until_ready()
    raw = np.asarray(result)
    right = 0
    for b, xs in enumerate(batch):
        if values is not None:
            got = [_nearest(float(v), values) for v in raw[b, 1:].reshape(-1)[:L]]
        else:
            got = model.output_encoder.decode([int(v) for v in raw[b, 1:]])
        right += _right(got, rasp.evaluate(ours, xs))
    out["accuracy"] = right / len(batch)
    return out


def run_paired(name: str, L: int, words: int, seed: int, repeats: int) -> dict:
    """Both forwards on the same batch in one process, timed alternately (ours, tracr,
    ours, ...) after the untimed calls of `run_ours` and `run_tracr`: the best of
    `repeats` each, under the same load, so that their ratio holds on a busy machine."""
    calls: dict = {}
    run_ours(name, L, words, seed, 1, 1 << 62, calls=calls)
    run_tracr(name, L, words, seed, 1, calls=calls)
    best = dict.fromkeys(calls, float("inf"))
    for _ in range(repeats):
        for side, call in calls.items():
            start = time.perf_counter()
            call()
            best[side] = min(best[side], time.perf_counter() - start)
    return {f"{side}_forward_s": seconds for side, seconds in best.items()}


def _child(queue, fn, args):
    try:
        queue.put(fn(*args))
    except Exception as error:  # reported in the table, not raised
        queue.put({"error": f"{type(error).__name__}: {str(error)[:160]}"})


def cell(fn, args, timeout: float) -> dict:
    """`fn(*args)` in a child process, or ``{"error": ...}`` past `timeout` seconds."""
    queue = multiprocessing.get_context("fork").Queue()
    child = multiprocessing.get_context("fork").Process(target=_child, args=(queue, fn, args))
    child.start()
    child.join(timeout)
    if child.is_alive():
        child.kill()
        child.join()
        return {"error": f"more than {timeout:.0f} s"}
    return queue.get() if not queue.empty() else {"error": f"exit status {child.exitcode}"}


def _shown(result: dict) -> str:
    if "error" in result:
        return f"error: {result['error']}"
    text = f"params {result['params']:,}, layers {result['layers']}, compile " \
           f"{result['compile_s']:.2f} s"
    if "skipped" in result:
        return text + f", not run ({result['skipped']})"
    if "beta" in result:
        text += f", beta {result['beta']:.4g}"
    if "forward_s" not in result:
        text += f", forward {result['eager_forward_s'] * 1e3:.2f} ms (eager; {result['frozen']})"
    elif "eager_forward_s" in result:
        text += f", forward {result['forward_s'] * 1e3:.2f} ms (frozen; eager " \
                f"{result['eager_forward_s'] * 1e3:.2f} ms)"
    else:
        text += f", forward {result['forward_s'] * 1e3:.2f} ms"
    return text + f", right {result['accuracy']:.3f}"


def _seconds(value) -> str:
    if value is None:
        return "—"
    return f"{value * 1e3:.1f} ms" if value < 1 else f"{value:.1f} s"


def _count(value) -> str:
    if value is None:
        return "—"
    if value >= 10 ** 6:
        return f"{value / 10 ** 6:.1f}M"
    return f"{value / 1000:.1f}k" if value >= 1000 else str(value)


def _right_cell(result: dict) -> str:
    if not result:  # not run (--skip-tracr)
        return "—"
    if "error" in result:
        return result["error"]
    if "skipped" in result:
        return "compiled, not run"
    return f"{result['accuracy']:.0%}"


def table(rows: list[dict]) -> str:
    """The markdown table of `--json` rows (docs/benchmarks.md#tracr_lib): the forward ratio
    from the paired timing (from the two cells' own where the paired one did not finish,
    marked "unpaired"), ours' eager forward beside it."""
    lines = ["| program | L | right: ours / tracr | compile: ours / tracr | parameters: ours / "
             "tracr | layers: ours / tracr | forward (paired): ours / tracr | forward ratio "
             "tracr/ours | ours eager |",
             "|---|---:|---|---|---|---|---|---:|---|"]
    for row in rows:
        ours, tracr, paired = row.get("ours", {}), row.get("tracr", {}), row.get("paired", {})
        mine, theirs = paired.get("ours_forward_s"), paired.get("tracr_forward_s")
        mark = ""
        if mine is None and "forward_s" in ours and "forward_s" in tracr:
            mine, theirs, mark = ours["forward_s"], tracr["forward_s"], " (unpaired)"
        ratio = f"{theirs / mine:.2f}{mark}" if mine and theirs else ""
        lines.append(
            f"| {row['program']} | {row['L']} | {_right_cell(ours)} / {_right_cell(tracr)} | "
            f"{_seconds(ours.get('compile_s'))} / {_seconds(tracr.get('compile_s'))} | "
            f"{_count(ours.get('params'))} / {_count(tracr.get('params'))} | "
            f"{ours.get('layers', '—')} / {tracr.get('layers', '—')} | "
            f"{_seconds(mine)} / {_seconds(theirs)} | {ratio} | "
            f"{_seconds(ours.get('eager_forward_s'))} |")
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lengths", default="8,16,32,64,128")
    parser.add_argument("--programs", default=",".join(PROGRAMS))
    parser.add_argument("--words", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--max-params", type=int, default=200_000_000)
    parser.add_argument("--max-frozen-params", type=int, default=200_000_000,
                        help="past this many dense parameters ours runs its eager module "
                             "only, not frozen")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--attention", choices=("average-hard", "softmax", "both"),
                        default="average-hard")
    parser.add_argument("--skip-tracr", action="store_true")
    parser.add_argument("--paired", type=int, default=20, metavar="REPEATS",
                        help="time both forwards alternately in one process, best of "
                             "REPEATS each (0: not)")
    parser.add_argument("--table", nargs="+", metavar="JSONL",
                        help="print the markdown table of earlier --json output files, and "
                             "run nothing")
    args = parser.parse_args(argv)
    if args.table:
        rows = [json.loads(line) for path in args.table
                for line in Path(path).read_text().splitlines() if line.strip()]
        print(table(rows))
        return
    os.environ["XLA_FLAGS"] = ("--xla_cpu_multi_thread_eigen=false "
                               "intra_op_parallelism_threads=1")  # before JAX loads
    rows = []
    for name in args.programs.split(","):
        for L in (int(x) for x in args.lengths.split(",")):
            ours = (name, L, args.words, args.seed, args.repeats, args.max_params)
            row = {"program": name, "L": L}
            if args.attention in ("average-hard", "both"):
                row["ours"] = cell(run_ours, (*ours, "average-hard", args.max_frozen_params),
                                   args.timeout)
            if args.attention in ("softmax", "both"):
                row["ours_softmax"] = cell(run_ours, (*ours, "softmax", args.max_frozen_params),
                                           args.timeout)
            if not args.skip_tracr:
                row["tracr"] = cell(run_tracr, (name, L, args.words, args.seed, args.repeats),
                                    args.timeout)
            if args.paired and all("forward_s" in row.get(k, {}) for k in ("ours", "tracr")):
                row["paired"] = cell(run_paired, (name, L, args.words, args.seed,
                                                  args.paired), args.timeout)
            rows.append(row)
            if args.json:  # one JSON object a line, as each cell finishes
                print(json.dumps(row, default=str), flush=True)
            else:
                print(f"{name:16s} L={L:3d}", flush=True)
                for column in ("ours", "ours_softmax", "tracr"):
                    if column in row:
                        print(f"{'':16s} {column:>12s}: {_shown(row[column])}", flush=True)
                paired = row.get("paired", {})
                if "error" in paired:
                    print(f"{'':16s} {'paired':>12s}: error: {paired['error']}", flush=True)
                elif paired:
                    print(f"{'':16s} {'paired':>12s}: forward ours "
                          f"{paired['ours_forward_s'] * 1e3:.2f} ms, tracr "
                          f"{paired['tracr_forward_s'] * 1e3:.2f} ms", flush=True)


if __name__ == "__main__":
    main()
