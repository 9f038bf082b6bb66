"""The findings page's summaries, as data: findings by family and type, enterprises by
untraceable REO, quota usage per enterprise and activity (and its burn-down chart)."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from flowgraph.analysis.prepared import PreparedEvents, prepared
from flowgraph.model import FINDING_TYPES, Registry


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
    events: pd.DataFrame | PreparedEvents,
    registry: Registry | None = None,
    findings: pd.DataFrame | None = None,
    *,
    window: tuple[str, str] | None = None,
) -> pd.DataFrame:
    """Per enterprise: untraceable REO taken in (created or received) and given out (shipped or
    exported), in tonnes, = REO x (1 - traceable share of the lot); plus its findings.

    Sorted by untraceable REO taken in, largest first. ``events``: the event table or its
    prepared view (whose shares are used); ``window``: (first, last) period of the rows to
    count (flowwindow.window_bounds), all rows when None.
    """
    view = prepared(events, registry)
    events, registry = view.events, view.registry
    untraceable = view.row_reo * (1.0 - view.row_share)
    if window is not None:
        inside = ((events["period"] >= window[0]) & (events["period"] <= window[1])).to_numpy()
        events, untraceable = events[inside], untraceable[inside]
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


def quota_usage(
    events: pd.DataFrame | PreparedEvents, registry: Registry | None, year: int
) -> pd.DataFrame:
    """Output against quota per (enterprise, activity) in ``year`` (analysis.burndown, which
    counts output as QUOTA_EXCEEDED does): quota_t (0 for output without a quota), used_t,
    excess_t, remaining_t, crossed and projected_crossing ("YYYY-MM" or None).
    """
    from flowgraph.analysis.burndown import quota_burndown

    view = prepared(events, registry)
    events = view.events

    cols = ["enterprise_id", "name", "activity", "quota_t", "used_t", "excess_t", "remaining_t"]
    cols += ["crossed", "projected_crossing"]
    in_year = events["period"].astype(str).str.startswith(f"{int(year):04d}-")
    if not in_year.any():
        return pd.DataFrame(columns=cols)
    burn = quota_burndown(view, None, int(year))
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


def quota_figure(usage: pd.DataFrame, year: int, lang: str = "en") -> go.Figure:
    """Stacked horizontal bars per enterprise and activity: used within quota, excess, remaining
    (texts in ``lang``, en or zh-CN; names and ids as they are)."""
    from flowgraph.i18n import translator
    from flowgraph.reports.words import N_

    _ = translator(lang)
    activities = (N_("mining"), N_("smelting"))
    shown = [_(act) if act in activities else act for act in usage["activity"]]
    labels = [
        html.escape(f"{name if isinstance(name, str) and name else eid} · {act}")
        for eid, name, act in zip(usage["enterprise_id"], usage["name"], shown, strict=True)
    ]
    within = np.minimum(usage["used_t"], usage["quota_t"])
    figure = go.Figure()
    for name, values, colour in (
        (_("used within quota"), within, "#1f77b4"),
        (_("over quota"), usage["excess_t"], "#d62728"),
        (_("remaining"), usage["remaining_t"], "#c7c7c7"),
    ):
        figure.add_bar(
            y=labels,
            x=values.round(3).tolist(),
            name=name,
            orientation="h",
            marker_color=colour,
            hovertemplate="%{y}<br>" + name + ": %{x:,.3f} " + _("t REO") + "<extra></extra>",
        )
    figure.update_layout(
        barmode="stack",
        title=dict(text=_("Quota burn-down {year} (t REO)").format(year=int(year))),
        xaxis_title=_("t REO"),
        yaxis=dict(autorange="reversed"),
        height=max(300, 26 * len(labels) + 120),
        margin=dict(l=20, r=20, t=60, b=40),
    )
    return figure
