"""``flowgraph registry``: the regulator's registry (enterprises, designations, quotas)."""

from __future__ import annotations

import click

from flowgraph.cli.context import AppContext, pass_app
from flowgraph.cli.texttable import counted, frame_table
from flowgraph.ingest import load_registry
from flowgraph.spreadsheet import frame_to_csv


@click.group()
def registry() -> None:
    """The regulator's registry: enterprises, designations and quotas (SPEC §2)."""


@registry.command("load")
@click.argument("directory", type=click.Path(file_okay=False, path_type=str))
@pass_app
def registry_load(app: AppContext, directory: str) -> None:
    """Load enterprises.csv, designations.csv and quotas.csv from DIRECTORY, and the registers
    customs.csv, export_licences.csv and controls.csv when present (SPEC §7).

    The loaded registry replaces the current one as a whole; the old one stays in history.

    \b
    Example:
      flowgraph registry load data/registry
    """
    result = load_registry(app.store(create=True), directory)
    if result.status == "unchanged":
        click.echo(f"registry unchanged (version {result.version})")
    else:
        names = {"customs": "customs lines", "licences": "licence rows", "controls": "controls"}
        extra = "".join(
            f", {count} {names[name]}" for name, count in (result.registers or {}).items()
        )
        click.echo(
            f"registry version {result.version} loaded: "
            f"{counted(result.enterprises, 'enterprise')}, "
            f"{counted(result.designations, 'designation')}, {counted(result.quotas, 'quota')}{extra}"
        )


@registry.command("show")
@click.argument(
    "table",
    type=click.Choice(["enterprises", "designations", "quotas", "customs", "licences", "controls"]),
)
@click.option("--format", "fmt", type=click.Choice(["table", "csv"]), default="table")
@pass_app
def registry_show(app: AppContext, table: str, fmt: str) -> None:
    """Print one table of the current registry (customs, licences, controls: SPEC §7).

    `controls` without a controls.csv in the registry prints the built-in list.

    \b
    Example:
      flowgraph registry show quotas --format csv
      flowgraph registry show licences
    """
    registry = app.store().registry()
    if table == "controls":
        frame = registry.controls_list()
        if registry.controls is None:
            click.echo("built-in controls list (no controls.csv in the registry)", err=True)
    else:
        frame = getattr(registry, table)
    if frame is None:
        click.echo(f"no {table} register in the current registry")
        return
    frame = _dates_as_text(frame)
    if fmt == "csv":
        click.echo(frame_to_csv(frame), nl=False)
    else:
        click.echo(frame_table(frame) if not frame.empty else f"no {table}")


def _dates_as_text(frame):
    """ISO dates without a time part (and empty for open-ended validity)."""
    import pandas as pd

    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column]):
            text = out[column].dt.strftime("%Y-%m-%d").astype(object)
            out[column] = text.where(out[column].notna(), "")
    return out
