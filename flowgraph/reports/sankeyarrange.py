"""What the Sankey figure draws and where: the links (two bands per flow), the nodes with their
text ("other processor / trader (12 enterprises)", members in the hover), and their places:
columns by stage (sankeylayout.py), holders ordered by barycentre sweeps to cut crossings
(sankeyorder.py), labels wrapped and the figure sized so that none overlaps (sankeyplace.py).

sankey.py turns this into the plotly figure; tests read the same arrangement to count
crossings and check label boxes.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np
import pandas as pd

from flowgraph.i18n import translator
from flowgraph.reports.flows import node_balance
from flowgraph.reports.sankeylayout import (
    OTHER_ENDS,
    OTHER_ORIGINS,
    RETURN_AFTER,
    RETURN_BEFORE,
    drawn_table,
    fold_small,
    node_x,
)
from flowgraph.reports.sankeyorder import barycentre_order
from flowgraph.reports.sankeyplace import Graph, Placement, attach_y, place, with_spacer, wrap_label
from flowgraph.reports.words import node_label

_MIN_T = 1e-9  # a band thinner than a microgram is float noise, not drawn
_MEMBERS_SHOWN = 12


def link_parts(table: pd.DataFrame) -> pd.DataFrame:
    """The links the Sankey draws: one per (flow, band) with a non-zero value.

    Columns: source, target, band ("traceable" | "untraceable"), value_t, reo_t, lots.

    >>> t = pd.DataFrame({"source": ["a"], "target": ["b"], "reo_t": [1.0], "traceable_t": [0.75],
    ...                   "untraceable_t": [0.25], "lots": [3]})
    >>> link_parts(t)[["band", "value_t"]].values.tolist()
    [['traceable', 0.75], ['untraceable', 0.25]]
    """
    parts = []
    for band in ("traceable", "untraceable"):
        part = table[["source", "target", "reo_t", "lots"]].copy()
        part["band"] = band
        part["value_t"] = table[f"{band}_t"].astype("float64")
        part["_flow"] = np.arange(len(table))
        parts.append(part[part["value_t"] > _MIN_T])
    out = pd.concat(parts, ignore_index=True).sort_values(["_flow", "band"], kind="stable")
    return out[["source", "target", "band", "value_t", "reo_t", "lots"]].reset_index(drop=True)


def drawn_flows(table: pd.DataFrame) -> pd.DataFrame:
    """The flows the figure draws: small nodes folded, backward flows re-routed through
    labelled return nodes (sankeylayout.py); the page's tables use ``table`` itself."""
    return drawn_table(fold_small(table))


def fmt_t(value: float) -> str:
    """Tonnes as the page writes them: "1.250 t", "68,388 t"."""
    return f"{value:,.3f} t" if abs(value) < 100 else f"{value:,.0f} t"


@dataclass
class Arrangement:
    """The drawn Sankey: ``nodes`` (index: node names; stage, in_t, out_t, text, hover),
    ``links`` (link_parts of the drawn flows, with node indices ``src`` / ``dst``), the label
    lines and values (``graph``) and the places (``at``)."""

    nodes: pd.DataFrame
    links: pd.DataFrame
    graph: Graph
    at: Placement
    members: dict[str, dict[str, float]]


def shown_name(name: str, stage: str, members: dict, by: str | None, _) -> str:
    """A node's text: its name in the reader's language, with the count for a folded node,
    e.g. "other processor / trader (12 enterprises)"; a province node without the stage its
    column shows ("Jiangxi", not "Jiangxi (mine)"; a group node likewise)."""
    if by in ("province", "group") and name.endswith(f" ({stage})"):
        bare = name[: -len(stage) - 3]
        return bare if bare.strip() else name  # a blank group name keeps "(mine)"
    text = node_label(name, _)
    if name not in members:
        return text
    count = len(members[name])
    if stage in ("origin", "sink"):
        return _("{name} ({count})").format(name=text, count=count)
    if by == "enterprise":
        return _("{name} ({count} enterprises)").format(name=text, count=count)
    if by == "province":
        return _("{name} ({count} provinces)").format(name=text, count=count)
    if by == "group":
        return _("{name} ({count} groups)").format(name=text, count=count)
    return _("{name} ({count})").format(name=text, count=count)


def members_hover(inside: dict[str, float], _) -> str:
    """The hover lines listing what an "other" node holds, largest first (HTML-escaped)."""
    ranked = sorted(inside.items(), key=lambda kv: (-kv[1], kv[0]))
    lines = [
        f"{html.escape(node_label(str(m), _))}: {fmt_t(t)}" for m, t in ranked[:_MEMBERS_SHOWN]
    ]
    if len(ranked) > _MEMBERS_SHOWN:
        lines.append(
            html.escape(_("… and {count} more").format(count=len(ranked) - _MEMBERS_SHOWN))
        )
    return "<br>" + html.escape(_("made of:")) + "<br>" + "<br>".join(lines)


def _nodes(drawn: pd.DataFrame) -> pd.DataFrame:
    bal = node_balance(drawn)
    bal["_x"] = [node_x(s) for s in bal["stage"]]
    bal["_v"] = np.maximum(bal["in_t"], bal["out_t"])
    bal["_other"] = bal.index.str.startswith(("other ", OTHER_ORIGINS, OTHER_ENDS))
    # Start order: largest first, "other" last in its column; the sweeps reorder the holders.
    return bal.sort_values(["_x", "_other", "_v"], ascending=[True, True, False], kind="stable")


def arrange(table: pd.DataFrame, lang: str = "en", *, ordered: bool = True) -> Arrangement:
    """The arrangement of ``table``'s Sankey. ``ordered=False`` skips the crossing reduction
    (holders stacked largest first), which the tests compare against.

    >>> t = pd.DataFrame({"source": ["import"], "target": ["closing stock"],
    ...     "source_stage": ["origin"], "target_stage": ["sink"], "reo_t": [2.0],
    ...     "traceable_t": [2.0], "untraceable_t": [0.0], "lots": [1]})
    >>> a = arrange(t)
    >>> list(a.nodes.index), bool(a.at.cx[0] < a.at.cx[1])
    (['import', 'closing stock'], True)
    """
    _ = translator(lang)
    drawn = drawn_flows(table)
    members = drawn.attrs.get("members", {})
    by = drawn.attrs.get("by")
    nodes = _nodes(drawn)
    nodes["text"] = [
        shown_name(str(n), s, members, by, _)
        for n, s in zip(nodes.index, nodes["stage"], strict=True)
    ]
    index = {name: i for i, name in enumerate(nodes.index)}
    links = link_parts(drawn)
    links["src"] = links["source"].map(index).astype("int64")
    links["dst"] = links["target"].map(index).astype("int64")
    src, dst = links["src"].to_numpy(), links["dst"].to_numpy()
    value = links["value_t"].to_numpy(dtype=float)
    n = len(nodes)
    node_value = np.maximum(
        np.bincount(src, weights=value, minlength=n), np.bincount(dst, weights=value, minlength=n)
    )
    is_return = nodes["stage"].str.startswith((RETURN_AFTER, RETURN_BEFORE)).to_numpy()
    graph = Graph(
        key=nodes["_x"].to_numpy(dtype=float),
        is_return=is_return,
        lines=[wrap_label(t) for t in nodes["text"]],
        value=node_value,
        src=src,
        dst=dst,
        link_t=value,
    )
    keys = sorted(set(graph.key.tolist()))
    columns = [[i for i in range(n) if graph.key[i] == k] for k in keys]
    stages = nodes["stage"].to_numpy()
    movable = [not is_return[c[0]] and stages[c[0]] not in ("origin",) for c in columns]
    ky = place(graph, columns).ky

    def positions(cols: list[list[int]]) -> tuple[np.ndarray, ...]:
        p = place(graph, cols, ky)
        ys, yd = attach_y(p.cy, p.bar_h, src, dst, value * ky)
        return p.cx, p.cy, ys, yd

    best = barycentre_order(columns, movable, src, dst, value, positions) if ordered else columns
    at = with_spacer(graph, place(graph, best, ky))
    return Arrangement(nodes=nodes, links=links, graph=graph, at=at, members=members)
