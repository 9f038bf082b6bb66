"""National flows page: the Sankey of the flow table with year, period, province,
product-family and node choices."""

from __future__ import annotations

from dash import Input, Output, dcc, html

from flowgraph.web import ui
from flowgraph.web.words import N_

FAMILIES = (N_("mineral"), N_("compound"), N_("metal"), N_("downstream"))
BY = ("role", "enterprise", "province")
BY_LABELS = {"role": N_("by role"), "enterprise": N_("by enterprise"),
             "province": N_("by province")}  # fmt: skip


def by_label(by: str) -> str:
    return BY_LABELS[by]


def _choices(page):
    snap = page.wb.snapshot()
    periods = sorted(set(snap.events["period"].dropna()))
    years = sorted({p[:4] for p in periods})
    provinces = sorted(set(snap.registry.enterprises["province"].dropna()))
    return years, periods, provinces


def layout(page, args, query):
    _ = page._
    years, periods, provinces = _choices(page)
    year = query.get("year") or (years[-1] if years else None)

    def dropdown(id_, label, options, value=None, clearable=True):
        return html.Div([html.Label(label, htmlFor=id_),
                         dcc.Dropdown(labels=ui.dropdown_labels(), id=id_, options=options, value=value,
                                      clearable=clearable, placeholder=_("all"))])  # fmt: skip

    return html.Div(
        [
            html.H1(_("National flows")),
            html.Div(
                [
                    dropdown("flows-year", _("Year"), years, year),
                    dropdown("flows-period", _("Month"), periods, query.get("period")),
                    dropdown("flows-province", _("Province"), provinces, query.get("province")),
                    dropdown(
                        "flows-family",
                        _("Product family"),
                        [{"label": _(f), "value": f} for f in FAMILIES],
                        query.get("family"),
                    ),
                    dropdown(
                        "flows-by",
                        _("Nodes"),
                        [{"label": _(by_label(b)), "value": b} for b in BY],
                        query.get("by") or "role",
                        clearable=False,
                    ),
                ],  # fmt: skip
                className="filters card",
            ),
            ui.section(
                _("REO flows (tonnes)"),
                dcc.Loading(dcc.Graph(id="flows-sankey", config=ui.chart_config(page.lang))),
                html.P(id="flows-summary", className="note"),
                note=_(
                    "Origin (designated mine, import, untraceable) -> mines -> "
                    "smelter-separators -> processors and traders -> exports, domestic "
                    "downstream, losses, closing stock. Blue: traceable REO; red: untraceable "
                    "REO, never hidden."
                ),
            ),  # fmt: skip
        ]
    )


def flow_figure(wb, lang: str, year, period, province, family, by):
    """The Sankey figure and a one-line summary for the chosen window and filters."""
    from flowgraph.errors import FlowgraphError
    from flowgraph.i18n import translator
    from flowgraph.reports.flows import window_label
    from flowgraph.reports.sankey import sankey_figure

    _ = translator(lang)
    snap = wb.snapshot()
    if period and year and not str(period).startswith(str(year)):
        year = None  # a month chosen in another year: the month wins
    try:
        table = snap.flow_table(by=by or "role", period=period or None,
                                year=int(year) if year and not period else None,
                                product_family=family or None, province=province or None)  # fmt: skip
    except FlowgraphError as e:
        return {}, str(e)
    window = window_label(period or None, int(year) if year and not period else None)
    # The figure translates its node names itself (its labels are wrapped to fit).
    title = _("Rare-earth flows, {window}").format(window=window)
    figure = sankey_figure(table, title=title, lang=lang)
    origin = table[table["source_stage"] == "origin"]
    summary = _("{total} t REO entered the chain, {bad} t of it untraceable.").format(
        total=f"{origin['reo_t'].sum():,.1f}", bad=f"{origin['untraceable_t'].sum():,.1f}"
    )
    return figure, summary


def register(app, wb, config) -> None:
    from flowgraph.web.shell import request_lang

    @app.callback(
        Output("flows-sankey", "figure"),
        Output("flows-summary", "children"),
        Input("flows-year", "value"),
        Input("flows-period", "value"),
        Input("flows-province", "value"),
        Input("flows-family", "value"),
        Input("flows-by", "value"),
    )
    def draw(year, period, province, family, by):
        return flow_figure(wb, request_lang(config), year, period, province, family, by)
