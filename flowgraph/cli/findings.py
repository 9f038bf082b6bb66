"""``flowgraph findings`` and ``flowgraph review``: a recorded run's findings with their status,
one finding's history, and the review log (SPEC §6). Only formatting here; the rules live in
``flowgraph.investigations``."""

from __future__ import annotations

import json

import click
import pandas as pd

from flowgraph.cli.context import AppContext, pass_app
from flowgraph.cli.options import (
    family_option,
    format_for_output,
    format_option,
    lang_option,
    text_language,
    type_option,
)
from flowgraph.errors import UsageError
from flowgraph.model import FAMILIES, FINDING_COLUMNS
from flowgraph.reports.words import N_

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
@lang_option
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
    lang: str | None,
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
      flowgraph findings --lang zh-CN
    """
    from flowgraph.investigations import finding_history, list_findings

    fmt = format_for_output(fmt, output, ("table", "jsonl", "csv", "xlsx"))
    if fmt == "xlsx" and not output:
        raise UsageError("--format xlsx needs -o FILE.xlsx")
    store = app.store()
    language = text_language(lang)
    if history:
        found = finding_history(store, history)
        _emit(_history_text(store, found, fmt, output, language), output, fmt)
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
        text = table(rows, _run_label(store, run, language), language)
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


def resolved_text(uploads, _=str) -> str | None:
    """The uploads that resolved a finding, as one line: ``2025-03 revision 2 (file.csv); …``."""
    if not isinstance(uploads, list):
        return None
    if not uploads:
        return _(N_("no upload of its enterprise since the previous run"))
    return "; ".join(
        _(N_("{enterprise} {period} revision {revision} ({file})")).format(
            enterprise=u["enterprise_id"], period=u["period"], revision=u["revision"],
            file=u["file_name"],
        )
        for u in uploads
    )  # fmt: skip


def _run_label(store, run: int | None, lang: str = "en") -> str:
    from flowgraph.i18n import translator

    runs = store.runs()
    row = runs.iloc[-1] if run is None else runs[runs["run"] == run].iloc[0]
    return translator(lang)(N_("Run {run} of {runs} ({at} UTC)")).format(
        run=int(row["run"]), runs=len(runs), at=row["ran_at"][:19].replace("T", " ")
    )


def _who(row) -> str:
    name, ent = row.get("enterprise_name"), row.get("enterprise_id")
    if not isinstance(ent, str):
        return ""
    return f"{ent} {name}" if isinstance(name, str) and name else ent


def key_text(row, _=str) -> str:
    """The finding's SPEC §5 key beyond period and enterprise: ``lot L1, product P``
    (``_``: the key names in the reader's language)."""
    from flowgraph.model import FINDING_KEYS

    parts = []
    for key in FINDING_KEYS[row["type"]]:
        if key in ("period", "enterprise_id"):
            continue
        parts.append(f"{_(key.removesuffix('_id'))} {row[key]}")
    return ", ".join(parts)


def pad(text: str, width: int, right: bool = False) -> str:
    """``text`` padded to ``width`` terminal columns (a CJK character takes two).

    >>> pad("月份", 6) + "|", pad("run", 5, right=True) + "|"
    ('月份  |', '  run|')
    """
    from wcwidth import wcswidth

    fill = " " * max(0, width - wcswidth(text))
    return fill + text if right else text + fill


def table(rows: pd.DataFrame, label: str, lang: str = "en") -> str:
    """Grouped by status, then family; each row: id, type, period, reo_kg, enterprise (name),
    key, detail, and the latest review or what resolved it. ``lang``: the words around the
    codes and ids, and each finding's detail (stored in English), in that language."""
    from flowgraph.i18n import translator
    from flowgraph.reports.detailwords import localise_detail

    _ = translator(lang)
    if rows.empty:
        return _(N_("{label}: no findings.")).format(label=label) + "\n"
    counts = rows["status"].value_counts()
    said = ", ".join(
        _(N_("{n} {status}")).format(n=f"{counts[s]:,}", status=_(s))
        for s in STATUS_CHOICES
        if s in counts
    )
    lines = [f"{label}: {said}"]
    for status in STATUS_CHOICES:
        part = rows[rows["status"] == status]
        if part.empty:
            continue
        head = status.upper() if lang == "en" else _(status)
        lines += [
            "",
            _(N_("{status} ({n} findings, {kg} kg REO)")).format(
                status=head, n=f"{len(part):,}", kg=f"{part['reo_kg'].sum():,.1f}"
            ),
        ]
        for family in FAMILIES:
            fam = part[part["family"] == family]
            if fam.empty:
                continue
            lines.append(f"  {family} ({len(fam):,})")
            for _i, row in fam.iterrows():
                key = key_text(row, _)
                where = " ".join(x for x in (_who(row), key) if x)
                detail = localise_detail(row["type"], row["detail"], lang)
                lines.append(
                    f"    {row['finding_id']}  {row['type']:<24} {row['period'] or '-':<8}"
                    f"{row['reo_kg']:>13,.1f} kg  {where}: {detail}"
                )
                change = _change(row, _)
                if change:
                    lines.append(f"        {change}")
                if row.get("reviewed_by"):
                    note = f": {row['review_note']}" if row.get("review_note") else ""
                    lines.append(
                        "        "
                        + _(N_("reviewed by {who} {day}")).format(
                            who=row["reviewed_by"], day=row["reviewed_at"][:10]
                        )
                        + note
                    )
                if status == "resolved":
                    lines.append(
                        "        "
                        + _(N_("resolved by {uploads}")).format(
                            uploads=resolved_text(row["resolved_by"], _)
                        )
                    )
    return "\n".join(lines) + "\n"


def _change(row, _=str) -> str:
    """How the finding's size moved since the previous run (empty when new or unchanged)."""
    before = row.get("previous_reo_kg")
    if row["status"] == "resolved" or before is None or pd.isna(before):
        return ""
    now = float(row["reo_kg"])
    if abs(now - float(before)) <= 1e-9 * max(abs(now), 1.0):
        return ""
    pct = f" ({(now / before - 1) * 100:+.1f}%)" if before else ""
    return (
        _(N_("reo_kg {before} -> {now} kg since run {run}")).format(
            before=f"{float(before):,.1f}", now=f"{now:,.1f}", run=int(row["run"]) - 1
        )
        + pct
    )


def _history_text(store, history, fmt: str, output: str | None, lang: str = "en") -> str | None:
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
    from flowgraph.i18n import translator

    _ = translator(lang)
    names = enterprise_names(store.registry())
    ent = latest.get("enterprise_id")
    who = f" at {ent} {names.get(ent, '')}".rstrip() if ent else ""
    if lang != "en" and ent:
        who = _(N_("at {enterprise}")).format(enterprise=f"{ent} {names.get(ent, '')}".strip())
    head = _(N_("Finding {id}: {type}{at}, {key}")).format(
        id=history.finding_id, type=latest["type"], at=who, key=key_text(latest, _)
    )
    return "\n".join([head, "", *history_lines(history.runs, history.reviews, lang)]) + "\n"


def history_lines(runs: pd.DataFrame, reviews: pd.DataFrame, lang: str = "en") -> list[str]:
    """A finding's runs (reo_kg, status) and reviews as text lines (words in ``lang``)."""
    from flowgraph.i18n import translator

    _ = translator(lang)
    from wcwidth import wcswidth

    heads = (_("run"), _(N_("ran at (UTC)")), _("period"), _("reo_kg"))
    # English widths, wider where a translated heading needs it (CJK takes two columns)
    run_w, at_w, period_w, kg_w = (
        max(w, wcswidth(h)) for w, h in zip((4, 19, 8, 13), heads, strict=True)
    )
    lines = [
        f"  {pad(heads[0], run_w, right=True)}  {pad(heads[1], at_w)}  {pad(heads[2], period_w)}  "
        f"{pad(heads[3], kg_w, right=True)}  {_('status')}"
    ]
    for r in runs.itertuples(index=False):
        kg = "-" if r.reo_kg is None or pd.isna(r.reo_kg) else f"{r.reo_kg:,.1f}"
        ran_at = str(r.ran_at)[:19].replace("T", " ")
        lines.append(
            f"  {r.run:>{run_w}}  {ran_at:<{at_w}}  {r.period or '-':<{period_w}}  "
            f"{kg:>{kg_w}}  {_(r.status)}"
        )
    lines += ["", _(N_("Reviews:")) if len(reviews) else _(N_("Reviews: none"))]
    for r in reviews.itertuples(index=False):
        note = f": {r.note}" if r.note else ""
        kg = "" if r.reo_kg is None else f"{r.reo_kg:,.1f}"
        said = (N_("{decision} by {who} (run {run} at {kg} kg)") if kg
                else N_("{decision} by {who} (run {run})"))  # fmt: skip
        decision = f"{r.decision:<8}" if lang == "en" else _(r.decision)
        lines.append(
            f"  {str(r.reviewed_at)[:19].replace('T', ' ')}  "
            + _(said).format(decision=decision, who=r.reviewed_by, run=r.run, kg=kg)
            + note
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
