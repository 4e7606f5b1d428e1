"""Write your own construction: MAJORITY in one attention layer, checked three ways.

MAJORITY (strictly more 1s than 0s) needs one uniform attention head: reading
``+1`` for a 1 and ``-1`` for a 0 and averaging over the ``n + 1`` positions
of ``w $`` gives ``(#1 - #0) / (n + 1)`` at the CLS symbol, which is at least
``1 / (n + 1)`` on members and at most 0 on the others. A positional feature
``-1 / (2 (n + 1))`` puts the threshold in the middle of that gap.

    python examples/majority.py
"""

from __future__ import annotations

import itertools

from compilers.backends.exact import ExactModel
from compilers.constructions.recognizer import Recognizer, exact_logits, torch_logits
from compilers.ir import (
    Attention,
    AverageHard,
    Head,
    N,
    PositionalEncoding,
    Readout,
    TokenEmbedding,
    Transformer,
    matrix,
)
from languages.zoo import get


def build() -> Recognizer:
    embed = TokenEmbedding(label="embed", tokens=("0", "1", "$"), table=matrix(
        {("sign", "0"): -1, ("sign", "1"): 1}, rows=("sign",), cols=("0", "1", "$")))
    average = Head(label="average", query=matrix({}, rows=("u",), cols=()),
                   key=matrix({}, rows=("u",), cols=()), value=matrix({("votes", "sign"): 1}),
                   kind=AverageHard())
    model = Transformer(
        label="majority", stream=("sign", "votes"), inputs=embed,
        positions=PositionalEncoding(label="threshold", features={"votes": -1 / (2 * (N + 1))}),
        blocks=(Attention(label="vote", heads=(average,)),),
        readout=Readout(label="out", matrix=matrix({("logit", "votes"): 10})))
    return Recognizer(name="majority", transformer=model, language="majority", eos=("$",))


def main() -> None:
    recognizer = build()
    language = get("majority")
    words = ["".join(w) for n in range(9) for w in itertools.product("01", repeat=n)]
    exact = [z > 0 for z in exact_logits(recognizer, words)]
    floats = torch_logits(recognizer, words, dtype="float64").logits > 0
    oracle = [language.contains(w) for w in words]
    print(f"{len(words)} words of length 0..8: exact == oracle: {exact == oracle}, "
          f"torch float64 == oracle: {floats.tolist() == oracle}")
    # n is the word's length (the formulas' n), not the number of tokens
    run = ExactModel(recognizer.transformer).forward(["1", "1", "0", "$"], n=3, record=True)
    for label, stream in run.record:
        print(f"after {label}: votes at CLS = {stream[-1][1]}")  # (1+1-1+0)/4 - 1/8 = 1/8


if __name__ == "__main__":
    main()
