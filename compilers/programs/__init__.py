"""Programs in, transformers out: B-RASP and C-RASP compiled to the IR.

* `compile_brasp` (`compilers.programs.brasp`): a B-RASP program
  (`languages.brasp`) to masked unique-hard attention, one layer (attention,
  then one MLP) per level of attention depth (Yang, Chiang & Angluin, NeurIPS
  2024);
* `compile_crasp` (`compilers.programs.crasp`): a C-RASP program
  (`languages.crasp`) to future-masked average-hard or softmax attention with
  layer-norm comparisons and FFN Boolean operations, one layer per level of
  counting depth (Yang & Chiang, COLM 2024; Yang, Cadilhac & Chiang, arXiv
  2506.16055).

`compilers.programs.booleans` writes the Boolean functions both need, each
as one MLP. `compilers.programs.sources` reads programs (B-RASP, C-RASP and
past LTL, which `languages.ltl.to_brasp` translates) from the library in
``library/`` (the papers' examples and zoo languages, and the Knee-Deep
programs ``knee_deep_K``), from files or from text; the ``program``
construction (`compilers.constructions.program`) compiles them for every
backend and command.

Both are built from the Cookbook's blocks (`compilers.library`), read out at
every position, and their ground truth is the language's own interpreter
(`languages.brasp.run`, `languages.crasp.run`).
"""

from compilers.programs.booleans import ProgramCompileError
from compilers.programs.brasp import compile_brasp
from compilers.programs.crasp import compile_crasp

__all__ = ["ProgramCompileError", "compile_brasp", "compile_crasp"]
