"""Write your own construction: MAJORITY in one attention layer, run on every backend.

MAJORITY (strictly more 1s than 0s) needs one uniform attention head: reading
``+1`` for a 1 and ``-1`` for a 0 and averaging over the ``n + 1`` positions
of ``w $`` gives ``(#1 - #0) / (n + 1)`` at the CLS symbol, which is at least
``1 / (n + 1)`` on members and at most 0 on the others. A positional feature
``-1 / (2 (n + 1))`` puts the threshold in the middle of that gap. Nothing
rounds where it matters, so every float dtype is right at every length
(``guaranteed`` below): the head's scores are constant, and the logit's sign
is that of an integer over ``2 (n + 1)``, far from 0 against any rounding.

The module is a construction *family* (`FAMILY`): a name, the paper, typed
options (here the logit's scale) and a builder. Installed with an entry point
it joins every command of the command line::

    # pyproject.toml of your package (examples/pyproject.toml does exactly this)
    [project.entry-points."circuitx.constructions"]
    majority = "majority:FAMILY"

    pip install -e examples
    circuitx constructions                      # lists majority
    circuitx check majority --lengths 0..10 --backends exact,torch,circuit
    circuitx circuit majority --length 16 --json

Run as a script it checks itself three ways:

    python examples/majority.py
"""

from __future__ import annotations

from compilers.constructions.base import Family, Option, exact_number
from compilers.constructions.recognizer import Recognizer
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

EVERY_LENGTH = 10**9  # the claim "every n", as a number a limit table can hold


def build(*, scale="10") -> Recognizer:
    """The MAJORITY recognizer: ``logit = scale * ((#1 - #0) / (n + 1) - 1 / (2 (n + 1)))``."""
    scale = exact_number(scale, name="scale")
    embed = TokenEmbedding(label="embed", tokens=("0", "1", "$"), table=matrix(
        {("sign", "0"): -1, ("sign", "1"): 1}, rows=("sign",), cols=("0", "1", "$")))
    average = Head(label="average", query=matrix({}, rows=("u",), cols=()),
                   key=matrix({}, rows=("u",), cols=()), value=matrix({("votes", "sign"): 1}),
                   kind=AverageHard())
    model = Transformer(
        label="majority", stream=("sign", "votes"), inputs=embed,
        positions=PositionalEncoding(label="threshold", features={"votes": -1 / (2 * (N + 1))}),
        blocks=(Attention(label="vote", heads=(average,)),),
        readout=Readout(label="out", matrix=matrix({("logit", "votes"): scale})))
    return Recognizer(name="majority", transformer=model, language="majority", eos=("$",),
                      options={"scale": str(scale)},
                      limits=dict.fromkeys(("float64", "float32", "bfloat16", "float16"),
                                           EVERY_LENGTH),
                      note="one uniform head (examples/majority.py)")


FAMILY = Family(
    name="majority", title="MAJORITY by one uniform head (an example)",
    paper="examples/majority.py", mode="recognise",
    options=(Option(name="scale", kind="number", default="10",
                    help="Multiplies the logit (an exact rational)."),),
    build=build, circuit="recogniser", inputs="words over 01")


def main() -> None:
    from compilers.backends.exact import ExactModel
    from compilers.runs import run

    recognizer = FAMILY.make()
    words = [format(k, "b")[1:] for k in range(1, 2 ** 9)]  # every word of length 0..8
    for backend in ("exact", "torch", "circuit"):
        results = run(recognizer, words, backend=backend)
        print(f"{len(words)} words of length 0..8 on the {backend} backend: every answer "
              f"agrees with the language: {all(r.agrees_with_reference for r in results)}")
    # n is the word's length (the formulas' n), not the number of tokens
    record = ExactModel(recognizer.transformer).forward(["1", "1", "0", "$"], n=3, record=True)
    for label, stream in record.record:
        print(f"after {label}: votes at CLS = {stream[-1][1]}")  # (1+1-1+0)/4 - 1/8 = 1/8


if __name__ == "__main__":
    main()
