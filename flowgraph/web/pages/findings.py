"""Findings page: the latest recorded run's findings with their status; filters and counts;
select rows and confirm or dismiss them with a note; run detection (records a new run)."""

from __future__ import annotations

import pandas as pd
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update

from flowgraph.errors import FlowgraphError
from flowgraph.reports.detailwords import localise_details
from flowgraph.web import ui

FILTERS = ("status", "family", "type", "enterprise_id", "period")


def listing(wb) -> pd.DataFrame | None:
    """The latest run's findings (``flowgraph findings``), or None when no run is recorded."""
    from flowgraph.investigations.runs import list_findings

    try:
        return list_findings(wb.store, registry=wb.snapshot().registry)
    except FlowgraphError:
        return None


def filtered(rows: pd.DataFrame, chosen: dict[str, list]) -> pd.DataFrame:
    """Rows matching every filter (any of the values chosen for it).

    >>> rows = pd.DataFrame({"status": ["new", "open"], "type": ["A", "B"]})
    >>> filtered(rows, {"status": ["open"], "type": []})["type"].tolist()
    ['B']
    """
    keep = pd.Series(True, index=rows.index)
    for column, values in chosen.items():
        if values:
            keep &= rows[column].isin(values)
    return rows[keep]


def shown(rows: pd.DataFrame, _, lang: str = "en") -> pd.DataFrame:
    """The rows as the grid shows them: the status and the detail sentence in the reader's
    words (codes and ids stay; a detail of a wording not in the catalogue stays as stored)."""
    rows = localise_details(rows, lang)
    return rows.assign(status=rows["status"].map(lambda s: _(s) if isinstance(s, str) else s))


def counts(rows: pd.DataFrame, column: str) -> list[tuple[str, int]]:
    return [(str(k), int(v)) for k, v in rows[column].value_counts(dropna=True).items()]


def columns(_) -> list[tuple[str, str]]:
    return [("finding_id", _("Finding")), ("status", _("Status")), ("type", _("Type")),
            ("period", _("Period")), ("enterprise_name", _("Name")), ("reo_kg", _("kg REO")),
            ("detail", _("Detail")), ("family", _("Family")), ("enterprise_id", _("Enterprise")),
            ("reviewed_by", _("Reviewed by")), ("review_note", _("Review note"))]  # fmt: skip


def _chips(rows: pd.DataFrame, _) -> html.Div:
    parts = []
    for column, label in (("status", _("Status")), ("family", _("Family")), ("type", _("Type"))):
        parts.append(html.Div([html.Strong(f"{label}: ")] + [
            html.Span(f"{_(k) if column == 'status' else k} {n}",
                      className=f"chip {k if column == 'status' else ''}")
            for k, n in counts(rows, column)], className="counts"))  # fmt: skip
    return html.Div(parts, id="findings-counts")


def layout(page, args, query):
    _ = page._
    rows = listing(page.wb)
    run_button = html.Button(_("Run detection"), id="run-detection", className="secondary")
    if rows is None:
        return html.Div([html.H1(_("Findings")),
                         ui.section(_("No detection run is recorded yet"),
                                    html.P(_("Run the detectors on the store's current uploads "
                                             "to record the first run.")),
                                    run_button, html.P(id="run-message", className="message"))])  # fmt: skip
    options = {c: sorted(set(rows[c].dropna().astype(str))) for c in FILTERS}
    labels = {"status": _("Status"), "family": _("Family"), "type": _("Type"),
              "enterprise_id": _("Enterprise"), "period": _("Period")}  # fmt: skip
    names = page.wb.snapshot().names
    filters = []
    for column in FILTERS:
        opts = [{"label": (_(v) if column == "status" else
                           f"{v} · {names[v]}" if column == "enterprise_id" and v in names else v),
                 "value": v} for v in options[column]]  # fmt: skip
        initial = [query[column]] if query.get(column) in options[column] else []
        filters.append(html.Div([html.Label(labels[column]),
                                 dcc.Dropdown(labels=ui.dropdown_labels(), id={"role": "findings-filter", "column": column},
                                              className=f"findings-filter-{column}",
                                              options=opts, value=initial, multi=True,
                                              placeholder=_("all"))]))  # fmt: skip
    run = int(rows["run"].dropna().iloc[0]) if rows["run"].notna().any() else None
    return html.Div(
        [
            html.H1(_("Findings")),
            html.Div(
                [
                    html.Span(_("Run {run}").format(run=run), className="chip"),
                    run_button,
                    html.Span(id="run-message", className="message"),
                ],
                className="counts",
            ),  # fmt: skip
            html.Div(filters, className="filters card"),
            html.Div(_chips(filtered(rows, {c: [] for c in FILTERS}), _), className="card"),
            ui.section(
                _("Findings of the latest run"),
                ui.grid(
                    "findings-grid",
                    shown(rows, _, page.lang),
                    columns(_),
                    height=520,
                    select=True,
                    numbers=("reo_kg",),
                    row_id="finding_id",
                ),
                note=_("Click a row to open its case sheet; tick rows to review them."),
            ),  # fmt: skip
            ui.section(
                _("Review the selected findings"),
                dcc.Textarea(id="review-note", placeholder=_("Note (required to dismiss)")),
                html.Div(
                    [
                        html.Button(_("Confirm"), id="review-confirm", className="danger"),
                        html.Button(_("Dismiss"), id="review-dismiss", className="secondary"),
                        html.Button(_("Reopen"), id="review-reopen", className="secondary"),
                        html.Span(_("as {user}").format(user=page.user), className="note"),
                    ],
                    className="counts",
                ),  # fmt: skip
                html.P(id="review-message", className="message"),
            ),
        ]
    )


def register(app, wb, config) -> None:
    from flowgraph.web.shell import page_for

    @app.callback(
        Output("findings-grid", "rowData"),
        Output("findings-counts", "children"),
        Input({"role": "findings-filter", "column": ALL}, "value"),
        Input("review-message", "children"),
        prevent_initial_call=True,
    )
    def refilter(values, _message):
        page = page_for(wb, config)
        rows = listing(wb)
        if rows is None:
            return no_update, no_update
        chosen = {item["id"]["column"]: item["value"] for item in ctx.inputs_list[0]}
        rows = filtered(rows, chosen)
        return ui.records(shown(rows, page._, page.lang)), _chips(rows, page._).children

    @app.callback(
        Output("url", "href", allow_duplicate=True),
        Input("findings-grid", "cellClicked"),
        prevent_initial_call=True,
    )
    def open_finding(cell):
        if not cell or cell.get("colId") in (None, "finding_id_select"):
            return no_update
        if cell.get("colId") == "enterprise_id" and cell.get("value"):
            return ui.href("enterprise", cell["value"])
        row = cell.get("rowId")
        return ui.href("finding", row) if row else no_update

    @app.callback(
        Output("review-message", "children"),
        Output("review-message", "className"),
        Input("review-confirm", "n_clicks"),
        Input("review-dismiss", "n_clicks"),
        Input("review-reopen", "n_clicks"),
        State("findings-grid", "selectedRows"),
        State("review-note", "value"),
        prevent_initial_call=True,
    )
    def do_review(confirm, dismiss, reopen, selected, note):
        from flowgraph.investigations.reviews import review

        if not (confirm or dismiss or reopen):  # the buttons appearing is no click
            return no_update, no_update
        page = page_for(wb, config)
        _ = page._
        decision = {"review-confirm": "confirm", "review-dismiss": "dismiss",
                    "review-reopen": "reopen"}[ctx.triggered_id]  # fmt: skip
        ids = [row["finding_id"] for row in selected or [] if row.get("finding_id")]
        if not ids:
            return _("Tick the findings to review first."), "message error"
        try:
            done = review(wb.store, ids, decision, note=note, by=page.user)
        except FlowgraphError as e:
            return str(e), "message error"
        return _("{n} findings: {decision} recorded by {user}.").format(
            n=len(done), decision=_(decision), user=page.user
        ), "message"

    @app.callback(
        Output("run-message", "children"),
        Output("url", "href", allow_duplicate=True),
        Input("run-detection", "n_clicks"),
        prevent_initial_call=True,
    )
    def run_detection(clicks):
        from flowgraph.config import tolerances_from
        from flowgraph.investigations.runs import detect_run

        if not clicks:  # Dash calls back when the button is first rendered: that is no click
            return no_update, no_update
        page = page_for(wb, config)
        _ = page._
        try:
            result = detect_run(
                wb.store,
                tolerances=tolerances_from(config.settings),
                in_database=config.detects_in_database(wb.store),
            )
        except FlowgraphError as e:
            return str(e), no_update
        if not result.recorded:
            return _("Nothing changed since run {run}: not recorded again.").format(
                run=result.run), no_update  # fmt: skip
        # a new search part makes the page render again, now with the new run
        return _("Run {run} recorded.").format(run=result.run), f"/?run={result.run}"
