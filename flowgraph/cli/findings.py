"""``flowgraph findings`` and ``flowgraph review``: a recorded run's findings with their status,
one finding's history, and the review log (SPEC §6). Only formatting here; the rules live in
``flowgraph.investigations``."""

from __future__ import annotations

import json

import click
import pandas as pd

from flowgraph.cli.context import AppContext, pass_app
from flowgraph.cli.options import family_option, format_for_output, format_option, type_option
from flowgraph.errors import UsageError
from flowgraph.model import FAMILIES, FINDING_COLUMNS

STATUS_CHOICES = ("new", "open", "confirmed", "dismissed", "resolved")
# jsonl: SPEC §5 keys, SPEC §6 additions, then what resolved findings name
JSONL_COLUMNS = (
    *FINDING_COLUMNS,
    "finding_id",
    "status",
    "first_run",
    "run",
    "previous_reo_kg",
    "reviewed_by",
    "reviewed_at",
    "review_note",
    "resolved_by",
)


@click.command()
@click.option("--run", "run", type=int, metavar="N", help="This recorded run (default: latest).")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(STATUS_CHOICES, case_sensitive=False),
    help="Only findings of this status (repeatable).",
)
@click.option("--enterprise", metavar="ID", help="Only findings of this enterprise.")
@type_option("Only this finding type (repeatable).")
@family_option("Only this family of types (repeatable).")
@click.option("--history", "history", metavar="FINDING_ID", help="One finding across runs.")
@format_option("table", "jsonl", "csv", "xlsx")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write here.")
@pass_app
def findings(
    app: AppContext,
    run: int | None,
    statuses: tuple[str, ...],
    enterprise: str | None,
    types: tuple[str, ...],
    families: tuple[str, ...],
    history: str | None,
    fmt: str,
    output: str | None,
) -> None:
    """A recorded detection run's findings with their status (SPEC §6).

    Statuses: new (first seen, never reviewed), open, confirmed, dismissed, resolved (in
    the previous run, gone from this one; with the uploads of its enterprise loaded since).
    The table groups by status, then family, and names enterprises beside their ids.

    \b
    Example:
      flowgraph findings --status new --status open
      flowgraph findings --run 3 --enterprise E017 --format xlsx -o e017.xlsx
      flowgraph findings --history 5ebcd00b8f24
    """
    from flowgraph.investigations import finding_history, list_findings

    fmt = format_for_output(fmt, output, ("table", "jsonl", "csv", "xlsx"))
    if fmt == "xlsx" and not output:
        raise UsageError("--format xlsx needs -o FILE.xlsx")
    store = app.store()
    if history:
        _emit(_history_text(store, finding_history(store, history), fmt, output), output, fmt)
        return
    rows = list_findings(
        store,
        run=run,
        statuses=[s.lower() for s in statuses] or None,
        enterprise=enterprise,
        types=[t.upper() for t in types] or None,
        families=[f.lower() for f in families] or None,
    )
    if fmt == "jsonl":
        text = "".join(line + "\n" for line in _jsonl(rows))
    elif fmt in ("csv", "xlsx"):
        flat = rows.assign(resolved_by=rows["resolved_by"].map(resolved_text))
        if fmt == "xlsx":
            from flowgraph.spreadsheet import write_xlsx

            write_xlsx(flat, output, sheet_name="findings")
            click.echo(f"{len(rows):,} findings written to {output}", err=True)
            return
        from flowgraph.spreadsheet import frame_to_csv

        text = frame_to_csv(flat)
    else:
        text = table(rows, _run_label(store, run))
    _emit(text, output, fmt, len(rows))


def _jsonl(rows: pd.DataFrame):
    from flowgraph.analysis.findings import to_records

    records = to_records(rows.drop(columns=["resolved_by"]), JSONL_COLUMNS[:-1])
    for record, uploads in zip(records, rows["resolved_by"], strict=True):
        record["resolved_by"] = uploads if isinstance(uploads, list) else None
        yield json.dumps(record, ensure_ascii=False, allow_nan=False)


def _emit(text: str | None, output: str | None, fmt: str, count: int | None = None) -> None:
    if text is None:
        return
    if output:
        with open(output, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        if count is not None:
            click.echo(f"{count:,} findings written to {output}", err=True)
    else:
        click.echo(text, nl=False)


def resolved_text(uploads) -> str | None:
    """The uploads that resolved a finding, as one line: ``2025-03 revision 2 (file.csv); …``."""
    if not isinstance(uploads, list):
        return None
    if not uploads:
        return "no upload of its enterprise since the previous run"
    return "; ".join(
        f"{u['enterprise_id']} {u['period']} revision {u['revision']} ({u['file_name']})"
        for u in uploads
    )


def _run_label(store, run: int | None) -> str:
    runs = store.runs()
    row = runs.iloc[-1] if run is None else runs[runs["run"] == run].iloc[0]
    return f"Run {int(row['run'])} of {len(runs)} ({row['ran_at'][:19].replace('T', ' ')} UTC)"


def _who(row) -> str:
    name, ent = row.get("enterprise_name"), row.get("enterprise_id")
    if not isinstance(ent, str):
        return ""
    return f"{ent} {name}" if isinstance(name, str) and name else ent


def key_text(row) -> str:
    from flowgraph.model import FINDING_KEYS

    parts = []
    for key in FINDING_KEYS[row["type"]]:
        if key in ("period", "enterprise_id"):
            continue
        parts.append(f"{key.removesuffix('_id')} {row[key]}")
    return ", ".join(parts)


def table(rows: pd.DataFrame, label: str) -> str:
    """Grouped by status, then family; each row: id, type, period, reo_kg, enterprise (name),
    key, detail, and the latest review or what resolved it."""
    if rows.empty:
        return f"{label}: no findings.\n"
    counts = rows["status"].value_counts()
    lines = [label + ": " + ", ".join(f"{counts[s]:,} {s}" for s in STATUS_CHOICES if s in counts)]
    for status in STATUS_CHOICES:
        part = rows[rows["status"] == status]
        if part.empty:
            continue
        lines += [
            "",
            f"{status.upper()} ({len(part):,} findings, {part['reo_kg'].sum():,.1f} kg REO)",
        ]
        for family in FAMILIES:
            fam = part[part["family"] == family]
            if fam.empty:
                continue
            lines.append(f"  {family} ({len(fam):,})")
            for _, row in fam.iterrows():
                key = key_text(row)
                where = " ".join(x for x in (_who(row), key) if x)
                lines.append(
                    f"    {row['finding_id']}  {row['type']:<24} {row['period'] or '-':<8}"
                    f"{row['reo_kg']:>13,.1f} kg  {where}: {row['detail']}"
                )
                change = _change(row)
                if change:
                    lines.append(f"        {change}")
                if row.get("reviewed_by"):
                    note = f": {row['review_note']}" if row.get("review_note") else ""
                    lines.append(
                        f"        reviewed by {row['reviewed_by']} {row['reviewed_at'][:10]}{note}"
                    )
                if status == "resolved":
                    lines.append(f"        resolved by {resolved_text(row['resolved_by'])}")
    return "\n".join(lines) + "\n"


def _change(row) -> str:
    """How the finding's size moved since the previous run (empty when new or unchanged)."""
    before = row.get("previous_reo_kg")
    if row["status"] == "resolved" or before is None or pd.isna(before):
        return ""
    now = float(row["reo_kg"])
    if abs(now - float(before)) <= 1e-9 * max(abs(now), 1.0):
        return ""
    pct = f" ({(now / before - 1) * 100:+.1f}%)" if before else ""
    return f"reo_kg {float(before):,.1f} -> {now:,.1f} kg since run {int(row['run']) - 1}{pct}"


def _history_text(store, history, fmt: str, output: str | None) -> str | None:
    from flowgraph.investigations.runs import enterprise_names

    latest = history.latest
    if fmt == "jsonl":
        from flowgraph.analysis.findings import to_records

        doc = {
            "finding_id": history.finding_id,
            "finding": to_records(pd.DataFrame([latest]), (*FINDING_COLUMNS, "finding_id"))[0],
            "runs": json.loads(history.runs.to_json(orient="records")),
            "reviews": json.loads(history.reviews.to_json(orient="records")),
        }
        return json.dumps(doc, ensure_ascii=False) + "\n"
    if fmt in ("csv", "xlsx"):
        from flowgraph.spreadsheet import frame_to_csv, write_xlsx

        if fmt == "xlsx":
            write_xlsx(history.runs, output, sheet_name="runs")
            return None
        return frame_to_csv(history.runs)
    names = enterprise_names(store.registry())
    ent = latest.get("enterprise_id")
    who = f" at {ent} {names.get(ent, '')}".rstrip() if ent else ""
    lines = [f"Finding {history.finding_id}: {latest['type']}{who}, {key_text(latest)}", ""]
    return "\n".join(lines + history_lines(history.runs, history.reviews)) + "\n"


def history_lines(runs: pd.DataFrame, reviews: pd.DataFrame) -> list[str]:
    """A finding's runs (reo_kg, status) and reviews as text lines."""
    lines = [f"  {'run':>4}  {'ran at (UTC)':<19}  {'period':<8}  {'reo_kg':>13}  status"]
    for r in runs.itertuples(index=False):
        kg = "-" if r.reo_kg is None or pd.isna(r.reo_kg) else f"{r.reo_kg:,.1f}"
        lines.append(
            f"  {r.run:>4}  {str(r.ran_at)[:19].replace('T', ' '):<19}  {r.period or '-':<8}  "
            f"{kg:>13}  {r.status}"
        )
    lines += ["", "Reviews:" if len(reviews) else "Reviews: none"]
    for r in reviews.itertuples(index=False):
        note = f": {r.note}" if r.note else ""
        kg = "" if r.reo_kg is None else f" at {r.reo_kg:,.1f} kg"
        lines.append(
            f"  {str(r.reviewed_at)[:19].replace('T', ' ')}  {r.decision:<8} by {r.reviewed_by}"
            f" (run {r.run}{kg}){note}"
        )
    return lines


@click.command()
@click.argument("finding_ids", nargs=-1, required=True, metavar="FINDING_ID...")
@click.option("--confirm", "decision", flag_value="confirm", help="Confirm the finding(s).")
@click.option("--dismiss", "decision", flag_value="dismiss", help="Dismiss (needs --note).")
@click.option("--reopen", "decision", flag_value="reopen", help="Reopen a reviewed finding.")
@click.option("--note", metavar="TEXT", help="Why (required with --dismiss).")
@click.option("--by", "by", metavar="NAME", help="Reviewer (default: your login name).")
@pass_app
def review(
    app: AppContext,
    finding_ids: tuple[str, ...],
    decision: str | None,
    note: str | None,
    by: str | None,
) -> None:
    """Record a review of findings in the append-only log (SPEC §6).

    Each id may be a unique prefix of at least 6 characters. Several ids are recorded all
    or none: an unknown or ambiguous id records nothing (exit 2).

    \b
    Example:
      flowgraph review 5ebcd00b8f24 --confirm --note "batch records missing"
      flowgraph review 5ebcd0 e20549 --dismiss --note "weighing error, corrected in April"
    """
    from flowgraph.investigations import review as record

    if decision is None:
        raise UsageError("say what the review decides: --confirm, --dismiss or --reopen")
    done = record(app.store(), list(finding_ids), decision, note=note, by=by)
    for row in done.itertuples(index=False):
        click.echo(f"Recorded {row.decision} of {row.finding_id} by {row.reviewed_by}")
