"""The flow table: exact flows on hand data, and conservation at every holder on messy data."""

from __future__ import annotations

import pandas as pd
import pytest
from reports_fixtures import hand_events, hand_registry, hand_shares, random_events, with_shares

from flowgraph.errors import UsageError
from flowgraph.reports import flows as F
from flowgraph.reports.flows import flow_table, node_balance, upload_count


def _links(table: pd.DataFrame) -> dict[tuple[str, str], float]:
    return {
        (s, t): round(v, 6) for s, t, v in zip(table.source, table.target, table.reo_t, strict=True)
    }


def assert_conserved(table: pd.DataFrame) -> None:
    bal = node_balance(table)
    holders = bal[~bal["stage"].isin(["origin", "sink"])]
    assert not holders.empty
    pd.testing.assert_series_equal(holders["in_t"], holders["out_t"], check_names=False, atol=1e-9)
    assert (bal.loc[bal["stage"] == "origin", "in_t"] == 0).all()
    assert (bal.loc[bal["stage"] == "sink", "out_t"] == 0).all()
    origins = table.loc[table["source_stage"] == "origin", "reo_t"].sum()
    sinks = table.loc[table["target_stage"] == "sink", "reo_t"].sum()
    assert origins == pytest.approx(sinks, abs=1e-9)
    assert (table["reo_t"] > 0).all()
    assert (table["untraceable_t"] >= -1e-12).all()
    assert (table["traceable_t"] + table["untraceable_t"]).round(9).equals(table["reo_t"].round(9))


def test_hand_chain_flows_by_role():
    table = flow_table(with_shares(hand_events(), hand_registry(), hand_shares()))
    expected = {
        ("designated mine", "mine"): 0.6,
        ("untraceable: undesignated extraction", "mine"): 0.25,
        ("import", "trader"): 0.12,
        ("mine", "smelter-separator"): 0.725,
        ("mine", "in transit or unconfirmed"): 0.005,
        ("mine", "closing stock"): 0.12,
        ("trader", "in transit or unconfirmed"): 0.12,
        ("untraceable: batch gains", "smelter-separator"): 0.00495,
        ("untraceable: unknown or overdrawn lots", "smelter-separator"): 0.045,
        ("smelter-separator", "process losses"): 0.0419,
        ("smelter-separator", "processor"): 0.54,
        ("smelter-separator", "export: US"): 0.0495,
        ("smelter-separator", "closing stock"): 0.14355,
        ("processor", "domestic downstream"): 0.099,
        ("processor", "closing stock"): 0.441,
    }
    assert _links(table) == expected
    assert_conserved(table)
    row = table.set_index(["source", "target"])
    # Mine -> smelter: L1 traceable (480 kg REO), L2 undesignated (245 kg) -> untraceable band.
    assert row.loc[("mine", "smelter-separator"), "untraceable_t"] == pytest.approx(0.245)
    assert row.loc[("mine", "smelter-separator"), "lots"] == 2
    assert row.loc[("untraceable: batch gains", "smelter-separator"), "traceable_t"] == 0
    assert row.loc[("untraceable: unknown or overdrawn lots", "smelter-separator"), "lots"] == 1
    # Smelter -> processor: 495 kg of L4 (share 480/725) + 45 kg of the unknown lot LX.
    assert row.loc[("smelter-separator", "processor"), "traceable_t"] == pytest.approx(
        0.495 * 480 / 725
    )
    assert row.loc[("designated mine", "mine"), "stage"] == "origin -> mine"


def test_flow_table_untraceable_follows_lot_share():
    shares = hand_shares()
    shares["L1"] = 0.5
    table = flow_table(with_shares(hand_events(), hand_registry(), shares)).set_index(
        ["source", "target"]
    )
    assert table.loc[("mine", "smelter-separator"), "untraceable_t"] == pytest.approx(0.245 + 0.24)
    # A lot missing from the shares is untraceable as a whole.
    table = flow_table(with_shares(hand_events(), hand_registry(), pd.Series(dtype=float)))
    assert table["traceable_t"].sum() == 0


def test_by_enterprise_province_group_and_top():
    ev, reg, sh = hand_events(), hand_registry(), hand_shares()
    by_ent = flow_table(with_shares(ev, reg, sh), by="enterprise")
    links = _links(by_ent)
    assert links[("designated mine", "Mine One")] == 0.6
    assert links[("Mine Two", "Smelter One")] == 0.245
    assert links[("Mine One", "Smelter One")] == 0.48
    assert_conserved(by_ent)
    by_prov = flow_table(with_shares(ev, reg, sh), by="province")
    assert ("Inner Mongolia (mine)", "Inner Mongolia (smelter-separator)") in _links(by_prov)
    assert_conserved(by_prov)
    by_group = flow_table(with_shares(ev, reg, sh), by="group")
    assert _links(by_group)[("North (smelter-separator)", "South (processor / trader)")] == 0.54
    assert_conserved(by_group)
    top = flow_table(with_shares(ev, reg, sh), by="enterprise", top=1)
    nodes = set(top.source) | set(top.target)
    assert "other mine" in nodes and "Mine One" in nodes and "Mine Two" not in nodes
    assert_conserved(top)


def test_same_node_transfers_are_internal():
    ev = hand_events()
    reg = hand_registry()
    reg.enterprises.loc[reg.enterprises.enterprise_id == "P1", "roles"] = "smelter"
    table = flow_table(with_shares(ev, reg, hand_shares()))
    assert not (table.source == table.target).any()
    assert ("smelter-separator", "domestic downstream") in _links(table)
    assert_conserved(table)


def test_window_opening_stock_and_transit_from_earlier():
    ev = hand_events()
    later = pd.DataFrame(
        [
            {
                "event_id": "x1",
                "event_type": "ship",
                "date": "2024-04-30",
                "enterprise_id": "P1",
                "lot_id": "L4",
                "mass_kg": 100,
                "counterparty_id": "S1",
                "shipment_id": "SH9",
            },
            {
                "event_id": "x2",
                "event_type": "receive",
                "date": "2024-05-02",
                "enterprise_id": "S1",
                "lot_id": "L4",
                "mass_kg": 100,
                "counterparty_id": "P1",
                "shipment_id": "SH9",
            },
        ]
    )
    from flowgraph.model import events_frame

    ev = events_frame(pd.concat([ev.drop(columns=["period", "upload_id", "source_row"]), later]))
    april = _links(flow_table(with_shares(ev, hand_registry(), hand_shares()), period="2024-04"))
    assert april[("opening stock", "processor")] == 0.441
    assert april[("processor", "in transit or unconfirmed")] == 0.099
    may = flow_table(with_shares(ev, hand_registry(), hand_shares()), period="2024-05")
    assert _links(may)[("in transit from earlier period", "smelter-separator")] == 0.099
    assert_conserved(may)
    year = flow_table(with_shares(ev, hand_registry(), hand_shares()), year=2024)
    assert ("processor", "smelter-separator") in _links(year)
    assert upload_count(ev, period="2024-04") == 1
    assert upload_count(ev, year=2024) == 7
    assert upload_count(ev, year=2024, registry=hand_registry(), province="Jiangxi") == 4


def test_province_and_family_filters_cross_their_borders():
    ev, reg, sh = hand_events(), hand_registry(), hand_shares()
    mongolia = flow_table(with_shares(ev, reg, sh), province="Inner Mongolia")
    links = _links(mongolia)
    assert links[("from other provinces", "smelter-separator")] == 0.245
    assert links[("smelter-separator", "to other provinces")] == 0.54
    assert_conserved(mongolia)
    minerals = flow_table(with_shares(ev, reg, sh), product_family="mineral")
    links = _links(minerals)
    assert links[("smelter-separator", "processed into other products")] == 0.725
    assert_conserved(minerals)
    oxides = flow_table(with_shares(ev, reg, sh), product_family="compound")
    links = _links(oxides)
    assert links[("processed from other products", "smelter-separator")] == 0.693
    assert links[("untraceable: batch gains", "smelter-separator")] == 0.00495
    assert_conserved(oxides)


@pytest.mark.parametrize("seed", range(6))
def test_random_tables_conserve_mass_at_every_holder(seed):
    events, registry, shares = random_events(seed)
    for kwargs in (
        {},
        {"by": "enterprise"},
        {"year": 2025, "by": "province"},
        {"period": "2024-07", "by": "group"},
        {"province": "A", "by": "enterprise", "top": 2},
        {"product_family": "compound"},
        {"product_family": "mineral", "year": 2024},
    ):
        table = flow_table(with_shares(events, registry, shares), **kwargs)
        if table.empty:
            continue
        assert_conserved(table)
    # All of it: every REO kg that was created or received ends somewhere.
    table = flow_table(with_shares(events, registry, shares))
    created = events[events.event_type.isin(["extract", "import"])]
    from flowgraph.analysis.common import reo_kg

    made = reo_kg(events)[created.index].sum() / 1000
    from_mines_imports = table.loc[
        table.source.isin([F.DESIGNATED_MINE, F.IMPORT, F.U_EXTRACTION, F.U_IMPORT]), "reo_t"
    ].sum()
    assert from_mines_imports == pytest.approx(made)


def test_bad_options_are_usage_errors():
    ev, reg = hand_events(), hand_registry()
    with pytest.raises(UsageError, match="--by"):
        flow_table(with_shares(ev, reg, hand_shares()), by="colour")
    with pytest.raises(UsageError, match="YYYY-MM"):
        flow_table(with_shares(ev, reg, hand_shares()), period="2024-3")
    with pytest.raises(UsageError, match="not in year"):
        flow_table(with_shares(ev, reg, hand_shares()), period="2024-03", year=2023)
    with pytest.raises(UsageError, match="family"):
        flow_table(with_shares(ev, reg, hand_shares()), product_family="gold")
