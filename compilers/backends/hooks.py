"""Hook points with TransformerLens's interface and names, and the layer numbering behind them.

`HookPoint` is an identity `torch.nn.Module` that a forward hook may observe
or replace, as TransformerLens's ``transformer_lens.hook_points.HookPoint``
(``add_hook(fn, dir="fwd")``, ``fn(activation, hook=hook_point)`` returning
None or a replacement, ``remove_hooks``, ``name``, ``ctx``, ``layer()``), so
hook functions written for TransformerLens run unchanged; TransformerLens
itself is not needed. `HookedModule` gives a root module TransformerLens's
``HookedRootModule`` calls: ``hook_dict``, ``mod_dict``, ``add_hook`` (by name
or name filter), ``hooks(...)`` (a context manager), ``run_with_hooks``,
``run_with_cache`` and ``reset_hooks``. A hook point's name is its path in the
module tree, as in TransformerLens.

Only forward hooks are offered (``dir="bwd"`` is refused by name): a
construction's weights are frozen exact values.

TransformerLens numbers layers ``blocks.{l}``, each an attention sub-layer then
an MLP, with layer norms ``ln1`` before the attention, ``ln2`` before the MLP and
``ln_final`` before the unembedding. A circuitx transformer is any sequence of
`Attention`, `MLP` and `LayerNorm` blocks; `places` numbers them so (the mapping
named):

* the slots of a layer, in order, are ``ln1``, ``attn``, ``ln2``, ``mlp``;
* a block goes into the current layer when its slot comes after every slot
  already filled there, else it opens the next layer. An attention block's slot
  is ``attn``, an MLP's ``mlp``; a layer norm's is ``ln2`` right after the
  layer's attention block, else ``ln1`` (it opens a layer);
* the last block, when it is a layer norm and the model is not looped, is
  ``ln_final``.

So PARITY's ``l1, bump, l2`` are ``blocks.0.attn``, ``blocks.0.mlp``,
``blocks.1.attn`` (and its ``norm``, with ``layernorm=True``, ``ln_final``);
FIRST's ``mark, attend`` are ``blocks.0.mlp``, ``blocks.1.attn``; two attention
blocks in a row are two layers. Deviations from TransformerLens's layer, named:
a circuitx layer norm replaces part of the residual stream in place (TL's
normalises a sub-layer's input and leaves the stream alone), and an attention
block's heads that read the encoder are ``blocks.{l}.cross_attn`` beside its
self-attention heads ``blocks.{l}.attn``, both reading ``hook_resid_pre`` (TL's
decoder layer reads its cross-attention after the self-attention).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import torch
from torch import nn
from torch.utils.hooks import RemovableHandle

from compilers.errors import EvaluationError
from compilers.ir import MLP, Attention, LayerNorm
from compilers.ir.nodes import Block

HookFunction = Callable[..., Any]
"""``fn(activation, hook=hook_point)``: returns None (observe) or a tensor of the same
shape (replace)."""
NamesFilter = Callable[[str], bool] | Sequence[str] | str | None
SLOTS = ("ln1", "attn", "ln2", "mlp")


@dataclass
class LensHandle:
    """A registered hook: torch's handle, whether `reset_hooks` keeps it, its context level."""

    hook: RemovableHandle
    is_permanent: bool = False
    context_level: int | None = None


class HookPoint(nn.Module):
    """An identity module whose forward hooks see, and may replace, one activation."""

    def __init__(self) -> None:
        super().__init__()
        self.fwd_hooks: list[LensHandle] = []
        self.bwd_hooks: list[LensHandle] = []
        self.ctx: dict = {}
        self.name: str | None = None

    def add_hook(self, hook: HookFunction, dir: Literal["fwd", "bwd"] = "fwd",
                 is_permanent: bool = False, level: int | None = None,
                 prepend: bool = False) -> LensHandle:
        """Call ``hook(activation, hook=self)`` on every forward pass through this point;
        a tensor it returns replaces the activation."""
        if dir != "fwd":
            raise EvaluationError(f"hook direction {dir!r}: only forward hooks ('fwd') are "
                                  "offered (a construction's weights are frozen)")

        def full_hook(module: nn.Module, inputs: Any, output: torch.Tensor) -> Any:
            return hook(output, hook=self)

        full_hook.__name__ = repr(hook)
        handle = LensHandle(self.register_forward_hook(full_hook, prepend=prepend),
                            is_permanent, level)
        if prepend:
            self.fwd_hooks.insert(0, handle)
        else:
            self.fwd_hooks.append(handle)
        return handle

    def add_perma_hook(self, hook: HookFunction, dir: Literal["fwd", "bwd"] = "fwd") -> LensHandle:
        return self.add_hook(hook, dir=dir, is_permanent=True)

    def remove_hooks(self, dir: Literal["fwd", "bwd", "both"] = "fwd",
                     including_permanent: bool = False, level: int | None = None) -> None:
        """Remove this point's hooks (permanent ones too with `including_permanent`; only
        those of context `level` if given)."""
        if dir not in ("fwd", "bwd", "both"):
            raise EvaluationError(f"hook direction {dir!r}; allowed: 'fwd', 'bwd', 'both'")
        kept = []
        for handle in self.fwd_hooks:
            if ((handle.is_permanent and not including_permanent)
                    or (level is not None and handle.context_level != level)):
                kept.append(handle)
            else:
                handle.hook.remove()
        self.fwd_hooks = kept

    def clear_context(self) -> None:
        self.ctx = {}

    def layer(self) -> int:
        """The layer l of a point named ``blocks.{l}.…``."""
        parts = (self.name or "").split(".")
        if len(parts) < 2 or parts[0] != "blocks" or not parts[1].isdigit():
            raise EvaluationError(f"hook point {self.name!r} is not in a layer (blocks.{{l}}.…)")
        return int(parts[1])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x

    def __repr__(self) -> str:
        return f"HookPoint({self.name!r})"


def _matcher(names: NamesFilter) -> Callable[[str], bool]:
    if names is None:
        return lambda name: True
    if isinstance(names, str):
        return lambda name: name == names
    if callable(names):
        return names
    chosen = set(names)
    return lambda name: name in chosen


class HookedModule(nn.Module):
    """A root module with TransformerLens's ``HookedRootModule`` calls (see the module
    docstring); subclasses build their hook points, then call `setup_hooks`."""

    hook_dict: dict[str, HookPoint]
    mod_dict: dict[str, nn.Module]

    def setup_hooks(self) -> None:
        """Name every hook point by its path in the module tree, and index them."""
        self.mod_dict = {name: module for name, module in self.named_modules() if name}
        self.hook_dict = {name: module for name, module in self.mod_dict.items()
                          if isinstance(module, HookPoint)}
        for name, point in self.hook_dict.items():
            point.name = name
        # each point's forward-hook table (torch adds to and removes from this same dict)
        self._tables = [point._forward_hooks for point in self.hook_dict.values()]
        self._context_level = 0

    @property
    def hooked(self) -> bool:
        """Whether any hook point of this module (its encoder's included) has a forward hook
        (registered here or with torch's ``register_forward_hook``)."""
        return any(self._tables)

    def hook_points(self) -> list[HookPoint]:
        return list(self.hook_dict.values())

    def _named(self, name: str) -> HookPoint:
        point = self.hook_dict.get(name)
        if point is None:
            known = list(self.hook_dict)
            shown = ", ".join(known[:8]) + (f", ... ({len(known)} in all; see hook_dict)"
                                            if len(known) > 8 else "")
            raise EvaluationError(f"no hook point {name!r}; this model has: {shown}")
        return point

    def add_hook(self, name: str | Callable[[str], bool], hook: HookFunction,
                 dir: Literal["fwd", "bwd"] = "fwd", is_permanent: bool = False,
                 level: int | None = None, prepend: bool = False) -> None:
        """`hook` at the point `name`, or at every point whose name the filter accepts."""
        points = ([self._named(name)] if isinstance(name, str)
                  else [p for n, p in self.hook_dict.items() if name(n)])
        for point in points:
            point.add_hook(hook, dir=dir, is_permanent=is_permanent, level=level,
                           prepend=prepend)

    def reset_hooks(self, clear_contexts: bool = True, including_permanent: bool = False,
                    level: int | None = None) -> None:
        for point in self.hook_dict.values():
            point.remove_hooks("fwd", including_permanent=including_permanent, level=level)
            if clear_contexts:
                point.clear_context()

    @contextlib.contextmanager
    def hooks(self, fwd_hooks: Sequence[tuple[str | Callable[[str], bool], HookFunction]] = (),
              reset_hooks_end: bool = True, clear_contexts: bool = False
              ) -> Iterator[HookedModule]:
        """The hooks `fwd_hooks` ((name or filter, function) pairs) while the block runs."""
        self._context_level += 1
        level = self._context_level
        try:
            for name, hook in fwd_hooks:
                self.add_hook(name, hook, level=level)
            yield self
        finally:
            if reset_hooks_end:
                self.reset_hooks(clear_contexts, including_permanent=False, level=level)
            self._context_level -= 1

    def run_with_hooks(self, *args: Any,
                       fwd_hooks: Sequence[tuple[str | Callable[[str], bool], HookFunction]] = (),
                       bwd_hooks: Sequence = (), reset_hooks_end: bool = True,
                       clear_contexts: bool = False, **kwargs: Any) -> Any:
        """``self(*args, **kwargs)`` with `fwd_hooks` added for this call."""
        if bwd_hooks:
            raise EvaluationError("bwd_hooks: only forward hooks are offered (a "
                                  "construction's weights are frozen)")
        with self.hooks(fwd_hooks, reset_hooks_end, clear_contexts):
            return self(*args, **kwargs)

    def run_with_cache(self, *args: Any, names_filter: NamesFilter = None,
                       device: str | torch.device | None = None,
                       remove_batch_dim: bool = False, **kwargs: Any
                       ) -> tuple[Any, dict[str, torch.Tensor]]:
        """``self(*args, **kwargs)`` and every activation whose hook name passes
        `names_filter` (all by default), detached (on `device` if given; without the batch
        dimension with `remove_batch_dim`, for a batch of one)."""
        keep = _matcher(names_filter)
        cache: dict[str, torch.Tensor] = {}

        def saver(name: str) -> HookFunction:
            def save(activation: torch.Tensor, hook: HookPoint) -> None:
                value = activation.detach()
                value = value.to(device) if device is not None else value
                cache[name] = value[0] if remove_batch_dim else value
            return save

        hooks = [(name, saver(name)) for name in self.hook_dict if keep(name)]
        with self.hooks(hooks):
            out = self(*args, **kwargs)
        return out, cache


@dataclass(frozen=True)
class Place:
    """Where a block sits in TransformerLens's numbering: ``blocks.{layer}.{slot}``, or
    ``ln_final`` (layer None); `first` and `last`: whether it opens or closes its layer."""

    layer: int | None
    slot: str
    first: bool = False
    last: bool = False

    @property
    def prefix(self) -> str:
        return "ln_final" if self.layer is None else f"blocks.{self.layer}"


def places(blocks: Sequence[Block], *, looped: bool = False) -> tuple[Place, ...]:
    """Each block's `Place` (the mapping in the module docstring)."""
    final = (len(blocks) and isinstance(blocks[-1], LayerNorm) and not looped)
    body = blocks[:-1] if final else blocks
    layer, filled, numbered = -1, len(SLOTS), []
    for block in body:
        if isinstance(block, Attention):
            slot = "attn"
        elif isinstance(block, MLP):
            slot = "mlp"
        else:
            slot = "ln2" if filled == SLOTS.index("attn") else "ln1"
        if SLOTS.index(slot) <= filled:
            layer += 1
        filled = SLOTS.index(slot)
        numbered.append((layer, slot))
    out = []
    for k, (layer, slot) in enumerate(numbered):
        first = k == 0 or numbered[k - 1][0] != layer
        last = k == len(numbered) - 1 or numbered[k + 1][0] != layer
        out.append(Place(layer, slot, first, last))
    if final:
        out.append(Place(None, "ln_final"))
    return tuple(out)
