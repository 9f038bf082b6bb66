"""``flowgraph registry``: the regulator's registry (enterprises, designations, quotas)."""

from __future__ import annotations

import click

from flowgraph.cli.context import AppContext, pass_app
from flowgraph.ingest import load_registry
from flowgraph.spreadsheet import frame_to_csv


@click.group()
def registry() -> None:
    """The regulator's registry: enterprises, designations and quotas (SPEC §2)."""


@registry.command("load")
@click.argument("directory", type=click.Path(file_okay=False, path_type=str))
@pass_app
def registry_load(app: AppContext, directory: str) -> None:
    """Load enterprises.csv, designations.csv and quotas.csv from DIRECTORY.

    The loaded registry replaces the current one as a whole; the old one stays in history.

    \b
    Example:
      flowgraph registry load data/registry
    """
    result = load_registry(app.store(create=True), directory)
    if result.status == "unchanged":
        click.echo(f"registry unchanged (version {result.version})")
    else:
        click.echo(
            f"registry version {result.version} loaded: {result.enterprises} enterprises, "
            f"{result.designations} designations, {result.quotas} quotas"
        )


@registry.command("show")
@click.argument("table", type=click.Choice(["enterprises", "designations", "quotas"]))
@click.option("--format", "fmt", type=click.Choice(["table", "csv"]), default="table")
@pass_app
def registry_show(app: AppContext, table: str, fmt: str) -> None:
    """Print one table of the current registry.

    \b
    Example:
      flowgraph registry show quotas --format csv
    """
    frame = getattr(app.store().registry(), table)
    if fmt == "csv":
        click.echo(frame_to_csv(frame), nl=False)
    else:
        click.echo(frame.to_string(index=False) if not frame.empty else f"no {table}")
