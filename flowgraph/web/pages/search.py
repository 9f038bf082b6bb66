"""Search page: one box that finds an enterprise (id or name), a lot, a shipment, a batch or a
finding id."""

from __future__ import annotations

import pandas as pd
from dash import dcc, html

from flowgraph.web import ui

LIMIT = 50


def find(snapshot, findings: pd.DataFrame, text: str, limit: int = LIMIT) -> dict[str, list]:
    """Matches by kind: ``[(label, href)]``; exact ids first, then ids / names containing
    ``text`` (case-insensitive), at most ``limit`` a kind."""
    needle = text.strip().lower()
    out: dict[str, list] = {}
    if not needle:
        return out
    names = snapshot.names

    def match(index: pd.Index, extra: pd.Series | None = None) -> list[str]:
        lowered = index.str.lower()
        hit = lowered.str.contains(needle, regex=False)
        if extra is not None:
            hit |= extra.reindex(index).fillna("").str.lower().str.contains(needle, regex=False)
        found = list(index[hit])
        found.sort(key=lambda i: (i.lower() != needle, not i.lower().startswith(needle), i))
        return found[:limit]

    ents = snapshot.ids["enterprise"]
    name_series = pd.Series(names, dtype=object)
    out["enterprise"] = [(f"{i} · {names[i]}" if i in names else i, ui.href("enterprise", i))
                         for i in match(ents, name_series)]  # fmt: skip
    out["lot"] = [(i, ui.href("lot", i)) for i in match(snapshot.ids["lot"])]
    shipments = match(snapshot.ids["shipment"])
    out["shipment"] = [(i, ui.href("search", "shipment", i)) for i in shipments]
    out["batch"] = [(i, ui.href("batch", *i.split("/", 1))) for i in match(snapshot.ids["batch"])]
    if "finding_id" in findings:
        ids = pd.Index(sorted(set(findings["finding_id"].dropna().astype(str))))
        out["finding"] = [(i, ui.href("finding", i)) for i in match(ids)]
    return {k: v for k, v in out.items() if v}


def layout(page, args, query):
    _ = page._
    snap = page.wb.snapshot()
    if len(args) == 2 and args[0] == "shipment":
        return _shipment(page, args[1])
    text = query.get("q", "")
    results = find(snap, page.wb.findings(), text) if text else {}
    kinds = {"enterprise": _("Enterprises"), "lot": _("Lots"), "shipment": _("Shipments"),
             "batch": _("Batches"), "finding": _("Findings")}  # fmt: skip
    body = []
    if text and not results:
        body.append(html.P(_("Nothing matches {text}.").format(text=text), className="message"))
    for kind, hits in results.items():
        body.append(ui.section(f"{kinds[kind]} ({len(hits)})",
                               html.Ul([html.Li(dcc.Link(label, href=target))
                                        for label, target in hits])))  # fmt: skip
    return html.Div(
        [
            html.H1(_("Search")),
            html.Form(
                [
                    dcc.Input(
                        name="q",
                        value=text,
                        type="search",
                        id="search-q",
                        placeholder=_("Enterprise, lot, shipment, batch or finding id"),
                        style={"width": "420px"},
                    ),
                    html.Button(_("Search"), type="submit"),
                ],
                action="/search",
                method="get",
                className="card",
            ),  # fmt: skip
            *body,
        ]
    )


def _shipment(page, shipment_id: str):
    from flowgraph.web.pages.lot import row_columns, select_rows

    _ = page._
    rows = select_rows(page.wb.snapshot().events, {"shipment_id": shipment_id})
    return html.Div(
        [
            html.H1(_("Shipment {id}").format(id=shipment_id)),
            ui.section(
                _("Rows naming this shipment"),
                ui.grid("shipment-rows", rows, row_columns(_), height=360, numbers=("mass_kg",)),
            ),  # fmt: skip
            html.Ul([html.Li(ui.link(lot, "lot", lot)) for lot in rows["lot_id"].unique()]),
        ]
    )


def register(app, wb, config) -> None:
    """The search box is a plain GET form: no callbacks."""
