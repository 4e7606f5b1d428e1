"""`circuitx circuit NAME ...` and `circuitx scaling NAME ...`: constructions as threshold circuits.

`circuit` compiles one circuit and prints its measures (depth, size, wires,
fan-in, weights), optionally writing it (``-o/--out`` JSON, ``--graphml``,
``--dot``; ``-`` for stdout, `compilers.cli.files`):

* a recogniser at word length ``--length``;
* a Turing machine's decoding step ``--step`` for words of ``--length`` (or of
  ``--input WORD``, whose real run the circuit is then also evaluated on: its
  decoded next state, symbol and move beside the exact backend's and the
  reference machine's);
* one loop of a SUBLEQ computer for FILE's sizes (``--max-steps N`` iterates
  the circuit on its own outputs for up to N loops, compares every state with
  the interpreter and lists the loops whose unique-argmax promise bit was 0).

`scaling` compiles at a list of sizes (``--lengths``, ``--steps`` or
``--sizes``: word lengths, decoding steps, or punchcard sizes) and reports
the depths seen and the fitted exponent of the size (``--plot`` draws both),
with a progress bar over the sizes on stderr (``--quiet``: none).

Every circuit is estimated before it is compiled (gates and wires, memory,
seconds: `compilers.runs.budget`) and refused past the budget. At a stated
precision (``--precision I.F``) the circuit rounds, and may no longer compute
what the exact construction computes: `circuit` checks it against the exact
backend (every word where there are at most 1024, else 256 sampled; a
decoding step on 8 sampled words' runs; a loop on its program's run, 32
loops or ``--max-steps``') and reports the verdict under ``"verified"`` in the
JSON; `scaling` checks each size the same way: a recogniser's lengths on
at most 256 words, else 64; a decoding step on `STEP_CHECKS` sampled words'
runs; one loop on `LOOP_CHECKS` random programs of its sizes, every state
beside the interpreter's (``"verified"`` in each point). A circuit that
disagrees is warned about on stderr and exits with status 1 (after writing
what was asked for).
Output files are checked before the work (``-o/--out`` ends in .json,
``--graphml`` in .graphml or .xml, ``--dot`` in .dot or .gv; the folder
exists; an existing file needs ``--force``; no output at an input's path or
at another output's; at most one ``-``, and not with ``--json``).
"""

from __future__ import annotations

import inspect

import click
from rich.console import Console
from rich.table import Table

from compilers.cli import files, inputs
from compilers.cli.common import (
    budget_options,
    force_option,
    json_option,
    option,
    parse_lengths,
    precision_option,
    print_json,
    progress,
    quiet_option,
    working,
)
from compilers.cli.families import construction, family_group, shown_options, with_options

KEYS = ("depth", "size", "wires", "inputs", "max_fan_in", "max_weight_bits", "gates_per_layer")

graphml_option = click.option("--graphml", type=click.Path(dir_okay=False, allow_dash=True),
                              help="Also write the circuit as GraphML here (.graphml or .xml; "
                                   "-: stdout).")
dot_option = click.option("--dot", type=click.Path(dir_okay=False, allow_dash=True),
                          help="Also write the circuit as Graphviz DOT here (.dot or .gv; "
                               "-: stdout).")
out_option = option("-o", "--out", "out", old=("--save",),
                    type=click.Path(dir_okay=False, allow_dash=True),
                    help="Write the circuit's JSON here (.json; -: stdout).")
SUFFIXES = files.SUFFIXES
STEP_CHECKS = 4  # sampled words whose runs check each decoding step of a rounded sweep
LOOP_CHECKS = (2, 8)  # random programs, and loops of each, that check a rounded loop


outputs = files.outputs


def _reads(family, params: dict) -> dict:
    """The files among the arguments (a program, a machine file)."""
    return {o.metavar or o.name: params.get(o.name) for o in family.options if o.argument}


def _circuit_command(family) -> click.Command:
    return {"recogniser": _recogniser, "predictor": _recogniser, "step": _step,
            "loop": _loop}[family.circuit](family)


def _recogniser(family) -> click.Command:
    """A recogniser at word length n, or a predictor at n read out at every position."""
    predictor = family.circuit == "predictor"
    every = ", read out at every position," if predictor else ""

    @click.command(name=family.name, help=f"Compile {family.title} at word length N{every} "
                                          "into a threshold circuit.")
    @with_options(family)
    @click.option("--length", "length", required=True, type=int, help="The word length n.")
    @precision_option
    @json_option
    @out_option
    @graphml_option
    @dot_option
    @force_option
    @quiet_option
    @budget_options
    def command(length, precision, as_json, out, graphml, dot, force, quiet, budget,
                **params):
        from compilers.backends.circuit import parse_precision
        from compilers.runs import budget as estimates
        from compilers.runs.backends import backend_for
        from compilers.runs.circuits import (
            circuit_length,
            circuit_of,
            verification_words,
            verify_predictor,
            verify_recogniser,
        )

        parse_precision(precision)
        written = outputs(force, out=out, graphml=graphml, dot=dot, as_json=as_json)
        options = shown_options(family, params)
        built = construction(family, params)
        circuit_length(built, length)
        cost = estimates.recogniser_circuit(built, length, precision=precision)
        words = []
        if precision != "auto":
            words = verification_words(built, length)
            cost = cost + estimates.recognise(built, {length: len(words)}, backend="exact")
        cost.check(budget)
        runner = backend_for(built, "circuit", precision=precision)
        with working(f"compiling {family.name} at n = {length}", cost.seconds, quiet):
            model = circuit_of(built, n=length, precision=precision, runner=runner)
            verified = None if not words else (verify_predictor(built, runner, words)
                                               if predictor else
                                               verify_recogniser(built, model, words))
        stats = model.circuit.stats().to_dict()
        shape = ({"positions": model.positions, "read_out": list(model.outputs)}
                 if predictor else {})
        report = {"construction": family.name, "options": options, "n": length, **shape,
                  "precision": str(model.precision), "precision_auto": model.auto, **stats,
                  "verified": verified or _exact_note(predictor)}
        details = dict(getattr(built, "details", {}))  # a program's depth beside the circuit's
        if details:
            report["details"] = details
        files.write_circuit(model.circuit, **written)
        _show(report, stats, as_json, f"{family.name} at n = {length}, precision "
                                      f"{model.precision}{' (auto)' if model.auto else ''}",
              {**{k: str(v) for k, v in details.items()},
               **({"positions, outputs": f"{model.positions}, {', '.join(model.outputs)}"}
                  if predictor else {}), **_verdict_row(verified)},
              stderr=files.to_stdout(written))
        _refuse_silence(verified, precision)

    return command


def _refuse_wrong(checked: dict, precision, symbol: str, total: int) -> None:
    """`_refuse_silence` for the first size of a scaling sweep whose circuit disagrees."""
    wrong = [x for x, verdict in checked.items() if not verdict["computes_exact"]]
    if wrong:
        _refuse_silence(checked[wrong[0]], precision,
                        f" at {symbol} = {wrong[0]}; {len(wrong)} of {total} sizes wrong")


def _exact_note(predictor: bool = False) -> dict:
    what = ("values at every position" if predictor else "logit's sign")
    return {"computes_exact": True, "how": f"precision auto: the circuit computes the exact "
                                           f"{what} wherever it lowers"}


def _verdict_row(verified: dict | None) -> dict:
    if verified is None:
        return {}
    return {"computes the exact construction":
            "yes" if verified["computes_exact"] else
            f"NO: {verified['disagreements']} of {verified['checked']} inputs differ"}


def _refuse_silence(verified: dict | None, precision, where: str = "") -> None:
    """Warn, and exit 1, where a rounded circuit does not compute what the exact one does."""
    if verified is not None and not verified["computes_exact"]:
        click.echo(f"warning: at precision {precision} the circuit disagrees with the exact "
                   f"construction on {verified['disagreements']} of {verified['checked']} "
                   f"checked inputs (first: {verified['first_disagreement']!r}{where}); raise "
                   "the precision or use 'auto'", err=True)
        raise SystemExit(1)


def _step(family) -> click.Command:
    @click.command(name=family.name, help=f"Compile decoding step T of {family.title} into a "
                                          "threshold circuit.")
    @with_options(family)
    @click.option("--step", "t", required=True, type=click.IntRange(0, 4096),
                  help="The decoding step t (the decoder position computed).")
    @click.option("--length", "n", type=click.IntRange(0, 4096), default=None,
                  help="The encoder word's length n (default: the length of --input, else 0).")
    @precision_option
    @json_option
    @out_option
    @graphml_option
    @dot_option
    @force_option
    @quiet_option
    @budget_options
    @click.pass_context
    def command(ctx, t, n, precision, as_json, out, graphml, dot, force, quiet, budget,
                **params):
        from compilers.backends.circuit import UnsupportedError, parse_precision
        from compilers.runs import budget as estimates
        from compilers.runs.circuits import step_report, verify_step
        from compilers.runs.scaling import compile_step

        parse_precision(precision)
        written = outputs(force, _reads(family, params), out=out, graphml=graphml, dot=dot,
                          as_json=as_json)
        given = inputs.given(ctx, "word")
        word = params["word"]
        if given and n is not None and n != len(word):
            raise UnsupportedError(f"--length {n} and --input {word!r} (length {len(word)}) "
                                   "disagree; give one of them")
        n = len(word) if given else (n or 0)
        built = construction(family, params)
        cost = estimates.step_circuit(built, n, t, precision=precision)
        checks = 8 if precision != "auto" and not given else 0
        runs = [(n, t, checks + given)] if checks + given else []
        cost = cost + estimates.generate(built, runs, backend="exact")
        cost.check(budget)
        with working(f"compiling step {t} of {family.name}", cost.seconds, quiet):
            model = compile_step(built, n, t, precision=precision)
            verified = verify_step(built, model, n, t, checks) if checks else None
        stats = model.circuit.stats().to_dict()
        machine = built.options.get("machine", built.name)
        report = {"construction": family.name, "machine": machine, "step": t, "n": n,
                  "precision": str(model.precision), "precision_auto": precision == "auto",
                  **stats}
        if given:
            report["run"] = step_report(built, word, t, model=model)
            verified = {"computes_exact": report["run"]["agrees_with_exact"], "checked": 1,
                        "disagreements": int(not report["run"]["agrees_with_exact"]),
                        "first_disagreement": None if report["run"]["agrees_with_exact"]
                        else word, "how": "the step on --input's run"}
        report["verified"] = verified or _exact_note()
        files.write_circuit(model.circuit, **written)
        rows = {}
        if given:
            run = report["run"]
            rows = {"circuit says": _described(run["circuit"]),
                    "exact backend": _described(run["exact"]),
                    "reference state": str(run["reference_state"] or "- (past the halt)")}
        if precision != "auto":
            rows |= _verdict_row(verified)
        _show(report, stats, as_json, f"{family.name} {machine} at step t = {t}, n = {n}, "
                                      f"precision {model.precision}", rows,
              stderr=files.to_stdout(written))
        _refuse_silence(verified if precision != "auto" else None, precision)

    return command


def _described(decoded: dict) -> str:
    return f"state {decoded['state']}, symbol {decoded['symbol']}, move {decoded['move']}"


def _loop(family) -> click.Command:
    @click.command(name=family.name, help=f"Compile one loop of {family.title} for FILE's sizes "
                                          "into a threshold circuit.")
    @with_options(family, skip=("input_size",))
    @click.option("--input", "text", default="", help="esolang: the input bytes (UTF-8 text).")
    @option("--max-steps", "max_steps", old=("--run",), type=click.IntRange(0, 10**6),
            default=0, show_default=True,
            help="Also run the circuit on its own outputs for up to this many loops and "
                 "compare every state with the reference interpreter (0: compile only).")
    @precision_option
    @json_option
    @out_option
    @graphml_option
    @dot_option
    @force_option
    @quiet_option
    @budget_options
    @click.pass_context
    def command(ctx, text, max_steps, precision, as_json, out, graphml, dot, force, quiet,
                budget, **params):
        from compilers.backends.circuit import parse_precision
        from compilers.cli.run import for_run, program_inputs
        from compilers.runs import budget as estimates
        from compilers.runs.circuits import circuit_of, loop_report

        parse_precision(precision)
        written = outputs(force, _reads(family, params), out=out, graphml=graphml, dot=dot,
                          as_json=as_json)
        data = program_inputs(ctx, family, params, text)
        loops = max_steps or (32 if precision != "auto" else 0)
        if loops:
            params = for_run(family, params, data, loops)
        built = construction(family, params, input_size=len(data))
        cost = estimates.loop_circuit(built)
        if loops:
            cost = cost + estimates.loop(built, [loops], backend="circuit")
        cost.check(budget)
        with working(f"compiling one loop of {family.name}", cost.seconds, quiet):
            model = circuit_of(built, precision=precision)
        run = None
        if loops:
            with progress(quiet) as bar:
                task = bar.add_task(f"running the circuit of {family.name}", total=loops)
                run = loop_report(built, (built.program, data), max_steps=loops,
                                  precision=precision, progress=lambda k: bar.advance(task, k))
        stats = model.circuit.stats().to_dict()
        options = built.options
        sizes = {"bits": options["bits"], "memory": options["memory"],
                 "columns": built.positions}
        sizes |= ({"slots": options["slots"]} if built.semantics == "giannou"
                  else {"input_size": options["input_size"]})
        report = {"construction": family.name, "semantics": built.semantics, **sizes,
                  "precision": str(model.precision), "precision_auto": precision == "auto",
                  **stats}
        rows = {}
        verified = None
        if run is not None and precision != "auto":
            agrees = run["agrees_with_reference"]
            verified = {"computes_exact": agrees, "checked": run["loops"],
                        "disagreements": int(not agrees),
                        "first_disagreement": None if agrees else "the program's run",
                        "how": f"the program's run, {run['loops']} loops, against the "
                               "interpreter"}
        report["verified"] = verified or _exact_note()
        if max_steps:
            report["run"] = run
            broken = run["promise_broken"]
            rows = {"loops run": f"{run['loops']} (halted: {run['halted']})",
                    "pc, memory": f"{run['pc']}, {run['memory']}",
                    **({"output": repr(run["output"])} if built.semantics == "esolang" else {}),
                    "agrees with reference": str(run["agrees_with_reference"]),
                    "promise": "kept on every loop" if not broken else
                    f"broken on {len(broken)} loops (first: loop {broken[0]['loop']}, "
                    f"{', '.join(broken[0]['heads'])}): those loops are tested, not proved"}
        rows |= _verdict_row(verified)
        files.write_circuit(model.circuit, **written)
        _show(report, stats, as_json,
              f"{family.name} ({built.semantics}): one loop, {sizes['bits']}-bit words, "
              f"{sizes['memory']} memory words, {sizes['columns']} columns, precision "
              f"{model.precision}", rows, stderr=files.to_stdout(written))
        _refuse_silence(verified, precision)

    return command


def _show(report: dict, stats: dict, as_json: bool, title: str, rows: dict | None = None,
          *, stderr: bool = False):
    """The report as JSON, or a table (on stderr where a file went to stdout)."""
    if as_json:
        print_json(report)
        return
    table = Table(title=title, show_header=False)
    for key in KEYS:
        table.add_row(key, str(stats[key]))
    for key, value in (rows or {}).items():
        table.add_row(key, value)
    Console(stderr=stderr).print(table)


circuit_group = family_group(
    "circuit", "Compile a construction (at input length N, one decoding step, one loop) into "
    "a threshold circuit; print its measures.", _circuit_command,
    accepts=lambda family: family.circuit is not None)


# -- scaling ---------------------------------------------------------------------------


def _scaling_command(family) -> click.Command:
    return {"recogniser": _scale_lengths, "predictor": _scale_lengths, "step": _scale_steps,
            "loop": _scale_sizes}[family.circuit](family)


plot_option = click.option("--plot", "plot_path", type=click.Path(dir_okay=False),
                           help="Write a plot of depth and size against the size (needs "
                                "matplotlib; .png, .pdf, .svg, ...).")


def plot_output(path, force: bool, reads: dict | None = None):
    """The ``--plot`` path, checked before any work: a suffix matplotlib writes."""
    if path is None:
        return None
    from compilers.runs.plots import suffixes

    checked = inputs.output_file(path, option="--plot", suffixes=suffixes(), force=force,
                                 what="a plot")
    inputs.distinct({"--plot": checked}, reads or {})
    return checked


def _grown(family) -> tuple[str, ...]:
    """The options a predictor family's `sizes` sets from n (RASP: ``max_seq_len``)."""
    if family.circuit != "predictor" or family.sizes is None:
        return ()
    defaults = {o.name: o.default for o in family.options}
    one, two = family.sizes(1, **defaults), family.sizes(2, **defaults)
    return tuple(name for name in one if one[name] != two.get(name))


def _scale_lengths(family) -> click.Command:
    """A recogniser's or predictor's circuit at each n (one construction for every n, or,
    for a family with `sizes` such as RASP's, the construction of ``sizes(n)`` at each)."""
    grown = _grown(family)

    @click.command(name=family.name, help=f"Depth and size of {family.title} against n"
                                          + (f" (compiled for {', '.join(grown)} = n)"
                                             if grown else "") + ".")
    @with_options(family, skip=grown)
    @click.option("--lengths", required=True, help="A list such as 8,16,32,64 (or A..B).")
    @precision_option
    @json_option
    @plot_option
    @force_option
    @quiet_option
    @budget_options
    def command(lengths, precision, as_json, plot_path, force, quiet, budget, **params):
        from compilers.backends.circuit import parse_precision
        from compilers.runs import budget as estimates
        from compilers.runs.backends import backend_for
        from compilers.runs.circuits import (
            circuit_length,
            verification_words,
            verify_predictor,
            verify_recogniser,
        )
        from compilers.runs.scaling import check_lengths, measure

        parse_precision(precision)
        plot_path = plot_output(plot_path, force)
        options = shown_options(family, params)
        sizes = check_lengths(parse_lengths(lengths))
        if grown:  # one construction per n, each checked and estimated before any compiles
            built = {n: family.make(**family.sizes(n, **params)) for n in sizes}
        else:
            one = construction(family, params)
            built = dict.fromkeys(sizes, one)
        for n in sizes:
            circuit_length(built[n], n)
        distinct = list({id(b): b for b in built.values()}.values())
        costs = [estimates.recogniser_circuits(b, [n for n in sizes if built[n] is b],
                                               precision=precision) for b in distinct]
        cost = costs[0] if len(costs) == 1 else estimates.circuits(
            costs, f"the circuits of {family.name} at {len(sizes)} lengths up to n = "
                   f"{max(sizes)}")
        words = {}
        if precision != "auto":  # a rounded circuit is checked at each length
            words = {n: verification_words(built[n], n, samples=64, exhaustive=256)
                     for n in sizes}
            for n, w in words.items():
                cost = cost + estimates.recognise(built[n], {n: len(w)}, backend="exact")
        cost.check(budget)
        runners = {id(b): backend_for(b, "circuit", precision=precision)
                   for b in built.values()}
        points, checked = [], {}
        with progress(quiet) as bar:
            task = bar.add_task(f"compiling {family.name}", total=len(sizes))
            for n in sizes:
                b, runner = built[n], runners[id(built[n])]
                points += measure(b, [n], precision=precision, runner=runner)
                if n in words:
                    checked[n] = (verify_predictor(b, runner, words[n])
                                  if family.circuit == "predictor" else
                                  verify_recogniser(b, runner.recogniser(n), words[n]))
                bar.advance(task)
        print_scaling(points, {"construction": family.name, "options": options,
                               "precision": precision},
                      key="n", symbol="n", as_json=as_json, plot_path=plot_path,
                      plot_title=f"{family.name}: compiled circuit",
                      table_title=f"{family.name}: circuit depth and size against n",
                      verified=checked or None)
        _refuse_wrong(checked, precision, "n", len(sizes))

    return command


def _scale_steps(family) -> click.Command:
    @click.command(name=family.name, help=f"Depth and size of a decoding step of "
                                          f"{family.title} against t.")
    @with_options(family, skip=("word",))
    @click.option("--steps", required=True,
                  help="Decoding steps, a list such as 4,8,16,32 (or A..B).")
    @click.option("--length", "n", type=click.IntRange(0, 4096), default=0, show_default=True,
                  help="The encoder word's length n.")
    @precision_option
    @json_option
    @plot_option
    @force_option
    @quiet_option
    @budget_options
    def command(steps, n, precision, as_json, plot_path, force, quiet, budget, **params):
        from compilers.backends.circuit import parse_precision
        from compilers.runs import budget as estimates
        from compilers.runs.backends import backend_for
        from compilers.runs.circuits import verify_step
        from compilers.runs.scaling import measure_steps

        parse_precision(precision)
        plot_path = plot_output(plot_path, force, _reads(family, params))
        built = construction(family, params)
        name = built.options.get("machine", family.name)
        ts = parse_lengths(steps)
        checks = STEP_CHECKS if precision != "auto" else 0  # a rounded step is checked
        cost = estimates.step_circuits(built, n, [t for t in ts if t >= 1], precision=precision)
        if checks:
            cost = cost + estimates.generate(built, [(n, t, checks) for t in ts],
                                             backend="exact")
        cost.check(budget)
        runner = backend_for(built, "circuit", precision=precision)
        points, checked = [], {}
        with progress(quiet) as bar:
            task = bar.add_task(f"compiling steps of {family.name}", total=len(ts))
            for t in ts:
                points += measure_steps(built, [t], n=n, precision=precision, runner=runner)
                if checks:
                    checked[t] = verify_step(built, runner.step(n, t), n, t, checks)
                bar.advance(task)
        print_scaling(points, {"construction": family.name, "machine": name, "n": n,
                               "precision": precision},
                      key="t", symbol="t", xlabel="decoding step t", as_json=as_json,
                      plot_path=plot_path, plot_title=f"{family.name} {name}: one decoding step",
                      table_title=f"{family.name} {name}: circuit of one decoding step "
                                  f"against t (n = {n})", verified=checked or None)
        _refuse_wrong(checked, precision, "t", len(ts))

    return command


def _scale_sizes(family) -> click.Command:
    keywords = [p for p in inspect.signature(family.sizes).parameters.values()
                if p.kind is p.KEYWORD_ONLY]
    defaults = {p.name: p.default for p in keywords}
    skip = tuple(o.name for o in family.options if o.name not in defaults)

    @click.command(name=family.name, help=f"Depth and size of one loop of {family.title} "
                                          "against its size.")
    @click.option("--sizes", required=True, help="Sizes, a list such as 4,8,16,32 (or A..B).")
    @with_options(family, skip=skip, defaults=defaults)
    @precision_option
    @json_option
    @plot_option
    @force_option
    @quiet_option
    @budget_options
    def command(sizes, precision, as_json, plot_path, force, quiet, budget, **params):
        from compilers.backends.circuit import parse_precision
        from compilers.runs.circuits import verify_loop
        from compilers.runs.scaling import measure_sizes

        parse_precision(precision)
        plot_path = plot_output(plot_path, force)
        ms = parse_lengths(sizes)
        checks = precision != "auto"  # a rounded loop is checked on random programs
        _sizes_cost(family, ms, params, checks).check(budget)
        runners: dict = {}
        points, checked = [], {}
        with progress(quiet) as bar:
            task = bar.add_task(f"compiling {family.name}", total=len(ms))
            for m in ms:
                points += measure_sizes(family, [m], precision=precision, runners=runners,
                                        **params)
                if checks:
                    checked[runners[m][0].positions] = verify_loop(*runners[m], LOOP_CHECKS[0],
                                                                   LOOP_CHECKS[1])
                bar.advance(task)
        fixed = {k: v for k, v in family.sizes(1, **params).items()
                 if family.sizes(2, **params)[k] == v}
        words = f" ({params['bits']}-bit words)" if "bits" in params else ""
        print_scaling(points, {"construction": family.name, **fixed, "precision": precision},
                      key="columns", symbol="n", xlabel="punchcard columns n", as_json=as_json,
                      plot_path=plot_path, plot_title=f"{family.name}{words}: one loop",
                      table_title=f"{family.name}{words}: circuit of one loop against the "
                                  "columns", verified=checked or None)
        _refuse_wrong(checked, precision, "columns", len(ms))

    return command


def _sizes_cost(family, sizes: list[int], params: dict, checks: bool = False):
    """One loop's circuit at each size m: the eight largest estimated from their IRs, the
    others bounded by the eighth's; with `checks`, its runs on `LOOP_CHECKS` programs."""
    from compilers.runs import budget as estimates

    largest = sorted({m for m in sizes if m >= 1}, reverse=True)
    built = [family.make(**family.sizes(m, **params)) for m in largest[:8]]
    costs = [estimates.loop_circuit(b) + (estimates.loop(b, [LOOP_CHECKS[1]] * LOOP_CHECKS[0],
                                                         backend="circuit")
                                          if checks else estimates.Estimate(""))
             for b in built]
    rest = len(sizes) - len(costs)
    total = estimates.Estimate(f"the circuits of {family.name} at {len(sizes)} sizes up to "
                               f"m = {max(sizes)}")
    for cost in costs + ([costs[-1]] * rest if costs else []):
        total = estimates.Estimate(total.what, total.gates + cost.gates,
                                   max(total.memory, cost.memory), total.seconds + cost.seconds)
    return total


def print_scaling(points, header: dict, *, key: str, symbol: str, as_json: bool, plot_path,
                  plot_title: str, table_title: str, xlabel: str | None = None,
                  verified: dict | None = None) -> None:
    """The report of a `scaling` command, as JSON (`header`, the points with their x
    value under `key`, the depths seen, the fitted exponent of size in `symbol`) or a
    table, and the plot if asked for."""
    from compilers.runs.scaling import fit_exponent

    exponent = fit_exponent(points)
    report = {**header,
              "points": [{key: p.n, **{k: v for k, v in p.to_dict().items() if k != "n"},
                          **({"verified": verified[p.n]} if verified else {})}
                         for p in points],
              "depths": sorted({p.depth for p in points}),
              "size_exponent": None if exponent is None else round(exponent, 4)}
    if plot_path:
        from compilers.runs.plots import plot_scaling

        axis = {} if xlabel is None else {"variable": symbol, "xlabel": xlabel}
        report["plot"] = str(plot_scaling(points, plot_path, title=plot_title,
                                          exponent=exponent, **axis))
    if as_json:
        print_json(report)
        return
    table = Table(title=table_title)
    columns = (key, "depth", "size", "wires", "max fan-in", "precision", "seconds")
    for column in columns + (("computes exact",) if verified else ()):
        table.add_column(column, justify="right")
    for p in points:
        verdict = (("yes" if verified[p.n]["computes_exact"] else "NO",) if verified else ())
        table.add_row(str(p.n), str(p.depth), str(p.size), str(p.wires), str(p.max_fan_in),
                      p.precision, f"{p.seconds:.2f}", *verdict)
    console = Console()
    console.print(table)
    fit = "n/a" if exponent is None else f"{exponent:.2f}"
    console.print(f"depths seen: {report['depths']}; size ~ {symbol}^{fit} "
                  "(least squares, log-log)")
    if plot_path:
        console.print(f"plot: {report['plot']}")


scaling_group = family_group(
    "scaling", "Depth and size of a construction's circuit against n, with the fitted size "
    "exponent.", _scaling_command,
    accepts=lambda family: family.circuit is not None and (
        family.circuit != "loop" or family.sizes is not None))
