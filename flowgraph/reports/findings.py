"""The findings report: one self-contained HTML page an investigator can open offline.

Sections: summary by family and type (count, tonnes REO); top enterprises by untraceable REO;
quota burn-down (output against quota per enterprise and activity); every finding with the
event rows that caused it (evidence.py), in a table sortable by any column (inline vanilla
JS, nothing fetched). Everything that comes from uploads or the registry is HTML-escaped.
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from flowgraph.analysis.prepared import PreparedEvents, prepared
from flowgraph.model import FAMILIES, FINDING_KEYS, Registry
from flowgraph.reports.evidence import evidence
from flowgraph.reports.flowwindow import upload_count, window_bounds, window_label
from flowgraph.reports.htmltable import _SORT_JS, _STYLE, _e, _num, _table
from flowgraph.reports.summaries import (
    quota_figure,
    quota_usage,
    summary_by_type,
    untraceable_by_enterprise,
)


def _summary_html(findings: pd.DataFrame) -> str:
    summary = summary_by_type(findings)
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
    return _table(headers, rows, tid="summary")


def _enterprises_html(table: pd.DataFrame) -> str:
    rows = [
        f"<tr><td>{_e(r.enterprise_id)}</td><td>{_e(r.name)}</td><td>{_e(r.province)}</td>"
        f"{_num(r.in_t)}{_num(r.out_t)}{_num(r.findings, 0)}{_num(r.findings_reo_t)}</tr>"
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
    return _table(headers, rows, cls="sortable", tid="enterprises")


def _quota_table_html(usage: pd.DataFrame) -> str:
    rows = [
        f"<tr><td>{_e(r.enterprise_id)}</td><td>{_e(r.name)}</td><td>{_e(r.activity)}</td>"
        f"{_num(r.quota_t)}{_num(r.used_t)}{_num(r.excess_t)}"
        f"<td>{_e(r.crossed)}</td><td>{_e(r.projected_crossing)}</td></tr>"
        for r in usage.itertuples()
    ]
    headers = [
        ("enterprise", False),
        ("name", False),
        ("activity", False),
        ("quota t", True),
        ("used t", True),
        ("over t", True),
        ("crossed", False),
        ("projected crossing", False),
    ]
    return _table(headers, rows, cls="sortable", tid="quota-table")


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
            f"<td>{_e(r.country)}</td><td>{_e(r.document_ref)}</td><td>{_e(r.note)}</td>"
            f"<td>{_e(source)}</td></tr>"
        )
    total = int(rows["total"].iloc[0])
    more = f"<p>… and {total - len(rows):,} more rows</p>" if total > len(rows) else ""
    return (
        f"<details><summary>{total:,} rows</summary>"
        + _table(_EVIDENCE_HEADERS, body, cls="evidence")
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


def _registry_notice(registry: Registry) -> list[str]:
    if len(registry.enterprises):
        return []
    return [
        '<p class="note"><strong>No registry loaded:</strong> every enterprise counts as '
        "undesignated and unregistered, so designation findings cover all of them. Load the "
        "regulator's files with <code>flowgraph registry load DIR</code>.</p>"
    ]


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
        out.append(
            f'<tr><td class="n">{i + 1}</td>{ident}<td>{_e(f["type"])}</td>'
            f"<td>{_e(f['family'])}</td>"
            f"<td>{_e(f['period'])}</td><td>{who}</td><td>{_e(_key_text(f))}</td>"
            f"{_num(f['reo_kg'], 1)}<td>{_e(f['detail'])}</td>"
            f"<td>{_evidence_html(by_finding.get(i, empty), files)}</td></tr>"
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
        ("evidence", False),
    ]
    return _table(headers, out, cls="sortable", tid="findings")


def findings_html(
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
) -> str:
    """The whole findings page as text (plotly.js embedded once, for the quota chart).

    ``events`` are all current events (evidence may lie outside the window); ``period`` /
    ``year`` choose the window of the enterprise table, the upload count and the quota year
    (default: the latest year in ``events``). ``findings`` are shown as given (filter them
    first). ``uploads`` (store.uploads()) turns evidence rows' upload ids into file names.
    ``events`` may be the prepared view (prepared.py) the findings were detected on: the
    shares, row REO and quota rows it already holds are then not computed again.
    The findings table lists the ``max_findings`` largest by REO (None: all), in the given
    order; every count and total on the page covers all findings.

    >>> from flowgraph.model import events_frame, registry_from_records, empty_findings
    >>> page = findings_html(empty_findings(), events_frame([]).iloc[0:0], registry_from_records(),
    ...                      title="<i>t</i>")
    >>> "&lt;i&gt;t&lt;/i&gt;" in page and "<i>t</i>" not in page
    True
    """
    view = prepared(events, registry)
    events, registry = view.events, view.registry
    files = {}
    if uploads is not None and len(uploads):
        files = dict(zip(uploads["upload_id"], uploads["file_name"], strict=True))
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
    parts = [
        f"<h1>{html.escape(title)}</h1>",
        f'<p>Period: <strong>{html.escape(window)}</strong> · findings: <strong id="count">'
        f"{len(findings):,}</strong> · REO concerned: <strong>"
        f"{findings['reo_kg'].sum() / 1e3:,.3f} t</strong> · uploads: <strong>"
        f"{upload_count(events, period, year if period is None else None):,}</strong></p>",
        *_registry_notice(registry),
        "<h2>Summary by family and type</h2>",
        _summary_html(findings),
        f"<h2>Top {int(top)} enterprises by untraceable REO</h2>",
        "<p>Untraceable REO = REO x (1 - the lot's traceable share, SPEC §5 Origins); in = "
        "extracted, imported or received; out = shipped or exported.</p>",
    ]
    if len(in_window):
        table = untraceable_by_enterprise(view, None, findings, window=bounds).head(int(top))
        parts.append(_enterprises_html(table))
        if year is None:
            year = int(str(events["period"].max())[:4])
        usage = quota_usage(view, None, year)
    else:
        parts.append("<p>No events loaded.</p>")
        usage = pd.DataFrame()
    parts.append("<h2>Quota burn-down</h2>")
    if len(usage):
        parts.append(
            quota_figure(usage, year).to_html(
                full_html=False,
                include_plotlyjs=True,
                div_id="quota",
                config={"displaylogo": False},
            )
        )
    else:
        parts.append("<p>No quotas for this year in the registry.</p>")
    parts += [
        "<h2>Findings</h2>",
        "<p>Click a column heading to sort; open <em>evidence</em> for the event rows "
        "(source = FILE:ROW of the upload).</p>",
        *_cap_notice(len(listed), len(findings)),
        _findings_html(listed, rows, names, files),
    ]
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(parts)
        + f"\n<script>{_SORT_JS}</script>\n</body>\n</html>\n"
    )


def write_findings_html(
    path: str | Path,
    findings: pd.DataFrame,
    events: pd.DataFrame | PreparedEvents,
    registry: Registry | None = None,
    **kwargs,
) -> Path:
    """Write findings_html(...) to ``path`` (UTF-8); returns the path."""
    path = Path(path)
    path.write_text(findings_html(findings, events, registry, **kwargs), "utf-8")
    return path
