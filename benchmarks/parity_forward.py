"""Batched forward of PARITY: 4096 words of length 1024, words per second.

Side by side, in one run, on the same words and device:

* ``ours``: the torch backend's module with its fast paths (uniform heads as
  a mean, the last attention only at the read-out position): O(n) per word;
* ``dense``: the same module run the textbook way, every query against every
  key in every layer (what a hand-written ``nn.TransformerEncoder`` of the
  construction does): O(n^2) per word, in chunks that fit memory.

Both get the same token ids and must agree with the language on every word;
the ratio is ours / dense in words per second. The end-to-end rate from
strings (`compilers.runs.recognise(..., backend="torch")` on a prebuilt
backend, ``runner=backend_for(parity, "torch", module=...)``: encoding,
grouping by length, read-out and one `Result` per word included, the
language's own answer left out with ``reference=False``) is printed beside
it, its decisions checked against the language too.

    python -m benchmarks.parity_forward [--words 4096] [--length 1024] [--device cpu]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from compilers.backends.torch_module import TorchTransformer
from compilers.constructions import parity
from compilers.runs import backend_for, recognise


def _forward(module: TorchTransformer, ids: torch.Tensor, n: int, chunk: int,
             only_readout: bool) -> np.ndarray:
    outs = []
    with torch.no_grad():
        for start in range(0, ids.shape[0], chunk):
            out = module(ids[start:start + chunk], n=n, only_readout=only_readout)
            outs.append(out.outputs["logit"].double().cpu().numpy())
    return np.concatenate(outs)


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=4096)
    parser.add_argument("--length", type=int, default=1024)
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dense-words", type=int, default=None,
                        help="Words for the dense baseline (default: all on GPU, 256 on CPU); "
                             "its rate is per word, so a subset is fair.")
    parser.add_argument("--json", dest="json_file", help="Also write the results here.")
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    bits = rng.integers(0, 2, size=(args.words, args.length))
    words = ["".join("01"[b] for b in row) for row in bits]
    truth = bits.sum(axis=1) % 2 == 1
    recognizer = parity.build(layernorm=True)
    module = TorchTransformer(recognizer.transformer, dtype=args.dtype, device=args.device)

    dense_words = args.dense_words or (args.words if args.device != "cpu" else 256)
    ids = module.encode_tokens([recognizer.tokens(w) for w in words]).to(args.device)
    timings = {}
    for name, count, only_readout, chunk in (
            ("ours", args.words, True, args.words),
            ("dense", dense_words, False, max(1, 2**26 // (args.length + 1) ** 2))):
        _forward(module, ids[:2], args.length, chunk, only_readout)  # warm-up
        _sync(args.device)
        start = time.perf_counter()
        logits = _forward(module, ids[:count], args.length, chunk, only_readout)
        _sync(args.device)
        timings[name] = (time.perf_counter() - start,
                         bool(np.array_equal(logits > 0, truth[:count])))
    ours, ours_ok = timings["ours"]
    dense, dense_ok = timings["dense"]
    start = time.perf_counter()
    run = recognise(recognizer, words, backend="torch", dtype=args.dtype, device=args.device,
                    runner=backend_for(recognizer, "torch", module=module), reference=False)
    _sync(args.device)
    end_to_end = time.perf_counter() - start
    end_to_end_ok = [r.answer for r in run] == truth.tolist()

    result = {"device": args.device, "dtype": args.dtype, "length": args.length,
              "ours": {"words": args.words, "seconds": ours, "words_per_s": args.words / ours,
                       "correct": ours_ok, "trusted": sum(r.trusted for r in run),
                       "end_to_end_words_per_s": args.words / end_to_end,
                       "end_to_end_correct": end_to_end_ok},
              "dense": {"words": dense_words, "seconds": dense,
                        "words_per_s": dense_words / dense, "correct": dense_ok}}
    result["speedup"] = result["ours"]["words_per_s"] / result["dense"]["words_per_s"]
    print(f"PARITY (layer norm), {args.words} words of length {args.length}, {args.dtype} on "
          f"{args.device}")
    for name in ("ours", "dense"):
        r = result[name]
        print(f"  {name:>5}: {r['words']:>5} words in {r['seconds']:.3f} s = "
              f"{r['words_per_s']:,.0f} words/s, all correct: {r['correct']}")
    print(f"  ours / dense: {result['speedup']:.1f}x words per second (token ids given)")
    print(f"  ours from strings (encoding, grouping, read-out included): "
          f"{result['ours']['end_to_end_words_per_s']:,.0f} words/s, all correct: "
          f"{end_to_end_ok}")
    print(f"  trusted by the precision analysis: {result['ours']['trusted']}/{args.words} "
          f"(float32 is guaranteed up to n = {recognizer.limits.get(args.dtype)})")
    if args.json_file:
        with open(args.json_file, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
