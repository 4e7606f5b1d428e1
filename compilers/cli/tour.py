"""`circuitx tour`: everything the toolkit does, in one command.

The sections of `compilers.tour` run in order, each printing what it shows;
a progress bar over the sections goes to stderr (``--quiet``: none). With
``--json`` the sections print nothing, and stdout gets one object:
``{"out", "seconds", "sections": [{"section", "title", "seconds"}], "files"}``
(``files``: what the tour wrote, relative to ``out``).
"""

from __future__ import annotations

import importlib
import io
import time

import click

from compilers.cli.common import json_option, option, print_json, progress, quiet_option


@click.command()
@option("-o", "--out", "out_dir", type=click.Path(file_okay=False), default="tour-out",
        show_default=True, help="Folder for the plots and models the tour writes.")
@json_option
@quiet_option
def tour(out_dir: str, as_json: bool, quiet: bool) -> None:
    """Show the language zoo, the machines, the circuits and the constructions at work.

    The folder is the tour's own: it replaces the files it wrote there before."""
    from rich.console import Console
    from rich.rule import Rule

    from compilers.cli.inputs import output_folder
    from compilers.tour import SECTIONS

    out = output_folder(out_dir, option="--out", force=True, holds=())
    out.mkdir(parents=True, exist_ok=True)
    console = Console(file=io.StringIO()) if as_json else Console()
    start = time.perf_counter()
    sections = []
    with progress(quiet) as bar:
        task = bar.add_task("the tour", total=len(SECTIONS))
        for module, title in SECTIONS:
            bar.update(task, description=f"tour: {title}")
            began = time.perf_counter()
            console.print(Rule(title))
            importlib.import_module(f"compilers.tour.{module}").show(console, out)
            sections.append({"section": module, "title": title,
                             "seconds": round(time.perf_counter() - began, 2)})
            bar.advance(task)
    seconds = round(time.perf_counter() - start, 1)
    if as_json:
        print_json({"out": str(out), "seconds": seconds, "sections": sections,
                    "files": sorted(path.relative_to(out).as_posix()
                                    for path in out.rglob("*") if path.is_file())})
        return
    console.print(Rule())
    console.print(f"tour done in {seconds:.1f} s; files in {out}/")
