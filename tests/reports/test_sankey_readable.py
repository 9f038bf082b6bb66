"""The Sankey reads on a national year (issue 14, item 16): holders ordered to cut crossings,
small enterprises folded into "other (N enterprises)" listed in the hover, labels wrapped so
that none overlaps another label or node or leaves the plot, and no tonne moves."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from reports_fixtures import hand_events, hand_registry, hand_shares, with_shares

from flowgraph.reports.flows import flow_table, node_balance
from flowgraph.reports.sankey import sankey_figure
from flowgraph.reports.sankeyarrange import arrange, drawn_flows
from flowgraph.reports.sankeylayout import COLUMN_CAP, is_backward
from flowgraph.reports.sankeyorder import crossings
from flowgraph.reports.sankeyplace import LABEL_PX, text_px, wrap_label

VIEWS = [("role", None), ("enterprise", None), ("province", None), ("province", 8), ("group", None)]


@pytest.fixture(scope="module")
def world():
    """A seeded synthetic year: 53 enterprises in 17 provinces, ~6,700 events."""
    from flowgraph.analysis.prepared import PreparedEvents
    from flowgraph.synth import build
    from flowgraph.synth.writer import events_view

    built = build(seed=5, scale=0.5)
    events = events_view(built.table).reset_index(drop=True)
    view = PreparedEvents(events, built.registry)
    return {key: flow_table(view, by=key[0], top=key[1], year=2024) for key in VIEWS}


def _figure_positions(figure):
    """Node centres and links as the figure gives them to plotly (the spacer left out)."""
    sankey = figure.data[0]
    assert all(label.strip() for label in sankey.node.label[: len(figure.layout.meta["nodes"])])
    x, y = np.array(sankey.node.x, dtype=float), np.array(sankey.node.y, dtype=float)
    src, dst = np.array(sankey.link.source), np.array(sankey.link.target)
    value = np.array(sankey.link.value, dtype=float)
    real = np.arange(len(src)) != figure.layout.meta["spacer_link"]
    return x, y, src[real], dst[real], value[real]


@pytest.mark.parametrize("key", [VIEWS[0], VIEWS[1], VIEWS[2]], ids=lambda k: f"{k[0]}-{k[1]}")
def test_ordered_columns_cross_clearly_less_than_largest_first(world, key):
    table = world[key]
    x, y, src, dst, value = _figure_positions(sankey_figure(table))
    ordered = crossings(x, y, src, dst, value)
    plain = arrange(table, ordered=False).at
    links = arrange(table, ordered=False).links
    unordered = crossings(
        plain.cx, plain.cy, links["src"].to_numpy(), links["dst"].to_numpy(),
        links["value_t"].to_numpy(),
    )  # fmt: skip
    assert unordered > 0
    assert ordered < 0.85 * unordered, (ordered, unordered)


def _overlap(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairs (i, j) of boxes of ``a`` and ``b`` (x0, y0, x1, y1) that overlap."""
    ox = (a[:, None, 0] < b[None, :, 2]) & (b[None, :, 0] < a[:, None, 2])
    oy = (a[:, None, 1] < b[None, :, 3]) & (b[None, :, 1] < a[:, None, 3])
    return np.argwhere(ox & oy)


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
@pytest.mark.parametrize("key", VIEWS, ids=lambda k: f"{k[0]}-{k[1]}")
def test_no_label_overlaps_another_label_or_node_or_leaves_the_plot(world, key, lang):
    arranged = arrange(world[key], lang)
    at = arranged.at
    labels, bars = at.label_boxes(), at.node_boxes()
    names = list(arranged.nodes.index)
    pairs = [(names[i], names[j]) for i, j in _overlap(labels, labels) if i < j]
    assert pairs == []
    hits = [(names[i], names[j]) for i, j in _overlap(labels, bars) if i != j]
    assert hits == []
    assert labels[:, 0].min() >= 0 and labels[:, 2].max() <= at.plot_w
    assert labels[:, 1].min() >= 0 and labels[:, 3].max() <= at.plot_h
    assert bars[:, 1].min() >= 0 and bars[:, 3].max() <= at.plot_h + 1e-6
    # every label line fits its width; the figure is as wide as the placement needs
    assert max(text_px(line) for lines in arranged.graph.lines for line in lines) <= LABEL_PX
    figure = sankey_figure(world[key], lang=lang)
    assert figure.layout.width == at.width and figure.layout.height == at.height


def test_long_names_wrap_and_the_hover_keeps_the_full_name():
    long_name = "Baotou Rare Earth Products Exchange and International Trading Group Co."
    registry = hand_registry(smelter_name=long_name)
    table = flow_table(with_shares(hand_events(), registry, hand_shares()), by="enterprise")
    sankey = sankey_figure(table).data[0]
    shown = [label for label in sankey.node.label if long_name.split()[0] in label]
    assert len(shown) == 1 and "<br>" in shown[0] and shown[0].endswith("…")
    assert any(long_name in hover for hover in sankey.node.customdata)
    assert wrap_label("包头稀土产品交易所" * 4)[-1].endswith("…")


def test_small_enterprises_fold_into_other_with_their_names_in_the_hover(world):
    table = world[("enterprise", None)]
    arranged = arrange(table)
    nodes = arranged.nodes
    holders = nodes[
        ~nodes["stage"].isin(["origin", "sink"]) & ~nodes["stage"].str.startswith("return")
    ]
    per_stage = holders.groupby("stage").size()
    assert per_stage.max() <= COLUMN_CAP + 1  # the cap, plus "other"
    raw = node_balance(table)
    traders = raw[raw["stage"] == "processor / trader"]
    assert len(traders) > COLUMN_CAP  # the world has more than a column shows
    other = "other processor / trader"
    members = arranged.members[other]
    assert nodes.loc[other, "text"] == f"{other} ({len(members)} enterprises)"
    assert set(members) <= set(traders.index) and len(members) >= len(traders) - COLUMN_CAP
    hover = dict(
        zip(
            sankey_figure(table).data[0].node.label,
            sankey_figure(table).data[0].node.customdata,
            strict=True,
        )
    )
    other_hover = next(h for label, h in hover.items() if label.startswith("other processor"))
    biggest = max(members, key=members.get)
    assert biggest in other_hover
    # members carry the tonnes through them: the "other" node holds their sum (less what
    # flowed between two of them, now internal)
    assert sum(members.values()) >= nodes.loc[other, "in_t"] - 1e-6


def test_top_keeps_n_per_stage_and_names_the_rest(world):
    arranged = arrange(world[("province", 8)])
    nodes = arranged.nodes
    holders = nodes[
        ~nodes["stage"].isin(["origin", "sink"]) & ~nodes["stage"].str.startswith("return")
    ]
    assert holders.groupby("stage").size().max() <= 9
    assert "Jiangxi" in set(nodes["text"])  # the column says the stage; the label need not
    others = [n for n in nodes.index if n.startswith("other ") and n in arranged.members]
    assert others and all(
        " provinces)" in nodes.loc[n, "text"]
        for n in others
        if nodes.loc[n, "stage"] not in ("origin", "sink")
    )


@pytest.mark.parametrize("key", VIEWS, ids=lambda k: f"{k[0]}-{k[1]}")
def test_no_tonne_moves_between_stages_and_holders_balance(world, key):
    table = world[key]
    drawn = drawn_flows(table)
    # what enters and what ends is the table's, per origin / sink kind and in total
    for side, stage in (("source", "origin"), ("target", "sink")):
        col = f"{side}_stage"
        assert drawn.loc[drawn[col] == stage, "reo_t"].sum() == pytest.approx(
            table.loc[table[col] == stage, "reo_t"].sum(), rel=1e-9
        )

    # forward flows between two stages: same tonnes per stage pair
    def per_pair(t: pd.DataFrame) -> pd.Series:
        fwd = t[
            ~is_backward(t["source_stage"], t["target_stage"])
            & ~t["source_stage"].str.startswith("return")
            & ~t["target_stage"].str.startswith("return")
        ]
        return fwd.groupby(["source_stage", "target_stage"])["reo_t"].sum()

    pd.testing.assert_series_equal(per_pair(drawn), per_pair(table), rtol=1e-9)
    # the figure's links (less the spacer) are the drawn flows' bands
    x, y, src, dst, value = _figure_positions(sankey_figure(table))
    assert value.sum() == pytest.approx(drawn["reo_t"].sum(), rel=1e-9)
    bal = node_balance(drawn)
    holders = bal[~bal["stage"].isin(["origin", "sink"]) & ~bal["stage"].str.startswith("return")]
    assert (holders["in_t"] - holders["out_t"]).abs().max() < 1e-6


def test_group_nodes_read_without_their_stage(world):
    nodes = arrange(world[("group", None)]).nodes
    holders = nodes[
        ~nodes["stage"].isin(["origin", "sink"]) & ~nodes["stage"].str.startswith("return")
    ]
    assert len(holders) >= 3
    for name, row in holders.iterrows():
        assert f"({row['stage']})" in name and f"({row['stage']})" not in row["text"]
