"""A compiled circuit on a real run: one decoding step, or a loop iterated on its own outputs.

* `step_report`: step t's circuit of a decoder, fed the decoder inputs of the
  input's real run (the exact backend's generator fed its own read-outs);
  what it decodes to beside what the exact backend's read-out at t decodes
  to, and the reference machine's state after step t.
* `loop_report`: one loop's circuit applied again and again to its own
  outputs (`compilers.runs.loop` on the circuit backend), every state
  compared with the interpreter's, and the loops whose unique-argmax promise
  bit was 0 (their outputs are tested, not proved).
* `verify_recogniser`, `verify_predictor`, `verify_step`, `verify_loop`:
  whether a circuit compiled at a stated precision (which rounds) still
  computes what the exact construction computes: the circuit's decision beside
  the exact backend's on every word of the length where there are at most
  `EXHAUSTIVE`, else on `SAMPLES` words (members and non-members); a
  predictor's decoded answer at every position beside the exact backend's, on
  the same words (drawn uniformly past `EXHAUSTIVE`); a decoding step on
  sampled words' real runs; one loop iterated on random programs of the
  construction's sizes, every state beside the interpreter's.
"""

from __future__ import annotations

from compilers.backends.circuit.backend import fed_choices
from compilers.backends.circuit.fixed import PrecisionError
from compilers.backends.exact import ExactModel
from compilers.errors import CompileError, EvaluationError
from compilers.runs import validate
from compilers.runs.backends import backend_for
from compilers.runs.loop import loop
from compilers.runs.scaling import compile_step

EXHAUSTIVE = 1024  # words checked one by one when there are at most this many
SAMPLES = 256  # words checked beyond that


def step_report(decoder, word: str, t: int, *, precision="auto", model=None) -> dict:
    """Step t of `decoder` on `word`'s real run (see the module docstring)."""
    validate.construction(decoder, "generate")
    word, t = validate.word(word), validate.length(t, "t")
    model = (validate.prebuilt(model, "model", "outputs")
             or compile_step(decoder, len(word), t, precision=precision))
    history, exact = _history(decoder, word, t)
    bits = model.outputs(word, history)
    outputs = decoder.transformer.readout.outputs
    got = decoder.summary({o: int(bits.get(f"{o}>0", False)) - int(bits.get(f"{o}<0", False))
                           for o in outputs})
    want = decoder.summary({o: (v > 0) - (v < 0) for o, v in exact.items()})
    steps = decoder.reference(word, max_steps=t)[0] if t >= 1 else ()
    reference = steps[t - 1].next_state if 1 <= t <= len(steps) else None
    return {"input": word, "circuit": got, "exact": want, "agrees_with_exact": got == want,
            "reference_state": reference,
            "agrees_with_reference": None if reference is None else got["state"] == reference}


def _history(decoder, word: str, t: int) -> tuple[list[dict], dict]:
    """The real run's decoder inputs at positions 1..t (as one-hot choices) and the exact
    read-out at position t."""
    encoded = decoder.encode(word)
    groups = decoder.circuit_interface()["groups"]
    model = decoder.transformer
    generator = ExactModel(model).generator(encoded.encoder, n=encoded.n)
    outputs = generator.push(encoded.first if model.feedback == "token" else list(encoded.first))
    history = []
    for _ in range(t):
        fed = generator.next_input(outputs)  # a vector, or a token (token feedback)
        history.append(fed_choices(model, groups, fed))
        outputs = generator.push(fed)
    return history, outputs


def loop_report(construction, input, *, max_steps: int, precision="auto",
                progress=None) -> dict:
    """One loop's circuit iterated on `input` (see the module docstring); `progress(k)` is
    called as k more loops are done."""
    validate.construction(construction, "loop")
    runner = backend_for(construction, "circuit", precision=precision)
    (result,) = loop(construction, [input], runner=runner, max_steps=max_steps, trace=True,
                     progress=progress)
    states = result.values["states"]
    last = states[-1] if states else None
    return {"loops": len(states), "halted": bool(last and last.halted),
            "fault": bool(last and last.fault),
            "pc": last.pc if last else 0, "memory": list(last.memory) if last else [],
            "output": result.answer.output.decode("utf-8", "replace"),
            "agrees_with_reference": result.trace == result.reference_trace,
            "promise_broken": [{"loop": k, "heads": heads}
                               for k, heads in runner.broken.get(0, {}).items()]}


def circuit_of(construction, *, n: int | None = None, t: int | None = None,
               precision="auto", runner=None):
    """The construction as a threshold circuit: a recogniser at word length `n`; a
    predictor at word length `n`, read out at every position (a `PositionsModel`; n at
    most the construction's `max_length` where it has one); a decoder's step `t` for
    words of length `n` (default 0); a looped model's one loop. `runner`: a circuit
    backend for the construction, whose compiled circuits are kept."""
    runner = (validate.prebuilt(runner, "runner", "recogniser")
              or backend_for(construction, "circuit", precision=precision))
    if construction.mode in ("recognise", "predict"):
        return runner.recogniser(circuit_length(construction, n))
    if construction.mode == "generate":
        if t is None:
            raise CompileError(f"{construction.name}: give the decoding step t of the circuit")
        return compile_step(construction, n or 0, t, precision=precision)
    return runner.loop_model()


def circuit_length(construction, n) -> int:
    """`n` if a circuit of the recogniser or predictor at word length n can be asked for:
    an integer >= 1 (0, the empty word, only within runs), and for a predictor compiled
    for a maximum length (`max_length`, RASP's ``max_seq_len``) at most that."""
    validate.construction(construction, "recognise", "predict")
    if n is None:
        raise CompileError(f"{construction.name}: give the word length n of the circuit")
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise PrecisionError(f"input length n must be an integer >= 1, got {n!r}")
    top = construction.max_length if construction.mode == "predict" else None
    if top is not None and n > top:
        raise PrecisionError(f"input length n = {n} is longer than {top}, the length "
                             f"{construction.name} was compiled for (--max-seq-len)")
    return validate.length(n, "n", 1)


def verification_words(construction, n: int, *, seed: int = 0, samples: int = SAMPLES,
                       exhaustive: int = EXHAUSTIVE) -> list[str]:
    """The words `verify_recogniser` checks at length n: all of them where there are at
    most `exhaustive`, else `samples` (see the module docstring)."""
    from compilers.runs.check import recogniser_words, symbol_words

    validate.construction(construction, "recognise", "predict")
    n = validate.length(n, "n")
    samples = validate.integer(samples, "samples", 1)
    exhaustive = validate.integer(exhaustive, "exhaustive", 0)
    symbols = len(construction.alphabet)
    if symbols ** min(n, 64) <= exhaustive:
        return symbol_words(construction.alphabet, n, exhaustive, seed)
    if construction.mode == "predict":  # no members to balance: uniform words
        return symbol_words(construction.alphabet, n, samples, seed)
    return recogniser_words(construction, n, samples, seed)


def verify_recogniser(construction, model, words: list[str]) -> dict:
    """The circuit `model` (at one n) against the exact backend on `words`: how many were
    checked, how many differ, the first that does, and whether it computes the exact
    construction (on those words)."""
    from compilers.runs.recognise import recognise

    exact, circuit = [], []
    for word in words:  # a word where both are undefined (a zero variance) agrees
        try:
            exact.append(recognise(construction, [word], backend="exact",
                                   reference=False)[0].answer)
        except EvaluationError:
            exact.append(None)
        try:
            circuit.append(bool(model.accepts([word])[0]))
        except EvaluationError:
            circuit.append(None)
    wrong = [w for w, a, b in zip(words, circuit, exact, strict=True) if a != b]
    total = len(construction.alphabet) ** model.n if model.n <= 64 else None
    return {"against": "the exact backend",
            "how": "every word" if total is not None and len(words) >= total
            else "sampled words, members and non-members",
            "checked": len(words), "disagreements": len(wrong),
            "first_disagreement": wrong[0] if wrong else None,
            "computes_exact": not wrong}


def verify_predictor(construction, runner, words: list[str]) -> dict:
    """A predictor's circuits (`runner`, a circuit backend for `construction`, at the
    words' lengths) against the exact backend on `words`: each word's decoded answer at
    every position beside the exact backend's (the same dict as `verify_recogniser`'s)."""
    from compilers.runs.predict import predict

    validate.construction(construction, "predict")
    runner = validate.prebuilt(runner, "runner", "recogniser")

    def answers(batch: list[str], how: dict) -> list:
        try:
            return [r.answer for r in predict(construction, batch, reference=False, **how)]
        except EvaluationError:  # one word by one: an undefined word's answer is None
            if len(batch) == 1:
                return [None]
            return [a for word in batch for a in answers([word], how)]

    circuit, exact = answers(list(words), {"runner": runner}), answers(list(words),
                                                                     {"backend": "exact"})
    wrong = [w for w, a, b in zip(words, circuit, exact, strict=True) if a != b]
    lengths = {len(w) for w in words}
    total = sum(len(construction.alphabet) ** n for n in lengths if n <= 64)
    return {"against": "the exact backend",
            "how": "every word, every position" if words and len(words) >= total
            else "sampled words, every position",
            "checked": len(words), "disagreements": len(wrong),
            "first_disagreement": wrong[0] if wrong else None,
            "computes_exact": not wrong}


def verify_step(decoder, model, n: int, t: int, count: int, *, seed: int = 0) -> dict:
    """Decoding step t's circuit against the exact backend on `count` sampled words of
    length n (each word's real run: `step_report`)."""
    from compilers.runs.check import symbol_words

    words = symbol_words(decoder.machine.symbols, n, count, seed)
    wrong = [w for w in words
             if not step_report(decoder, w, t, model=model)["agrees_with_exact"]]
    return {"against": "the exact backend", "how": "sampled words' runs",
            "checked": len(words), "disagreements": len(wrong),
            "first_disagreement": wrong[0] if wrong else None, "computes_exact": not wrong}


def verify_loop(construction, runner, count: int, loops: int, *, seed: int = 0) -> dict:
    """One loop's circuit (`runner`, a circuit backend for `construction`) iterated for
    `loops` loops on `count` random programs of its sizes (`compilers.runs.check.
    random_programs`), every state compared with the interpreter's."""
    from compilers.runs.check import random_programs

    validate.construction(construction, "loop")
    count = validate.integer(count, "count", 1)
    loops = validate.integer(loops, "loops", 1, 10**6)
    programs = random_programs(construction, count, validate.seed(seed))
    results = loop(construction, programs, runner=runner, max_steps=loops, trace=True)
    wrong = [k for k, r in enumerate(results) if r.trace != r.reference_trace]
    return {"against": "the interpreter", "how": f"{count} random programs of its sizes, "
                                                 f"{loops} loops each",
            "checked": count, "disagreements": len(wrong),
            "first_disagreement": None if not wrong else f"random program {wrong[0]}",
            "computes_exact": not wrong}
