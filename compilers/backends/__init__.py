"""The backends: exact (rationals), torch (floats, batched), circuit (threshold circuits).

Each implements `compilers.backends.base.Backend`. `make(name, transformer,
...)` builds one by name, importing only what that backend needs (torch only
for ``torch``).
"""

from __future__ import annotations

from compilers.errors import CompileError

BACKENDS: tuple[str, ...] = ("exact", "torch", "circuit")


def make(name: str, transformer, **options):
    """The backend `name` over `transformer` (see each backend for its options)."""
    if name == "exact":
        from compilers.backends.exact import ExactBackend

        return ExactBackend(transformer, **options)
    if name == "torch":
        from compilers.backends.torch_backend import TorchBackend

        return TorchBackend(transformer, **options)
    if name == "circuit":
        from compilers.backends.circuit.backend import CircuitBackend

        return CircuitBackend(transformer, **options)
    raise CompileError(f"unknown backend {name!r}; allowed: {', '.join(BACKENDS)}")
