"""Finding page: the case sheet - detail, evidence rows (FILE:ROW, SHA-256), review history,
the provenance graph of its lots, and a review form."""

from __future__ import annotations

import pandas as pd
from dash import Input, Output, State, ctx, dcc, html, no_update

from flowgraph.errors import FlowgraphError
from flowgraph.web import ui

MAX_LOTS = 4  # lots whose provenance is drawn (the largest by evidence REO)


def case_lots(finding: dict, rows: pd.DataFrame) -> list[str]:
    """The lots whose provenance explains a finding: its own lot; else what its batch produced
    (the inputs appear upstream of it); else the lots of its evidence rows, largest REO first.

    >>> rows = pd.DataFrame({"lot_id": ["IN", "OUT"], "event_type": ["consume", "produce"],
    ...                      "reo_kg": [5.0, 4.0]})
    >>> case_lots({"lot_id": None}, rows), case_lots({"lot_id": "X"}, rows)
    (['OUT'], ['X'])
    """
    if finding.get("lot_id"):
        return [finding["lot_id"]]
    if rows.empty:
        return []
    made = rows[rows["event_type"] == "produce"]
    chosen = made if not made.empty else rows
    by_reo = chosen.groupby("lot_id")["reo_kg"].sum().sort_values(ascending=False)
    return [str(lot) for lot in by_reo.index[:MAX_LOTS]]


def provenance(snapshot, lots: list[str], _) -> list[dict]:
    """The union of the lots' upstream graphs."""
    from flowgraph.analysis.provenance import trace_upstream
    from flowgraph.web.elements import upstream_elements

    seen: dict[str, dict] = {}
    for lot in lots:
        trace = trace_upstream(snapshot.view, snapshot.registry, lot)
        for element in upstream_elements(trace, _, snapshot.names):
            key = element["data"]["id"]
            if key.startswith("o:"):  # leaf ids are per trace: keep them apart
                key = f"{lot}|{key}"
                element["data"]["id"] = key
            for end in ("source", "target"):
                if element["data"].get(end, "").startswith("o:"):
                    element["data"][end] = f"{lot}|{element['data'][end]}"
            if "source" in element["data"]:
                element["data"]["id"] = f"{element['data']['source']}>{element['data']['target']}"
            seen.setdefault(element["data"]["id"], element)
    return list(seen.values())


def evidence_rows(wb, finding: pd.DataFrame) -> pd.DataFrame:
    """The finding's evidence rows with the file (name, SHA-256) and row each came from."""
    from flowgraph.reports.evidence import evidence

    snap = wb.snapshot()
    rows = evidence(finding, snap.view, max_rows=200)
    uploads = wb.store.uploads(include_history=True)[["upload_id", "file_name", "sha256"]]
    rows = rows.merge(uploads, on="upload_id", how="left")
    rows["where"] = rows["file_name"].astype(str) + ":" + rows["source_row"].astype(str)
    return rows


def layout(page, args, query):
    from flowgraph.investigations.reviews import finding_history

    _ = page._
    if not args:
        return html.P(_("Name a finding: /finding/ID"), className="message error")
    history = finding_history(page.wb.store, args[0])  # UsageError -> one line on the page
    fid = history.finding_id
    latest = history.latest
    rows = evidence_rows(page.wb, pd.DataFrame([latest]))
    lots = case_lots(latest, rows)
    snap = page.wb.snapshot()
    status = history.runs["status"].iloc[-1] if not history.runs.empty else None

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
        (_("Detail"), latest.get("detail")),
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
                        html.Div(id="case-reviews", children=_reviews(history.reviews, _)),
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
                ui.graph("case-graph", provenance(snap, lots, _), height=480),
                note=_(
                    "Origins at the top; edges show each source's share of the lot's REO; "
                    "red: where traceability breaks. Click a node to open it."
                ),
            )
            if lots
            else html.Div(),  # fmt: skip
            ui.section(
                _("Evidence rows"),
                ui.grid(
                    "case-evidence",
                    rows,
                    evidence_columns,
                    height=320,
                    numbers=("mass_kg", "reo_kg"),
                ),
            ),  # fmt: skip
            ui.section(
                _("In each run"),
                ui.grid(
                    "case-runs", history.runs, [(c, _(c)) for c in history.runs.columns], height=200
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
