"""A Turing machine of your own, run by Pérez et al.'s transformer.

The machine below adds one to a binary number (most significant bit first):
state A runs right to the blank after the number, state B walks back left
turning trailing 1s into 0s until it can turn a 0 (or the blank before the
number) into a 1, then halts. `compilers.constructions.tm.build` turns it into
an encoder-decoder transformer whose decoder emits one machine step per
position (Pérez, Barceló & Marinković 2021, Sec. 4); `compilers.runs.run`
runs it on a word: the exact backend in rational arithmetic, the torch backend
in floats with a run-time check that flags any step it cannot vouch for.

    python examples/turing_machine.py
"""

from __future__ import annotations

from compilers.constructions import tm
from compilers.runs import run
from compilers.runs.precision import departure
from languages.turing import parse_machine

INCREMENT = """
     _    0    1      # the blank comes first
A  _LB  0RA  1RA
B  1LZ  1LZ  0LB
"""


def main() -> None:
    machine = parse_machine(INCREMENT)
    construction = tm.build(machine)
    for backend, dtype in (("exact", "float64"), ("torch", "float32")):
        for result in run(construction, ["1011", "111", "0"], backend=backend, dtype=dtype,
                          max_steps=100):
            out = result.as_dict()
            shown = f" ({dtype})" if backend == "torch" else ""
            print(f"{result.input} + 1 on the {backend} backend{shown}: tape "
                  f"{out['tape'].strip('_')} after {out['steps']} steps; same as the "
                  f"interpreter ({result.reference.tape.strip('_')}): "
                  f"{out['agrees_with_reference']}; trusted: {out['trusted']}")
    report = departure(construction, "1" * 40, dtype="float16", max_steps=200)
    print(f"float16 on 40 ones: the error analysis vouches for {report['guaranteed_steps']} "
          f"steps, the run-time check for {report['trusted_steps']}; a wrong step that went "
          f"unflagged: {'yes' if report['silent'] else 'none'}")


if __name__ == "__main__":
    main()
