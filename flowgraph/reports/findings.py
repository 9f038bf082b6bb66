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
from flowgraph.model import FAMILIES, FINDING_KEYS, Registry
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


def _summary_html(summary: pd.DataFrame) -> str:
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
    headers = [("family", False), ("type", False), ("findings", True), ("t REO", True)]
    return table_html(headers, rows, tid="summary")


def _enterprises_html(table: pd.DataFrame) -> str:
    rows = [
        f"<tr><td>{_e(r.enterprise_id)}</td><td>{_e(r.name)}</td><td>{_e(r.province)}</td>"
        f"{num_cell(r.in_t)}{num_cell(r.out_t)}{num_cell(r.findings, 0)}{num_cell(r.findings_reo_t)}</tr>"
        for r in table.itertuples()
    ]
    headers = [
        ("enterprise", False),
        ("name", False),
        ("province", False),
        ("untraceable in (t)", True),
        ("untraceable out (t)", True),
        ("findings", True),
        ("findings t REO", True),
    ]
    return table_html(headers, rows, cls="sortable", tid="enterprises")


def _key_text(row: pd.Series) -> str:
    keys = [k for k in FINDING_KEYS[row["type"]] if k not in ("enterprise_id", "period")]
    return " · ".join(f"{k.removesuffix('_id')} {row[k]}" for k in keys if row[k] is not None)


_EVIDENCE_HEADERS = [
    ("date", False),
    ("event", False),
    ("enterprise", False),
    ("lot", False),
    ("product", False),
    ("mass kg", True),
    ("REO kg", True),
    ("counterparty", False),
    ("shipment", False),
    ("batch", False),
    ("country", False),
    ("document", False),
    ("licence", False),
    ("note", False),
    ("source", False),
]


def _evidence_html(rows: pd.DataFrame, files: dict) -> str:
    if rows.empty:
        return "<em>no event rows</em>"
    body = []
    for r in rows.itertuples():
        source = f"{files.get(r.upload_id, f'upload {r.upload_id}')}:{r.source_row}"
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
    more = f"<p>… and {left:,} more event {'row' if left == 1 else 'rows'}</p>" if left > 0 else ""
    return (
        f"<details><summary>evidence: {total:,} event {'row' if total == 1 else 'rows'}</summary>"
        + table_html(_EVIDENCE_HEADERS, body, cls="evidence")
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


def _cap_notice(listed: int, total: int) -> list[str]:
    if listed == total:
        return []
    return [
        f'<p class="note">Listed: the {listed:,} largest findings by REO of {total:,}; '
        "<code>flowgraph detect --format csv</code> gives all of them.</p>"
    ]


def _registry_notice(registry_loaded: bool) -> list[str]:
    if registry_loaded:
        return []
    return [
        '<p class="note"><strong>No registry loaded:</strong> every enterprise counts as '
        "undesignated and unregistered, so designation findings cover all of them. Load the "
        "regulator's files with <code>flowgraph registry load DIR</code>.</p>"
    ]


def _register_notice(registry: Registry) -> list[str]:
    """Say which SPEC §7 checks did not run (no register, no finding)."""
    missing = [
        label
        for label, frame in (
            ("customs register (customs.csv): customs checks", registry.customs),
            ("export licence register (export_licences.csv): licence checks", registry.licences),
        )
        if frame is None
    ]
    return [f'<p class="note">No {m} were not run.</p>' for m in missing]


def _licences_html(table: pd.DataFrame) -> str:
    """Licensed, used and remaining kg per licence row (used = the exports LICENCE_EXCEEDED
    counts); a licence row used beyond its quantity shows a negative remainder."""
    if table.empty:
        return "<p>The licence register holds no licence.</p>"
    rows = []
    for r in table.itertuples(index=False):
        end = "open" if pd.isna(r.valid_to) else _e(r.valid_to)
        pct = "" if pd.isna(r.used_pct) else f"{r.used_pct:,.1f}%"
        rows.append(
            f"<tr><td>{_e(r.licence_no)}</td><td>{_e(r.enterprise_id)}</td>"
            f"<td>{_e(r.product)}</td><td>{_e(r.country)}</td>"
            f"<td>{_e(r.valid_from)} – {end}</td><td>{_e(r.end_user)}</td>"
            f"{num_cell(r.licensed_kg, 1)}{num_cell(r.used_kg, 1)}{num_cell(r.remaining_kg, 1)}"
            f'<td class="n">{pct}</td></tr>'
        )
    headers = [
        ("licence", False),
        ("holder", False),
        ("product", False),
        ("country", False),
        ("valid", False),
        ("end user", False),
        ("licensed kg", True),
        ("used kg", True),
        ("remaining kg", True),
        ("used", True),
    ]
    return table_html(headers, rows, cls="sortable", tid="licences")


def _findings_html(
    findings: pd.DataFrame, rows: pd.DataFrame, names: pd.Series, files: dict
) -> str:
    by_finding = {k: g for k, g in rows.groupby("finding")} if len(rows) else {}
    empty = rows.iloc[0:0]
    out = []
    for i, (_, f) in enumerate(findings.iterrows()):
        ent = f["enterprise_id"]
        who = "" if ent is None else f"{_e(ent)} · {_e(names.get(ent))}"
        # SPEC §6 identity and status, when the caller compared with the recorded runs
        ident = f"<td><code>{_e(f.get('finding_id'))}</code></td><td>{_e(f.get('status'))}</td>"
        # The evidence goes in a row of its own under the finding, the table's full width: in
        # the last column its counterparty, document and FILE:ROW sat ~1,200 px to the right.
        out.append(
            f'<tbody class="finding"><tr><td class="n">{i + 1}</td>{ident}'
            f"<td>{_e(f['type'])}</td><td>{_e(f['family'])}</td>"
            f"<td>{_e(f['period'])}</td><td>{who}</td><td>{_e(_key_text(f))}</td>"
            f"{num_cell(f['reo_kg'], 1)}<td>{_e(f['detail'])}</td></tr>"
            f'<tr class="evidence-row"><td colspan="10">'
            f"{_evidence_html(by_finding.get(i, empty), files)}</td></tr></tbody>"
        )
    headers = [
        ("#", True),
        ("finding_id", False),
        ("status", False),
        ("type", False),
        ("family", False),
        ("period", False),
        ("enterprise", False),
        ("key", False),
        ("REO kg", True),
        ("detail", False),
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
    title: str = "Rare-earth traceability findings",
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


def render_findings_html(report: FindingsReport) -> str:
    """The whole findings page as text (plotly.js embedded once, for the quota chart); every
    value from uploads or the registry escaped.

    >>> from flowgraph.model import events_frame, registry_from_records, empty_findings
    >>> page = render_findings_html(build_findings_report(empty_findings(),
    ...     events_frame([]).iloc[0:0], registry_from_records(), title="<i>t</i>"))
    >>> "&lt;i&gt;t&lt;/i&gt;" in page and "<i>t</i>" not in page
    True
    """
    findings, title = report.findings, report.title
    files = dict(report.sources.items())
    parts = [
        f"<h1>{html.escape(title)}</h1>",
        f'<p>Period: <strong>{html.escape(report.window)}</strong> · findings: <strong id="count">'
        f"{len(findings):,}</strong> · REO named by the findings: <strong>"
        f"{findings['reo_kg'].sum() / 1e3:,.3f} t</strong> (the sum of their reo_kg: a lot two "
        "findings name, e.g. UNKNOWN_LOT and UNTRACEABLE_EXPORT, counts in both) · uploads: <strong>"
        f"{report.uploads:,}</strong></p>",
        *_registry_notice(report.registry_loaded),
        *(_register_notice(report.registry) if report.registry is not None else []),
        "<h2>Summary by family and type</h2>",
        _summary_html(report.summary),
        f"<h2>Top {report.top} enterprises by untraceable REO</h2>",
        "<p>Untraceable REO = REO x (1 - the lot's traceable share, SPEC §5 Origins); in = "
        "extracted, imported or received; out = shipped or exported.</p>",
    ]
    if report.enterprises is not None:
        parts.append(_enterprises_html(report.enterprises))
    else:
        parts.append("<p>No events loaded.</p>")
    parts.append("<h2>Quota burn-down</h2>")
    if len(report.quota):
        parts.append(
            quota_figure(report.quota, report.quota_year).to_html(
                full_html=False,
                include_plotlyjs=True,
                div_id="quota",
                config={"displaylogo": False},
            )
        )
    else:
        parts.append("<p>No quotas for this year in the registry.</p>")
    if report.licences is not None:
        parts += [
            "<h2>Export licences</h2>",
            "<p>Per licence row: the licensed quantity, what its holder exported under it (of "
            "that product to that country, within its validity) and what remains.</p>",
            _licences_html(report.licences),
        ]
    parts += [
        "<h2>Findings</h2>",
        "<p>Click a column heading to sort; open <em>evidence</em> for the event rows "
        "(source = FILE:ROW of the upload).</p>",
        *_cap_notice(len(report.listed), len(findings)),
        _findings_html(report.listed, report.evidence, report.names, files),
    ]
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(parts)
        + f"\n<script>{SORT_JS}</script>\n</body>\n</html>\n"
    )


def write_findings_report(report: FindingsReport, path: str | Path) -> Path:
    """Write ``render_findings_html(report)`` to ``path`` (UTF-8); returns the path."""
    path = Path(path)
    path.write_text(render_findings_html(report), "utf-8")
    return path


def findings_html(
    findings: pd.DataFrame,
    events: pd.DataFrame | PreparedEvents,
    registry: Registry | None = None,
    **kwargs,
) -> str:
    """``render_findings_html(build_findings_report(...))``: the page in one call."""
    return render_findings_html(build_findings_report(findings, events, registry, **kwargs))


def write_findings_html(
    path: str | Path,
    findings: pd.DataFrame,
    events: pd.DataFrame | PreparedEvents,
    registry: Registry | None = None,
    **kwargs,
) -> Path:
    """Build the report (``build_findings_report`` arguments) and write its page to ``path``."""
    return write_findings_report(build_findings_report(findings, events, registry, **kwargs), path)
