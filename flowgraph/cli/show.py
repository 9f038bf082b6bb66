"""``flowgraph show FINDING_ID``: one finding as an investigator's case sheet (SPEC §6)."""

from __future__ import annotations

import json

import click

from flowgraph.cli.context import AppContext, pass_app
from flowgraph.cli.options import lang_option, text_language
from flowgraph.reports.words import N_


def _kg(value) -> str:
    return "?" if value is None else f"{float(value):,.1f}"


def _facts(pairs: list[tuple[str, str]]) -> list[str]:
    """``label  value`` lines with the values in one column (labels may be CJK: two cells)."""
    from wcwidth import wcswidth

    width = max(wcswidth(label) for label, _value in pairs) + 2
    return [f"  {label}{' ' * (width - wcswidth(label))}{value}" for label, value in pairs]


def render(sheet, lang: str = "en") -> str:
    """The case sheet as text: the finding, its evidence rows, provenance, runs and reviews.
    ``lang``: its words and the finding's detail; the provenance is `flowgraph trace`'s text."""
    from flowgraph.cli.findings import history_lines, key_text
    from flowgraph.cli.trace import render_upstream
    from flowgraph.i18n import translator
    from flowgraph.reports.detailwords import localise_detail

    _ = translator(lang)
    f = sheet.finding
    ent = f.get("enterprise_id")
    who = f"{ent} {f.get('enterprise_name') or ''}".strip() if ent else "-"
    status = sheet.status if lang == "en" else _(sheet.status)
    lines = [
        _(N_("Finding {id}: {type} ({family})")).format(
            id=f["finding_id"], type=f["type"], family=f["family"]
        ),
        *_facts([
            (_("enterprise"), who),
            (_(N_("key")), key_text(f, _) or "-"),
            (_("period"), f.get("period") or "-"),
            (_("reo_kg"), _kg(f.get("reo_kg"))),
            (_("detail"), localise_detail(f["type"], f.get("detail"), lang) or ""),
            (_("status"), _(N_("{status} in run {run}")).format(status=status, run=sheet.run)),
        ]),
        "",
    ]  # fmt: skip
    ev = sheet.evidence
    said = (
        N_("Evidence: {n} current upload row(s):")
        if len(ev)
        else N_("Evidence: {n} current upload row(s)")
    )
    lines.append(_(said).format(n=f"{len(ev):,}"))
    for r in ev.itertuples(index=False):
        where = f"{r.file_name}:{r.source_row}"
        parts = [r.event_type, str(r.date)[:10], f"{_('lot')} {r.lot_id}"]
        if isinstance(r.shipment_id, str):
            parts.append(f"{_('shipment')} {r.shipment_id}")
        if isinstance(r.batch_id, str):
            parts.append(f"{_('batch')} {r.batch_id}")
        if isinstance(r.counterparty_id, str):
            parts.append(_(N_("with {counterparty}")).format(counterparty=r.counterparty_id))
        upload = _(N_("{enterprise} {period} rev {revision}, sha256 {sha256}")).format(
            enterprise=r.enterprise_id, period=r.period, revision=r.revision, sha256=r.sha256
        )
        lines.append(
            f"  {where}  {' '.join(parts)}  {_kg(r.mass_kg)} kg ({_kg(r.reo_kg)} kg REO)"
            f"  [{upload}]"
        )
    if sheet.lots:
        lines += ["", _(N_("Provenance of {n} lot(s): {lots}")).format(
            n=len(sheet.lots), lots=", ".join(sheet.lots))]  # fmt: skip
        for trace in sheet.traces:
            lines += ["", *("  " + x if x else "" for x in render_upstream(trace).splitlines())]
        missing = [lot for lot in sheet.lots if lot not in {t["lot_id"] for t in sheet.traces}]
        if missing:
            lines.append("  " + _(N_("(no current row names {lots})")).format(
                lots=", ".join(missing)))  # fmt: skip
    lines += ["", *history_lines(sheet.history, sheet.reviews, lang)]
    return "\n".join(lines) + "\n"


@click.command()
@click.argument("finding_id")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@lang_option
@pass_app
def show(app: AppContext, finding_id: str, fmt: str, lang: str | None) -> None:
    """One finding as a case sheet: what it is, the upload rows behind it (FILE:ROW and
    the file's SHA-256), the provenance of the lots it concerns, its status in each run
    and every review. FINDING_ID may be a unique prefix of at least 6 characters.

    \b
    Example:
      flowgraph show 5ebcd00b8f24
      flowgraph show 5ebcd0 --format json > case.json
      flowgraph show 5ebcd0 --lang zh-CN
    """
    from flowgraph.investigations import case_sheet

    sheet = case_sheet(app.store(), finding_id)
    if fmt == "json":
        click.echo(json.dumps(sheet.to_dict(), indent=2, ensure_ascii=False, default=str))
    else:
        click.echo(render(sheet, text_language(lang)), nl=False)
