"""TRANSFORM_GAIN, TRANSFORM_LOSS, LOT_OVERDRAWN, STOCK_MISMATCH: trigger and near miss each."""

import pytest
from flowdata import clean_records, ev, findings, replace

# Indices into clean_records(): 0 extract, 1 ship, 2 receive, 3 consume, 4 produce,
# 5 ship, 6 receive, 7 stock, 8 export.


def test_clean_world_has_no_findings():
    assert findings(clean_records()).empty


def _produce(mass, pct=100):
    return replace(clean_records(), 4, mass_kg=mass, reo_pct=pct)


def test_transform_gain_exactly_at_tolerance_is_not_a_finding():
    # B1 consumes 1000 kg x 60% = 600 kg REO; 600 x 1.005 = 603.
    assert findings(_produce(603), types=("TRANSFORM_GAIN",)).empty


def test_transform_gain_just_over_tolerance():
    f = findings(_produce(604), types=("TRANSFORM_GAIN",))
    assert f[["type", "batch_id", "enterprise_id", "period"]].values.tolist() == [
        ["TRANSFORM_GAIN", "B1", "S1", "2024-02"]
    ]
    assert f.loc[0, "reo_kg"] == pytest.approx(4.0)
    assert f.loc[0, "detail"] == "batch yields 100.7% of its REO input"


def test_transform_gain_from_nothing():
    recs = [r for i, r in enumerate(clean_records()) if i != 3]  # B1 without its consume row
    f = findings(recs, types=("TRANSFORM_GAIN",))
    assert f["batch_id"].tolist() == ["B1"]
    assert f.loc[0, "reo_kg"] == pytest.approx(580 * 0.99)


def test_transform_loss_exactly_at_tolerance_is_not_a_finding():
    assert findings(_produce(510), types=("TRANSFORM_LOSS",)).empty  # 600 x 0.85


def test_transform_loss_just_under_tolerance():
    f = findings(_produce(509), types=("TRANSFORM_LOSS",))
    assert f["batch_id"].tolist() == ["B1"]
    assert f.loc[0, "reo_kg"] == pytest.approx(91.0)


def test_batch_that_produces_nothing_is_a_loss():
    recs = [r for i, r in enumerate(clean_records()) if i != 4]
    f = findings(recs, types=("TRANSFORM_LOSS",))
    assert f["batch_id"].tolist() == ["B1"] and f.loc[0, "reo_kg"] == pytest.approx(600)


def test_lot_overdrawn_at_tolerance_is_not_a_finding():
    recs = replace(clean_records(), 1, mass_kg=1005)  # M1 ships 1005 of the 1000 it extracted
    assert findings(recs, types=("LOT_OVERDRAWN",)).empty


def test_lot_overdrawn_over_tolerance_reports_the_month_it_first_goes_over():
    recs = clean_records()
    recs = replace(recs, 1, mass_kg=600)
    recs.append(
        ev("ship", "2024-02-10", "M1", "L1", 405.1, counterparty_id="S1", shipment_id="S-3")
    )
    f = findings(recs, types=("LOT_OVERDRAWN",))
    assert f[["enterprise_id", "lot_id", "period"]].values.tolist() == [["M1", "L1", "2024-02"]]
    assert f.loc[0, "reo_kg"] == pytest.approx(5.1 * 0.6)


def test_lot_overdrawn_counts_receipts_as_inflow():
    # P1 receives 580 of L2 and exports 580: fine; a second export of 10 overdraws.
    recs = clean_records()
    recs.append(
        ev(
            "export",
            "2024-03-09",
            "P1",
            "L2",
            10,
            shipment_id="X-2",
            country="JP",
            document_ref="C",
        )
    )
    f = findings(recs, types=("LOT_OVERDRAWN",))
    assert f[["enterprise_id", "lot_id", "period"]].values.tolist() == [["P1", "L2", "2024-03"]]


def test_stock_mismatch_edge_of_percentage():
    # book 580 kg; 0.5% = 2.9 kg > 1 kg
    assert findings(replace(clean_records(), 7, mass_kg=582.9), types=("STOCK_MISMATCH",)).empty
    f = findings(replace(clean_records(), 7, mass_kg=583), types=("STOCK_MISMATCH",))
    assert f[["enterprise_id", "lot_id", "period"]].values.tolist() == [["P1", "L2", "2024-02"]]
    assert f.loc[0, "reo_kg"] == pytest.approx(3 * 0.99)


def test_stock_mismatch_edge_of_minimum_kg():
    recs = [
        ev(
            "import",
            "2024-01-03",
            "P1",
            "LI",
            100,
            product="ND_OXIDE",
            reo_pct=99,
            country="AU",
            document_ref="C9",
        ),
        ev("stock", "2024-01-31", "P1", "LI", 101),  # 0.5% of 100 = 0.5 < 1 kg
    ]
    assert findings(recs, types=("STOCK_MISMATCH",)).empty
    recs[1]["mass_kg"] = 98.9
    assert findings(recs, types=("STOCK_MISMATCH",))["lot_id"].tolist() == ["LI"]


def test_stock_of_a_lot_never_held_compares_with_zero():
    recs = clean_records() + [ev("stock", "2024-01-31", "S1", "L-GHOST", 5, product="LA_OXIDE")]
    f = findings(recs, types=("STOCK_MISMATCH",))
    assert f[["enterprise_id", "lot_id"]].values.tolist() == [["S1", "L-GHOST"]]
    assert f.loc[0, "reo_kg"] == pytest.approx(5 * 0.99)


def test_book_stock_includes_the_whole_month():
    # Stock row dated before the month's receipt still counts the receipt (book up to period end).
    assert findings(replace(clean_records(), 7, date="2024-02-10"), types=("STOCK_MISMATCH",)).empty
    # and after the March export, declaring 580 in March is a mismatch
    recs = clean_records() + [ev("stock", "2024-03-31", "P1", "L2", 580)]
    f = findings(recs, types=("STOCK_MISMATCH",))
    assert f[["lot_id", "period"]].values.tolist() == [["L2", "2024-03"]]


def test_stock_rows_are_not_flows():
    # A stock row never overdraws or feeds a lot: a big stock figure alone is a stock mismatch only.
    recs = clean_records() + [ev("stock", "2024-01-31", "M1", "L1", 5000)]
    f = findings(recs)
    assert f["type"].tolist() == ["STOCK_MISMATCH"]


def test_a_return_to_the_sender_is_ordinary_flow():
    # P1 sends 80 kg of L2 back to S1, which ships it out again: no finding anywhere.
    recs = replace(clean_records(), 8, mass_kg=500)  # P1 exports 500, returns 80
    recs = replace(recs, 7, mass_kg=580)
    recs += [
        ev("ship", "2024-03-06", "P1", "L2", 80, counterparty_id="S1", shipment_id="R-1"),
        ev("receive", "2024-03-07", "S1", "L2", 80, counterparty_id="P1", shipment_id="R-1"),
        ev(
            "export",
            "2024-03-20",
            "S1",
            "L2",
            80,
            shipment_id="X-9",
            country="JP",
            document_ref="C",
        ),
        ev("stock", "2024-03-31", "S1", "L2", 0),
        ev("stock", "2024-03-31", "P1", "L2", 0),
    ]
    assert findings(recs).empty
