"""Programs in, transformers out: compile time, model size and forward throughput against
program size, and pentagonalize/C-RASP's compiler beside ours on the programs it supports.

Part 1. Random B-RASP and C-RASP programs of ``--sizes`` operations (10 to
1000), drawn by a seeded generator below (valid by construction: each
definition reads the initial vectors and earlier definitions; B-RASP: half
position-wise, half attention with a random choice and mask; C-RASP: counts
of Boolean expressions, sums and differences of counts, comparisons, Boolean
connectives), compiled with every vector read out at every position
(`compile_brasp`/`compile_crasp` with ``outputs=`` all of them). For each:
the program's depth, compile seconds, the transformer's layers, heads,
width, hidden units, non-zero weights and dense parameters (what the torch
module holds), and the forward throughput of the
torch backend (float32, one CPU thread, one batch of ``--words`` words of
length ``--length``, the best of ``--repeats``; fewer words at once where the
run layer's estimate (`compilers.runs.budget`) of the memory a pass holds
exceeds ``--max-memory``, none where one word does) beside the interpreter's
(`languages.brasp.run`, `languages.crasp.run`: one word at a time).

Part 2. pentagonalize/C-RASP (https://github.com/pentagonalize/C-RASP, the
authors' public compiler), run from a checkout given by
``--pentagonalize PATH`` (never vendored here): it compiles counts of
initial vectors (``add_COUNTING``), ``add_CONST``, ``add_NOT`` and one
``add_COMPARE`` (its README's TODO lists And, Or and the count arithmetic;
its last commit says the comparison's lines are broken). The program both
compile: ``k`` counts ``#[j ≤ i] Q_a(j)``, ``#[j ≤ i] Q_b(j)``, ... and the
comparison ``C_{k-1} < C_k``. For each k: compile seconds, blocks (attention
sublayers, MLPs and layer norms; it adds one or more per operation), forward
seconds of one word of length ``--length`` (its forward takes one word), and
the fraction of positions where the comparison is right on ``--checked``
random words of lengths 2 to 64 and on one of ``--length``, against the
C-RASP interpreter; ours beside it (torch float32). Its output is decoded as
its own pretty-printer does: the even columns divided by minus the TRUE
column, true where that is -1 within 1e-5.

    python -m benchmarks.rasp_compile --quick --pentagonalize /tmp/pentagonalize-crasp
    python -m benchmarks.rasp_compile [--sizes 10,30,100,300,1000] [--length 1000] [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import json
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from compilers.backends import make
from compilers.programs import compile_brasp, compile_crasp
from compilers.runs import budget
from compilers.runs.stats import transformer_stats
from languages import brasp, crasp
from languages.brasp import And, Attention, Definition, Not, Or, Symbol, Var
from languages.crasp import Add, Compare, Count, Number, Sub


def _leaf(rng, names: list, side: str, alphabet: str):
    if names and rng.random() < 0.7:
        return Var(names[rng.integers(len(names))], side)
    return Symbol(alphabet[rng.integers(len(alphabet))], side)


def _boolean(rng, names: list, sides: tuple, alphabet: str):
    """One or two leaves, each maybe negated, joined by ∧ or ∨."""
    def one():
        leaf = _leaf(rng, names, sides[rng.integers(len(sides))], alphabet)
        return Not(leaf) if rng.random() < 0.3 else leaf

    if rng.random() < 0.5:
        return one()
    return (And if rng.random() < 0.5 else Or)(one(), one())


def brasp_program(ops: int, seed: int, alphabet: str = "ab") -> brasp.Program:
    """A random B-RASP program of `ops` definitions (see the module docstring)."""
    rng = np.random.default_rng(seed)
    names: list[str] = []
    definitions = []
    for k in range(ops):
        if rng.random() < 0.5:
            operation = _boolean(rng, names, ("i",), alphabet)
        else:
            operation = Attention(
                choice=("leftmost", "rightmost")[rng.integers(2)],
                mask=("future", "past", "none")[rng.integers(3)],
                score=_boolean(rng, names, ("j", "j", "i"), alphabet),
                value=_boolean(rng, names, ("j",), alphabet),
                default=_boolean(rng, names, ("i",), alphabet))
        definitions.append(Definition(f"P{k}", operation))
        names.append(f"P{k}")
    return brasp.Program(alphabet=alphabet, definitions=definitions, output=names[-1])


def crasp_program(ops: int, seed: int, alphabet: str = "ab") -> crasp.Program:
    """A random C-RASP program of `ops` definitions (see the module docstring)."""
    rng = np.random.default_rng(seed)
    booleans: list[str] = []
    counts: list[str] = []
    definitions = []
    for k in range(ops):
        name = f"V{k}"
        roll = rng.random()
        if not counts or roll < 0.35:
            operation = Count(_boolean(rng, booleans, ("j",), alphabet))
            counts.append(name)
        elif roll < 0.5 and len(counts) >= 2:
            a, b = (Var(counts[rng.integers(len(counts))]) for _ in range(2))
            operation = (Add if rng.random() < 0.5 else Sub)(a, b)
            counts.append(name)
        elif roll < 0.8:
            left = Var(counts[rng.integers(len(counts))])
            right = (Var(counts[rng.integers(len(counts))]) if rng.random() < 0.6
                     else Number(int(rng.integers(0, 4))))
            operation = Compare(("<", "<=", ">", ">=", "=", "!=")[rng.integers(6)], left, right)
            booleans.append(name)
        else:
            operation = _boolean(rng, booleans, ("i",), alphabet)
            booleans.append(name)
        definitions.append(Definition(name, operation))
    if not booleans or booleans[-1] != definitions[-1].name:
        definitions.append(Definition("out", Compare("<", Var(counts[-1]), Number(1))))
        booleans.append("out")
    return crasp.Program(alphabet=alphabet, definitions=definitions, output=booleans[-1])


def _best(repeats: int, call) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = call()
        best = min(best, time.perf_counter() - start)
    return best, result


def measure(language: str, ops: int, args) -> dict:
    """Part 1 for one random program."""
    module, build = (brasp, brasp_program) if language == "brasp" else (crasp, crasp_program)
    program = build(ops, args.seed + ops)
    if language == "brasp":
        outputs = [d.name for d in program.definitions]
    else:
        outputs = [d.name for d in program.definitions if program.types[d.name] == "bool"]
    start = time.perf_counter()
    transformer = (compile_brasp(program, outputs=outputs) if language == "brasp"
                   else compile_crasp(program, outputs=outputs))
    compile_s = time.perf_counter() - start
    stats = transformer_stats(transformer)
    rng = np.random.default_rng(args.seed)
    words = ["".join(rng.choice(list(program.alphabet), size=args.length))
             for _ in range(args.words)]
    prefix = ["$"] if language == "crasp" else []
    row = {"language": language, "operations": ops, "depth": max(
        module.depths(program).values()), "compile_s": round(compile_s, 3),
        "layers": stats["layers"], "heads": stats["heads"], "width": stats["width"],
        "hidden": stats["mlp hidden units"], "nonzero_weights": stats["non-zero weights"],
        "dense_parameters": stats["parameters (dense)"]}
    batch = [prefix + list(w) for w in words]
    while batch and _memory(transformer, len(prefix), args.length, len(batch)) > args.max_memory:
        batch = batch[:len(batch) // 2]  # fewer words at once; none if one is too many
    row["forward_memory_estimate"] = _memory(transformer, len(prefix), args.length,
                                             max(len(batch), 1))
    row["forward_words"] = len(batch)
    row["forward_words_per_s"] = None
    if batch:
        backend = make("torch", transformer, dtype="float32")
        backend.forward(batch[:1], n=args.length)  # warm-up
        forward_s, _ = _best(args.repeats, lambda: backend.forward(batch, n=args.length))
        row["forward_words_per_s"] = round(len(batch) / forward_s, 3)
    interpret_s, _ = _best(1, lambda: [module.run(program, w) for w in words])
    row["interpreter_words_per_s"] = round(len(words) / interpret_s, 3)
    return row


def _memory(transformer, extra: int, length: int, words: int) -> int:
    """Bytes a torch float32 forward of `words` words holds at once (`runs.budget`)."""
    shape = SimpleNamespace(transformer=transformer, bos=("$",) * extra, eos=(),
                            name="program")
    return int(budget.recognise(shape, {length: words}, backend="torch",
                                dtype="float32").memory)


# -- part 2: pentagonalize/C-RASP ------------------------------------------------------------


def _load_pentagonalize(path: str):
    """Its `compiler` module, imported from the checkout (its module-level demo's output
    swallowed), or the reason it cannot be."""
    folder = Path(path)
    if not (folder / "compiler.py").is_file():
        return None, f"no compiler.py in {path!r}"
    sys.path.insert(0, str(folder))
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            return importlib.import_module("compiler"), None
    except Exception as error:  # a third party's code: any failure is the finding
        return None, f"importing {path}/compiler.py fails: {type(error).__name__}: {error}"
    finally:
        sys.path.remove(str(folder))


def _theirs(module, k: int):
    model = module.CRASP_to_Transformer(["a", "b"], use_layer_norm=True)
    for m in range(k):
        model.add_COUNTING(f"Q_{'ab'[m % 2]}", f"C{m}")
    model.add_COMPARE(f"C{k - 2}", f"C{k - 1}", "P")
    return model


def _their_values(module, model, word: str) -> list[bool]:
    import torch

    with torch.no_grad(), contextlib.redirect_stdout(io.StringIO()):
        out = model(list(word))
    columns = out[:, ::2]
    true = model.Program.get_index("TRUE")
    index = model.Program.get_index("P")
    values = columns[:, index] / -columns[:, true]
    return [abs(float(v) + 1) <= 1e-5 for v in values[1:]]  # position 0 is its BOS


def counts_program(k: int) -> crasp.Program:
    """k counts of a, b, a, ... and the comparison of the last two (what both compile)."""
    definitions = [Definition(f"C{m}", Count(Symbol("ab"[m % 2], "j"))) for m in range(k)]
    definitions.append(Definition("P", Compare("<", Var(f"C{k - 2}"), Var(f"C{k - 1}"))))
    return crasp.Program(alphabet="ab", definitions=definitions, output="P")


def _our_values(transformer, word: str) -> list[bool]:
    run = make("torch", transformer, dtype="float32").forward([["$", *word]], n=len(word))
    return [float(v) > 0.5 for v in np.asarray(run.outputs["P"])[0][1:]]


def side_by_side(args) -> dict:
    """Part 2 (see the module docstring)."""
    if not args.pentagonalize:
        return {"ran": False, "why": "no --pentagonalize PATH given"}
    module, why = _load_pentagonalize(args.pentagonalize)
    if module is None:
        return {"ran": False, "why": why}
    rng = np.random.default_rng(args.seed)
    words = ["".join(rng.choice(["a", "b"], size=int(n)))
             for n in rng.integers(2, 65, size=args.checked)]
    words.append("".join(rng.choice(["a", "b"], size=args.length)))
    rows = [{"counts": k, **_one(module, k, words, args.repeats)} for k in args.counts]
    return {"ran": True, "words": len(words), "rows": rows}


def _one(module, k: int, words: list[str], repeats: int) -> dict:
    """Both compilers on `counts_program(k)`: compile, layers, forward, positions right."""
    program = counts_program(k)
    wanted = [crasp.evaluate(program, word) for word in words]

    def right(values) -> float:
        pairs = [(g, w) for word, want in zip(words, wanted, strict=True)
                 for g, w in zip(values(word), want, strict=True)]
        return round(sum(g == w for g, w in pairs) / len(pairs), 4)

    try:
        their_compile, theirs = _best(1, lambda: _theirs(module, k))
        their_forward, _ = _best(repeats, lambda: _their_values(module, theirs, words[-1]))
        their = {"compile_s": round(their_compile, 4), "blocks": len(theirs.Transformer.layers),
                 "forward_s_one_word": round(their_forward, 4),
                 "positions_right": right(lambda w: _their_values(module, theirs, w))}
    except Exception as error:  # their failure is the result
        their = {"error": f"{type(error).__name__}: {error}"}
    our_compile, transformer = _best(1, lambda: compile_crasp(program, outputs=["P"]))
    our_forward, _ = _best(repeats, lambda: _our_values(transformer, words[-1]))
    ours = {"compile_s": round(our_compile, 4),
            "blocks": transformer_stats(transformer)["blocks"],
            "forward_s_one_word": round(our_forward, 4),
            "positions_right": right(lambda w: _our_values(transformer, w))}
    return {"pentagonalize": their, "ours": ours}


def _rate(row: dict) -> str:
    if row["forward_words_per_s"] is None:
        return (f"not run (one word needs about {row['forward_memory_estimate'] / 2**30:.1f} "
                "GiB, past --max-memory)")
    return f"{row['forward_words_per_s']:.3f} words/s ({row['forward_words']} at once)"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10,30,100,300,1000")
    parser.add_argument("--length", type=int, default=1000)
    parser.add_argument("--words", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--counts", default="2,4,8,16")
    parser.add_argument("--checked", type=int, default=64)
    parser.add_argument("--pentagonalize", default=None,
                        help="A checkout of github.com/pentagonalize/C-RASP (outside this "
                             "repository).")
    parser.add_argument("--quick", action="store_true",
                        help="Sizes 10,100,1000, 4 words, 1 repeat, counts 2,4,8.")
    parser.add_argument("--max-memory", type=float, default=4.0,
                        help="GiB a forward pass may hold (estimated by compilers.runs.budget; "
                             "fewer words at once, or none, past it).")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    args.max_memory = int(args.max_memory * 2**30)
    if args.quick:
        args.sizes, args.words, args.repeats, args.counts = "10,100,1000", 4, 1, "2,4,8"
    args.counts = [int(x) for x in str(args.counts).split(",")]
    import torch

    torch.set_num_threads(1)
    rows = []
    for language in ("brasp", "crasp"):
        for ops in (int(x) for x in args.sizes.split(",")):
            row = measure(language, ops, args)
            rows.append(row)
            if not args.json:
                print(f"{language} {ops:5d} ops, depth {row['depth']:3d}: compile "
                      f"{row['compile_s']:7.2f} s, {row['layers']:3d} layers, "
                      f"{row['heads']:4d} heads, width {row['width']:5d}, hidden "
                      f"{row['hidden']:5d}, {row['nonzero_weights']:6d} weights "
                      f"({row['dense_parameters']:.2e} dense); forward "
                      f"{_rate(row)} at n = {args.length} (interpreter "
                      f"{row['interpreter_words_per_s']:.3f} words/s)", flush=True)
    other = side_by_side(args)
    if args.json:
        print(json.dumps({"length": args.length, "words": args.words, "rows": rows,
                          "pentagonalize": other}, indent=1))
        return
    if not other["ran"]:
        print(f"pentagonalize/C-RASP: not run: {other['why']}")
        return
    for row in other["rows"]:
        print(f"{row['counts']} counts + 1 comparison: pentagonalize {row['pentagonalize']} | "
              f"ours {row['ours']}")


if __name__ == "__main__":
    main()
