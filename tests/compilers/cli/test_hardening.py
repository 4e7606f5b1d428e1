"""Regressions of issue 19: every case it names, pinned one by one.

Silent wrong answers first (a guarantee derived for the options given, a
SUBLEQ word that would wrap, a rounded circuit, empty words through pipes,
options that do not apply, n never guessed), then what printed a traceback or
ran unbounded: devices, output paths, files, budgets. Corrupted saved models
are in `tests/compilers/runs/test_saving_verified.py`; the fuzzing campaign in
`test_fuzz.py`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from compilers.cli import main
from compilers.constructions import first, parity
from compilers.errors import EvaluationError

PROGRAMS = Path(__file__).parents[3] / "examples" / "programs"
TM = "1RB1LB_1LA1RZ"


def _run(*args, input=None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input)


def _one_line_error(result, message: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: ") and result.output.count("\n") == 1, result.output
    assert message in result.output, result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception,
                                                                     SystemExit)


# -- silent wrong answers -------------------------------------------------------------------


def test_first_with_a_tiny_sharpness_is_guaranteed_for_no_word_in_float32(tmp_path):
    assert first.build(sharpness="1e-10").limits["float32"] == 0  # the empty word only
    report = json.loads(_run("precision", "first", "--sharpness", "1e-10", "--dtype",
                             "float32", "--lengths", "1,2,5,10", "--json").output)
    assert report["guaranteed_up_to"] == 0 and report["contradicted"] == []
    assert _run("compile", "first", "--sharpness", "1e-10", "-o", tmp_path / "D").exit_code == 0
    result = _run("eval", tmp_path / "D", "1", "10", "0")
    assert result.exit_code == 1
    assert "NO" in result.output and "3 word(s) are not trusted" in result.output


@pytest.mark.parametrize("options", [("--output-scale", "1e-18"),
                                     ("--layernorm", "--epsilon", "1e5")])
def test_parity_options_that_underflow_or_overflow_float16_are_guaranteed_nowhere(
        tmp_path, options):
    result = _run("compile", "parity", *options, "--dtype", "float16", "-o", tmp_path / "D")
    assert result.exit_code == 0, result.output
    assert "guaranteed for no input in float16" in result.output
    evaluated = _run("eval", tmp_path / "D", "1", "0", "111", "--json")
    assert evaluated.exit_code == 1
    rows = json.loads(evaluated.output.split("\nwarning")[0])
    assert all(row["trusted"] is False for row in rows)


def test_the_guarantee_follows_every_option_it_rests_on():
    assert parity.build(output_scale="1e-18").limits["float16"] is None
    assert parity.build(layernorm=True, epsilon="1e5").limits["float16"] is None
    assert parity.build(layernorm=True, epsilon="1e5").limits["float32"] == 722
    assert first.build(output_scale="1e-18").limits["float16"] is None
    assert first.build().limits["float32"] == first.ANY_LENGTH
    assert 10**8 < first.build().limits["float16"] < first.ANY_LENGTH


def test_precision_reports_a_guarantee_the_data_contradict_and_exits_one(monkeypatch):
    monkeypatch.setattr(parity, "guaranteed_length", lambda dtype, **options: 10**6)
    result = _run("precision", "parity", "--output-scale", "1e-18", "--dtype", "float16",
                  "--lengths", "1,2,5", "--samples", "8", "--json")
    assert result.exit_code == 1
    report = json.loads(result.output.split("\nerror:")[0])
    assert report["contradicted"] == [1, 2, 5]
    assert "inside its guarantee" in result.output


DOUBLING = "15 16 3  16 15 6  16 16 9  17 18 -1  19 19 0  1 0 1 {k} 0\n"
"""X doubles k times (X at 15, T at 16, one at 17, the counter at 18, zero at 19)."""


@pytest.mark.parametrize("backend", ["exact", "torch"])
def test_subleq_without_bits_gets_words_wide_enough_that_nothing_wraps(tmp_path, backend):
    source = tmp_path / "doubling.subleq"
    source.write_text(DOUBLING.format(k=10))
    reference = json.loads(_run("run", "subleq", source, "--json").output)
    result = _run("run", "subleq", source, "--backend", backend, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert reference["memory"][15] == data["memory"][15] == 1024
    assert data["agrees_with_reference"] is True


def test_subleq_whose_words_outgrow_64_bits_is_refused_naming_the_step(tmp_path):
    source = tmp_path / "doubling.subleq"
    source.write_text(DOUBLING.format(k=70))
    result = _run("run", "subleq", source, "--backend", "exact")
    _one_line_error(result, "without --bits the program runs on unbounded words, and by step ")
    assert "needs more than the 64 bits" in result.output
    assert "give --bits N" in result.output
    source.write_text(DOUBLING.format(k=10))  # with --bits the words wrap, as asked
    wrapping = _run("run", "subleq", source, "--backend", "exact", "--bits", "8", "--json")
    assert wrapping.exit_code == 0 and json.loads(wrapping.output)["agrees_with_reference"]
    assert json.loads(wrapping.output)["memory"][15] == 0  # 1024 on 8-bit words


def test_a_circuit_at_a_low_precision_says_it_no_longer_computes_the_construction(tmp_path):
    saved = tmp_path / "c.json"
    result = _run("circuit", "parity", "--attention", "average-hard", "--length", "8",
                  "--precision", "2.4", "--out", saved, "--json")
    assert result.exit_code == 1
    report = json.loads(result.output.split("\nwarning:")[0])
    assert report["verified"]["computes_exact"] is False
    assert (report["verified"]["checked"], report["verified"]["disagreements"]) == (256, 128)
    assert "disagrees with the exact construction on 128 of 256" in result.output
    assert saved.exists()  # written as asked, and flagged
    fine = _run("circuit", "parity", "--attention", "average-hard", "--length", "8",
                "--precision", "8.16", "--json")
    assert fine.exit_code == 0 and json.loads(fine.output)["verified"]["computes_exact"]


def test_empty_words_survive_a_pipe_one_row_per_line(tmp_path):
    empties = _run("sample", "dyck1", "--length", "0", "--samples", "5").output
    assert empties == "\n" * 5
    rows = json.loads(_run("contains", "dyck1", "--json", input=empties).output)
    assert rows == [{"word": "", "member": True}] * 5
    assert _run("contains", "parity", input="1\n\n0\n").output == "1\ttrue\n\tfalse\n0\tfalse\n"
    run_rows = json.loads(_run("run", "parity", "--backend", "exact", "--json",
                               input="1\n\n0\n").output)
    assert [r["word"] for r in run_rows] == ["1", "", "0"]
    assert _run("compile", "parity", "-o", tmp_path / "m").exit_code == 0
    eval_rows = json.loads(_run("eval", tmp_path / "m", "--json", input="1\r\n\r\n0").output)
    assert [r["word"] for r in eval_rows] == ["1", "", "0"]


def test_an_empty_stdin_is_an_error_not_an_empty_answer():
    _one_line_error(_run("contains", "parity", input=""), "stdin is empty")
    _one_line_error(_run("run", "parity", input=""), "stdin is empty")
    _one_line_error(_run("contains", "parity", input=b"\xff\n"), "stdin is not UTF-8 text")


@pytest.mark.parametrize(("args", "message"), [
    (("run", "parity", "1", "--dtype", "float16"), "--dtype applies to --backend torch only"),
    (("run", "parity", "1", "--backend", "exact", "--device", "cpu"),
     "--device applies to --backend torch only"),
    (("run", "parity", "1", "--backend", "torch", "--precision", "4.4"),
     "--precision applies to --backend circuit only"),
    (("run", "tm", TM, "--dtype", "float32"), "--dtype applies to --backend torch only"),
    (("run", "subleq", PROGRAMS / "multiply.giannou", "--input", "x"),
     "--input applies to esolang programs only"),
    (("run", "subleq", PROGRAMS / "countdown.subleq", "--slots", "4"),
     "--slots applies to giannou programs only"),
    (("circuit", "subleq", PROGRAMS / "multiply.giannou", "--input", "x"),
     "--input applies to esolang programs only"),
    (("check", "subleq", PROGRAMS / "multiply.giannou", "--input-size", "3"),
     "--input-size applies to esolang programs only"),
    (("check", "parity", "--lengths", "2", "--backends", "exact", "--dtype", "float32"),
     "--dtype applies to the torch backend"),
    (("check", "parity", "--lengths", "2", "--precision", "4.4"),
     "--precision applies to the circuit backend"),
    (("check", "parity", "--lengths", "2", "--max-steps", "9"),
     "--max-steps applies to machines and programs"),
    (("check", "subleq", PROGRAMS / "multiply.giannou", "--lengths", "3"),
     "--lengths applies to words and machines"),
])
def test_an_option_that_does_not_apply_is_refused_by_name(args, message):
    _one_line_error(_run(*args), message)


def test_the_torch_module_never_guesses_n_from_the_tokens():
    from compilers.backends.exact import ExactModel
    from compilers.backends.torch_module import TorchTransformer

    model = parity.build()
    module = TorchTransformer(model.transformer, dtype="float64")
    ids = module.encode_tokens([model.tokens("0110")])
    with pytest.raises(EvaluationError, match="parity: pass n=, the input length"):
        module(ids)
    with pytest.raises(EvaluationError, match="parity: pass n="):
        ExactModel(model.transformer).forward(model.tokens("0110"))
    assert float(module(ids, n=4).outputs["logit"][0]) < 0


# -- tracebacks and unbounded work ------------------------------------------------------------


@pytest.mark.parametrize(("device", "message"), [
    ("cpu:99", "torch has one CPU device"),
    ("meta", "meta tensors hold no values"),
    *([("mps", "torch sees no MPS device here")]
      if not torch.backends.mps.is_available() else []),  # a Mac with MPS runs there
    ("xpu:3", "the torch backend runs on cpu, cuda or cuda:N"),
    ("cuda:99", "cuda:99"),
    ("", "unknown device ''"),
])
def test_a_device_torch_cannot_run_here_is_refused_by_name(device, message):
    _one_line_error(_run("run", "tm", TM, "--backend", "torch", "--device", device), message)


@pytest.mark.parametrize(("args", "message"), [
    (("circuit", "parity", "--attention", "average-hard", "--length", "10**18"),
     "not a valid integer"),
    (("circuit", "parity", "--attention", "average-hard", "--length", "1000000000000000000"),
     "n must be between 1 and 10000000, got 1000000000000000000"),
    (("circuit", "parity", "--attention", "average-hard", "--length", "1000000"),
     "is estimated at 1e+12 gates and wires, past the limit of 2e+07 (--max-gates)"),
    (("gadget", "parity", "--length", "1000000000000000000"),
     "--length is 1000000000000000000; at most"),
    (("gadget", "multiplication", "--length", "10000"), "past the limit of 2e+07 (--max-gates)"),
    (("gadget", "exactly", "--length", "4", "--k", "100"),
     "--k must be between 0 and --length (4)"),
    (("scaling", "parity", "--attention", "average-hard", "--lengths", "1..100000"),
     "is estimated at"),
    (("check", "parity", "--lengths", "0..10000000"), "names 10000001 values; at most 100000"),
    (("check", "parity", "--lengths", "0..5000"), "past the limit of 10 minutes"),
    (("circuit", "subleq", PROGRAMS / "multiply.giannou", "--memory", "4096", "--slots", "4096"),
     "past the limit"),
    (("circuit", "tm", TM, "--step", "4096"), "past the limit of 2e+07 (--max-gates)"),
    (("run", "tm", "1RB0RA_1LA0LA", "--backend", "exact"), "past the limit"),
    (("run", "tm", TM, "--max-steps", "1000000000"), "past the limit of 10 minutes"),
    (("check", "parity", "--lengths", "1", "--seed", "-1"), "'--seed': -1 is not in the range"),
    (("check", "parity", "--lengths", "1", "--seed", "1" * 30), "is not in the range"),
    (("run", "parity", "1", "--output-scale", "1e999999"),
     "--output-scale must be a number between 1e-60 and 1e60"),
    (("run", "tm", "A" * 5000), "machine code"),
    (("circuit", "parity", "--attention", "average-hard", "--length", "4", "--max-gates", "1"),
     "past the limit of 1 (--max-gates)"),
])
def test_absurd_sizes_and_values_are_refused_at_once(args, message):
    _one_line_error(_run(*args), message)


def test_a_large_tm_table_is_refused_by_its_estimate_before_its_module_is_built(tmp_path):
    symbols = ["0", "1", *(chr(0x4E00 + k) for k in range(2998))]
    table = (" ".join(symbols) + "\nA " + " ".join("1RB" for _ in symbols)
             + "\nB " + " ".join("0LZ" for _ in symbols) + "\n")
    (tmp_path / "big.tm").write_text(table)
    result = _run("compile", "tm", tmp_path / "big.tm", "-o", tmp_path / "out")
    _one_line_error(result, "of memory, past the limit of 4 GiB (--max-memory)")
    assert not (tmp_path / "out").exists()


def test_a_subleq_file_that_is_not_utf8_is_one_line(tmp_path):
    (tmp_path / "p.subleq").write_bytes(b"\xff\xfe3 4 5")
    _one_line_error(_run("run", "subleq", tmp_path / "p.subleq"), "is not UTF-8 text (byte 0")


@pytest.mark.parametrize("text", ["[" * 100000 + "]" * 100000, '{"format": "circuitx.circuit", '
                                  '"version": 1, "inputs": [], "outputs": [], "fanin_ptr": [0], '
                                  '"fanin_wires": [36893488147419103232], "weights": [], '
                                  '"thresholds": [], "labels": [], "gate_labels": []}'])
def test_a_deep_or_overflowing_circuit_file_is_one_line(tmp_path, text):
    (tmp_path / "c.json").write_text(text)
    result = _run("stats", tmp_path / "c.json")
    _one_line_error(result, "circuit file")


@pytest.mark.parametrize("option", ["--out", "--graphml"])
def test_an_output_in_a_missing_folder_is_refused_before_any_work(tmp_path, option):
    suffix = ".json" if option == "--out" else ".graphml"
    result = _run("circuit", "parity", "--attention", "average-hard", "--length", "4", option,
                  tmp_path / "missing" / f"c{suffix}")
    _one_line_error(result, "does not exist")


def test_output_paths_are_checked_before_any_work(tmp_path):
    _one_line_error(_run("scaling", "parity", "--attention", "average-hard", "--lengths", "4",
                         "--plot", tmp_path / "nope" / "p.png"), "does not exist")
    _one_line_error(_run("precision", "parity", "--dtype", "float32", "--plot",
                         tmp_path / "p.unknown"), "a plot is written as")
    _one_line_error(_run("gadget", "parity", "--length", "3", "--out", tmp_path / "c.txt"),
                    "ends in '.txt'")
    _one_line_error(_run("stats", tmp_path / "c.json", "--dot", tmp_path / "no" / "c.dot"),
                    "does not exist")


def test_nothing_is_lost_outputs_never_overwrite_inputs_or_each_other(tmp_path):
    circuit = tmp_path / "c.json"
    assert _run("gadget", "parity", "--length", "3", "--out", circuit).exit_code == 0
    before = circuit.read_bytes()
    for option in ("--dot", "--graphml"):  # the suffix alone refuses these
        _one_line_error(_run("stats", circuit, option, circuit, "--force"), "ends in '.json'")
    for option, name in (("--dot", "c.dot"), ("--graphml", "c.graphml")):
        (tmp_path / name).write_bytes(before)  # a circuit file under the writer's suffix
        result = _run("stats", tmp_path / name, option, tmp_path / name, "--force")
        _one_line_error(result, "is the circuit file this command reads; an output never "
                                "replaces an input")
        assert (tmp_path / name).read_bytes() == before
    assert circuit.read_bytes() == before
    both = _run("gadget", "parity", "--length", "3", "--out", tmp_path / "x.json", "--graphml",
                tmp_path / "x.json")
    assert both.exit_code == 2
    program = tmp_path / "p.subleq"
    program.write_text("0 0 -1\n")
    result = _run("circuit", "subleq", program, "--out", tmp_path / "p.subleq")
    assert result.exit_code == 2


def test_existing_outputs_are_replaced_only_with_force(tmp_path):
    out = tmp_path / "model"
    assert _run("compile", "parity", "-o", out).exit_code == 0
    again = _run("compile", "parity", "--layernorm", "-o", out)
    _one_line_error(again, "already holds config.json, model.safetensors; add --force")
    assert _run("compile", "parity", "--layernorm", "-o", out, "--force").exit_code == 0
    circuit = tmp_path / "c.json"
    assert _run("gadget", "parity", "--length", "3", "--out", circuit).exit_code == 0
    _one_line_error(_run("gadget", "parity", "--length", "4", "--out", circuit), "add --force")
    assert _run("gadget", "parity", "--length", "4", "--out", circuit, "--force").exit_code == 0


@pytest.mark.parametrize("out", ["", ".", "./"])
def test_compile_refuses_an_empty_path_or_the_current_folder(out):
    result = _run("compile", "parity", "-o", out)
    _one_line_error(result, "-o")


def test_a_failed_write_leaves_the_old_file_whole(tmp_path, monkeypatch):
    from circuitx import gadgets, io

    path = tmp_path / "c.json"
    io.save(gadgets.parity(3), path)
    before = path.read_bytes()

    def broken(circuit):
        raise RuntimeError("interrupted")

    monkeypatch.setattr(io, "to_dict", broken)
    with pytest.raises(RuntimeError, match="interrupted"):
        io.save(gadgets.parity(4), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["c.json"]


def test_a_json_answer_past_4300_digits_is_printed_exactly_in_hexadecimal(tmp_path):
    source = tmp_path / "doubling.subleq"
    source.write_text(DOUBLING.format(k=15000))
    result = _run("run", "subleq", source, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["memory"][15] == hex(2**15000)


# -- writes that fail, and what the root group still catches --------------------------------


def test_a_write_that_fails_is_one_line_and_leaves_the_old_file_whole(tmp_path, monkeypatch):
    circuit = tmp_path / "c.json"
    assert _run("gadget", "parity", "--length", "3", "--out", circuit).exit_code == 0
    before = circuit.read_bytes()

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("circuitx.jsonfile.os.replace", full)
    result = _run("gadget", "parity", "--length", "4", "--out", circuit, "--force")
    _one_line_error(result, f"cannot write circuit file '{circuit}': No space left on device")
    assert circuit.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["c.json"]  # no temporary file left


def test_a_folder_where_no_file_can_be_made_is_refused_before_any_work(tmp_path, monkeypatch):
    def refused(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("compilers.cli.inputs.tempfile.mkstemp", refused)
    _one_line_error(_run("compile", "parity", "-o", tmp_path / "m"),
                    "is not writable (Permission denied)")
    _one_line_error(_run("gadget", "parity", "--length", "3", "--out", tmp_path / "c.json"),
                    "is not writable (Permission denied)")
    assert list(tmp_path.iterdir()) == []


def test_an_os_error_no_reader_named_is_still_one_line(tmp_path, monkeypatch):
    from circuitx import io

    (tmp_path / "c.json").write_text("{}")

    def gone(*args, **kwargs):
        raise FileNotFoundError(2, "No such file or directory", str(tmp_path / "c.json"))

    monkeypatch.setattr(io, "load", gone)
    _one_line_error(_run("stats", tmp_path / "c.json"), "cannot read or write")


def test_an_echoed_input_is_cut_short_in_the_error_line():
    result = _run("run", "tm", "1RB" * 3000)
    _one_line_error(result, "more)...")
    assert "has 3000 symbols" in result.output and len(result.output) < 400


def test_a_plot_format_is_offered_only_where_it_can_be_written():
    import shutil

    import matplotlib.pyplot as plt

    from compilers.runs.plots import suffixes

    tex = shutil.which(plt.rcParams["pgf.texsystem"]) is not None
    assert (".pgf" in suffixes()) == tex
    assert {".png", ".pdf", ".svg"} <= set(suffixes())


def test_a_closed_pipe_ends_quietly():
    import subprocess
    import sys

    code = ("import sys; from compilers.cli import main; sys.argv = ['circuitx', 'sample', "
            "'parity', '--length', '64', '--samples', '200000']; main()")
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    assert len(process.stdout.readline()) == 65
    process.stdout.close()
    error = process.stderr.read().decode()
    assert process.wait(timeout=60) in (0, 1) and error == "", error


# -- rounded circuits in a sweep, and SUBLEQ words in every command ----------------------------


def test_a_rounded_decoding_step_in_a_sweep_says_which_step_disagrees():
    result = _run("scaling", "tm", TM, "--steps", "1..3", "--precision", "4.1", "--json")
    assert result.exit_code == 1
    report = json.loads(result.output.split("\nwarning:")[0])
    verdicts = {p["t"]: p["verified"]["computes_exact"] for p in report["points"]}
    assert verdicts == {1: True, 2: True, 3: False}
    assert "at t = 3; 1 of 3 sizes wrong" in result.output
    fine = _run("scaling", "tm", TM, "--steps", "1..3", "--precision", "4.4", "--json")
    assert fine.exit_code == 0
    assert all(p["verified"]["computes_exact"] for p in json.loads(fine.output)["points"])


def test_a_rounded_loop_in_a_sweep_is_checked_on_random_programs():
    result = _run("scaling", "subleq", "--sizes", "2", "--precision", "6.2", "--json")
    assert result.exit_code == 0, result.output
    (point,) = json.loads(result.output)["points"]
    assert point["verified"]["against"] == "the interpreter"
    assert point["verified"]["checked"] == 2 and point["verified"]["computes_exact"]
    exact = json.loads(_run("scaling", "subleq", "--sizes", "2", "--json").output)
    assert "verified" not in exact["points"][0]  # at auto the circuit is exact by construction


@pytest.mark.parametrize("args", [
    ("check", "{p}", "--samples", "0", "--max-steps", "1000"),
    ("precision", "{p}", "--dtype", "float64"),
    ("circuit", "{p}", "--max-steps", "1000"),
])
def test_every_command_refuses_a_subleq_run_whose_words_outgrow_64_bits(tmp_path, args):
    source = tmp_path / "doubling.subleq"
    source.write_text(DOUBLING.format(k=70))
    argv = [a.format(p=source) for a in args]
    _one_line_error(_run(argv[0], "subleq", *argv[1:]), "needs more than the 64 bits")


def test_a_circuit_that_outgrows_its_estimate_is_stopped_at_the_gate_limit(monkeypatch):
    from circuitx import gadgets
    from circuitx.builder import limited
    from circuitx.errors import LimitError
    from compilers.runs import budget

    with limited(50, "the test's limit"), pytest.raises(LimitError, match="the test's limit"):
        gadgets.parity(64)
    assert gadgets.parity(64).stats().size > 0  # outside the block: no limit

    def too_low(construction, n, *, precision="auto"):
        return budget.Estimate("a too low estimate", 1, 1, 0.001)

    monkeypatch.setattr(budget, "recogniser_circuit", too_low)
    result = _run("circuit", "parity", "--attention", "average-hard", "--length", "64",
                  "--max-gates", "500")
    _one_line_error(result, "a circuit being compiled passed 500 gates and wires, the limit "
                            "of --max-gates")


def test_every_writer_refuses_a_missing_folder_before_any_work(tmp_path):
    missing = tmp_path / "missing"
    for args in (("compile", "parity", "-o", missing / "m"),
                 ("gadget", "parity", "--length", "3", "--out", missing / "c.json"),
                 ("gadget", "parity", "--length", "3", "--graphml", missing / "c.graphml"),
                 ("precision", "parity", "--dtype", "float32", "--plot", missing / "p.png"),
                 ("tour", "--out", missing / "deeper")):
        _one_line_error(_run(*args), "does not exist")
    assert not missing.exists()


def test_eval_reads_stdin_by_the_same_rules(tmp_path):
    assert _run("compile", "parity", "-o", tmp_path / "m").exit_code == 0
    _one_line_error(_run("eval", tmp_path / "m", input=""), "stdin is empty")
    _one_line_error(_run("eval", tmp_path / "m", input=b"0\xff\n"), "stdin is not UTF-8")
    rows = json.loads(_run("eval", tmp_path / "m", "--json", input="\n\n").output)
    assert [r["word"] for r in rows] == ["", ""]
