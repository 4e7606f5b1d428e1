"""`circuitx tour`: everything the toolkit does, in one command."""

from __future__ import annotations

import click


@click.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="tour-out",
              show_default=True, help="Folder for the plots and models the tour writes.")
def tour(out_dir: str) -> None:
    """Show the language zoo, the machines, the circuits and the constructions at work.

    The folder is the tour's own: it replaces the files it wrote there before."""
    from compilers.cli.inputs import output_folder
    from compilers.tour import run_tour

    run_tour(output_folder(out_dir, option="--out", force=True, holds=()))
