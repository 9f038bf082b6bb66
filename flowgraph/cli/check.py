"""``flowgraph check``: an enterprise checks its own files before sending them (SPEC §4)."""

from __future__ import annotations

import click
import pandas as pd

from flowgraph.cli.context import AppContext, pass_app


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option(
    "--registry",
    "registry_dir",
    metavar="DIR",
    type=click.Path(file_okay=False, path_type=str),
    help="Registry folder (enterprises.csv, designations.csv, quotas.csv): also check "
    "designations and show quota use.",
)
@pass_app
def check(app: AppContext, paths: tuple[str, ...], registry_dir: str | None) -> None:
    """Check monthly upload files before sending them: every problem `flowgraph load` would
    reject (FILE:ROW:COLUMN, exit 2), or `ok: N files, M events` (exit 0); then warnings on
    what the files show on their own. Nothing is stored anywhere.

    \b
    Example:
      flowgraph check uploads/2024-03.csv
      flowgraph check uploads/ --registry registry/
    """
    from flowgraph.check import check_files
    from flowgraph.config import tolerances_from

    registry = None
    if registry_dir is not None:
        from loaders import read_registry

        registry = read_registry(registry_dir)
    report = check_files(paths, registry, tolerances_from(app.config))
    for warning in report.summary.warnings:
        click.echo(f"Warning: {warning}", err=True)
    if not report.ok:
        for problem in report.summary.problems:
            click.echo(f"Error: {problem}", err=True)
        bad = len(report.summary.rejected)
        click.echo(
            f"{bad} of {report.files} file{'s' if report.files != 1 else ''} would be rejected; "
            "fix the rows named above and check again"
        )
        click.get_current_context().exit(2)
    files, events = report.files, report.events
    click.echo(
        f"ok: {files:,} file{'s' if files != 1 else ''}, {events:,} event{'s' if events != 1 else ''}"
    )
    for line in finding_lines(report.findings):
        click.echo(f"Warning: {line}")
    if not report.quota.empty:
        click.echo("Quota use so far:")
        for line in quota_lines(report.quota):
            click.echo(f"  {line}")


def finding_lines(findings: pd.DataFrame) -> list[str]:
    """One line per own-file finding: where (file), what (type and key), why (detail)."""
    from flowgraph.model import FINDING_KEYS

    lines = []
    for row in findings.to_dict("records"):
        key = ", ".join(
            f"{k.removesuffix('_id')} {row[k]}"
            for k in FINDING_KEYS[row["type"]]
            if k not in ("period", "enterprise_id") and row.get(k) is not None
        )
        where = row.get("file") or f"{row['enterprise_id']} {row['period']}"
        caveat = ""
        if row.get("typical_grade"):
            caveat = (
                f" (assumed: input {row.get('assumed_inputs')}; the lot's own grade is in the "
                "supplier's upload: give reo_pct on your receive rows to check with it)"
            )
        lines.append(f"{where}: {row['type']} {key}: {row['detail']}{caveat}")
    return lines


def quota_lines(table: pd.DataFrame) -> list[str]:
    """Quota burn-down rows in words, e.g. ``E1 mining 2024: 9.0 t of 20.0 t (45%) …``."""
    lines = []
    for r in table.itertuples(index=False):
        used = f"{r.used_t_reo:,.1f} t REO"
        if pd.isna(r.quota_t_reo):
            lines.append(f"{r.enterprise_id} {r.activity} {r.year}: {used}, no quota")
            continue
        text = f"{r.enterprise_id} {r.activity} {r.year}: {used} of {r.quota_t_reo:,.1f} t"
        text += f" ({100 * r.share_used:.0f}%)"
        if r.crossed:
            text += f", OVER since {r.crossed}"
        elif r.projected_crossing:
            text += f", at this rate crossed in {r.projected_crossing}"
        lines.append(text)
    return lines
