"""Render a flow table (flows.flow_table) as a Plotly Sankey in one self-contained HTML file.

Each flow is drawn as up to two links: its traceable REO (blue) and its untraceable REO (red),
so the untraceable band runs visibly through every stage. plotly.js is embedded in the page:
investigators open it on networks without internet.

Names come from uploads and the registry, so every label and hover text is HTML-escaped
before it reaches plotly (plotly.js interprets a few tags in labels; escaped text is shown
literally) and before it reaches the page around the figure.
"""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from flowgraph.i18n import translator
from flowgraph.reports.flows import (
    EXPORT_PREFIX,
    LOSSES,
    UNLICENSED_SUFFIX,
    UNTRACEABLE_ORIGINS,
)
from flowgraph.reports.sankeyarrange import arrange, drawn_flows, fmt_t, link_parts, members_hover
from flowgraph.reports.sankeylayout import RETURN_AFTER, RETURN_BEFORE
from flowgraph.reports.sankeyplace import FONT_PX, MARGIN, PAD, SPACER_Y, THICKNESS
from flowgraph.reports.words import node_label

TRACEABLE_COLOUR = "rgba(31, 119, 180, 0.40)"
UNTRACEABLE_COLOUR = "rgba(214, 39, 40, 0.65)"
# Exports of a controlled product without a valid licence: the untraceable family, darker.
UNLICENSED_COLOUR = "rgba(140, 20, 60, 0.75)"
_CLEAR = "rgba(0,0,0,0)"
__all__ = ["drawn_flows", "link_parts", "sankey_figure", "sankey_html", "write_sankey_html"]
_NODE_COLOURS = {
    "origin": "#2ca02c",
    "mine": "#8c564b",
    "smelter-separator": "#9467bd",
    "processor / trader": "#17becf",
    "sink": "#7f7f7f",
}


def _node_colour(name: str, stage: str) -> str:
    if stage.startswith((RETURN_AFTER, RETURN_BEFORE)):
        return "#bcbd22"
    if name in UNTRACEABLE_ORIGINS:
        return "#d62728"
    if name == LOSSES:
        return "#ff7f0e"
    if name.endswith(UNLICENSED_SUFFIX):
        return "#8c143c"
    if name.startswith(EXPORT_PREFIX):
        return "#1f77b4"
    return _NODE_COLOURS.get(stage, "#7f7f7f")


_fmt_t = fmt_t


def sankey_figure(
    table: pd.DataFrame, *, title: str = "Rare-earth flows", lang: str = "en"
) -> go.Figure:
    """The Sankey of a flow table: nodes ordered by stage, two bands per flow.

    ``title`` is escaped here; pass plain text. ``lang``: en or zh-CN (node names, hovers).
    Labels are wrapped and may be shortened (the hover has the full name); ``layout.meta``
    gives each node's name by index (HTML-escaped) and the index of the off-screen spacer
    link that sets plotly's scale (sankeyplace.py; its two nodes have empty labels), None
    when not needed.

    >>> t = pd.DataFrame({"source": ["import"], "target": ["closing stock"],
    ...     "source_stage": ["origin"], "target_stage": ["sink"], "reo_t": [2.0],
    ...     "traceable_t": [2.0], "untraceable_t": [0.0], "lots": [1]})
    >>> figure = sankey_figure(t)
    >>> figure.layout.meta["nodes"], figure.layout.meta["spacer_link"]
    (['import', 'closing stock'], 1)
    """
    _ = translator(lang)
    if table.empty:
        return go.Figure(
            layout=dict(
                title=dict(text=html.escape(title)),
                annotations=[dict(text=html.escape(_("No flows in this selection.")),
                                  showarrow=False, font=dict(size=16))],
                xaxis=dict(visible=False), yaxis=dict(visible=False),
            )
        )  # fmt: skip
    arranged = arrange(table, lang)
    nodes, links, at, members = arranged.nodes, arranged.links, arranged.at, arranged.members
    names = list(nodes.index)
    out_total = nodes["out_t"]
    esc = {name: html.escape(text) for name, text in zip(names, nodes["text"], strict=True)}
    labels = ["<br>".join(html.escape(line) for line in lines) for lines in arranged.graph.lines]

    link_hover = []
    for row in links.itertuples(index=False):
        flow_share = row.value_t / row.reo_t if row.reo_t else 0.0
        src_share = row.reo_t / out_total[row.source] if out_total[row.source] else 0.0
        link_hover.append(
            f"{esc[row.source]} → {esc[row.target]}<br>"
            + _("{band}: {value} REO ({share} of this flow)").format(
                band=_(row.band), value=_fmt_t(row.value_t), share=f"{flow_share:.1%}"
            )
            + "<br>"
            + _("flow: {value} REO, {share} of what leaves {source}").format(
                value=_fmt_t(row.reo_t), share=f"{src_share:.1%}", source=esc[row.source]
            )
            + "<br>"
            + _("lots: {lots}").format(lots=f"{row.lots:,}")
        )
    node_hover = [
        f"{esc[name]}<br>"
        + _("stage: {stage}").format(stage=html.escape(node_label(row.stage, _)))
        + "<br>"
        + _("in: {inflow} · out: {outflow} REO").format(
            inflow=_fmt_t(row.in_t), outflow=_fmt_t(row.out_t)
        )
        + (members_hover(members[name], _) if name in members else "")
        for name, row in nodes.iterrows()
    ]
    colours = [
        UNTRACEABLE_COLOUR
        if b == "untraceable"
        else UNLICENSED_COLOUR
        if t.endswith(UNLICENSED_SUFFIX)
        else TRACEABLE_COLOUR
        for b, t in zip(links["band"], links["target"], strict=True)
    ]
    src, dst = links["src"].tolist(), links["dst"].tolist()
    values = links["value_t"].round(9).tolist()
    # Links go in sorted by where they leave and arrive, and plotly keeps that order at every
    # node (link.sort "input"), so bands stack at a node as the placement counted them.
    order = np.lexsort((np.arange(len(src)), at.cy[dst], at.cy[src])).tolist() if src else []
    src, dst, values, colours, link_hover = (
        [seq[i] for i in order] for seq in (src, dst, values, colours, link_hover)
    )
    xs = (at.cx / at.plot_w).tolist()
    ys = (at.cy / at.plot_h).tolist()
    node_colours = [_node_colour(n, s) for n, s in zip(names, nodes["stage"], strict=True)]
    if at.spacer_t > 0:
        # Below the plot and transparent (see sankeyplace): it only sets d3's scale.
        first, last = len(names), len(names) + 1
        labels += ["", ""]
        xs += [float(at.cx.min() / at.plot_w), float(at.cx.max() / at.plot_w)]
        ys += [SPACER_Y, SPACER_Y]
        node_colours += [_CLEAR, _CLEAR]
        node_hover += ["", ""]
        src.append(first)
        dst.append(last)
        values.append(round(at.spacer_t, 9))
        colours.append(_CLEAR)
        link_hover.append("")
    figure = go.Figure(
        go.Sankey(
            arrangement="snap",
            valueformat=",.3f",
            valuesuffix=" t",
            node=dict(
                label=labels,
                x=xs,
                y=ys,
                color=node_colours,
                customdata=node_hover,
                hovertemplate="%{customdata}<extra></extra>",
                pad=PAD,
                thickness=THICKNESS,
                line=dict(width=0.5, color="#444"),
            ),
            link=dict(
                source=src,
                target=dst,
                value=values,
                color=colours,
                customdata=link_hover,
                hovertemplate="%{customdata}<extra></extra>",
                sort="input",
            ),
        )
    )
    figure.update_layout(
        title=dict(text=html.escape(title)),
        font=dict(size=FONT_PX),
        width=at.width,
        height=at.height,
        autosize=False,
        margin=dict(MARGIN),
        # For programs reading the figure: node names by index (labels are wrapped and
        # translated) and the spacer link's index (None when there is none).
        meta={
            "nodes": [html.escape(n) for n in names],
            "spacer_link": len(src) - 1 if at.spacer_t > 0 else None,
        },
    )
    return figure


_PAGE = """<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }}
.key span {{ display: inline-block; width: 1.2em; height: 0.8em; margin: 0 0.3em 0 1em; }}
table {{ border-collapse: collapse; margin-top: 0.5em; }}
td, th {{ padding: 0.15em 0.8em; text-align: right; border-bottom: 1px solid #ddd; }}
td:first-child, th:first-child {{ text-align: left; }}
</style>
</head>
<body>
<h1>{title}</h1>
<p id="period">{t_period} <strong>{period}</strong> · {t_uploads} <strong id="uploads">{uploads}</strong>
 · {t_entering} <strong>{entering}</strong>
 · {t_untraceable} <strong>{untraceable}</strong> ({untraceable_share})</p>
<p class="key">{t_bands}<span style="background:{traceable_colour}"></span>{t_traceable}
<span style="background:{untraceable_colour}"></span>{t_untraceable_key}
<span style="background:{unlicensed_colour}"></span>{t_unlicensed_key}</p>
{figure}
<h2>{t_ends}</h2>
<table>
<tr><th>{t_sink}</th><th>{t_reo}</th><th>{t_untraceable_t}</th></tr>
{sinks}
</table>
<p>{t_note}</p>
</body>
</html>
"""


def sankey_title(
    window: str,
    by: str = "role",
    product_family: str | None = None,
    province: str | None = None,
    *,
    lang: str = "en",
) -> tuple[str, str]:
    """The page title and the window's text in ``lang``, e.g. ("Rare-earth flows, 2024 (by
    role)", "2024"); ``window`` as ``flowwindow.window_label`` gives it.

    >>> sankey_title("all periods", "province", "metal", "Jiangxi", lang="zh-CN")
    ('稀土流向，全部月份（按省份，金属产品，省份 Jiangxi）', '全部月份')
    """
    _ = translator(lang)
    shown = _("all periods") if window == "all periods" else window
    by_text = {"role": _("by role"), "enterprise": _("by enterprise"),
               "province": _("by province"), "group": _("by group")}.get(by, by)  # fmt: skip
    filters = [by_text]
    if product_family:
        filters.append(_("{family} products").format(family=_(product_family)))
    if province:
        filters.append(_("province {province}").format(province=province))
    title = _("Rare-earth flows, {window} ({filters})").format(
        window=shown, filters=_(", ").join(filters)
    )
    return title, shown


def _page_texts(_) -> dict[str, str]:
    return {
        "t_period": _("Period:"),
        "t_uploads": _("uploads:"),
        "t_entering": _("REO entering:"),
        "t_untraceable": _("untraceable:"),
        "t_bands": _("Bands:"),
        "t_traceable": _("traceable REO"),
        "t_untraceable_key": _(
            "untraceable REO (unknown lots, undesignated extraction, undocumented imports, "
            "batch gains and the lots made from them)"
        ),
        "t_unlicensed_key": _(
            'exports of controlled products without a valid licence (nodes "controlled, '
            'unlicensed"; with a licence register)'
        ),
        "t_ends": _("Where the REO ends"),
        "t_sink": _("sink"),
        "t_reo": _("REO (t)"),
        "t_untraceable_t": _("untraceable (t)"),
        "t_note": _(
            "Values in tonnes of rare-earth oxide (REO). Closing stock is book stock. Flows "
            "between enterprises of the same node are internal and not drawn."
        ),
    }


def sankey_html(
    table: pd.DataFrame,
    *,
    title: str = "Rare-earth flows",
    period: str = "all periods",
    uploads: int = 0,
    lang: str = "en",
) -> str:
    """The whole self-contained page (plotly.js embedded, nothing fetched) as text, in
    ``lang`` (en or zh-CN; ids and names stay as they are).

    >>> t = pd.DataFrame({"source": ["import"], "target": ["closing stock"],
    ...     "source_stage": ["origin"], "target_stage": ["sink"], "reo_t": [2.0],
    ...     "traceable_t": [2.0], "untraceable_t": [0.0], "lots": [1]})
    >>> page = sankey_html(t, title="<b>x</b>", period="2024", uploads=3)
    >>> "&lt;b&gt;x&lt;/b&gt;" in page and "<b>x</b>" not in page
    True
    """
    entering = table.loc[table["source_stage"] == "origin"]
    total = float(entering["reo_t"].sum())
    untraceable = float(entering["untraceable_t"].sum())
    sinks = table[table["target_stage"] == "sink"].groupby("target")[["reo_t", "untraceable_t"]]
    sinks = sinks.sum().sort_values("reo_t", ascending=False)
    _ = translator(lang)
    sink_rows = "\n".join(
        f"<tr><td>{html.escape(node_label(str(name), _))}</td><td>{row.reo_t:,.3f}</td>"
        f"<td>{row.untraceable_t:,.3f}</td></tr>"
        for name, row in sinks.iterrows()
    )
    if table.empty:
        figure_html = f"<p><strong>{html.escape(_('No flows in this selection.'))}</strong></p>"
    else:
        figure = sankey_figure(table, title=title, lang=lang)
        # The page's <h1> carries the title; the figure's own would print it a second time.
        figure.update_layout(title=None)
        figure_html = figure.to_html(
            full_html=False,
            include_plotlyjs=True,
            div_id="sankey",
            config={"displaylogo": False, "responsive": True},
        )
    return _PAGE.format(
        title=html.escape(title),
        period=html.escape(period),
        uploads=int(uploads),
        entering=_fmt_t(total),
        untraceable=_fmt_t(untraceable),
        untraceable_share=f"{untraceable / total:.2%}" if total else _("n/a"),
        lang=html.escape(lang),
        **{key: html.escape(text) for key, text in _page_texts(_).items()},
        traceable_colour=TRACEABLE_COLOUR,
        untraceable_colour=UNTRACEABLE_COLOUR,
        unlicensed_colour=UNLICENSED_COLOUR,
        figure=figure_html,
        sinks=sink_rows,
    )


def write_sankey_html(
    table: pd.DataFrame,
    path: str | Path,
    *,
    title: str = "Rare-earth flows",
    period: str = "all periods",
    uploads: int = 0,
    lang: str = "en",
) -> Path:
    """Write sankey_html(...) to ``path`` (UTF-8); returns the path."""
    path = Path(path)
    page = sankey_html(table, title=title, period=period, uploads=uploads, lang=lang)
    path.write_text(page, "utf-8")
    return path
