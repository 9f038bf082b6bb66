"""The findings report: one self-contained HTML page an investigator can open offline.

Sections: summary by family and type (count, tonnes REO); top enterprises by untraceable REO;
quota burn-down (output against quota per enterprise and activity); every finding with the
event rows that caused it (evidence.py), in a table sortable by any column (inline vanilla
JS, nothing fetched). Everything that comes from uploads or the registry is HTML-escaped.
"""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from flowgraph.analysis.common import reo_kg
from flowgraph.model import FAMILIES, FINDING_KEYS, FINDING_TYPES, Registry
from flowgraph.reports.evidence import evidence
from flowgraph.reports.flows import upload_count, window_bounds, window_label


def _e(value: object) -> str:
    """Escaped text of a cell; None / NaN / NaT as empty."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    return html.escape(str(value))


def summary_by_type(findings: pd.DataFrame) -> pd.DataFrame:
    """Count and tonnes REO per (family, type), in SPEC order, types without findings left out.

    >>> from flowgraph.analysis.findings import make_findings
    >>> f = make_findings("UNKNOWN_LOT", pd.DataFrame({"lot_id": ["A", "B"], "reo_kg": [1e3, 5e2]}))
    >>> summary_by_type(f).values.tolist()
    [['untraceable_input', 'UNKNOWN_LOT', 2, 1.5]]
    """
    grouped = findings.groupby("type").agg(findings=("type", "size"), reo_kg=("reo_kg", "sum"))
    rows = [
        (FINDING_TYPES[t], t, int(grouped.loc[t, "findings"]), grouped.loc[t, "reo_kg"] / 1000)
        for t in FINDING_TYPES
        if t in grouped.index
    ]
    return pd.DataFrame(rows, columns=["family", "type", "findings", "reo_t"])


def untraceable_by_enterprise(
    events: pd.DataFrame,
    registry: Registry,
    shares: pd.Series,
    findings: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per enterprise: untraceable REO taken in (created or received) and given out (shipped or
    exported), in tonnes, = REO x (1 - traceable share of the lot); plus its findings.

    Sorted by untraceable REO taken in, largest first.
    """
    untraceable = reo_kg(events).fillna(0.0) * (
        1.0 - events["lot_id"].map(shares).astype("float64").fillna(0.0).clip(0.0, 1.0)
    )
    kind = events["event_type"]
    frame = pd.DataFrame(
        {
            "enterprise_id": events["enterprise_id"],
            "in_t": np.where(kind.isin(["extract", "import", "receive"]), untraceable, 0.0) / 1e3,
            "out_t": np.where(kind.isin(["ship", "export"]), untraceable, 0.0) / 1e3,
        }
    )
    out = frame.groupby("enterprise_id").sum()
    if findings is not None and len(findings):
        per = findings.dropna(subset=["enterprise_id"]).groupby("enterprise_id")
        out["findings"] = per.size().reindex(out.index).fillna(0).astype("int64")
        out["findings_reo_t"] = per["reo_kg"].sum().reindex(out.index).fillna(0.0) / 1e3
    else:
        out["findings"] = 0
        out["findings_reo_t"] = 0.0
    ent = registry.enterprises.drop_duplicates("enterprise_id").set_index("enterprise_id")
    out["name"] = ent["name"].reindex(out.index)
    out["province"] = ent["province"].reindex(out.index)
    out = out.reset_index().sort_values(["in_t", "out_t"], ascending=False, kind="stable")
    cols = ["enterprise_id", "name", "province", "in_t", "out_t", "findings", "findings_reo_t"]
    return out[cols].reset_index(drop=True)


def quota_usage(events: pd.DataFrame, registry: Registry, year: int) -> pd.DataFrame:
    """Output against quota per (enterprise, activity) in ``year`` (analysis.burndown, which
    counts output as QUOTA_EXCEEDED does): quota_t (0 for output without a quota), used_t,
    excess_t, remaining_t, crossed and projected_crossing ("YYYY-MM" or None).
    """
    from flowgraph.analysis.burndown import quota_burndown

    cols = ["enterprise_id", "name", "activity", "quota_t", "used_t", "excess_t", "remaining_t"]
    cols += ["crossed", "projected_crossing"]
    in_year = events["period"].astype(str).str.startswith(f"{int(year):04d}-")
    if not in_year.any():
        return pd.DataFrame(columns=cols)
    burn = quota_burndown(events, registry, int(year))
    out = pd.DataFrame(
        {
            "enterprise_id": burn["enterprise_id"],
            "name": burn["name"],
            "activity": burn["activity"],
            "quota_t": burn["quota_t_reo"].astype("float64").fillna(0.0),
            "used_t": burn["used_t_reo"].astype("float64").fillna(0.0),
            "crossed": burn["crossed"].astype("object"),
            "projected_crossing": burn["projected_crossing"].astype("object"),
        }
    )
    out["excess_t"] = (out["used_t"] - out["quota_t"]).clip(lower=0.0)
    out["remaining_t"] = (out["quota_t"] - out["used_t"]).clip(lower=0.0)
    for column in ("crossed", "projected_crossing"):
        out[column] = out[column].where(out[column].notna(), None)
    out = out.sort_values(["excess_t", "used_t"], ascending=False, kind="stable")
    return out[cols].reset_index(drop=True)


def quota_figure(usage: pd.DataFrame, year: int) -> go.Figure:
    """Stacked horizontal bars per enterprise and activity: used within quota, excess, remaining."""
    labels = [
        html.escape(f"{name if isinstance(name, str) and name else eid} · {act}")
        for eid, name, act in zip(
            usage["enterprise_id"], usage["name"], usage["activity"], strict=True
        )
    ]
    within = np.minimum(usage["used_t"], usage["quota_t"])
    figure = go.Figure()
    for name, values, colour in (
        ("used within quota", within, "#1f77b4"),
        ("over quota", usage["excess_t"], "#d62728"),
        ("remaining", usage["remaining_t"], "#c7c7c7"),
    ):
        figure.add_bar(
            y=labels,
            x=values.round(3).tolist(),
            name=name,
            orientation="h",
            marker_color=colour,
            hovertemplate="%{y}<br>" + name + ": %{x:,.3f} t REO<extra></extra>",
        )
    figure.update_layout(
        barmode="stack",
        title=dict(text=f"Quota burn-down {int(year)} (t REO)"),
        xaxis_title="t REO",
        yaxis=dict(autorange="reversed"),
        height=max(300, 26 * len(labels) + 120),
        margin=dict(l=20, r=20, t=60, b=40),
    )
    return figure


_SORT_JS = """
document.querySelectorAll('table.sortable > thead > tr > th').forEach(function (th) {
  th.addEventListener('click', function () {
    var table = th.closest('table'), body = table.tBodies[0];
    var i = Array.prototype.indexOf.call(th.parentNode.children, th);
    var asc = th.getAttribute('aria-sort') !== 'ascending';
    th.parentNode.querySelectorAll('th').forEach(function (h) { h.removeAttribute('aria-sort'); });
    th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
    function key(row) {
      var cell = row.cells[i], raw = cell.getAttribute('data-sort');
      if (raw === null) { raw = cell.textContent.trim(); }
      var n = Number(raw);
      return (raw !== '' && !isNaN(n)) ? n : raw.toLowerCase();
    }
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = key(a), y = key(b);
      if (typeof x !== typeof y) { x = String(x); y = String(y); }
      return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);
    });
    rows.forEach(function (row) { body.appendChild(row); });
  });
});
"""

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.92em; }
th, td { padding: 0.2em 0.6em; border-bottom: 1px solid #ddd; text-align: left; vertical-align: top; }
td.n, th.n { text-align: right; }
table.sortable > thead th { cursor: pointer; background: #f3f3f3; }
th[aria-sort=ascending]::after { content: " \\25B2"; }
th[aria-sort=descending]::after { content: " \\25BC"; }
table.evidence { font-size: 0.85em; margin: 0.3em 0; }
tr.family td { font-weight: bold; background: #fafafa; }
"""


def _table(
    headers: list[tuple[str, bool]], rows: list[str], *, cls: str = "", tid: str = ""
) -> str:
    head = "".join(f'<th class="n">{h}</th>' if num else f"<th>{h}</th>" for h, num in headers)
    attrs = (f' class="{cls}"' if cls else "") + (f' id="{tid}"' if tid else "")
    return (
        f"<table{attrs}><thead><tr>{head}</tr></thead><tbody>\n"
        + "\n".join(rows)
        + "\n</tbody></table>"
    )


def _num(value: float, digits: int = 3) -> str:
    return f'<td class="n" data-sort="{float(value):.6f}">{float(value):,.{digits}f}</td>'


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


def _findings_html(
    findings: pd.DataFrame, rows: pd.DataFrame, names: pd.Series, files: dict
) -> str:
    by_finding = {k: g for k, g in rows.groupby("finding")} if len(rows) else {}
    empty = rows.iloc[0:0]
    out = []
    for i, (_, f) in enumerate(findings.iterrows()):
        ent = f["enterprise_id"]
        who = "" if ent is None else f"{_e(ent)} · {_e(names.get(ent))}"
        out.append(
            f'<tr><td class="n">{i + 1}</td><td>{_e(f["type"])}</td><td>{_e(f["family"])}</td>'
            f"<td>{_e(f['period'])}</td><td>{who}</td><td>{_e(_key_text(f))}</td>"
            f"{_num(f['reo_kg'], 1)}<td>{_e(f['detail'])}</td>"
            f"<td>{_evidence_html(by_finding.get(i, empty), files)}</td></tr>"
        )
    headers = [
        ("#", True),
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
    events: pd.DataFrame,
    registry: Registry,
    *,
    shares: pd.Series | None = None,
    uploads: pd.DataFrame | None = None,
    period: str | None = None,
    year: int | None = None,
    title: str = "Rare-earth traceability findings",
    top: int = 15,
    max_evidence: int = 20,
) -> str:
    """The whole findings page as text (plotly.js embedded once, for the quota chart).

    ``events`` are all current events (evidence may lie outside the window); ``period`` /
    ``year`` choose the window of the enterprise table, the upload count and the quota year
    (default: the latest year in ``events``). ``findings`` are shown as given (filter them
    first). ``uploads`` (store.uploads()) turns evidence rows' upload ids into file names.

    >>> from flowgraph.model import events_frame, registry_from_records, empty_findings
    >>> page = findings_html(empty_findings(), events_frame([]).iloc[0:0], registry_from_records(),
    ...                      title="<i>t</i>")
    >>> "&lt;i&gt;t&lt;/i&gt;" in page and "<i>t</i>" not in page
    True
    """
    if shares is None:
        from flowgraph.analysis.lineage import lot_shares

        shares = lot_shares(events, registry) if len(events) else pd.Series(dtype="float64")
    files = {}
    if uploads is not None and len(uploads):
        files = dict(zip(uploads["upload_id"], uploads["file_name"], strict=True))
    names = registry.enterprises.drop_duplicates("enterprise_id").set_index("enterprise_id")["name"]
    findings = findings.reset_index(drop=True)
    rows = evidence(findings, events, max_rows=max_evidence) if len(findings) else pd.DataFrame()
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
        "<h2>Summary by family and type</h2>",
        _summary_html(findings),
        f"<h2>Top {int(top)} enterprises by untraceable REO</h2>",
        "<p>Untraceable REO = REO x (1 - the lot's traceable share, SPEC §5 Origins); in = "
        "extracted, imported or received; out = shipped or exported.</p>",
    ]
    if len(in_window):
        table = untraceable_by_enterprise(in_window, registry, shares, findings).head(int(top))
        parts.append(_enterprises_html(table))
        if year is None:
            year = int(str(events["period"].max())[:4])
        usage = quota_usage(events, registry, year)
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
        _findings_html(findings, rows, names, files),
    ]
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(parts)
        + f"\n<script>{_SORT_JS}</script>\n</body>\n</html>\n"
    )


def write_findings_html(
    path: str | Path, findings: pd.DataFrame, events: pd.DataFrame, registry: Registry, **kwargs
) -> Path:
    """Write findings_html(...) to ``path`` (UTF-8); returns the path."""
    path = Path(path)
    path.write_text(findings_html(findings, events, registry, **kwargs), "utf-8")
    return path
