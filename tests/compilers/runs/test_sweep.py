"""Sweeps (`compilers.runs.sweep`): shards, seeds, merged counts, resumption, executors.

The oracle of a merged sweep is one serial `check` (or `precision_sweep`) per
construction, options and seed over all the lengths: the sweep must give the
same counts whatever the executor (this process, spawned processes, Ray), the
order the shards finish in, or a crash and a resumption in between. The seed
derivation is checked against `numpy.random.SeedSequence` directly.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import ray

from compilers.constructions import get
from compilers.errors import CompileError
from compilers.runs import sweep as sweeps
from compilers.runs import sweep_ray
from compilers.runs.check import check, length_seed, recogniser_words
from compilers.runs.precision import departure, precision_sweep

SPEC = {"constructions": {"parity": {"attention": ["softmax", "average-hard"]}},
        "lengths": "0..6", "seeds": [0, 3], "samples": 8, "backends": ["exact", "torch"]}


@pytest.fixture(scope="module")
def ray_session():
    """One local Ray instance for the module (starting one takes seconds)."""
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def _serial(grid) -> list[dict]:
    """Each group's counts from one plain `check` over all the lengths."""
    out = []
    for name, combos in grid.constructions:
        for options in combos:
            for seed in grid.seeds:
                report = check(get(name).make(**options), lengths=grid.lengths,
                               samples=grid.samples, backends=grid.backends, seed=seed)
                out.append(report.as_dict()["backends"])
    return out


def _reversed(function, todo):
    for shard in reversed(todo):
        yield function(shard)


class Crash(Exception):
    pass


def _crashing_after(count: int):
    def execute(function, todo):
        for k, shard in enumerate(todo):
            if k == count:
                raise Crash
            yield function(shard)
    return execute


def _counting(ran: list):
    def execute(function, todo):
        for shard in todo:
            ran.append(shard)
            yield function(shard)
    return execute


# -- seeds -------------------------------------------------------------------------------


def test_length_seed_is_the_documented_seed_sequence():
    for seed, length in [(0, 0), (1, 4), (0, 5), (2**63 - 1, 10**7)]:
        word = np.random.SeedSequence(seed, spawn_key=(length,)).generate_state(1, np.uint64)[0]
        assert length_seed(seed, length) == int(word) >> 1
        assert 0 <= length_seed(seed, length) < 2**63


def test_seed_one_at_length_four_and_seed_zero_at_length_five_draw_different_streams():
    assert length_seed(1, 4) != length_seed(0, 5)
    a = np.random.default_rng(length_seed(1, 4)).integers(2, size=64)
    b = np.random.default_rng(length_seed(0, 5)).integers(2, size=64)
    assert not np.array_equal(a, b)
    # the words check draws: 40 words of length 10 from seed 1 and from seed 0, the first
    # four symbols of each (what seed + length would have shared between n = 4 and n = 5)
    parity = get("parity").make()
    one = recogniser_words(parity, 10, 40, length_seed(1, 4))
    zero = recogniser_words(parity, 10, 40, length_seed(0, 5))
    assert [w[:4] for w in one] != [w[:4] for w in zero]


def test_a_length_draws_the_same_words_alone_or_among_others():
    parity = get("parity").make()
    alone = check(parity, lengths=[9], samples=6, backends=["exact"], seed=5)
    among = check(parity, lengths=[3, 9], samples=6, backends=["exact"], seed=5)
    assert among.backends["exact"].checked == 6 + alone.backends["exact"].checked


# -- the grid ----------------------------------------------------------------------------


def test_shards_are_the_product_of_the_axes_each_with_a_canonical_key():
    grid = sweeps.grid(SPEC)
    shards = sweeps.shards(grid)
    assert len(shards) == 2 * 7 * 2
    assert len({sweeps.key(s) for s in shards}) == len(shards)
    first = shards[0]
    assert first == {"study": "check", "construction": "parity",
                     "options": {"attention": "softmax"}, "length": 0, "seed": 0,
                     "samples": 8, "backends": ["exact", "torch"], "dtype": "float64",
                     "device": "cpu"}
    assert sweeps.key(first) == json.dumps(first, sort_keys=True, separators=(",", ":"))


@pytest.mark.parametrize(("spec", "message"), [
    ({**SPEC, "colour": 1}, "grid key 'colour' is unknown; allowed: study"),
    ({**SPEC, "study": "speed"}, "study 'speed' is unknown; allowed: check, precision"),
    ({**SPEC, "constructions": []}, "expected a non-empty list"),
    ({**SPEC, "constructions": ["nosuch"]}, "nosuch"),
    ({**SPEC, "options": {"bits": [4]}}, "option 'bits' belongs to none of the constructions"),
    ({**SPEC, "constructions": {"parity": {"attention": ["hard"]}}}, "hard"),
    ({**SPEC, "constructions": {"parity": {"layernorm": ["maybe"]}}},
     "option 'layernorm' is a flag; got 'maybe'"),
    ({**SPEC, "lengths": "1..x"}, "grid 'lengths' is '1..x'; expected A..B"),
    ({**SPEC, "seeds": [-1]}, "seed"),
    ({**SPEC, "backends": ["tpu"]}, "backend 'tpu' is unknown; allowed: exact, torch, circuit"),
    ({**SPEC, "lengths": []}, "parity is checked on words: the grid needs 'lengths'"),
    ({"study": "precision", "constructions": ["subleq"], "options": {"program": "x"}},
     "for a looped construction run 'circuitx precision NAME'"),
])
def test_a_bad_grid_is_refused_by_name(spec, message):
    with pytest.raises(CompileError, match=re.escape(message)):
        sweeps.grid(spec)


def test_options_from_text_take_their_kinds():
    grid = sweeps.grid({"constructions": ["parity"], "lengths": [2],
                        "options": {"layernorm": ["true", "no"], "output_scale": ["2.50"]}})
    (_, combos), = grid.constructions
    assert combos == ({"layernorm": True, "output_scale": "5/2"},
                      {"layernorm": False, "output_scale": "5/2"})


def test_a_grid_file_is_json_or_toml():
    toml = b'constructions = ["parity"]\nlengths = "1..3"\n[options]\nattention = ["softmax"]\n'
    assert sweeps.read_grid(toml) == {"constructions": ["parity"], "lengths": "1..3",
                                      "options": {"attention": ["softmax"]}}
    assert sweeps.read_grid(b'{"constructions": ["first"]}') == {"constructions": ["first"]}
    with pytest.raises(sweeps.SweepError, match="the grid file is neither JSON nor TOML"):
        sweeps.read_grid(b"constructions = [")
    with pytest.raises(sweeps.SweepError, match="holds list; expected an object"):
        sweeps.read_grid(b"[1]")


# -- merged counts -----------------------------------------------------------------------


def test_merged_counts_equal_one_serial_check_in_any_order(tmp_path):
    grid = sweeps.grid(SPEC)
    report = sweeps.sweep(grid, out=tmp_path / "a.jsonl", executor=_reversed)
    assert [g["backends"] for g in report.groups] == _serial(grid)
    assert report.ok and (report.shards, report.ran, report.resumed) == (28, 28, 0)
    assert sum(g["backends"]["exact"]["checked"] for g in report.groups) == 4 * (
        1 + 2 + 4 + 8 + 8 + 8 + 8)
    lines = (tmp_path / "a.jsonl").read_text().splitlines()
    assert len(lines) == 28 and all(json.loads(line)["result"]["backends"] for line in lines)


def test_a_wrong_backend_is_counted_like_check_counts_it():
    # PARITY in float16 at n = 40 (past its guarantee): check's own counts, merged
    grid = sweeps.grid({"constructions": ["parity"], "lengths": [20, 40], "seeds": [1],
                        "samples": 16, "backends": ["torch"], "dtypes": ["float16"]})
    report = sweeps.sweep(grid)
    serial = check(get("parity").make(), lengths=[20, 40], samples=16, backends=["torch"],
                   dtype="float16", seed=1)
    assert report.groups[0]["backends"] == serial.as_dict()["backends"]
    assert report.ok == serial.ok


def test_a_precision_sweep_merges_to_the_serial_points():
    grid = sweeps.grid({"study": "precision", "constructions": ["parity"], "lengths": "1..4",
                        "seeds": [2], "samples": 8, "dtypes": ["float32"]})
    (group,) = sweeps.sweep(grid).groups
    serial = precision_sweep(get("parity").make(), [1, 2, 3, 4], dtype="float32", samples=8,
                             seed=2)
    assert group["points"] == [p.as_dict() for p in serial]
    assert group["largest_correct_length"] == 4 and group["contradicted"] == []


def test_a_looped_construction_sweeps_one_shard_per_seed():
    grid = sweeps.grid({"constructions": {"subleq": {"program": "countdown.subleq"}},
                        "seeds": [0, 1], "samples": 1, "max_steps": 3})
    shards = sweeps.shards(grid)
    assert [(s["length"], s["seed"]) for s in shards] == [(None, 0), (None, 1)]
    built = sweeps.construction("subleq", {"program": "countdown.subleq"})
    for group, seed in zip(sweeps.sweep(grid).groups, (0, 1), strict=True):
        serial = check(built, samples=1, seed=seed, max_steps=3)
        assert group["backends"] == serial.as_dict()["backends"]


def test_a_machines_precision_study_is_its_departure():
    machine = "1RB1LB_1LA1RZ"
    grid = sweeps.grid({"study": "precision", "constructions": {"tm": {"machine": machine}},
                        "dtypes": ["float16"], "max_steps": 30})
    (group,) = sweeps.sweep(grid).groups
    built = get("tm").make(machine=machine)
    assert group["departure"] == departure(built, built.word, dtype="float16", max_steps=30)
    assert group["ok"] == (not group["departure"]["silent"])


def test_a_refused_shard_is_recorded_and_fails_the_sweep():
    # softmax PARITY does not saturate at the circuit's fraction bits: each shard is
    # refused, with the reason
    grid = sweeps.grid({"constructions": {"parity": {}, "first": {}}, "lengths": [1, 2],
                        "backends": ["circuit"], "samples": 2})
    refused, fine = sweeps.sweep(grid).groups
    assert [e["length"] for e in refused["errors"]] == [1, 2] and not refused["ok"]
    assert "softmax does not saturate" in refused["errors"][0]["error"]
    assert fine["ok"] and fine["backends"]["circuit"]["checked"] == 2 + 2


# -- resumption --------------------------------------------------------------------------


def test_a_crashed_sweep_resumes_without_redoing_finished_shards(tmp_path):
    grid = sweeps.grid(SPEC)
    out = tmp_path / "r.jsonl"
    with pytest.raises(Crash):
        sweeps.sweep(grid, out=out, executor=_crashing_after(5))
    assert len(out.read_text().splitlines()) == 5
    with open(out, "ab") as handle:  # the sixth line, cut short by the crash
        handle.write(b'{"key": "{\\"backends\\":[\\"exa')
    ran: list = []
    report = sweeps.sweep(grid, out=out, resume=True, executor=_counting(ran))
    assert len(ran) == 28 - 5 and (report.ran, report.resumed) == (23, 5)
    assert [g["backends"] for g in report.groups] == _serial(grid)
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(line["key"] for line in lines) == sorted(
        sweeps.key(s) for s in sweeps.shards(grid))
    again: list = []
    assert sweeps.sweep(grid, out=out, resume=True, executor=_counting(again)).ran == 0
    assert again == []


def test_resuming_refuses_a_file_of_another_grid_or_a_broken_line(tmp_path):
    grid = sweeps.grid({**SPEC, "lengths": [1]})
    out = tmp_path / "x.jsonl"
    sweeps.sweep(sweeps.grid({**SPEC, "lengths": [2]}), out=out)
    with pytest.raises(sweeps.SweepError, match=r"line 1 of .* holds a shard of another grid"):
        sweeps.sweep(grid, out=out, resume=True)
    out.write_text('{"key": 1}\n{"key": "a", "result": {}}\n')
    with pytest.raises(sweeps.SweepError, match=r"line 1 of .* is not a shard's line"):
        sweeps.sweep(grid, out=out, resume=True)
    foreign = b'{"format": "circuitx.circuit", "gates": []}'  # not ours: never cut
    out.write_bytes(foreign)
    with pytest.raises(sweeps.SweepError, match="is not a shard's line"):
        sweeps.sweep(grid, out=out, resume=True)
    assert out.read_bytes() == foreign


# -- executors ---------------------------------------------------------------------------


def test_processes_give_the_counts_of_one_process(tmp_path):
    grid = sweeps.grid({**SPEC, "lengths": [5], "seeds": [1]})
    local = sweeps.sweep(grid)
    spawned = sweeps.sweep(grid, executor=sweeps.processes(2))
    assert spawned.groups == local.groups


def test_ray_tasks_give_the_counts_of_one_process(ray_session, tmp_path):
    grid = sweeps.grid({**SPEC, "lengths": [4, 6], "seeds": [7]})
    out = tmp_path / "ray.jsonl"
    report = sweeps.sweep(grid, out=out, executor=sweep_ray.on_ray("local"))
    assert report.groups == sweeps.sweep(grid).groups
    assert [g["backends"] for g in report.groups] == _serial(grid)
    assert len(out.read_text().splitlines()) == 4
    resumed = sweeps.sweep(grid, out=out, resume=True, executor=sweep_ray.on_ray("local"))
    assert (resumed.ran, resumed.resumed) == (0, 4)


@pytest.mark.parametrize(("address", "message"), [
    ("", "Ray address '' is not host:port, ray://host:port, auto or local"),
    ("host", "Ray address 'host' is not host:port"),
    ("127.0.0.1:99999", "Ray address '127.0.0.1:99999' is not"),
    ("127.0.0.1:1", "no Ray cluster answers at '127.0.0.1:1'"),
])
def test_a_bad_ray_address_is_one_error(address, message):
    with pytest.raises(sweep_ray.RayAddressError, match=re.escape(message)):
        sweep_ray.on_ray(address)
