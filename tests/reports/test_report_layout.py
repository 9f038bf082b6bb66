"""The Sankey's layout (issue 14): columns by stage, backward flows re-routed through labelled
return nodes so every link runs left to right, small nodes folded into "other"."""

from __future__ import annotations

import pandas as pd
from reports_fixtures import hand_events, hand_registry, hand_shares, with_shares

from flowgraph.model import events_frame
from flowgraph.reports.flows import UNLICENSED_SUFFIX, flow_table, node_balance
from flowgraph.reports.sankey import drawn_flows, sankey_figure
from flowgraph.reports.sankeylayout import SMALL_SHARE


def _cycle_table() -> pd.DataFrame:
    """Hand data plus a processor -> smelter-separator shipment (a flow against the stages)."""
    events = hand_events()
    back = events[events.event_id == "P1-20"].assign(
        event_id="P1-99", counterparty_id="S1", shipment_id="SH99", mass_kg=50.0
    )
    recv = back.assign(
        event_id="S1-99", event_type="receive", enterprise_id="S1", counterparty_id="P1"
    )
    events = events_frame(
        pd.concat([events, back, recv]).drop(columns=["period", "upload_id", "source_row"])
    )
    return flow_table(with_shares(events, hand_registry(), hand_shares()))


def _names(figure) -> list[str]:
    """Node names by index (the labels are wrapped and translated)."""
    return list(figure.layout.meta["nodes"])


def _node_x(figure) -> dict[str, float]:
    sankey = figure.data[0]
    return dict(zip(_names(figure), sankey.node.x, strict=False))


def test_every_drawn_link_runs_left_to_right_and_stages_share_a_column():
    table = _cycle_table()
    assert ("processor", "smelter-separator") in set(zip(table.source, table.target, strict=True))
    figure = sankey_figure(table)
    sankey = figure.data[0]
    xs, labels = list(sankey.node.x), list(sankey.node.label)
    for k, (s, t) in enumerate(zip(sankey.link.source, sankey.link.target, strict=True)):
        if k == figure.layout.meta["spacer_link"]:
            continue
        assert xs[s] < xs[t], f"{labels[s]} -> {labels[t]} runs right to left"
    x = _node_x(sankey_figure(table))
    assert x["mine"] < x["smelter-separator"] < x["processor"] == x["trader"] < x["closing stock"]
    assert x["designated mine"] == x["import"]
    # the way back is labelled, beside the columns it leaves and enters
    assert x["processor"] < x["returns to smelter-separator"] < x["closing stock"]
    assert x["mine"] < x["returns from processor / trader"] < x["smelter-separator"]


def test_drawn_flows_keep_every_holder_balanced_and_the_table_intact():
    table = _cycle_table()
    before = table.copy()
    drawn = drawn_flows(table)
    pd.testing.assert_frame_equal(table, before)  # the page's tables still use the table
    bal = node_balance(drawn)
    returns = bal["stage"].str.startswith("return ")
    holders = bal[~bal["stage"].isin(["origin", "sink"]) & ~returns]
    assert set(holders.index) == {"mine", "smelter-separator", "processor", "trader"}
    assert (holders["in_t"] - holders["out_t"]).abs().max() < 1e-9
    # the way out and the way in carry the same REO
    way_out = bal.loc["returns to smelter-separator", "in_t"]
    assert way_out > 0 and abs(way_out - bal.loc["returns from processor / trader", "out_t"]) < 1e-9
    assert drawn["reo_t"].sum() > table["reo_t"].sum()  # the return passes two links


def _fan(sinks: dict[str, float]) -> pd.DataFrame:
    """100 t mined, all to one mine, which sends it to ``sinks``."""
    total = sum(sinks.values())
    rows = [("designated mine", "mine", "origin", "mine", total)]
    rows += [("mine", name, "mine", "sink", t) for name, t in sinks.items()]
    frame = pd.DataFrame(
        rows, columns=["source", "target", "source_stage", "target_stage", "reo_t"]
    )
    frame["stage"] = frame["source_stage"] + " -> " + frame["target_stage"]
    frame["traceable_t"] = frame["reo_t"]
    frame["untraceable_t"] = 0.0
    frame["lots"] = 1
    return frame


def test_small_ends_fold_into_other_but_unlicensed_exports_stay():
    small = SMALL_SHARE * 100 * 0.4
    table = _fan(
        {
            "domestic downstream": 95.0,
            "export: JP": 5.0 - 4 * small,
            "export: MX": small,
            "export: TH": small,
            "in transit or unconfirmed": small,
            "export: IT" + UNLICENSED_SUFFIX: small,
        }
    )
    labels = set(_names(sankey_figure(table)))
    assert {"export: MX", "export: TH", "in transit or unconfirmed"}.isdisjoint(labels)
    assert {"other ends", "export: JP", "export: IT" + UNLICENSED_SUFFIX} <= labels
    drawn = drawn_flows(table)
    other = drawn.loc[drawn["target"] == "other ends", "reo_t"].sum()
    assert abs(other - 3 * small) < 1e-9


def test_one_small_node_alone_is_not_folded():
    table = _fan({"domestic downstream": 99.5, "export: MX": 0.5})
    labels = set(_names(sankey_figure(table)))
    assert "export: MX" in labels and "other ends" not in labels
