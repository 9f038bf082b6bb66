"""The findings report: one self-contained HTML page an investigator can open offline.

Computed, then rendered (as the Sankey: flow table, then figure): ``build_findings_report``
returns a ``FindingsReport`` of DataFrames, ``render_findings_html`` turns it into the page.

Sections: summary by family and type (count, tonnes REO); top enterprises by untraceable REO;
quota burn-down (output against quota per enterprise and activity); export licences (licensed,
used and remaining kg per licence row, when the registry holds a licence register); every
finding with the
event rows that caused it (evidence.py), in a table sortable by any column (inline vanilla
JS, nothing fetched). Everything that comes from uploads or the registry is HTML-escaped.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from flowgraph.analysis.licences import licence_table
from flowgraph.analysis.prepared import PreparedEvents, prepared
from flowgraph.i18n import translator
from flowgraph.model import FAMILIES, FINDING_KEYS, Registry
from flowgraph.reports.detailwords import localise_detail
from flowgraph.reports.evidence import evidence
from flowgraph.reports.flowwindow import upload_count, window_bounds, window_label
from flowgraph.reports.htmltable import SORT_JS, STYLE, grouped_table_html, num_cell, table_html
from flowgraph.reports.htmltable import cell_text as _e
from flowgraph.reports.summaries import (
    quota_figure,
    quota_usage,
    summary_by_type,
    untraceable_by_enterprise,
)
from flowgraph.reports.words import N_

DEFAULT_TITLE = N_("Rare-earth traceability findings")
# a finding key's name in the key column ("lot L1 · shipment S2"); type and family codes and
# ids stay as they are
_KEY_WORDS = (N_("lot"), N_("shipment"), N_("batch"), N_("document_ref"), N_("licence_no"),
              N_("product"), N_("country"), N_("activity"), N_("year"))  # fmt: skip
_ACTIVITY_WORDS = (N_("mining"), N_("smelting"))  # QUOTA_EXCEEDED's key
_STATUS_WORDS = (N_("new"), N_("open"), N_("confirmed"), N_("dismissed"), N_("resolved"))


def _tag(name: str, text: str) -> str:
    """``text`` (catalogue text, trusted) in an element; ``_()`` stays out of f-strings, where
    babel's extractor would not see it."""
    return f"<{name}>{text}</{name}>"


def _word(value: object, known: tuple[str, ...], _) -> str:
    """A data value the catalogue knows (status, key name) in the page's language."""
    return _(value) if isinstance(value, str) and value in known else value


def _summary_html(summary: pd.DataFrame, _) -> str:
    rows = []
    for family in FAMILIES:
        part = summary[summary["family"] == family]
        rows.append(
            f'<tr class="family"><td>{family}</td><td></td><td class="n">{int(part["findings"].sum()):,}'
            f'</td><td class="n">{part["reo_t"].sum():,.3f}</td></tr>'
        )
        for row in part.itertuples():
            rows.append(
                f'<tr><td></td><td>{row.type}</td><td class="n">{row.findings:,}</td>'
                f'<td class="n">{row.reo_t:,.3f}</td></tr>'
            )
    headers = [(_("family"), False), (_("type"), False), (_("findings"), True), (_("t REO"), True)]
    return table_html(headers, rows, tid="summary")


def _enterprises_html(table: pd.DataFrame, _) -> str:
    rows = [
        f"<tr><td>{_e(r.enterprise_id)}</td><td>{_e(r.name)}</td><td>{_e(r.province)}</td>"
        f"{num_cell(r.in_t)}{num_cell(r.out_t)}{num_cell(r.findings, 0)}{num_cell(r.findings_reo_t)}</tr>"
        for r in table.itertuples()
    ]
    headers = [
        (_("enterprise"), False),
        (_("name"), False),
        (_("province"), False),
        (_("untraceable in (t)"), True),
        (_("untraceable out (t)"), True),
        (_("findings"), True),
        (_("findings t REO"), True),
    ]
    return table_html(headers, rows, cls="sortable", tid="enterprises")


def _key_text(row: pd.Series, _) -> str:
    keys = [k for k in FINDING_KEYS[row["type"]] if k not in ("enterprise_id", "period")]
    return " · ".join(
        f"{_word(k.removesuffix('_id'), _KEY_WORDS, _)} {_word(row[k], _ACTIVITY_WORDS, _)}"
        for k in keys
        if row[k] is not None
    )


def _evidence_headers(_) -> list[tuple[str, bool]]:
    return [
        (_("date"), False),
        (_("event"), False),
        (_("enterprise"), False),
        (_("lot"), False),
        (_("product"), False),
        (_("mass kg"), True),
        (_("REO kg"), True),
        (_("counterparty"), False),
        (_("shipment"), False),
        (_("batch"), False),
        (_("country"), False),
        (_("document"), False),
        (_("licence"), False),
        (_("note"), False),
        (_("source"), False),
    ]


def _evidence_html(rows: pd.DataFrame, files: dict, _) -> str:
    if rows.empty:
        return _tag("em", _("no event rows"))
    body = []
    for r in rows.itertuples():
        name = (
            files[r.upload_id] if r.upload_id in files else _("upload {id}").format(id=r.upload_id)
        )
        source = f"{name}:{r.source_row}"
        body.append(
            f"<tr><td>{_e(r.date)}</td><td>{_e(r.event_type)}</td><td>{_e(r.enterprise_id)}</td>"
            f"<td>{_e(r.lot_id)}</td><td>{_e(r.product)}</td>"
            f'<td class="n">{r.mass_kg:,.1f}</td><td class="n">{r.reo_kg:,.1f}</td>'
            f"<td>{_e(r.counterparty_id)}</td><td>{_e(r.shipment_id)}</td><td>{_e(r.batch_id)}</td>"
            f"<td>{_e(r.country)}</td><td>{_e(r.document_ref)}</td><td>{_e(r.licence_no)}</td>"
            f"<td>{_e(r.note)}</td>"
            f"<td>{_e(source)}</td></tr>"
        )
    total = int(rows["total"].iloc[0])
    left = total - len(rows)
    more = _("… and {count} more event row") if left == 1 else _("… and {count} more event rows")
    more = f"<p>{more.format(count=f'{left:,}')}</p>" if left > 0 else ""
    summary = _("evidence: {count} event row") if total == 1 else _("evidence: {count} event rows")
    return (
        f"<details><summary>{summary.format(count=f'{total:,}')}</summary>"
        + table_html(_evidence_headers(_), body, cls="evidence")
        + more
        + "</details>"
    )


def _largest(findings: pd.DataFrame, limit: int | None) -> pd.DataFrame:
    """The ``limit`` findings with the most REO, in their given order (a page of tens of
    thousands of findings, e.g. data loaded without a registry, would not open)."""
    if limit is None or len(findings) <= limit:
        return findings
    keep = findings["reo_kg"].sort_values(ascending=False, kind="stable").index[:limit]
    return findings.loc[sorted(keep)].reset_index(drop=True)


def _cap_notice(listed: int, total: int, _) -> list[str]:
    if listed == total:
        return []
    text = _(
        "Listed: the {listed} largest findings by REO of {total}; {command} gives all of them."
    )
    command = "<code>flowgraph detect --format csv</code>"
    return [
        f'<p class="note">{text.format(listed=f"{listed:,}", total=f"{total:,}", command=command)}</p>'
    ]


def _registry_notice(registry_loaded: bool, _) -> list[str]:
    if registry_loaded:
        return []
    text = _(
        "every enterprise counts as undesignated and unregistered, so designation findings "
        "cover all of them. Load the regulator's files with {command}."
    ).format(command="<code>flowgraph registry load DIR</code>")
    head = _tag("strong", _("No registry loaded:"))
    return [f'<p class="note">{head} {text}</p>']


def _register_notice(registry: Registry, _) -> list[str]:
    """Say which SPEC §7 checks did not run (no register, no finding)."""
    missing = [
        label
        for label, frame in (
            (
                _("No customs register (customs.csv): customs checks were not run."),
                registry.customs,
            ),
            (
                _("No export licence register (export_licences.csv): licence checks were not run."),
                registry.licences,
            ),
        )
        if frame is None
    ]
    return [f'<p class="note">{m}</p>' for m in missing]


def _licences_html(table: pd.DataFrame, _) -> str:
    """Licensed, used and remaining kg per licence row (used = the exports LICENCE_EXCEEDED
    counts); a licence row used beyond its quantity shows a negative remainder."""
    if table.empty:
        return _tag("p", _("The licence register holds no licence."))
    rows = []
    for r in table.itertuples(index=False):
        start = _e(r.valid_from)
        # "open" alone is a finding status in the catalogue; an open-ended validity is its own text
        valid = (
            _("{start} – open").format(start=start)
            if pd.isna(r.valid_to)
            else f"{start} – {_e(r.valid_to)}"
        )
        pct = "" if pd.isna(r.used_pct) else f"{r.used_pct:,.1f}%"
        rows.append(
            f"<tr><td>{_e(r.licence_no)}</td><td>{_e(r.enterprise_id)}</td>"
            f"<td>{_e(r.product)}</td><td>{_e(r.country)}</td>"
            f"<td>{valid}</td><td>{_e(r.end_user)}</td>"
            f"{num_cell(r.licensed_kg, 1)}{num_cell(r.used_kg, 1)}{num_cell(r.remaining_kg, 1)}"
            f'<td class="n">{pct}</td></tr>'
        )
    headers = [
        (_("licence"), False),
        (_("holder"), False),
        (_("product"), False),
        (_("country"), False),
        (_("valid"), False),
        (_("end user"), False),
        (_("licensed kg"), True),
        (_("used kg"), True),
        (_("remaining kg"), True),
        (_("used"), True),
    ]
    return table_html(headers, rows, cls="sortable", tid="licences")


def _findings_html(
    findings: pd.DataFrame, rows: pd.DataFrame, names: pd.Series, files: dict, _, lang: str
) -> str:
    by_finding = {k: g for k, g in rows.groupby("finding")} if len(rows) else {}
    empty = rows.iloc[0:0]
    out = []
    for i, (_row, f) in enumerate(findings.iterrows()):
        ent = f["enterprise_id"]
        who = "" if ent is None else f"{_e(ent)} · {_e(names.get(ent))}"
        # SPEC §6 identity and status, when the caller compared with the recorded runs
        ident = f"<td><code>{_e(f.get('finding_id'))}</code></td><td>{_e(_word(f.get('status'), _STATUS_WORDS, _))}</td>"
        # The evidence goes in a row of its own under the finding, the table's full width: in
        # the last column its counterparty, document and FILE:ROW sat ~1,200 px to the right.
        out.append(
            f'<tbody class="finding"><tr><td class="n">{i + 1}</td>{ident}'
            f"<td>{_e(f['type'])}</td><td>{_e(f['family'])}</td>"
            f"<td>{_e(f['period'])}</td><td>{who}</td><td>{_e(_key_text(f, _))}</td>"
            f"{num_cell(f['reo_kg'], 1)}<td>{_e(localise_detail(f['type'], f['detail'], lang))}</td></tr>"
            f'<tr class="evidence-row"><td colspan="10">'
            f"{_evidence_html(by_finding.get(i, empty), files, _)}</td></tr></tbody>"
        )
    headers = [
        (_("#"), True),
        (_("finding_id"), False),
        (_("status"), False),
        (_("type"), False),
        (_("family"), False),
        (_("period"), False),
        (_("enterprise"), False),
        (_("key"), False),
        (_("REO kg"), True),
        (_("detail"), False),
    ]
    return grouped_table_html(headers, out, cls="sortable", tid="findings")


@dataclass(frozen=True)
class FindingsReport:
    """The findings page as data, computed once (``build_findings_report``) and rendered by
    ``render_findings_html``; notebooks read its frames directly.

    findings: every finding of the window (as given, index 0..n-1); listed: the ones the page
    lists (the ``max_findings`` largest by REO, in their given order); evidence: their event
    rows (``reports.evidence``; ``finding`` = position in ``listed``); summary: count and
    tonnes per family and type; enterprises: the top enterprises by untraceable REO (None: no
    events in the window); quota: output against quota in ``quota_year``; sources: upload id
    -> file name; names: enterprise id -> registry name.
    """

    title: str
    window: str
    findings: pd.DataFrame
    listed: pd.DataFrame
    evidence: pd.DataFrame
    summary: pd.DataFrame
    enterprises: pd.DataFrame | None
    quota: pd.DataFrame
    quota_year: int | None
    uploads: int
    sources: pd.Series
    names: pd.Series
    registry_loaded: bool
    top: int
    # per licence row: licensed / used / remaining kg (analysis.licences.licence_table);
    # None when the registry holds no licence register
    licences: pd.DataFrame | None = None
    registry: Registry | None = None


def build_findings_report(
    findings: pd.DataFrame,
    events: pd.DataFrame | PreparedEvents,
    registry: Registry | None = None,
    *,
    uploads: pd.DataFrame | None = None,
    period: str | None = None,
    year: int | None = None,
    title: str = DEFAULT_TITLE,
    top: int = 15,
    max_evidence: int = 20,
    max_findings: int | None = 2000,
) -> FindingsReport:
    """Compute everything the findings page shows (no HTML here).

    ``events`` are all current events (evidence may lie outside the window); ``period`` /
    ``year`` choose the window of the enterprise table, the upload count and the quota year
    (default: the latest year in ``events``). ``findings`` are shown as given (filter them
    first). ``uploads`` (store.uploads()) turns evidence rows' upload ids into file names.
    ``events`` may be the prepared view (prepared.py) the findings were detected on: the
    shares, row REO and quota rows it already holds are then not computed again.
    The findings table lists the ``max_findings`` largest by REO (None: all); every count and
    total covers all findings.

    >>> from flowgraph.model import events_frame, registry_from_records, empty_findings
    >>> report = build_findings_report(empty_findings(), events_frame([]).iloc[0:0],
    ...                                registry_from_records())
    >>> report.summary.empty, report.enterprises is None, report.registry_loaded
    (True, True, False)
    """
    view = prepared(events, registry)
    events, registry = view.events, view.registry
    sources = pd.Series(dtype="object")
    if uploads is not None and len(uploads):
        sources = pd.Series(list(uploads["file_name"]), index=list(uploads["upload_id"]))
    names = registry.enterprises.drop_duplicates("enterprise_id").set_index("enterprise_id")["name"]
    findings = findings.reset_index(drop=True)
    listed = _largest(findings, max_findings)
    rows = pd.DataFrame()
    if len(listed):
        rows = evidence(listed, view, max_rows=max_evidence)
    window = window_label(period, year)
    bounds = window_bounds(period, year)
    in_window = events
    if bounds is not None:
        in_window = events[(events["period"] >= bounds[0]) & (events["period"] <= bounds[1])]
        year = int(bounds[0][:4])
    uploads_in_window = upload_count(events, period, year if period is None else None)
    enterprises = None
    usage = pd.DataFrame()
    if len(in_window):
        enterprises = untraceable_by_enterprise(view, None, findings, window=bounds).head(int(top))
        if year is None:
            year = int(str(events["period"].max())[:4])
        usage = quota_usage(view, None, year)
    return FindingsReport(
        title=title,
        window=window,
        findings=findings,
        listed=listed,
        evidence=rows,
        summary=summary_by_type(findings),
        enterprises=enterprises,
        quota=usage,
        quota_year=year,
        uploads=uploads_in_window,
        sources=sources,
        names=names,
        registry_loaded=bool(len(registry.enterprises)),
        top=int(top),
        licences=None if registry.licences is None else licence_table(view, registry),
        registry=registry,
    )


def render_findings_html(report: FindingsReport, lang: str = "en") -> str:
    """The whole findings page as text (plotly.js embedded once, for the quota chart); every
    value from uploads or the registry escaped. ``lang``: en or zh-CN (every label, heading and
    note; type and family codes and ids stay as they are; the detectors' detail sentences are
    translated where their wording is known, reports.detailwords; the
    default title is translated, a title given is kept).

    >>> from flowgraph.model import events_frame, registry_from_records, empty_findings
    >>> page = render_findings_html(build_findings_report(empty_findings(),
    ...     events_frame([]).iloc[0:0], registry_from_records(), title="<i>t</i>"))
    >>> "&lt;i&gt;t&lt;/i&gt;" in page and "<i>t</i>" not in page
    True
    >>> report = build_findings_report(empty_findings(), events_frame([]).iloc[0:0])
    >>> "<h1>稀土可追溯性发现</h1>" in render_findings_html(report, lang="zh-CN")
    True
    """
    _ = translator(lang)
    findings = report.findings
    title = _(report.title) if report.title == DEFAULT_TITLE else report.title
    window = _(report.window) if report.window == "all periods" else report.window
    files = dict(report.sources.items())
    parts = [
        f"<h1>{html.escape(title)}</h1>",
        "<p>"
        + _("Period:")
        + f" <strong>{html.escape(window)}</strong> · "
        + _("findings:")
        + f' <strong id="count">{len(findings):,}</strong> · '
        + _("REO named by the findings:")
        + f" <strong>{findings['reo_kg'].sum() / 1e3:,.3f} t</strong> "
        + _(
            "(the sum of their reo_kg: a lot two findings name, e.g. UNKNOWN_LOT and "
            "UNTRACEABLE_EXPORT, counts in both)"
        )
        + " · "
        + _("uploads:")
        + f" <strong>{report.uploads:,}</strong></p>",
        *_registry_notice(report.registry_loaded, _),
        *(_register_notice(report.registry, _) if report.registry is not None else []),
        _tag("h2", _("Summary by family and type")),
        _summary_html(report.summary, _),
        _tag("h2", _("Top {top} enterprises by untraceable REO").format(top=report.top)),
        "<p>"
        + _(
            "Untraceable REO = REO x (1 - the lot's traceable share, SPEC §5 Origins); in = "
            "extracted, imported or received; out = shipped or exported."
        )
        + "</p>",
    ]
    if report.enterprises is not None:
        parts.append(_enterprises_html(report.enterprises, _))
    else:
        parts.append(_tag("p", _("No events loaded.")))
    parts.append(_tag("h2", _("Quota burn-down")))
    if len(report.quota):
        parts.append(
            quota_figure(report.quota, report.quota_year, lang=lang).to_html(
                full_html=False,
                include_plotlyjs=True,
                div_id="quota",
                config={"displaylogo": False},
            )
        )
    else:
        parts.append(_tag("p", _("No quotas for this year in the registry.")))
    if report.licences is not None:
        parts += [
            _tag("h2", _("Export licences")),
            "<p>"
            + _(
                "Per licence row: the licensed quantity, what its holder exported under it (of "
                "that product to that country, within its validity) and what remains."
            )
            + "</p>",
            _licences_html(report.licences, _),
        ]
    parts += [
        _tag("h2", _("Findings")),
        "<p>"
        + _(
            "Click a column heading to sort; open {evidence} for the event rows (source = "
            "FILE:ROW of the upload)."
        ).format(evidence=_tag("em", _("evidence")))
        + "</p>",
        *_cap_notice(len(report.listed), len(findings), _),
        _findings_html(report.listed, report.evidence, report.names, files, _, lang),
    ]
    return (
        f'<!doctype html>\n<html lang="{html.escape(lang)}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(parts)
        + f"\n<script>{SORT_JS}</script>\n</body>\n</html>\n"
    )


def write_findings_report(report: FindingsReport, path: str | Path, lang: str = "en") -> Path:
    """Write ``render_findings_html(report, lang)`` to ``path`` (UTF-8); returns the path."""
    path = Path(path)
    path.write_text(render_findings_html(report, lang), "utf-8")
    return path


def findings_html(
    findings: pd.DataFrame,
    events: pd.DataFrame | PreparedEvents,
    registry: Registry | None = None,
    lang: str = "en",
    **kwargs,
) -> str:
    """``render_findings_html(build_findings_report(...), lang)``: the page in one call."""
    return render_findings_html(build_findings_report(findings, events, registry, **kwargs), lang)


def write_findings_html(
    path: str | Path,
    findings: pd.DataFrame,
    events: pd.DataFrame | PreparedEvents,
    registry: Registry | None = None,
    lang: str = "en",
    **kwargs,
) -> Path:
    """Build the report (``build_findings_report`` arguments) and write its page to ``path``."""
    report = build_findings_report(findings, events, registry, **kwargs)
    return write_findings_report(report, path, lang)
