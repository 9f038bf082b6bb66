"""Building blocks the pages share: grids, graphs, links, numbers, the page frame.

Text from uploads and the registry goes into components as plain strings, which React renders
as text (never as HTML); no component here is given ``dangerously_allow_html`` or markdown.
"""

from __future__ import annotations

import datetime as dt
import math
from urllib.parse import quote

import dash_ag_grid as dag
import dash_cytoscape as cyto
import pandas as pd
from dash import dcc, html

GRID_THEME = "ag-theme-alpine"


def href(kind: str, *ids: str) -> str:
    """The workbench path of an entity (ids URL-quoted, so any id text is safe in a link).

    >>> href("lot", "L 1/2"), href("batch", "E1", "B-7")
    ('/lot/L%201%2F2', '/batch/E1/B-7')
    """
    return "/" + "/".join([kind, *(quote(str(i), safe="") for i in ids)])


def link(text: str, kind: str, *ids: str) -> dcc.Link:
    return dcc.Link(str(text), href=href(kind, *ids))


def kg(value) -> str:
    """Kilograms for people: thousands separated, one decimal; '' for nothing.

    >>> kg(12345.678), kg(None)
    ('12,345.7', '')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{float(value):,.1f}"


def plain(value):
    """A cell value for the grid's JSON: dates as ISO text, NaN/NaT as None, lists joined."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp | dt.date):
        return None if pd.isna(value) else value.isoformat()[:10]
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value))
    if hasattr(value, "item"):
        return value.item()
    return value


def short_path(path: str, parts: int = 2) -> str:
    """The last ``parts`` components of a file path (its folder tells whose upload it is).

    >>> short_path("/srv/uploads/2024/E017/2024-09.csv"), short_path("2024-09.csv")
    ('E017/2024-09.csv', '2024-09.csv')
    """
    pieces = str(path).replace("\\", "/").split("/")
    return "/".join(pieces[-parts:])


def records(frame: pd.DataFrame) -> list[dict]:
    return [{k: plain(v) for k, v in row.items()} for row in frame.to_dict("records")]


# Columns whose values are long codes or sentences: narrower, they showed only "TRANSFO…" or
# "3728736d…" (a finding id is 12 characters); the grid scrolls sideways rather than cut them.
MIN_WIDTHS = {
    "finding_id": 140,
    "type": 250,
    "detail": 420,
    "enterprise_name": 230,
    "name": 230,
    "enterprise_id": 200,
    "counterparty_id": 200,
    "family": 170,
    "lot_id": 170,
    "shipment_id": 170,
    "batch_id": 160,
    "review_note": 220,
    "file_name": 260,
    "where": 300,  # FILE:ROW, the folder of the upload first
    "sha256": 160,
    "date": 120,
    "ran_at": 180,
}


def grid(
    grid_id: str,
    frame: pd.DataFrame,
    columns: list[tuple[str, str]],
    *,
    height: int = 420,
    select: bool = False,
    numbers: tuple[str, ...] = (),
    row_id: str | None = None,
    tooltips: dict[str, str] | None = None,
) -> dag.AgGrid:
    """An AG Grid of ``frame``: ``columns`` = [(field, header)], sortable and filterable;
    a text cell's tooltip is its own text in full, or the field ``tooltips`` names for it."""
    defs = []
    for name, header in columns:
        col = {"field": name, "headerName": header, "headerTooltip": header}
        if name in MIN_WIDTHS:
            col["minWidth"] = MIN_WIDTHS[name]
        if name in numbers:
            col["type"] = "rightAligned"
            col["valueFormatter"] = {
                "function": "params.value == null ? '' : d3.format(',.1f')(params.value)"
            }
            col["filter"] = "agNumberColumnFilter"
        else:
            col["tooltipField"] = (tooltips or {}).get(name, name)  # cut-off text in full
        defs.append(col)
    options = {"pagination": True, "paginationPageSize": 50, "animateRows": False,
               "enableCellTextSelection": True, "suppressColumnVirtualisation": True}  # fmt: skip
    if select:
        options["rowSelection"] = {
            "mode": "multiRow",
            "checkboxes": True,
            "headerCheckbox": True,
            "selectAll": "filtered",
            "enableClickSelection": False,
        }
    if row_id:
        options["getRowId"] = {"function": f"params.data.{row_id}"}
    options["localeText"] = grid_texts()
    return dag.AgGrid(
        id=grid_id,
        rowData=records(frame),
        columnDefs=defs,
        defaultColDef={"sortable": True, "filter": True, "resizable": True, "minWidth": 100},
        dashGridOptions=options,
        columnSize="responsiveSizeToFit",
        className=GRID_THEME,
        style={"height": f"{height}px", "width": "100%"},
    )


# A list this short reads as a plain table: an AG Grid instance costs the browser ~0.1 s to
# lay out and draw on a first visit (the enterprise page drew four).
TABLE_UP_TO = 12


def small_table(
    table_id: str,
    frame: pd.DataFrame,
    columns: list[tuple[str, str]],
    *,
    height: int = 420,
    numbers: tuple[str, ...] = (),
    up_to: int = TABLE_UP_TO,
    links: dict | None = None,
    wrap: tuple[str, ...] = ("detail", "note", "name", "enterprise_name", "file_name", "sha256"),
):
    """``frame`` as a plain table when it has at most ``up_to`` rows, else as ``grid``
    (sorting and filtering pay off on a longer list; a grid costs the browser ~0.1-0.2 s to
    draw, its script chunk more on a page's first grid). Values are shown as text;
    ``links``: column -> function of the row giving the cell's link (None: plain text);
    only the ``wrap`` columns break over lines (codes, dates and numbers stay whole)."""
    if len(frame) > up_to:
        return grid(table_id, frame, columns, height=height, numbers=numbers)
    from flowgraph.i18n import translator
    from flowgraph.web.shell import request_lang

    if frame.empty:
        said = translator(request_lang())("No rows to show")
        return html.P(said, id=table_id, className="note")
    links = links or {}

    def cell(row: dict, name: str):
        if name in numbers:
            return html.Td(kg(row.get(name)), className="num")
        text = _cell(row.get(name))
        target = links[name](row) if name in links and text else None
        content = dcc.Link(text, href=target) if target else text
        return html.Td(content, className=None if name in wrap else "code")

    head = html.Tr([html.Th(header, className="num" if name in numbers else None)
                    for name, header in columns])  # fmt: skip
    body = [html.Tr([cell(row, name) for name, _ in columns]) for row in records(frame)]
    return html.Table([html.Thead(head), html.Tbody(body)], id=table_id, className="plain")


def _cell(value) -> str:
    return "" if value is None else str(value)


def grid_texts() -> dict[str, str]:
    """AG Grid's own words (pagination, filters) in the page's language."""
    from flowgraph.i18n import translator
    from flowgraph.web.shell import request_lang

    _ = translator(request_lang())
    return {
        "page": _("Page"), "of": _("of"), "to": _("to"), "more": _("more"),
        "pageSizeSelectorLabel": _("Page size:"), "noRowsToShow": _("No rows to show"),
        "loadingOoo": _("Loading..."), "filterOoo": _("Filter..."), "equals": _("Equals"),
        "notEqual": _("Does not equal"), "contains": _("Contains"),
        "notContains": _("Does not contain"), "startsWith": _("Begins with"),
        "endsWith": _("Ends with"), "blank": _("Blank"), "notBlank": _("Not blank"),
        "lessThan": _("Less than"), "greaterThan": _("Greater than"),
        "inRange": _("Between"), "andCondition": _("AND"), "orCondition": _("OR"),
        "firstPage": _("First page"), "lastPage": _("Last page"),
        "nextPage": _("Next page"), "previousPage": _("Previous page"),
    }  # fmt: skip


def dropdown_labels() -> dict[str, str]:
    """The Dash dropdown's own words (search box, select all, ...) in the page's language."""
    from flowgraph.i18n import translator
    from flowgraph.web.shell import request_lang

    _ = translator(request_lang())
    return {
        "select_all": _("Select all"), "deselect_all": _("Deselect all"),
        "selected_count": _("{num_selected} selected"), "search": _("Search"),
        "clear_search": _("Clear search"), "clear_selection": _("Clear selection"),
        "no_options_found": _("No options found"),
    }  # fmt: skip


def chart_config(lang: str) -> dict:
    """A Plotly chart's config: no Plotly logo, no "Share chart" button (it uploads the
    chart to Plotly's cloud: a regulator's data stays on its network), the toolbar and dates in
    the page's language (the zh-CN locale is part of the workbench's plotly.js, see
    flowgraph.web.scripts).

    >>> chart_config("zh-CN")["locale"], chart_config("en")["showSendToCloud"]
    ('zh-CN', False)
    """
    return {"displaylogo": False, "showSendToCloud": False, "showEditInChartStudio": False,
            "locale": lang}  # fmt: skip


GRAPH_STYLE = [
    {"selector": "node", "style": {"label": "data(label)", "font-size": "10px",
                                   "text-wrap": "wrap", "text-max-width": "120px",
                                   "background-color": "#4c78a8", "color": "#222",
                                   "text-valign": "bottom", "text-margin-y": "4px",
                                   # an edge running under a label must not strike it through
                                   "text-background-color": "#fff",
                                   "text-background-opacity": 1,
                                   "text-background-padding": "1px"}},
    {"selector": ".lot", "style": {"shape": "round-rectangle", "background-color": "#4c78a8"}},
    {"selector": ".batch", "style": {"shape": "diamond", "background-color": "#9c755f"}},
    {"selector": ".enterprise", "style": {"shape": "ellipse", "background-color": "#59a14f"}},
    # an origin's edges leave downwards: its label above it stays clear of them
    {"selector": ".origin", "style": {"shape": "star", "background-color": "#2e7d32",
                                      "text-valign": "top", "text-margin-y": "-4px"}},
    {"selector": ".sink", "style": {"shape": "triangle", "background-color": "#bab0ac"}},
    {"selector": ".break", "style": {"background-color": "#d62728", "color": "#d62728",
                                     "font-weight": "bold"}},
    {"selector": ".focus", "style": {"border-width": "3px", "border-color": "#f28e2b"}},
    {"selector": "edge", "style": {"label": "data(label)", "font-size": "9px", "width": 2,
                                   "curve-style": "bezier", "target-arrow-shape": "triangle",
                                   "line-color": "#9aa7b4", "target-arrow-color": "#9aa7b4",
                                   "text-background-color": "#fff",
                                   "text-background-opacity": 1,
                                   "text-background-padding": "2px",
                                   "text-background-shape": "roundrectangle"}},
    {"selector": "edge.break", "style": {"line-color": "#d62728", "target-arrow-color": "#d62728",
                                         "color": "#d62728"}},
]  # fmt: skip


ROW_HEIGHT = 150  # px per row of a top-down graph: a 3-line node label, an edge and its label


def _digraph(elements: list[dict]):
    import networkx as nx

    g = nx.DiGraph()
    for element in elements:
        data = element["data"]
        if "source" in data:
            g.add_edge(data["source"], data["target"])
        else:
            g.add_node(data["id"])
    return g


def ranks(elements: list[dict]) -> int:
    """How many rows a top-down layout of ``elements`` has: the longest chain of edges + 1
    (a cycle counted as one row).

    >>> ranks([{"data": {"id": "a"}}, {"data": {"id": "b"}}, {"data": {"id": "c"}},
    ...        {"data": {"source": "a", "target": "b"}}, {"data": {"source": "b", "target": "c"}}])
    3
    """
    import networkx as nx

    g = _digraph(elements)
    if not nx.is_directed_acyclic_graph(g):
        g = nx.condensation(g)
    return nx.dag_longest_path_length(g) + 1 if len(g) else 1


def graph(
    graph_id: str,
    elements: list[dict],
    *,
    height: int = 480,
    roots: str | None = None,
    star: bool = False,
):
    """A Cytoscape graph, laid out top-down (breadth-first from ``roots``), or with ``star``
    in rings around its best-connected node (an enterprise's many counterparties: in one
    breadth-first row their labels ran into each other)."""
    if star:
        layout = {"name": "concentric", "minNodeSpacing": 60, "animate": False}
    else:
        import networkx as nx

        layout = {"name": "breadthfirst", "directed": True, "spacingFactor": 1.4, "animate": False}
        # maximal: a node sits below everything that feeds it (plain BFS depth put a batch level
        # with its own inputs, and the edge from one input ran straight through the other);
        # Cytoscape allows it on acyclic graphs only (a lineage cycle) and fails with roots
        # given (a partner graph rooted at its enterprise: nothing was drawn)
        if roots:
            layout["roots"] = roots
        else:
            layout["maximal"] = nx.is_directed_acyclic_graph(_digraph(elements))
        # breadth-first spreads its rows over the box: a fixed box squeezed deep traces until
        # each edge's share label sat on the node labels above and below it
        height = max(height, ROW_HEIGHT * ranks(elements) + 60)
    return cyto.Cytoscape(
        id=graph_id,
        elements=elements,
        layout=layout,
        stylesheet=GRAPH_STYLE,
        style={"width": "100%", "height": f"{height}px", "border": "1px solid #ddd"},
        userZoomingEnabled=True,
        maxZoom=1.6,  # a two-node graph fitted to the box would otherwise be drawn huge
        minZoom=0.1,
    )


def section(title: str, *children, note: str | None = None) -> html.Section:
    parts = [html.H2(title)]
    if note:
        parts.append(html.P(note, className="note"))
    return html.Section([*parts, *children], className="card")


def facts(rows: list[tuple[str, object]]) -> html.Table:
    """A two-column table of labels and values (values shown as text; empty ones left out)."""
    return html.Table(
        [html.Tr([html.Th(label), html.Td(v)]) for label, v in rows if v not in (None, "")],
        className="facts",
    )
