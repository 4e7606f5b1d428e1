"""Sweeps on a Ray cluster: the one module that imports Ray (``pip install circuitx[distributed]``).

`on_ray(address)` is an executor for `compilers.runs.sweep.sweep`: each shard
becomes one Ray task (``ray.remote(function)``, one CPU each), and the lines
come back as the tasks finish (``ray.wait``), so the driver streams them to the
results file as a local sweep does; a crash of the driver loses no finished
line, and ``--resume`` sends only the missing shards. Every node must have
this package installed (the tasks import `compilers.runs.sweep` by name).

`address` is what `ray.init` takes: ``host:port`` of a cluster's head,
``ray://host:port`` (Ray Client), ``auto`` (the cluster this machine belongs
to), or ``local`` (start a Ray instance on this machine, for trying it out and
for the tests). A Ray session already open in this process is used as it is.
Before Ray is called, a ``host:port`` address is tried with a plain TCP
connection (`reachable`, 5 s), so that a wrong address is one error line,
not Ray's minute of retries.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Callable, Iterator, Mapping, Sequence

import ray

from compilers.errors import CompileError

ADDRESS = re.compile(r"^(?:ray://)?(?P<host>[A-Za-z0-9_.\-]+|\[[0-9A-Fa-f:]+\]):(?P<port>\d{1,5})$")
CONNECT_SECONDS = 5.0


class RayAddressError(CompileError):
    """A ``--ray`` address that is malformed, or where no cluster answers."""


def reachable(address: str) -> str:
    """`address` checked (see the module docstring), or `RayAddressError` naming it."""
    if address in ("local", "auto"):
        return address
    match = ADDRESS.match(address)
    if match is None or not 0 < int(match["port"]) < 65536:
        raise RayAddressError(f"Ray address {address[:120]!r} is not host:port, "
                              "ray://host:port, auto or local")
    host = match["host"].strip("[]")
    try:
        with socket.create_connection((host, int(match["port"])), timeout=CONNECT_SECONDS):
            pass
    except OSError as failure:
        raise RayAddressError(f"no Ray cluster answers at {address!r}: "
                              f"{failure.strerror or type(failure).__name__}") from None
    return address


def on_ray(address: str = "local", *, num_cpus: int | None = None):
    """An executor running each shard as a Ray task at `address` (see the module docstring);
    `num_cpus` bounds a ``local`` instance."""
    address = reachable(address)

    def execute(function: Callable[[Mapping], dict], todo: Sequence[dict]) -> Iterator[dict]:
        if not todo:
            return
        if not ray.is_initialized():
            try:
                if address == "local":
                    ray.init(num_cpus=num_cpus, include_dashboard=False, log_to_driver=False)
                else:
                    ray.init(address=address, log_to_driver=False)
            except ConnectionError as failure:
                raise RayAddressError(f"cannot join the Ray cluster at {address!r}: "
                                      f"{failure}") from None
        task = ray.remote(num_cpus=1)(function)
        pending = [task.remote(shard) for shard in todo]
        try:
            while pending:
                finished, pending = ray.wait(pending, num_returns=1)
                yield from ray.get(finished)
        finally:  # the driver stopped early: the unfinished shards are not worth finishing
            for ref in pending:
                ray.cancel(ref)
    return execute
