"""A Turing machine of your own, run by Pérez et al.'s transformer.

The machine below adds one to a binary number (most significant bit first):
state A runs right to the blank after the number, state B walks back left
turning trailing 1s into 0s until it can turn a 0 (or the blank before the
number) into a 1, then halts. `compilers.constructions.tm.build` turns it into
an encoder-decoder transformer whose decoder emits one machine step per
position (Pérez, Barceló & Marinković 2021, Sec. 4); the exact backend runs it
in rational arithmetic, the torch backend in floats with a run-time check that
flags any step it cannot vouch for.

    python examples/turing_machine.py
"""

from __future__ import annotations

from compilers.constructions import tm, tm_run
from languages.turing import parse_machine, run

INCREMENT = """
     _    0    1      # the blank comes first
A  _LB  0RA  1RA
B  1LZ  1LZ  0LB
"""


def main() -> None:
    machine = parse_machine(INCREMENT)
    for word in ("1011", "111", "0"):
        construction = tm.build(machine, word)
        reference = run(machine, word, max_steps=100)
        for backend, dtype in (("exact", None), ("torch", "float32")):
            options = {"dtype": dtype} if dtype else {}
            result = tm_run.simulate(construction, backend=backend, max_steps=100, **options)
            out = result.as_dict()
            print(f"{word} + 1 on the {backend} backend{' (' + dtype + ')' if dtype else ''}: "
                  f"tape {out['tape'].strip('_')} after {out['steps']} steps; same as the "
                  f"interpreter ({reference.tape.strip('_')}): {out['agrees_with_reference']}; "
                  f"trusted: {out['trusted']}")
    report = tm_run.precision_report(machine, "1" * 40, dtype="float16", max_steps=200)
    print(f"float16 on 40 ones: the error analysis vouches for {report['guaranteed_steps']} "
          f"steps, the run-time check for {report['trusted_steps']}; a wrong step that went "
          f"unflagged: {'yes' if report['silent'] else 'none'}")


if __name__ == "__main__":
    main()
