"""Hook points: TransformerLens's names and calls, observing and patching, free when unused.

The patching tests compare the torch module, patched through its hook points,
with the exact backend patched on its own: an `ExactModel` whose evaluation of
the one head is edited (its output taken from another word's run, or replaced
by the exact mean of its values), which shares no code with the torch path.
"""

from __future__ import annotations

import dataclasses
import itertools

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from compilers.backends.exact import ExactModel
from compilers.backends.hooks import HookPoint, Place, places
from compilers.backends.torch_module import TorchTransformer
from compilers.constructions import first, get, parity
from compilers.errors import EvaluationError
from compilers.ir import (
    MLP,
    Attention,
    AverageHard,
    Head,
    LayerNorm,
    Readout,
    TokenEmbedding,
    Transformer,
    matrix,
)
from compilers.ir.strategies import TOKENS, transformers

words = st.lists(st.sampled_from(TOKENS), min_size=1, max_size=6)


class PatchedExact(ExactModel):
    """The exact model with head `head`'s output replaced by `replace(computed, values)`
    (None: kept), the computed output remembered in `seen`."""

    def __init__(self, transformer, head: str, replace=None):
        super().__init__(transformer)
        self.head, self.replace, self.seen = head, replace, None

    def _attend(self, plan, queries, keys, values, *, n, offset):
        out = super()._attend(plan, queries, keys, values, n=n, offset=offset)
        if plan.head.label != self.head:
            return out
        self.seen = out
        return out if self.replace is None else self.replace(out, values, len(queries), offset)


def _words(n: int) -> list[str]:
    return ["".join(w) for w in itertools.product("01", repeat=n)]


# -- names ---------------------------------------------------------------------------------


def _attn(label: str) -> Attention:
    empty = matrix({}, rows=("u",), cols=())
    return Attention(label=label, heads=(Head(label=f"{label}_h", query=empty, key=empty,
                                              value=matrix({}), kind=AverageHard()),))


def _mlp(label: str) -> MLP:
    return MLP(label=label, hidden=("h",), w_in=matrix({}, rows=("h",), cols=()),
               w_out=matrix({}, rows=(), cols=("h",)))


def _norm(label: str) -> LayerNorm:
    return LayerNorm(label=label, dims=("s0", "s1"))


@pytest.mark.parametrize(("blocks", "looped", "expected"), [
    ("A M A", False, [(0, "attn"), (0, "mlp"), (1, "attn")]),
    ("M A", False, [(0, "mlp"), (1, "attn")]),
    ("A A M M", False, [(0, "attn"), (1, "attn"), (1, "mlp"), (2, "mlp")]),
    ("N A N M N", False, [(0, "ln1"), (0, "attn"), (0, "ln2"), (0, "mlp"), (None, "ln_final")]),
    ("A M N", True, [(0, "attn"), (0, "mlp"), (1, "ln1")]),
    ("N N", False, [(0, "ln1"), (None, "ln_final")]),
])
def test_blocks_are_numbered_as_transformer_lens_layers(blocks, looped, expected):
    make = {"A": _attn, "M": _mlp, "N": _norm}
    built = [make[kind](f"b{k}") for k, kind in enumerate(blocks.split())]
    placed = places(built, looped=looped)
    assert [(p.layer, p.slot) for p in placed] == expected
    assert placed[0].first and all(p.last for p in placed if p.slot == "mlp")


def test_parity_and_first_have_transformer_lens_hook_names():
    module = TorchTransformer(parity.build(layernorm=True).transformer)
    names = set(module.hook_dict)
    assert {"hook_embed", "hook_pos_embed", "blocks.0.hook_resid_pre", "blocks.0.attn.hook_q",
            "blocks.0.attn.hook_pattern", "blocks.0.hook_resid_mid", "blocks.0.mlp.hook_pre",
            "blocks.0.mlp.hook_post", "blocks.0.hook_mlp_out", "blocks.0.hook_resid_post",
            "blocks.1.attn.hook_attn_scores", "blocks.1.attn.hook_z", "blocks.1.attn.hook_result",
            "blocks.1.hook_attn_out", "ln_final.hook_normalized", "unembed.hook_out"} <= names
    assert "blocks.1.hook_resid_mid" not in names  # layer 1 ends with its attention
    assert all(point.name == name for name, point in module.hook_dict.items())
    assert module.hook_dict["blocks.1.attn.hook_z"].layer() == 1
    assert module.hook_places == (Place(0, "attn", True, False), Place(0, "mlp", False, True),
                                  Place(1, "attn", True, True), Place(None, "ln_final"))
    first_module = TorchTransformer(first.build().transformer)
    assert {"blocks.0.mlp.hook_pre", "blocks.1.attn.hook_pattern"} <= set(first_module.hook_dict)
    assert "blocks.0.attn.hook_q" not in first_module.hook_dict


def test_hook_points_leave_the_state_dict_as_it_was():
    module = TorchTransformer(parity.build().transformer)
    assert list(module.state_dict()) == [
        "embedding.table", "blocks.l1.count.query", "blocks.l1.count.key",
        "blocks.l1.count.value", "blocks.bump.w_in", "blocks.bump.b_in", "blocks.bump.w_out",
        "blocks.bump.b_out", "blocks.l2.odd.query", "blocks.l2.odd.key", "blocks.l2.odd.value",
        "blocks.l2.even.query", "blocks.l2.even.key", "blocks.l2.even.value",
        "readout.matrix", "readout.bias"]


# -- observing ---------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(transformers(), words)
def test_run_with_cache_returns_the_forward_outputs_and_the_recorded_streams(model, sequence):
    module = TorchTransformer(model, dtype="float64")
    ids = module.encode_tokens([sequence])
    plain = module(ids, n=len(sequence), record=True)
    hooked, cache = module.run_with_cache(ids, n=len(sequence))
    for name, value in plain.outputs.items():
        assert torch.allclose(hooked.outputs[name], value, rtol=1e-9, atol=1e-9), name
    assert not module.hooked  # the cache's hooks are gone
    streams = dict(plain.record)
    for block, place in zip(model.blocks, module.hook_places, strict=True):
        name = "ln_final.hook_normalized" if place.layer is None \
            else f"blocks.{place.layer}.hook_resid_post"
        if place.layer is not None and place.last:
            assert torch.allclose(cache[name], streams[block.label], rtol=1e-9, atol=1e-9)
    final = cache["unembed.hook_out"][0, -1 if model.readout.position == "last" else 0]
    if model.readout.position != "all":
        for k, name in enumerate(model.readout.outputs):
            assert float(final[k]) == pytest.approx(float(plain.outputs[name][0]), abs=1e-9)


def test_the_cache_holds_each_heads_pattern_and_values_as_transformer_lens_shapes():
    recognizer = parity.build()
    module = TorchTransformer(recognizer.transformer, dtype="float64")
    ids = module.encode_tokens([recognizer.tokens(w) for w in ("0110", "1011")])
    _, cache = module.run_with_cache(ids, n=4, names_filter=lambda name: "attn." in name)
    assert set(cache) == {f"blocks.{layer}.attn.{h}" for layer in (0, 1) for h in (
        "hook_q", "hook_k", "hook_v", "hook_attn_scores", "hook_pattern", "hook_z",
        "hook_result")}
    assert tuple(cache["blocks.1.attn.hook_pattern"].shape) == (2, 2, 5, 5)  # batch head q k
    assert tuple(cache["blocks.1.attn.hook_v"].shape) == (2, 5, 2, len(module.index))
    uniform = cache["blocks.0.attn.hook_pattern"][0, 0]  # layer 1's head: uniform, 1/(n+1)
    assert torch.allclose(uniform, torch.full((5, 5), 0.2, dtype=torch.float64))
    _, one = module.run_with_cache(ids[:1], n=4, names_filter=["hook_embed"],
                                   remove_batch_dim=True)
    assert set(one) == {"hook_embed"} and tuple(one["hook_embed"].shape) == (5, len(module.index))


# -- patching -------------------------------------------------------------------------------


@pytest.mark.parametrize("attention", ["softmax", "average-hard"])
def test_patching_a_parity_head_flips_the_decisions_the_patched_exact_backend_gives(attention):
    """Head ``odd`` (layer 2, TL head 0) of a target word given the output it has on a
    source word: the decisions of every (source, target) pair at n = 3 match the exact
    backend's with the same head's output replaced, and some of them differ from the
    language (the patch matters)."""
    recognizer = parity.build(attention=attention)
    module = TorchTransformer(recognizer.transformer, dtype="float64")
    n, batch = 3, _words(3)
    ids = module.encode_tokens([recognizer.tokens(w) for w in batch])
    _, cache = module.run_with_cache(ids, n=n, names_filter="blocks.1.attn.hook_z")
    z = cache["blocks.1.attn.hook_z"]
    flipped = 0
    for s, source in enumerate(batch):
        def patch(activation, hook, s=s):
            activation = activation.clone()
            activation[:, :, 0] = z[s, :, 0]
            return activation

        patched = module.run_with_hooks(ids, n=n, fwd_hooks=[("blocks.1.attn.hook_z", patch)])
        record = PatchedExact(recognizer.transformer, "odd")
        record.forward(recognizer.tokens(source), n=n)
        for t, target in enumerate(batch):
            exact = PatchedExact(recognizer.transformer, "odd",
                                 lambda *_, seen=record.seen: seen)
            logit = exact.forward(recognizer.tokens(target), n=n).outputs["logit"]
            assert abs(logit) > 1e-3  # far from a tie: float64 decides as exact does
            assert bool(patched.outputs["logit"][t] > 0) == (logit > 0), (source, target)
            flipped += (logit > 0) != recognizer.reference(target)
    assert 0 < flipped < len(batch) ** 2
    assert not module.hooked


def test_patching_a_hard_heads_scores_changes_its_choice_as_the_exact_backend_says():
    """Scores of the average-hard head ``odd`` negated through ``hook_attn_scores``: it now
    favours even positions, as the exact model whose ``odd`` head has its key negated
    does; the logits agree to 1e-12 and every odd word is now rejected."""
    recognizer = parity.build(attention="average-hard")
    module = TorchTransformer(recognizer.transformer, dtype="float64")
    batch = _words(4)
    ids = module.encode_tokens([recognizer.tokens(w) for w in batch])

    def negate_odd(scores, hook):
        scores = scores.clone()
        scores[:, 0] = -scores[:, 0]
        return scores

    patched = module.run_with_hooks(ids, n=4, fwd_hooks=[("blocks.1.attn.hook_attn_scores",
                                                          negate_odd)])
    exact = ExactModel(_with_negated_key(recognizer.transformer, "l2", "odd"))
    for t, word in enumerate(batch):
        logit = exact.forward(recognizer.tokens(word), n=4).outputs["logit"]
        assert float(patched.outputs["logit"][t]) == pytest.approx(float(logit), abs=1e-12)
        assert logit < 0
    assert any(recognizer.reference(word) for word in batch)


def _with_negated_key(transformer, block_label: str, head_label: str):
    """`transformer` with the key map of one head negated (the exact side's own edit)."""
    blocks = []
    for block in transformer.blocks:
        if block.label == block_label:
            heads = tuple(dataclasses.replace(head, key=matrix(
                {k: -v for k, v in head.key.entries.items()}, rows=head.key.rows,
                cols=head.key.cols)) if head.label == head_label else head
                for head in block.heads)
            block = dataclasses.replace(block, heads=heads)
        blocks.append(block)
    return dataclasses.replace(transformer, blocks=tuple(blocks))


# -- no cost when unused; what is refused ------------------------------------------------------


def test_without_hooks_no_hook_point_runs(monkeypatch):
    calls = []
    monkeypatch.setattr(HookPoint, "forward", lambda self, x: calls.append(self.name) or x)
    recognizer = parity.build(layernorm=True)
    module = TorchTransformer(recognizer.transformer)
    ids = module.encode_tokens([recognizer.tokens("0110")])
    module(ids, n=4, only_readout=True)
    assert calls == []
    seen = []
    handle = module.hook_dict["blocks.0.mlp.hook_post"].register_forward_hook(
        lambda mod, args, out: seen.append(out.shape))  # torch's own call counts too
    module(ids, n=4, only_readout=True)
    handle.remove()
    assert seen == [torch.Size([1, 5, 3])] and len(calls) == len(module.hook_dict)


def test_cached_generation_refuses_to_run_while_hooks_are_registered():
    tokens = ("a", "b")
    decoder = TorchTransformer(Transformer(
        label="echo", stream=tokens, blocks=(_mlp("m"),), feedback="token",
        inputs=TokenEmbedding(label="embed", tokens=tokens,
                              table=matrix({("a", "a"): 1, ("b", "b"): 1})),
        readout=Readout(label="out", matrix=matrix({("a", "a"): 1, ("b", "b"): 1}),
                        position="last")))
    decoder.add_hook("blocks.0.hook_resid_pre", lambda x, hook: None)
    with pytest.raises(EvaluationError, match=r"cached generation runs no hooks; remove those "
                                              r"at blocks\.0\.hook_resid_pre"):
        decoder.generator(n=3, batch=1)
    decoder.reset_hooks()
    assert not decoder.hooked
    assert decoder.generator(n=3, batch=1).position == 0


def test_a_hook_name_the_model_lacks_and_backward_hooks_are_refused():
    module = TorchTransformer(parity.build().transformer)
    with pytest.raises(EvaluationError, match=r"no hook point 'blocks.7.attn.hook_q'; this "
                                              r"model has: blocks.0.hook_resid_pre"):
        module.run_with_hooks(torch.zeros(1, 3, dtype=torch.long), n=2,
                              fwd_hooks=[("blocks.7.attn.hook_q", lambda x, hook: None)])
    with pytest.raises(EvaluationError, match="only forward hooks"):
        module.hook_dict["hook_embed"].add_hook(lambda x, hook: None, dir="bwd")
    assert not module.hooked


def test_hooks_context_keeps_permanent_hooks_and_removes_its_own():
    module = TorchTransformer(parity.build().transformer)
    point = module.hook_dict["hook_embed"]
    point.add_perma_hook(lambda x, hook: None)
    with module.hooks([(lambda name: name.endswith("hook_pattern"), lambda x, hook: None)]):
        assert len(module.hook_dict["blocks.1.attn.hook_pattern"].fwd_hooks) == 1
    assert module.hook_dict["blocks.1.attn.hook_pattern"].fwd_hooks == []
    assert len(point.fwd_hooks) == 1
    module.reset_hooks(including_permanent=True)
    assert not module.hooked


# -- n is never guessed ------------------------------------------------------------------------


def test_a_module_told_how_n_follows_from_the_positions_needs_no_n():
    recognizer = parity.build()
    told = TorchTransformer(recognizer.transformer, dtype="float64",
                            word_length=lambda positions: positions - 1)
    ids = told.encode_tokens([recognizer.tokens(w) for w in ("0110", "0111")])
    assert told(ids).outputs["logit"].tolist() == told(ids, n=4).outputs["logit"].tolist()
    assert (told(ids).outputs["logit"] > 0).tolist() == [False, True]
    wrong = TorchTransformer(recognizer.transformer, word_length=lambda positions: -1)
    with pytest.raises(EvaluationError, match=r"parity: 5 positions give no input length "
                                              r"\(word_length gave -1\); pass n="):
        wrong(ids)


def test_a_decoder_reading_an_encoder_hooks_its_cross_attention_and_its_encoder():
    """The Turing-machine decoder: the inputs its cached generation fed itself, run again
    as one forward pass through the hooked path, give the generator's last read-out; its
    encoder head is ``blocks.2.cross_attn`` and the encoder's points are ``encoder.…``."""
    tm = get("tm").make(machine="1RB1LB_1LA0LZ")
    module = TorchTransformer(tm.transformer, dtype="float64")
    encoded = tm.encode("0110")
    ids = module.encoder.encode_tokens([list(encoded.encoder)])
    generator = module.generator(ids, n=encoded.n)
    x, fed = torch.tensor([encoded.first], dtype=torch.float64), []
    for _ in range(5):
        fed.append(x)
        values = generator.push_values(x)
        x = generator.next_input(values)
    hooked, cache = module.run_with_cache(torch.stack(fed, dim=1), n=encoded.n,
                                          encoder_inputs=ids)
    last = torch.stack([hooked.outputs[o] for o in tm.transformer.readout.outputs], dim=-1)
    assert torch.allclose(last, values, atol=1e-12)
    assert tuple(cache["blocks.2.cross_attn.hook_pattern"].shape) == (1, 1, 5, 5)
    assert tuple(cache["blocks.2.attn.hook_pattern"].shape) == (1, 1, 5, 5)
    assert "encoder.blocks.0.mlp.hook_post" in cache
