"""The findings report as data: everything the findings page shows, computed once and kept in
a ``FindingsReport`` of DataFrames (no HTML here; findings.py renders it, notebooks read it).

What goes in: the findings of the window (the page lists the largest by REO, every count and
total covers all of them), the event rows that caused each listed one (evidence.py), the
summary by family and type, the top enterprises by untraceable REO and the quota burn-down
(summaries.py), and the export licences' use when the registry holds a licence register.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from flowgraph.analysis.licences import licence_table
from flowgraph.analysis.prepared import PreparedEvents, prepared
from flowgraph.model import Registry
from flowgraph.reports.evidence import evidence
from flowgraph.reports.flowwindow import upload_count, window_bounds, window_label
from flowgraph.reports.summaries import quota_usage, summary_by_type, untraceable_by_enterprise
from flowgraph.reports.words import N_

DEFAULT_TITLE = N_("Rare-earth traceability findings")


def largest_findings(findings: pd.DataFrame, limit: int | None) -> pd.DataFrame:
    """The ``limit`` findings with the most REO, in their given order (a page of tens of
    thousands of findings, e.g. data loaded without a registry, would not open).

    >>> findings = pd.DataFrame({"type": ["A", "B", "C"], "reo_kg": [1.0, 9.0, 5.0]})
    >>> list(largest_findings(findings, 2)["type"])
    ['B', 'C']
    """
    if limit is None or len(findings) <= limit:
        return findings
    keep = findings["reo_kg"].sort_values(ascending=False, kind="stable").index[:limit]
    return findings.loc[sorted(keep)].reset_index(drop=True)


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
    listed = largest_findings(findings, max_findings)
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
