"""Finding page: the case sheet - detail, evidence rows (FILE:ROW, SHA-256), review history,
the provenance graph of its lots, and a review form."""

from __future__ import annotations

import pandas as pd
from dash import Input, Output, State, ctx, dcc, html, no_update

from flowgraph.errors import FlowgraphError
from flowgraph.reports.detailwords import localise_detail
from flowgraph.web import ui
from flowgraph.web.words import HISTORY_LABELS


def provenance(traces: list[dict], names: dict, _) -> list[dict]:
    """The union of the case's lot traces (``trace_upstream`` results) as one graph."""
    from flowgraph.web.elements import upstream_elements

    seen: dict[str, dict] = {}
    for trace in traces:
        lot = trace["lot_id"]
        for element in upstream_elements(trace, _, names):
            data = element["data"]
            if data["id"].startswith("o:"):  # leaf ids are per trace: keep them apart
                data["id"] = f"{lot}|{data['id']}"
            for end in ("source", "target"):
                if data.get(end, "").startswith("o:"):
                    data[end] = f"{lot}|{data[end]}"
            if "source" in data:
                data["id"] = f"{data['source']}>{data['target']}"
            seen.setdefault(data["id"], element)
    return list(seen.values())


def layout(page, args, query):
    from flowgraph.investigations.casesheet import case_sheet

    _ = page._
    if not args:
        return html.P(_("Name a finding: /finding/ID"), className="message error")
    snap = page.wb.snapshot()
    # the case sheet of `flowgraph show`, on the workbench's prepared view of the store
    sheet = case_sheet(page.wb.store, args[0], registry=snap.registry, view=snap.view)
    latest = sheet.finding
    fid = latest["finding_id"]
    status = sheet.status
    history = sheet.history
    if "detail" in history:  # each run's detail, worded in the reader's language
        history = history.assign(
            detail=[localise_detail(latest.get("type"), d, page.lang) for d in history["detail"]]
        )
    rows = sheet.evidence.assign(
        where=sheet.evidence["file_name"].map(ui.short_path)
        + ":"
        + sheet.evidence["source_row"].astype(str),
        where_full=sheet.evidence["file_name"].astype(str)
        + ":"
        + sheet.evidence["source_row"].astype(str),
    )

    def linked(kind, value, *extra):
        return ui.link(value, kind, *extra, value) if value else None

    facts = [
        (_("Finding"), fid),
        (_("Status"), _(status) if status else None),
        (_("Type"), latest.get("type")),
        (_("Family"), latest.get("family")),
        (_("Period"), latest.get("period")),
        (_("Enterprise"), linked("enterprise", latest.get("enterprise_id"))),
        (_("Name"), snap.names.get(latest.get("enterprise_id") or "")),
        (_("Lot"), linked("lot", latest.get("lot_id"))),
        (_("Shipment"), ui.link(latest["shipment_id"], "search", "shipment", latest["shipment_id"])
         if latest.get("shipment_id") else None),
        (_("Batch"), ui.link(latest["batch_id"], "batch", latest.get("enterprise_id") or "",
                             latest["batch_id"]) if latest.get("batch_id") else None),
        (_("kg REO"), ui.kg(latest.get("reo_kg"))),
        (_("Detail"), localise_detail(latest.get("type"), latest.get("detail"), page.lang)),
    ]  # fmt: skip
    evidence_columns = [("where", _("File:row")), ("sha256", "SHA-256"),
                        ("event_type", _("Event")), ("date", _("Date")),
                        ("enterprise_id", _("Enterprise")), ("lot_id", _("Lot")),
                        ("mass_kg", _("kg")), ("reo_kg", _("kg REO")),
                        ("counterparty_id", _("Counterparty")), ("shipment_id", _("Shipment")),
                        ("batch_id", _("Batch")), ("note", _("Note"))]  # fmt: skip
    return html.Div(
        [
            html.H1(_("Finding {id}").format(id=fid)),
            html.Div(
                [
                    ui.section(_("Case"), ui.facts(facts)),
                    ui.section(
                        _("Review"),
                        html.Div(id="case-reviews", children=_reviews(sheet.reviews, _)),
                        dcc.Textarea(id="case-note", placeholder=_("Note (required to dismiss)")),
                        html.Div(
                            [
                                html.Button(_("Confirm"), id="case-confirm", className="danger"),
                                html.Button(_("Dismiss"), id="case-dismiss", className="secondary"),
                                html.Button(_("Reopen"), id="case-reopen", className="secondary"),
                                html.Span(_("as {user}").format(user=page.user), className="note"),
                            ],
                            className="counts",
                        ),
                        html.P(id="case-message", className="message"),
                        dcc.Store(id="case-id", data=fid),
                    ),  # fmt: skip
                ],
                className="row",
            ),
            ui.section(
                _("Provenance of its lots"),
                ui.graph("case-graph", provenance(sheet.traces, snap.names, _), height=480),
                note=_(
                    "Origins at the top; edges show each source's share of the lot's REO; "
                    "red: where traceability breaks. Click a node to open it."
                ),
            )
            if sheet.traces
            else html.Div(),  # fmt: skip
            ui.section(
                _("Evidence rows"),
                ui.grid(
                    "case-evidence",
                    rows,
                    evidence_columns,
                    height=320,
                    numbers=("mass_kg", "reo_kg"),
                    tooltips={"where": "where_full"},
                ),
            ),  # fmt: skip
            ui.section(
                _("In each run"),
                ui.grid(
                    "case-runs",
                    history.assign(
                        ran_at=history["ran_at"].astype(str).str[:19].str.replace("T", " ")
                    )
                    if "ran_at" in history
                    else history,
                    [(c, _(HISTORY_LABELS.get(c, c))) for c in history.columns],
                    height=200,
                    numbers=("reo_kg",),
                ),
            ),  # fmt: skip
        ]
    )


def _reviews(reviews: pd.DataFrame, _) -> html.Div:
    if reviews.empty:
        return html.P(_("Never reviewed."), className="note")
    head = html.Tr([html.Th(_(c)) for c in ("reviewed_at", "reviewed_by", "decision", "note")])
    body = [html.Tr([html.Td(str(r.get(c) or "")) for c in ("reviewed_at", "reviewed_by",
                                                            "decision", "note")])
            for r in reviews.to_dict("records")]  # fmt: skip
    return html.Table([head, *body], className="plain", id="case-review-table")


def register(app, wb, config) -> None:
    from flowgraph.web.pages.lot import node_href
    from flowgraph.web.shell import page_for

    @app.callback(
        Output("url", "href", allow_duplicate=True),
        Input("case-graph", "tapNodeData"),
        prevent_initial_call=True,
    )
    def open_node(node):
        return node_href(node) or no_update

    @app.callback(
        Output("case-message", "children"),
        Output("case-message", "className"),
        Output("case-reviews", "children"),
        Input("case-confirm", "n_clicks"),
        Input("case-dismiss", "n_clicks"),
        Input("case-reopen", "n_clicks"),
        State("case-id", "data"),
        State("case-note", "value"),
        prevent_initial_call=True,
    )
    def do_review(confirm, dismiss, reopen, fid, note):
        from flowgraph.investigations.reviews import finding_history, review

        if not (confirm or dismiss or reopen):  # the buttons appearing is no click
            return no_update, no_update, no_update
        page = page_for(wb, config)
        _ = page._
        decision = {"case-confirm": "confirm", "case-dismiss": "dismiss",
                    "case-reopen": "reopen"}[ctx.triggered_id]  # fmt: skip
        try:
            review(wb.store, [fid], decision, note=note, by=page.user)
        except FlowgraphError as e:
            return str(e), "message error", no_update
        history = finding_history(wb.store, fid)
        status = history.runs["status"].iloc[-1] if not history.runs.empty else ""
        return (_("Recorded: {decision} by {user}; status now {status}.").format(
            decision=_(decision), user=page.user, status=_(status)), "message",
            _reviews(history.reviews, _))  # fmt: skip
