"""``flowgraph detect``: run the SPEC §5 detectors and print the findings."""

from __future__ import annotations

import click
import pandas as pd

from flowgraph.cli.context import AppContext, pass_app, warn_without_registry
from flowgraph.cli.options import format_option, parse_key_values, parse_period
from flowgraph.model import FAMILIES, FINDING_COLUMNS, FINDING_KEYS, FINDING_TYPES
from flowgraph.spreadsheet import frame_to_csv


@click.command()
@click.option(
    "--period", metavar="YYYY-MM", callback=parse_period, help="Only findings of this month."
)
@click.option("--year", type=click.IntRange(1900, 2999), help="Only findings of this year.")
@click.option(
    "--type",
    "types",
    multiple=True,
    type=click.Choice(list(FINDING_TYPES), case_sensitive=False),
    help="Run only this finding type (repeatable).",
)
@click.option(
    "--family",
    "families",
    multiple=True,
    type=click.Choice(list(FAMILIES), case_sensitive=False),
    help="Run only this family of types (repeatable).",
)
@format_option("table", "jsonl", "csv")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write here.")
@click.option(
    "--tolerance",
    "tolerance",
    multiple=True,
    metavar="NAME=VALUE",
    callback=parse_key_values,
    help="Override a tolerance, e.g. transit_min_kg=5 (repeatable).",
)
@pass_app
def detect(
    app: AppContext,
    period: str | None,
    year: int | None,
    types: tuple[str, ...],
    families: tuple[str, ...],
    fmt: str,
    output: str | None,
    tolerance: dict,
) -> None:
    """Run every detector on the loaded data and print the findings (SPEC §5).

    Detectors always see every current upload (stock and shipments span months);
    --period / --year only choose which findings are shown. Exit 0 whether or not
    anything is found.

    \b
    Example:
      flowgraph detect --year 2024
      flowgraph detect --period 2024-03 --format jsonl -o findings.jsonl
      flowgraph detect --family unaccounted_mass --tolerance transit_min_kg=5
    """
    from flowgraph.analysis import detect as run
    from flowgraph.config import tolerances_from

    tol = tolerances_from(app.config, tolerance)
    store = app.store()
    registry = store.registry()
    warn_without_registry(registry)
    findings = run(
        store,
        registry=registry,
        period=period,
        year=year,
        types=[t.upper() for t in types] or None,
        families=[f.lower() for f in families] or None,
        tolerances=tol,
    )
    unfiltered = not (period or year or types or families)
    if unfiltered:
        store.save_findings(findings)
    text = render(findings, fmt)
    if output:
        with open(output, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        click.echo(f"{len(findings):,} findings written to {output}", err=True)
    else:
        click.echo(text, nl=False)


def render(findings: pd.DataFrame, fmt: str) -> str:
    """Findings as text in ``fmt`` (table, jsonl or csv)."""
    from flowgraph.analysis.findings import iter_jsonl

    if fmt == "jsonl":
        return "".join(line + "\n" for line in iter_jsonl(findings))
    if fmt == "csv":
        return frame_to_csv(findings.reindex(columns=list(FINDING_COLUMNS)))
    return table(findings)


def _key_text(row: pd.Series) -> str:
    parts = []
    for key in FINDING_KEYS[row["type"]]:
        if key == "period":
            continue
        parts.append(f"{key.removesuffix('_id')} {row[key]}")
    if row["enterprise_id"] is not None and "enterprise_id" not in FINDING_KEYS[row["type"]]:
        parts.append(f"at {row['enterprise_id']}")
    return ", ".join(parts)


def table(findings: pd.DataFrame) -> str:
    """Human table: per family, per type a count line, then rows with the largest reo_kg first."""
    if findings.empty:
        return "No findings.\n"
    lines: list[str] = []
    for family in FAMILIES:
        fam = findings[findings["family"] == family]
        if fam.empty:
            continue
        lines.append(f"{family} ({len(fam):,} findings, {fam['reo_kg'].sum():,.1f} kg REO)")
        for ftype in FINDING_TYPES:
            rows = fam[fam["type"] == ftype]
            if rows.empty:
                continue
            lines.append(f"  {ftype}: {len(rows):,}")
            rows = rows.sort_values("reo_kg", ascending=False, kind="stable")
            for _, row in rows.iterrows():
                lines.append(
                    f"    {row['period'] or '-':<8} {row['reo_kg']:>14,.1f} kg  "
                    f"{_key_text(row)}: {row['detail']}"
                )
        lines.append("")
    lines.append(f"Total: {len(findings):,} findings, {findings['reo_kg'].sum():,.1f} kg REO")
    return "\n".join(lines) + "\n"
