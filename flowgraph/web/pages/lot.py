"""Lot page: upstream provenance and downstream trace as graphs, with the rows behind each
edge; Batch page: a batch's consume and produce rows."""

from __future__ import annotations

import pandas as pd
from dash import Input, Output, State, html, no_update

from flowgraph.analysis.provenance import trace_downstream, trace_upstream
from flowgraph.web import ui
from flowgraph.web.elements import downstream_elements, upstream_elements

ROW_COLUMNS = ["enterprise_id", "event_type", "date", "lot_id", "product", "mass_kg", "reo_pct",
               "counterparty_id", "shipment_id", "batch_id", "country", "document_ref",
               "note", "upload_id", "source_row"]  # fmt: skip


def row_columns(_) -> list[tuple[str, str]]:
    names = {"enterprise_id": _("Enterprise"), "event_type": _("Event"), "date": _("Date"),
             "lot_id": _("Lot"), "product": _("Product"), "mass_kg": _("kg"),
             "reo_pct": _("REO %"), "counterparty_id": _("Counterparty"),
             "shipment_id": _("Shipment"), "batch_id": _("Batch"), "country": _("Country"),
             "document_ref": _("Document"), "note": _("Note"), "upload_id": _("Upload"),
             "source_row": _("Row")}  # fmt: skip
    return [(c, names[c]) for c in ROW_COLUMNS]


def select_rows(events: pd.DataFrame, spec: dict) -> pd.DataFrame:
    """The event rows an edge's ``rows`` spec names (None values are not filters).

    >>> from flowgraph.model import events_frame
    >>> ev = events_frame([{"event_type": "consume", "date": "2024-01-02",
    ...     "enterprise_id": "S", "lot_id": "A", "mass_kg": 5, "batch_id": "B"}])
    >>> len(select_rows(ev, {"event_type": ["consume"], "lot_id": "A", "batch_id": "B"}))
    1
    """
    mask = pd.Series(True, index=events.index)
    for column, value in spec.items():
        if value is None:
            continue
        mask &= events[column].isin(value) if isinstance(value, list) else events[column] == value
    return events.loc[mask, ROW_COLUMNS].sort_values(["date", "upload_id", "source_row"])


def _breaks(trace: dict, _) -> html.Div:
    if not trace["breaks"]:
        return html.P(_("No break: every origin is a designated mine or a documented import."),
                      className="note")  # fmt: skip
    text = {
        "unknown_lot": _("lot {lot_id} was never created by a loaded event"),
        "undesignated_extraction": _("lot {lot_id} extracted without a mining designation"),
        "undocumented_import": _("lot {lot_id} imported without country and customs document"),
        "batch_gain": _("batch {batch_id} yields more REO than it consumed"),
        "cycle": _("lot {lot_id} derives from itself through a loop of batches"),
    }
    items = []
    for b in trace["breaks"]:
        words = text.get(b["kind"], b["detail"]).format(
            lot_id=b.get("lot_id") or "?", batch_id=b.get("batch_id") or "?"
        )
        items.append(html.Li([html.Span(f"{100 * b['share']:.1f}% ", className="break-text"),
                              html.Span(words)]))  # fmt: skip
    return html.Ul(items)


def layout(page, args, query):
    _ = page._
    if not args:
        return html.P(_("Name a lot: /lot/ID"), className="message error")
    lot_id = args[0]
    snap = page.wb.snapshot()
    ev = snap.events
    if not (ev["lot_id"] == lot_id).any():
        return html.P(_("No events for lot {id}.").format(id=lot_id), className="message error")
    up = trace_upstream(snap.view, snap.registry, lot_id)
    down = trace_downstream(snap.view, lot_id)
    facts = [
        (_("Lot"), lot_id),
        (_("Product"), up["product"]),
        (_("Traceable share of its REO"), f"{100 * up['traceable_share']:.1f}%"),
        (_("Untraceable share"), f"{100 * up['untraceable_share']:.1f}%"),
    ]
    own = select_rows(ev, {"lot_id": lot_id})
    return html.Div(
        [
            html.H1(_("Lot {id}").format(id=lot_id)),
            html.Div(
                [
                    ui.section(
                        _("Lot"),
                        ui.facts(facts),
                        html.H2(_("Where traceability breaks")),
                        _breaks(up, _),
                    ),  # fmt: skip
                    ui.section(
                        _("Rows behind the selected edge"),
                        html.Div(
                            ui.grid(
                                "lot-edge-rows",
                                own.iloc[:0],
                                row_columns(_),
                                height=260,
                                numbers=("mass_kg",),
                            ),
                            id="lot-edge-box",
                        ),
                        note=_("Click an edge of a graph to list the rows behind it."),
                    ),  # fmt: skip
                ],
                className="row",
            ),
            ui.section(
                _("Upstream: where its REO comes from"),
                _legend(_),
                ui.graph("lot-up", upstream_elements(up, _, snap.names), height=460),
                note=_(
                    "Origins at the top, the lot at the bottom; edges show the share of "
                    "this lot's REO that flows through them; red: where traceability breaks. "
                    "Click a node to open that lot, batch or enterprise."
                ),
            ),  # fmt: skip
            ui.section(
                _("Downstream: where its material went"),
                ui.graph("lot-down", downstream_elements(down, _), height=460),
                note=_(
                    "Tonnes REO shipped, fed into batches (and what they yielded), exported "
                    "or declared lost."
                ),
            ),  # fmt: skip
            ui.section(
                _("Every row of this lot"),
                ui.grid("lot-rows", own, row_columns(_), height=320, numbers=("mass_kg",)),
            ),  # fmt: skip
        ]
    )


def _legend(_) -> html.Div:
    items = [("#4c78a8", _("lot")), ("#9c755f", _("batch")), ("#2e7d32", _("origin")),
             ("#d62728", _("break")), ("#59a14f", _("enterprise"))]  # fmt: skip
    return html.Div([html.Span([html.Span(className="swatch", style={"background": c}), t])
                     for c, t in items], className="legend")  # fmt: skip


def batch_layout(page, args, query):
    _ = page._
    if len(args) < 2:
        return html.P(_("Name a batch: /batch/ENTERPRISE/BATCH"), className="message error")
    enterprise_id, batch_id = args[0], "/".join(args[1:])
    ev = page.wb.snapshot().events
    rows = select_rows(ev, {"enterprise_id": enterprise_id, "batch_id": batch_id})
    if rows.empty:
        return html.P(_("No rows for batch {id}.").format(id=f"{enterprise_id}/{batch_id}"),
                      className="message error")  # fmt: skip
    return html.Div(
        [
            html.H1(_("Batch {id}").format(id=batch_id)),
            html.P([_("Enterprise"), ": ", ui.link(enterprise_id, "enterprise", enterprise_id)]),
            ui.section(
                _("Consumed and produced rows"),
                ui.grid("batch-rows", rows, row_columns(_), height=360, numbers=("mass_kg",)),
            ),  # fmt: skip
            html.Ul([html.Li(ui.link(lot, "lot", lot)) for lot in rows["lot_id"].unique()]),
        ]
    )


def node_href(node: dict | None) -> str | None:
    """Where a click on a graph node goes (None: nowhere).

    >>> node_href({"kind": "batch", "ref": "B1", "enterprise": "S1"})
    '/batch/S1/B1'
    """
    if not node or not node.get("ref"):
        return None
    kind = node.get("kind")
    if kind == "batch":
        return ui.href("batch", node.get("enterprise", ""), node["ref"])
    if kind in ("lot", "enterprise"):
        return ui.href(kind, node["ref"])
    return None


def register(app, wb, config) -> None:
    from flowgraph.web.shell import page_for

    for graph_id in ("lot-up", "lot-down"):

        @app.callback(
            Output("url", "href", allow_duplicate=True),
            Input(graph_id, "tapNodeData"),
            prevent_initial_call=True,
        )
        def open_node(node):
            return node_href(node) or no_update

    @app.callback(
        Output("lot-edge-box", "children"),
        Input("lot-up", "tapEdgeData"),
        Input("lot-down", "tapEdgeData"),
        State("url", "pathname"),
        prevent_initial_call=True,
    )
    def edge_rows(up, down, _path):
        from dash import ctx

        edge = up if ctx.triggered_id == "lot-up" else down
        if not edge or not edge.get("rows"):
            return no_update
        page = page_for(wb, config)
        rows = select_rows(wb.snapshot().events, edge["rows"])
        return ui.grid("lot-edge-rows", rows, row_columns(page._), height=260,
                       numbers=("mass_kg",))  # fmt: skip
