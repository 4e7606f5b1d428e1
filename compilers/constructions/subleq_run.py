"""Running a compiled SUBLEQ computer: punchcards in, one loop per instruction, states out.

After every loop the program counter, the memory (and, esolang, the printed
byte, the halt and fault flags) are read back from the punchcard by sign
(`layout.decode`). Before that, every row that holds state between loops is
checked to lie within 1/4 of its exact value (±1 bits, 0/1 flags): a float run
that drifted raises `EvaluationError` instead of decoding a wrong state.

* `exact_states` / `torch_states`: the decoded state after every loop (the
  step-by-step comparison with `languages.subleq.states`).
* `run`: one program to its halt or `max_steps`, exact or torch, returning a
  `SubleqRun` whose `as_dict()` is the reference interpreter's JSON plus
  ``agrees_with_reference``.
* `run_batch`: many programs of one layout at once in torch (one punchcard
  each, a batch dimension), on CPU or GPU.

An esolang punchcard that met an out-of-range address freezes with its fault
flag set (memory and pc unchanged by that loop); the decoder raises the
interpreter's `AddressError`, its message built from that frozen state.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from compilers.backends.common import EvaluationError
from compilers.constructions.subleq import SubleqConstruction
from compilers.constructions.subleq_common import Decoded, SubleqInputError, check_dtype
from compilers.errors import CompileError
from languages import subleq as reference
from languages.errors import AddressError

BACKENDS = ("exact", "torch")


@dataclass(frozen=True, kw_only=True)
class SubleqRun:
    """Where a transformer run stopped (the reference's fields) and whether it agrees."""

    halted: bool
    steps: int
    output: bytes
    memory: tuple[int, ...]
    pc: int
    backend: str
    agrees_with_reference: bool | None = None
    error: AddressError | None = None

    def as_dict(self) -> dict:
        out = {"halted": self.halted, "steps": self.steps,
               "output": self.output.decode("latin-1"), "memory": list(self.memory),
               "pc": self.pc, "backend": self.backend}
        if self.agrees_with_reference is not None:
            out["agrees_with_reference"] = self.agrees_with_reference
        return out


def _bytes(input) -> bytes:
    if isinstance(input, str):
        return input.encode()
    if not isinstance(input, bytes | bytearray):
        raise SubleqInputError(f"input must be bytes or a string, got {input!r}")
    return bytes(input)


def _card(layout, program, input: bytes = b""):
    if layout.semantics == "giannou":
        if input:
            raise SubleqInputError(f"giannou programs read no input (got {len(input)} bytes)")
        return layout.punchcard(program)
    return layout.punchcard(program, input)


def _reference_bits(construction: SubleqConstruction):
    return construction.layout.bits if construction.semantics == "esolang" else None


def address_error(program, state: Decoded, size: int) -> AddressError:
    """The interpreter's error for the instruction at `state.pc` (esolang)."""
    pc, memory = state.pc, state.memory
    a, b, c = memory[pc], memory[pc + 1], memory[pc + 2]
    if a == -1:
        bad = b
    elif not 0 <= a < size:
        bad = a
    else:
        bad = b
    return AddressError(f"instruction at pc {pc} ({a} {b} {c}): address {bad} is outside the "
                        f"memory [0, {size})")


def _persistent(layout, index: dict) -> list:
    """(columns, stream indices, kind) of the entries kept between loops."""
    return [(cols, [index[d] for d in dims], kind) for cols, dims, kind in layout.persistent()]


def _drift(stream, parts: list) -> float:
    """The largest distance of a persistent entry from its exact value."""
    worst = 0.0
    for columns, dims, kind in parts:
        block = np.asarray(stream, dtype=object)[np.ix_(columns, dims)].astype(float)
        target = np.where(block > 0, 1.0, -1.0) if kind == "pm" else np.round(block)
        worst = max(worst, float(np.abs(block - target).max()))
    return worst


def _checked(decoded: Decoded, drift: float, step: int, where: str) -> Decoded:
    if not drift < 0.25:
        raise EvaluationError(f"{where}: after loop {step} a state entry is {drift:.3g} away "
                              "from its exact value (limit 1/4); the run cannot be trusted")
    return decoded


def exact_states(construction: SubleqConstruction, program, *, max_steps: int,
                 input: bytes | str = b"", precision_bits: int | None = None
                 ) -> Iterator[Decoded]:
    """The decoded state after every loop of the exact backend, until halt or `max_steps`."""
    from compilers.backends.exact import ExactModel

    layout = construction.layout
    bits = precision_bits or max(128, 2 * layout.bits + 96)  # rounding far below the margin
    model = ExactModel(construction.transformer, precision_bits=bits)
    card = _card(layout, program, _bytes(input))
    n = layout.columns
    x = model.embed([[int(v) for v in row] for row in card], range(n), n)
    index = model.index
    parts = _persistent(layout, index)
    state = layout.decode(x, index, program)
    for step in range(1, max_steps + 1):
        if state.halted or state.fault:
            return
        x = model.step(x, n=n)
        state = _checked(layout.decode(x, index, program), _drift(x, parts), step,
                         "exact backend")
        yield state


def _module(construction, dtype, device):
    from compilers.backends.torch_module import TorchTransformer

    layout = construction.layout
    name = dtype if isinstance(dtype, str) else str(dtype).removeprefix("torch.")
    check_dtype(name, bits=layout.bits, position=layout.position, columns=layout.columns)
    return TorchTransformer(construction.transformer, dtype=name, device=device)


def torch_states(construction: SubleqConstruction, programs: Sequence, *, max_steps: int,
                 dtype: str = "float64", device: str = "cpu", module=None,
                 inputs: Sequence | None = None) -> Iterator[list[Decoded]]:
    """The decoded states of a batch after every loop (all programs, halted ones too)."""
    import torch

    layout = construction.layout
    module = module or _module(construction, dtype, device)
    inputs = [b""] * len(programs) if inputs is None else [_bytes(i) for i in inputs]
    cards = np.stack([_card(layout, p, i) for p, i in zip(programs, inputs, strict=True)])
    n = layout.columns
    with torch.no_grad():
        x = module.embed(torch.as_tensor(cards, device=module.device), None, n)
        parts = _persistent(layout, module.index)
        for step in range(1, max_steps + 1):
            x = module.step(x, n=n)
            host = x.double().cpu().numpy()
            yield [_checked(layout.decode(host[k], module.index, p), _drift(host[k], parts),
                            step, f"torch backend, program {k}")
                   for k, p in enumerate(programs)]


def run_batch(construction: SubleqConstruction, programs: Sequence, *, max_steps: int,
              dtype: str = "float64", device: str = "cpu", module=None,
              check_every: int = 32, inputs: Sequence | None = None) -> list[SubleqRun]:
    """Run many programs of one layout at once in torch, each to its halt or `max_steps`.

    Halt, fault and printed bytes are read on the device after every loop; the
    whole state is decoded at the end (and checked for drift every
    `check_every` loops). Non-finite values are checked after every block on
    the device and read back with the drift check, so a loop costs no host
    sync; the error names the first block and loop that went non-finite. A
    faulting esolang program gets `error` set: its punchcard froze in the loop
    that met the bad address, so the decoded state is the state before that
    instruction, which names the address.
    """
    import torch

    layout = construction.layout
    module = module or _module(construction, dtype, device)
    inputs = [b""] * len(programs) if inputs is None else [_bytes(i) for i in inputs]
    cards = np.stack([_card(layout, p, i) for p, i in zip(programs, inputs, strict=True)])
    n, batch = layout.columns, len(programs)
    probe = layout.probe(module.index, programs, device=module.device)
    steps = torch.zeros(batch, dtype=torch.long, device=module.device)
    outputs: list = []
    finite = module.non_finite_checks()  # queued on the device, read with the drift check
    with torch.inference_mode():
        x = module.embed(torch.as_tensor(cards, device=module.device), None, n)
        stopped = probe.stopped(x)
        for step in range(1, max_steps + 1):
            if step % check_every == 1 and bool(stopped.all()):
                break
            steps += (~stopped).long()
            x = module.step(x, n=n, finite=finite, where=f" in loop {step}")
            if probe.prints:
                outputs.append(probe.printed(x))
            stopped = probe.stopped(x)
            if step % check_every == 0:
                finite.check()
                _check_batch(x, layout, module.index, step)
        finite.check()
        _check_batch(x, layout, module.index, max_steps)
        host = x.double().cpu().numpy()
        printed = ([torch.stack([o[0] for o in outputs]).cpu().numpy(),
                    torch.stack([o[1] for o in outputs]).cpu().numpy()] if outputs else None)
    results = []
    for k, program in enumerate(programs):
        state = layout.decode(host[k], module.index, program)
        output = b""
        if printed is not None:
            valid, values = printed[0][:, k], printed[1][:, k]
            output = bytes(int(v) for v, ok in zip(values, valid, strict=True) if ok)
        error = address_error(program, state, layout.memory) if state.fault else None
        results.append(SubleqRun(halted=state.halted, steps=int(steps[k]) - (error is not None),
                                 memory=state.memory, pc=state.pc, backend="torch",
                                 output=output, error=error))
    return results


def _check_batch(x, layout, index, step) -> None:
    import torch

    for columns, dims, kind in layout.persistent():
        block = x[:, columns][:, :, [index[d] for d in dims]]
        target = torch.where(block > 0, 1.0, -1.0).to(block.dtype) if kind == "pm" \
            else torch.round(block)
        worst = float((block - target).abs().max())
        if not worst < 0.25:
            raise EvaluationError(f"torch backend: by loop {step} a state entry drifted "
                                  f"{worst:.3g} from its exact value (limit 1/4)")


def run(construction: SubleqConstruction, program, *, backend: str = "exact",
        dtype: str = "float64", device: str = "cpu", max_steps: int,
        input: bytes | str = b"", compare: bool = True) -> SubleqRun:
    """Run one program on the transformer until it halts or `max_steps` loops.

    Raises:
        AddressError: an esolang instruction addressed a word outside the memory
            (detected by the transformer, reported as the interpreter does).
        SubleqInputError: more input bytes than the punchcard's input columns.
    """
    input = _bytes(input)
    if backend not in BACKENDS:
        raise CompileError(f"unknown backend {backend!r}; allowed: {', '.join(BACKENDS)}")
    layout = construction.layout
    layout.fits(program)
    if backend == "torch":
        result = _run_torch_single(construction, program, dtype, device, max_steps, input)
    else:
        state = layout.decode(_card(layout, program, input),
                              {d: k for k, d in enumerate(layout.inputs())}, program)
        steps, output = 0, bytearray()
        for new in exact_states(construction, program, max_steps=max_steps, input=input):
            if new.fault:
                raise address_error(program, state, layout.memory)
            steps += 1
            if new.byte is not None:
                output.append(new.byte)
            state = new
        result = SubleqRun(halted=state.halted, steps=steps, output=bytes(output),
                           memory=state.memory, pc=state.pc, backend="exact")
    if not compare:
        return result
    expected = reference.run(program, max_steps=max_steps, input=input,
                             bits=_reference_bits(construction))
    agrees = (expected.halted, expected.steps, expected.output, expected.memory,
              expected.pc) == (result.halted, result.steps, result.output, result.memory,
                               result.pc)
    return SubleqRun(**{**result.__dict__, "agrees_with_reference": agrees})


def _run_torch_single(construction, program, dtype, device, max_steps, input) -> SubleqRun:
    (result,) = run_batch(construction, [program], max_steps=max_steps, dtype=dtype,
                          device=device, inputs=[input])
    if result.error is not None:
        raise result.error
    return result
