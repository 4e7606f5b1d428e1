"""PARITY beside tracr: compile time, forward time and correctness, in one run.

tracr (Lindner et al. 2023) compiles RASP programs into transformer weights.
Its PARITY is the program an engineer would write in RASP: count the 1s with
a numerical mean, then map the fraction to the answer with a numerical MLP::

    ones = numerical(Map(t == 1, tokens))
    frac = numerical(Aggregate(Select(tokens, tokens, TRUE), ones))   # k / n
    odd  = numerical(Map(lambda x: round(x * L) % 2, frac))           # a discretising MLP

``frac`` is ``k / n``, which determines k only at one length, so the program
is compiled at maximum length L and run on words of exactly that length (the
kindest setting for it). Its constants are tracr's defaults: attention
"coldness" 100 and ``mlp_exactness`` 100, fixed by hand and not derived from L.

Ours is Chiang & Cholak's PARITY (`compilers.constructions.parity`, the
saturated variant with layer norm): one construction for every n, compiled
once, whose constants come from n and the dtype.

For each L in ``--lengths`` the script reports, for both: compile time,
forward time on the same batch of words of length L (float32, CPU, the best of
20 runs after a warm-up, inference only: tracr's jitted forward, our module
under `torch.inference_mode` with its read-out-only pruning), and the
fraction of those words classified right (for tracr, also the fraction that
its own RASP evaluator gets right on the first 64: the program is correct, the
compiled weights are not). "Longest correct L" is the largest
L at which every word was right.

Needs tracr and JAX beside this project, in a separate environment so that the
project's own stays light::

    python -m venv .venv-tracr && . .venv-tracr/bin/activate
    pip install torch==2.13.0 && pip install -e . tracr-pypi
    python -m benchmarks.tracr_parity [--lengths 8,16,32,64] [--words 512]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

REPEATS = 20
RASP_CHECKED = 64


def _best_of(repeats: int, call):
    """The fastest of `repeats` timed calls, and the last result."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        result = call()
        best = min(best, time.perf_counter() - start)
    return best, result


def _tracr_program(length: int):
    from tracr.rasp import rasp

    ones = rasp.numerical(rasp.Map(lambda t: 1 if t == 1 else 0, rasp.tokens))
    every = rasp.Select(rasp.tokens, rasp.tokens, rasp.Comparison.TRUE)
    frac = rasp.numerical(rasp.Aggregate(every, ones, default=0))
    return rasp.numerical(rasp.Map(lambda x: round(x * length) % 2, frac))


def run_tracr(length: int, words: np.ndarray) -> dict:
    import jax
    import jax.numpy as jnp
    from tracr.compiler import compiling
    from tracr.rasp import rasp

    start = time.perf_counter()
    model = compiling.compile_rasp_to_model(_tracr_program(length), vocab={0, 1},
                                            max_seq_len=length, compiler_bos="BOS")
    compile_s = time.perf_counter() - start
    encode = model.input_encoder.encoding_map
    ids = np.vectorize(encode.get)(words)
    bos = np.full((len(words), 1), encode["BOS"])
    batch = jnp.asarray(np.concatenate([bos, ids], axis=1))
    forward = jax.jit(model.forward)
    forward(model.params, batch).unembedded_output.block_until_ready()  # compile the jit
    forward_s, out = _best_of(REPEATS, lambda: forward(model.params, batch)
                              .unembedded_output.block_until_ready())
    predicted = np.asarray(out)[:, 1] > 0.5
    # The RASP program itself is right: tracr's own RASP evaluator on the first words.
    program = _tracr_program(length)
    sample = words[:RASP_CHECKED]
    rasp_right = [rasp.evaluate(program, list(w))[0] == w.sum() % 2 for w in sample]
    return {"compile_s": compile_s, "forward_s": forward_s, "predicted": predicted,
            "rasp_accuracy": float(np.mean(rasp_right))}


def run_ours(length: int, words: np.ndarray) -> dict:
    import torch

    from compilers.backends.torch_module import TorchTransformer
    from compilers.constructions import parity

    start = time.perf_counter()
    recognizer = parity.build(layernorm=True, attention="average-hard")
    module = TorchTransformer(recognizer.transformer, dtype="float32")
    compile_s = time.perf_counter() - start
    strings = ["".join(map(str, w)) for w in words]
    ids = module.encode_tokens([recognizer.tokens(s) for s in strings])
    with torch.inference_mode():  # tracr's forward is inference only too
        for _ in range(10):  # warm-up (tracr's: compiling its jit)
            module(ids, n=length, only_readout=True)
        forward_s, out = _best_of(REPEATS, lambda: module(ids, n=length, only_readout=True))
    predicted = out.outputs[recognizer.accept].double().numpy() > 0
    return {"compile_s": compile_s, "forward_s": forward_s, "predicted": predicted}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lengths", default="8,16,32,64")
    parser.add_argument("--words", type=int, default=512)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    rows = []
    for length in (int(x) for x in args.lengths.split(",")):
        words = rng.integers(0, 2, size=(args.words, length))
        truth = words.sum(axis=1) % 2 == 1
        row = {"length": length}
        for name, run in (("ours", run_ours), ("tracr", run_tracr)):
            result = run(length, words)
            row[name] = {"compile_s": round(result["compile_s"], 4),
                         "forward_s": round(result["forward_s"], 5),
                         "accuracy": float(np.mean(result["predicted"] == truth))}
            if "rasp_accuracy" in result:
                row[name]["rasp_accuracy"] = result["rasp_accuracy"]
        row["compile_ratio"] = row["tracr"]["compile_s"] / row["ours"]["compile_s"]
        row["forward_ratio"] = row["tracr"]["forward_s"] / row["ours"]["forward_s"]
        rows.append(row)
        if not args.json:
            print(f"L={length:4d}  tracr: compile {row['tracr']['compile_s']:.3f} s, forward "
                  f"{row['tracr']['forward_s'] * 1e3:.2f} ms, accuracy "
                  f"{row['tracr']['accuracy']:.3f} (its RASP program: "
                  f"{row['tracr']['rasp_accuracy']:.3f}) | ours: compile "
                  f"{row['ours']['compile_s']:.3f} s, forward "
                  f"{row['ours']['forward_s'] * 1e3:.2f} ms, accuracy "
                  f"{row['ours']['accuracy']:.3f} | ours faster: compile "
                  f"{row['compile_ratio']:.0f}x, forward {row['forward_ratio']:.1f}x", flush=True)
    longest = {name: max((r["length"] for r in rows if r[name]["accuracy"] == 1.0), default=None)
               for name in ("tracr", "ours")}
    if args.json:
        print(json.dumps({"rows": rows, "longest_correct": longest}, indent=2))
    else:
        print(f"longest L with every word right: tracr {longest['tracr']}, ours {longest['ours']}")


if __name__ == "__main__":
    main()
