"""``flowgraph show FINDING_ID``: one finding as an investigator's case sheet (SPEC §6)."""

from __future__ import annotations

import json

import click

from flowgraph.cli.context import AppContext, pass_app


def _kg(value) -> str:
    return "?" if value is None else f"{float(value):,.1f}"


def render(sheet) -> str:
    """The case sheet as text: the finding, its evidence rows, provenance, runs and reviews."""
    from flowgraph.cli.findings import history_lines, key_text
    from flowgraph.cli.trace import render_upstream

    f = sheet.finding
    ent = f.get("enterprise_id")
    who = f"{ent} {f.get('enterprise_name') or ''}".strip() if ent else "-"
    lines = [
        f"Finding {f['finding_id']}: {f['type']} ({f['family']})",
        f"  enterprise  {who}",
        f"  key         {key_text(f) or '-'}",
        f"  period      {f.get('period') or '-'}",
        f"  reo_kg      {_kg(f.get('reo_kg'))}",
        f"  detail      {f.get('detail') or ''}",
        f"  status      {sheet.status} in run {sheet.run}",
        "",
    ]
    ev = sheet.evidence
    lines.append(f"Evidence: {len(ev):,} current upload row(s)" + (":" if len(ev) else ""))
    for r in ev.itertuples(index=False):
        where = f"{r.file_name}:{r.source_row}"
        parts = [r.event_type, str(r.date)[:10], f"lot {r.lot_id}"]
        if isinstance(r.shipment_id, str):
            parts.append(f"shipment {r.shipment_id}")
        if isinstance(r.batch_id, str):
            parts.append(f"batch {r.batch_id}")
        if isinstance(r.counterparty_id, str):
            parts.append(f"with {r.counterparty_id}")
        lines.append(
            f"  {where}  {' '.join(parts)}  {_kg(r.mass_kg)} kg ({_kg(r.reo_kg)} kg REO)"
            f"  [{r.enterprise_id} {r.period} rev {r.revision}, sha256 {r.sha256}]"
        )
    if sheet.lots:
        lines += ["", f"Provenance of {len(sheet.lots)} lot(s): {', '.join(sheet.lots)}"]
        for trace in sheet.traces:
            lines += ["", *("  " + x if x else "" for x in render_upstream(trace).splitlines())]
        missing = [lot for lot in sheet.lots if lot not in {t["lot_id"] for t in sheet.traces}]
        if missing:
            lines.append(f"  (no current row names {', '.join(missing)})")
    lines += ["", *history_lines(sheet.history, sheet.reviews)]
    return "\n".join(lines) + "\n"


@click.command()
@click.argument("finding_id")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@pass_app
def show(app: AppContext, finding_id: str, fmt: str) -> None:
    """One finding as a case sheet: what it is, the upload rows behind it (FILE:ROW and
    the file's SHA-256), the provenance of the lots it concerns, its status in each run
    and every review. FINDING_ID may be a unique prefix of at least 6 characters.

    \b
    Example:
      flowgraph show 5ebcd00b8f24
      flowgraph show 5ebcd0 --format json > case.json
    """
    from flowgraph.investigations import case_sheet

    sheet = case_sheet(app.store(), finding_id)
    if fmt == "json":
        click.echo(json.dumps(sheet.to_dict(), indent=2, ensure_ascii=False, default=str))
    else:
        click.echo(render(sheet), nl=False)
