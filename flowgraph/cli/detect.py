"""``flowgraph detect``: run the SPEC §5 detectors and print the findings."""

from __future__ import annotations

import click
import pandas as pd

from flowgraph.cli.context import AppContext, pass_app, warn_without_registry
from flowgraph.cli.options import (
    family_option,
    format_for_output,
    format_option,
    output_file,
    parse_key_values,
    period_option,
    type_option,
    year_option,
)
from flowgraph.errors import UsageError
from flowgraph.model import FAMILIES, FINDING_COLUMNS, FINDING_KEYS, FINDING_TYPES
from flowgraph.spreadsheet import frame_to_csv


@click.command()
@period_option("Only findings of this month.")
@year_option("Only findings of this year.")
@type_option("Run only this finding type (repeatable).")
@family_option("Run only this family of types (repeatable).")
@click.option(
    "--enterprise", metavar="ID", help="Only findings whose enterprise_id is this (not recorded)."
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
@click.option(
    "--in-database",
    is_flag=True,
    help="Neo4j store: run the Cypher detectors on the server, read back only the findings.",
)
@pass_app
def detect(
    app: AppContext,
    period: str | None,
    year: int | None,
    types: tuple[str, ...],
    families: tuple[str, ...],
    enterprise: str | None,
    fmt: str,
    output: str | None,
    tolerance: dict,
    in_database: bool,
) -> None:
    """Run every detector on the loaded data and print the findings (SPEC §5).

    The findings are those of every current upload (stock and shipments span months);
    --period / --year / --enterprise only choose which are shown. A store of several
    years is read one year at a time, each with the rows of other years it needs (its
    carry-over, kept in the store until the next load): the same findings. Without
    --period, --year, --type, --family, --enterprise or --tolerance the run is recorded
    (SPEC §6: numbered, kept with its findings; an identical rerun is not recorded again)
    and each finding's status is against the previous run; a filtered detect records
    nothing and shows the latest run's statuses (or, when uploads, registry or tolerances
    changed since, the statuses a new run would give). Exit 0 whether or not anything is
    found.
    With --in-database (Neo4j only) the same findings are computed by the Cypher
    detectors where the data is, so this process never holds the events.

    \b
    Example:
      flowgraph detect --year 2024
      flowgraph detect --period 2024-03 --format jsonl -o findings.jsonl
      flowgraph detect --family unaccounted_mass --tolerance transit_min_kg=5
      flowgraph --store bolt://127.0.0.1:7687 detect --in-database
    """
    from flowgraph.analysis import detect as run
    from flowgraph.config import tolerances_from
    from flowgraph.investigations import compare_with_latest, detect_run

    output_file(output)  # before any work: a folder that does not exist is exit 2
    fmt = format_for_output(fmt, output, ("table", "jsonl", "csv"))
    tol = tolerances_from(app.config, tolerance)
    store = app.store()
    registry = store.registry()
    warn_without_registry(registry)
    from flowgraph.analysis.detectors import skipped_checks

    selected = {"types": [t.upper() for t in types] or None}
    selected["families"] = [f.lower() for f in families] or None
    for line in skipped_checks(registry, **selected):
        click.echo(line, err=True)
    unfiltered = not (period or year or types or families or tolerance or enterprise)
    if unfiltered and store.read_only:
        # read-only media: the findings still come, compared with the latest recorded run
        click.echo(f"Warning: store {store.uri} is read-only: this run is not recorded", err=True)
        unfiltered = False
    if unfiltered:
        result = detect_run(store, tolerances=tol, registry=registry, in_database=in_database)
        findings = result.findings
        click.echo(_run_line(result), err=True)
    else:
        findings = run(
            store,
            registry=registry,
            period=period,
            year=year,
            types=[t.upper() for t in types] or None,
            families=[f.lower() for f in families] or None,
            tolerances=tol,
            in_database=in_database,
        )
        if enterprise:
            findings = findings[findings["enterprise_id"] == enterprise].reset_index(drop=True)
        findings = compare_with_latest(store, findings, tolerances=tol)
    text = render(findings, fmt)
    if output:
        try:
            with open(output, "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
        except OSError as e:
            raise UsageError(f"{output}: cannot write it ({e.strerror})") from e
        click.echo(f"{len(findings):,} findings written to {output}", err=True)
    else:
        click.echo(text, nl=False)


def _run_line(result) -> str:
    counts = result.findings["status"].value_counts() if not result.findings.empty else {}
    summary = ", ".join(
        f"{counts.get(s, 0):,} {s}" for s in ("new", "open", "confirmed", "dismissed")
    )
    resolved = f", {len(result.resolved):,} resolved" if len(result.resolved) else ""
    if not result.recorded:
        return (
            f"Run {result.run} already covers these uploads, registry version and tolerances: "
            f"not recorded again; showing run {result.run} ({summary}{resolved})"
        )
    return f"Recorded run {result.run}: {summary}{resolved} (see `flowgraph findings`)"


# SPEC §5 keys, finding_id and status last
OUTPUT_COLUMNS = (*FINDING_COLUMNS, "finding_id", "status")


def render(findings: pd.DataFrame, fmt: str) -> str:
    """Findings as text in ``fmt`` (table, jsonl or csv)."""
    from flowgraph.analysis.findings import iter_jsonl

    if fmt == "jsonl":
        return "".join(line + "\n" for line in iter_jsonl(findings, OUTPUT_COLUMNS))
    if fmt == "csv":
        return frame_to_csv(findings.reindex(columns=list(OUTPUT_COLUMNS)))
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
                    f"    {row.get('finding_id') or '-':<12} {row.get('status') or '-':<9} "
                    f"{row['period'] or '-':<8} {row['reo_kg']:>14,.1f} kg  "
                    f"{_key_text(row)}: {row['detail']}"
                )
        lines.append("")
    lines.append(f"Total: {len(findings):,} findings, {findings['reo_kg'].sum():,.1f} kg REO")
    return "\n".join(lines) + "\n"
