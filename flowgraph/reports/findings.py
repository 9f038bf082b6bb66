"""The findings report: one self-contained HTML page an investigator can open offline.

Computed, then rendered (as the Sankey: flow table, then figure): ``build_findings_report``
returns a ``FindingsReport`` of DataFrames, ``render_findings_html`` turns it into the page.

Sections: summary by family and type (count, tonnes REO); top enterprises by untraceable REO;
quota burn-down (output against quota per enterprise and activity); export licences (licensed,
used and remaining kg per licence row, when the registry holds a licence register); every
finding with the event rows that caused it (evidence.py), in a table sortable by any column
(inline vanilla JS, nothing fetched). Everything that comes from uploads or the registry is
HTML-escaped.

This module renders the page and writes it; the data is findingsdata.py's
(``build_findings_report``, ``FindingsReport``), the page's tables and notes findingstables.py's.
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from flowgraph.analysis.prepared import PreparedEvents
from flowgraph.i18n import translator
from flowgraph.model import Registry
from flowgraph.reports.findingsdata import DEFAULT_TITLE, FindingsReport, build_findings_report
from flowgraph.reports.findingstables import (
    cap_notice,
    enterprises_html,
    findings_table_html,
    licences_html,
    register_notice,
    registry_notice,
    summary_html,
    tag,
)
from flowgraph.reports.htmltable import SORT_JS, STYLE
from flowgraph.reports.summaries import quota_figure

# Names this module always had, for code importing them from here.
__all__ = [
    "DEFAULT_TITLE",
    "FindingsReport",
    "build_findings_report",
    "findings_html",
    "render_findings_html",
    "write_findings_html",
    "write_findings_report",
]


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
        *registry_notice(report.registry_loaded, _),
        *(register_notice(report.registry, _) if report.registry is not None else []),
        tag("h2", _("Summary by family and type")),
        summary_html(report.summary, _),
        tag("h2", _("Top {top} enterprises by untraceable REO").format(top=report.top)),
        "<p>"
        + _(
            "Untraceable REO = REO x (1 - the lot's traceable share, SPEC §5 Origins); in = "
            "extracted, imported or received; out = shipped or exported."
        )
        + "</p>",
    ]
    if report.enterprises is not None:
        parts.append(enterprises_html(report.enterprises, _))
    else:
        parts.append(tag("p", _("No events loaded.")))
    parts.append(tag("h2", _("Quota burn-down")))
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
        parts.append(tag("p", _("No quotas for this year in the registry.")))
    if report.licences is not None:
        parts += [
            tag("h2", _("Export licences")),
            "<p>"
            + _(
                "Per licence row: the licensed quantity, what its holder exported under it (of "
                "that product to that country, within its validity) and what remains."
            )
            + "</p>",
            licences_html(report.licences, _),
        ]
    parts += [
        tag("h2", _("Findings")),
        "<p>"
        + _(
            "Click a column heading to sort; open {evidence} for the event rows (source = "
            "FILE:ROW of the upload)."
        ).format(evidence=tag("em", _("evidence")))
        + "</p>",
        *cap_notice(len(report.listed), len(findings), _),
        findings_table_html(report.listed, report.evidence, report.names, files, _, lang),
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
