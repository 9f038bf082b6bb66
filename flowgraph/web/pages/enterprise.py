"""Enterprise page: registry facts, monthly REO balance, quota burn-down, findings around it,
counterparties as a graph, uploads and revisions."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from dash import dcc, html

from flowgraph.analysis.enterprise_view import counterparties, monthly_balance
from flowgraph.reports.detailwords import localise_details
from flowgraph.web import ui

# a year's uploads (12 months and a few revisions) or the findings around one enterprise read
# as a plain table; longer lists get a grid to sort and filter
LIST_UP_TO = 30


def _balance_figure(balance: pd.DataFrame, _) -> go.Figure:
    fig = go.Figure()
    labels = {"created": _("created"), "received": _("received"), "produced": _("produced"),
              "shipped": _("shipped"), "exported": _("exported"), "consumed": _("consumed"),
              "lost": _("lost")}  # fmt: skip
    for name, label in labels.items():
        sign = -1 if name in ("shipped", "exported", "consumed", "lost") else 1
        fig.add_bar(x=balance["period"], y=sign * balance[name] / 1000.0, name=label)
    fig.add_scatter(x=balance["period"], y=balance["stock"] / 1000.0, name=_("book stock"),
                    mode="lines+markers", line={"color": "#222"})  # fmt: skip
    fig.add_scatter(x=balance["period"], y=balance["declared_stock"] / 1000.0,
                    name=_("declared stock"), mode="markers",
                    marker={"symbol": "x", "size": 9, "color": "#d62728"})  # fmt: skip
    fig.update_layout(barmode="relative", height=360, margin={"l": 50, "r": 10, "t": 10, "b": 40},
                      yaxis_title=_("t REO (out is negative)"), legend={"orientation": "h"},
                      xaxis={"type": "category"})  # fmt: skip
    return fig


def _quota_figure(burn: pd.DataFrame, _) -> go.Figure:
    fig = go.Figure()
    for activity, part in burn.groupby("activity"):
        fig.add_scatter(x=part["period"], y=part["cumulative_t"], mode="lines+markers",
                        name=_("{activity}: used").format(activity=_(activity)))  # fmt: skip
        fig.add_scatter(x=part["period"], y=part["quota_t"], mode="lines",
                        line={"dash": "dash"}, name=_("{activity}: quota").format(activity=_(activity)))  # fmt: skip
    fig.update_layout(height=300, margin={"l": 50, "r": 10, "t": 10, "b": 40},
                      yaxis_title=_("t REO"), legend={"orientation": "h"},
                      xaxis={"type": "category"})  # fmt: skip
    return fig


def _partner_elements(enterprise_id: str, partners: pd.DataFrame, names: dict) -> list[dict]:
    elements = [{"data": {"id": f"e:{enterprise_id}", "label": names.get(enterprise_id,
                                                                          enterprise_id),
                          "kind": "enterprise", "ref": enterprise_id},
                 "classes": "enterprise focus"}]  # fmt: skip
    for row in partners.itertuples():
        pid = f"e:{row.counterparty_id}"
        if not any(e["data"]["id"] == pid for e in elements):
            label = names.get(row.counterparty_id, row.counterparty_id)
            classes = "enterprise" if row.counterparty_id in names else "enterprise break"
            elements.append({"data": {"id": pid, "label": label, "kind": "enterprise",
                                      "ref": row.counterparty_id}, "classes": classes})  # fmt: skip
        source, target = (
            (f"e:{enterprise_id}", pid) if row.direction == "out" else (pid, f"e:{enterprise_id}")
        )
        elements.append({"data": {"id": f"{source}>{target}", "source": source, "target": target,
                                  "label": f"{row.reo_t:,.1f} t"}})  # fmt: skip
    return elements


# Counterparties drawn in rings around the enterprise past this many (one row stays readable).
STAR_FROM = 6


def layout(page, args, query):
    _ = page._
    if not args:
        return html.P(_("Name an enterprise: /enterprise/ID"), className="message error")
    eid = args[0]
    snap = page.wb.snapshot()
    reg = snap.registry
    row = reg.enterprises[reg.enterprises["enterprise_id"] == eid]
    known = eid in snap.by_enterprise or eid in snap.ids["enterprise"]
    if row.empty and not known:
        return html.P(_("No enterprise {id} in the registry or the uploads.").format(id=eid),
                      className="message error")  # fmt: skip
    info = row.iloc[0] if not row.empty else None
    title = f"{info['name']} ({eid})" if info is not None and info["name"] else eid
    fact_rows = [
        (_("Enterprise id"), eid),
        (_("Name"), info["name"] if info is not None else _("not in the registry")),
        (_("Province"), info["province"] if info is not None else None),
        (_("Group"), info["group"] if info is not None else None),
        (_("Roles"), info["roles"] if info is not None else None),
    ]
    # activity codes shown in the reader's words (mining / smelting are the registry's codes)
    des = reg.designations[reg.designations["enterprise_id"] == eid]
    des = des.assign(activity=des["activity"].map(lambda a: _(a) if isinstance(a, str) else a))
    quotas = reg.quotas[reg.quotas["enterprise_id"] == eid]
    quotas = quotas.assign(
        activity=quotas["activity"].map(lambda a: _(a) if isinstance(a, str) else a)
    )
    own = snap.enterprise_rows(eid)  # its rows only, with their REO from the prepared view
    balance = monthly_balance(own, eid, reo=own["reo"])
    years = sorted({p[:4] for p in balance["period"]}) if not balance.empty else []
    year = int(query.get("year") or (years[-1] if years else 0) or 0)
    burn = page.wb.query("quota_burndown", {"enterprise_id": eid, "year": year}) if year else None
    around = page.wb.query("findings_around_enterprise", {"enterprise_id": eid})
    around = localise_details(around, page.lang)  # the query keeps the stored English detail
    partners = counterparties(own, eid, reo=own["reo"])
    uploads = page.wb.store.uploads(include_history=True)
    uploads = uploads[uploads["enterprise_id"] == eid].sort_values(["period", "revision"])
    uploads = uploads.assign(  # language-neutral: a tick for the current revision
        loaded_at=uploads["loaded_at"].astype(str).str[:19].str.replace("T", " "),
        current=["✓" if bool(c) else "" for c in uploads["current"]],
    )
    quota_part = (
        dcc.Graph(figure=_quota_figure(burn, _), config=ui.chart_config(page.lang))
        if burn is not None and not burn.empty
        else html.P(_("No quota use recorded for {year}.").format(year=year), className="note")
    )
    return html.Div(
        [
            html.H1(title),
            html.Div(
                [
                    ui.section(
                        _("Registry"),
                        ui.facts(fact_rows),
                        html.H2(_("Designations")),
                        ui.small_table(
                            "ent-designations",
                            des,
                            [
                                ("activity", _("Activity")),
                                ("licence_no", _("Licence")),
                                ("valid_from", _("Valid from")),
                                ("valid_to", _("Valid to")),
                            ],
                            height=160,
                        ),
                        html.H2(_("Quotas")),
                        ui.small_table(
                            "ent-quotas",
                            quotas,
                            [
                                ("year", _("Year")),
                                ("activity", _("Activity")),
                                ("quota_t_reo", _("Quota (t REO)")),
                            ],
                            height=160,
                            numbers=("quota_t_reo",),
                        ),
                    ),  # fmt: skip
                    ui.section(
                        _("Counterparties"),
                        ui.graph(
                            "ent-partners",
                            _partner_elements(eid, partners, snap.names),
                            height=380,
                            roots=f"[id = 'e:{eid}']",
                            star=len(partners) > STAR_FROM,
                        ),
                        note=_(
                            "Tonnes REO shipped (arrow out) and received (arrow in), "
                            "as this enterprise reports them; red: not in the "
                            "registry. Click a node to open it."
                        ),
                    ),  # fmt: skip
                ],
                className="row",
            ),
            ui.section(
                _("Monthly REO balance"),
                dcc.Graph(
                    id="ent-balance",
                    figure=_balance_figure(balance, _),
                    config=ui.chart_config(page.lang),
                ),
                note=_(
                    "Created (extracted, imported), received and produced are inflows; "
                    "shipped, exported, consumed and lost are outflows; book stock is the "
                    "running balance, declared stock the stock rows."
                ),
            ),  # fmt: skip
            ui.section(_("Quota burn-down {year}").format(year=year or ""), quota_part),
            ui.section(
                _("Findings around this enterprise"),
                ui.small_table(
                    "ent-findings",
                    around,
                    [
                        ("relation", _("Relation")),
                        ("type", _("Type")),
                        ("family", _("Family")),
                        ("period", _("Period")),
                        ("about_id", _("About")),
                        ("reo_kg", _("kg REO")),
                        ("detail", _("Detail")),
                    ],
                    height=300,
                    numbers=("reo_kg",),
                    up_to=LIST_UP_TO,
                    links={"about_id": lambda row: about_href(row, eid)},
                ),
                note=_(
                    "From the latest detection run: about the enterprise, its batches, "
                    "shipments, the lots it handled and its direct partners."
                ),
            ),  # fmt: skip
            ui.section(
                _("Uploads and revisions"),
                ui.small_table(
                    "ent-uploads",
                    uploads,
                    [
                        ("period", _("Period")),
                        ("revision", _("Revision")),
                        ("file_name", _("File")),
                        ("sha256", "SHA-256"),
                        ("loaded_at", _("Loaded at")),
                        ("events", _("Events")),
                        ("current", _("Current")),
                    ],
                    height=300,
                    up_to=LIST_UP_TO,
                ),
            ),  # fmt: skip
        ]
    )


def about_href(row: dict, enterprise_id: str) -> str | None:
    """The workbench page of what a finding around ``enterprise_id`` is about.

    >>> about_href({"about_label": "Batch", "about_id": "B1", "relation": "own batch"}, "S1")
    '/batch/S1/B1'
    >>> about_href({"about_label": "Shipment", "about_id": "SH9"}, "S1")
    '/search/shipment/SH9'
    """
    kind, ident = row.get("about_label"), row.get("about_id")
    if not ident:
        return None
    if kind == "Enterprise":
        return ui.href("enterprise", ident)
    if kind == "Lot":
        return ui.href("lot", ident)
    if kind == "Shipment":
        return ui.href("search", "shipment", ident)
    if kind == "Batch" and row.get("relation") == "own batch":
        return ui.href("batch", enterprise_id, ident)
    return None


def register(app, wb, config) -> None:
    from dash import Input, Output, no_update

    from flowgraph.web.ui import href

    @app.callback(
        Output("url", "href", allow_duplicate=True),
        Input("ent-partners", "tapNodeData"),
        prevent_initial_call=True,
    )
    def open_partner(node):
        if not node or not node.get("ref"):
            return no_update
        return href("enterprise", node["ref"])
