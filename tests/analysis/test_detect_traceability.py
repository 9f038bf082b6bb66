"""UNKNOWN_LOT, DUPLICATE_LOT, TIME_INVERSION, LINEAGE_CYCLE, UNTRACEABLE_EXPORT."""

import pytest
from flowdata import clean_records, ev, findings, registry, replace


def test_unknown_lot_consumed():
    recs = clean_records() + [
        ev("consume", "2024-02-02", "S1", "LX", 100, batch_id="B1", product="BAST_CONC")
    ]
    f = findings(recs, types=("UNKNOWN_LOT",))
    assert f[["lot_id", "enterprise_id", "period"]].values.tolist() == [["LX", "S1", "2024-02"]]
    assert f.loc[0, "reo_kg"] == pytest.approx(60.0)


def test_unknown_lot_passed_along_is_counted_once():
    recs = [
        ev(
            "ship",
            "2024-01-03",
            "M1",
            "LX",
            100,
            product="BAST_CONC",
            counterparty_id="S1",
            shipment_id="S",
        ),
        ev(
            "receive",
            "2024-01-04",
            "S1",
            "LX",
            100,
            product="BAST_CONC",
            counterparty_id="M1",
            shipment_id="S",
        ),
        ev("consume", "2024-01-05", "S1", "LX", 100, product="BAST_CONC", batch_id="B"),
    ]
    f = findings(recs, types=("UNKNOWN_LOT",))
    assert f[["lot_id", "enterprise_id", "period"]].values.tolist() == [["LX", "M1", "2024-01"]]
    assert f.loc[0, "reo_kg"] == pytest.approx(60.0)


def test_lot_only_written_off_or_stocked_is_not_unknown():
    recs = clean_records() + [
        ev("loss", "2024-02-02", "S1", "LY", 1, product="BAST_CONC"),
        ev("stock", "2024-02-29", "S1", "LZ", 0, product="BAST_CONC"),
    ]
    assert findings(recs, types=("UNKNOWN_LOT",)).empty


def test_duplicate_lot():
    recs = clean_records() + [
        ev(
            "extract",
            "2024-02-06",
            "M1",
            "L1",
            200,
            product="BAST_CONC",
            reo_pct=60,
            document_ref="LIC-M1",
        )
    ]
    f = findings(recs, types=("DUPLICATE_LOT",))
    assert f[["lot_id", "enterprise_id", "period"]].values.tolist() == [["L1", "M1", "2024-02"]]
    assert f.loc[0, "reo_kg"] == pytest.approx(120.0)
    assert findings(clean_records(), types=("DUPLICATE_LOT",)).empty


def test_time_inversion_ship_before_extract():
    f = findings(replace(clean_records(), 1, date="2024-01-04"), types=("TIME_INVERSION",))
    assert f[["enterprise_id", "lot_id", "period"]].values.tolist() == [["M1", "L1", "2024-01"]]
    assert f.loc[0, "reo_kg"] == pytest.approx(600.0)


def test_time_inversion_same_day_is_fine():
    assert findings(replace(clean_records(), 1, date="2024-01-05"), types=("TIME_INVERSION",)).empty


def test_time_inversion_consume_before_receipt():
    f = findings(replace(clean_records(), 3, date="2024-01-21"), types=("TIME_INVERSION",))
    assert f[["enterprise_id", "lot_id"]].values.tolist() == [["S1", "L1"]]


def _cycle(closing: bool) -> list[dict]:
    recs = clean_records()[:5]
    recs += [
        ev("consume", "2024-02-10", "S1", "L2", 100, batch_id="B2"),
        ev("produce", "2024-02-11", "S1", "L3", 100, batch_id="B2", product="LA_OXIDE", reo_pct=99),
        ev("consume", "2024-03-10", "S1", "L3", 100, batch_id="B3"),
    ]
    if closing:
        recs.append(
            ev(
                "produce",
                "2024-03-11",
                "S1",
                "L2",
                100,
                batch_id="B3",
                product="LA_OXIDE",
                reo_pct=99,
            )
        )
    else:
        recs.append(
            ev(
                "produce",
                "2024-03-11",
                "S1",
                "L4",
                100,
                batch_id="B3",
                product="LA_OXIDE",
                reo_pct=99,
            )
        )
    return recs


def test_lineage_cycle_keyed_by_smallest_lot():
    f = findings(_cycle(True), types=("LINEAGE_CYCLE",))
    assert f[["lot_id", "period"]].values.tolist() == [["L2", "2024-03"]]
    assert f.loc[0, "reo_kg"] > 0


def test_lineage_chain_is_not_a_cycle():
    assert findings(_cycle(False), types=("LINEAGE_CYCLE",)).empty


UE = ("UNTRACEABLE_EXPORT",)


def test_export_of_undesignated_ore_is_untraceable():
    reg = registry(designations=[])
    f = findings(clean_records(), reg, types=UE)
    assert f[["shipment_id", "enterprise_id", "period"]].values.tolist() == [
        ["X-1", "P1", "2024-03"]
    ]
    assert f.loc[0, "reo_kg"] == pytest.approx(580 * 0.99)


def _mixed_batch(unknown_kg: float) -> list[dict]:
    recs = replace(clean_records(), 3, mass_kg=950)  # 570 kg traceable REO
    return recs + [
        ev("consume", "2024-02-02", "S1", "LU", unknown_kg, batch_id="B1", product="BAST_CONC")
    ]


def test_untraceable_share_exactly_five_percent_is_not_a_finding():
    # inputs 570 traceable + 30 unknown = 600 kg REO > 574.2 produced: share 570/600 = 95%.
    assert findings(_mixed_batch(50), types=UE).empty


def test_untraceable_share_just_over_five_percent():
    f = findings(_mixed_batch(51), types=UE)
    assert f["shipment_id"].tolist() == ["X-1"]
    assert f.loc[0, "reo_kg"] == pytest.approx(574.2 * 30.6 / 600.6, rel=1e-6)


def test_untraceable_export_share_is_a_tolerance():
    assert findings(_mixed_batch(51), types=UE, untraceable_export_share=0.06).empty


def test_untraceable_export_names_the_exported_lot():
    # The investigator traces a lot, not a shipment: lot_id is the exported lot (was null).
    f = findings(clean_records(), registry(designations=[]), types=UE)
    assert f[["lot_id", "shipment_id"]].values.tolist() == [["L2", "X-1"]]
    assert f.loc[0, "detail"] == "100.0% of the exported REO is untraceable"


def test_untraceable_export_of_several_lots_names_the_one_with_the_most():
    # X-1 carries L2 (untraceable, 580 kg) and LU (unknown, so untraceable too, 700 kg of 99%):
    # one finding for the shipment, lot_id = LU, the larger untraceable part; the detail says
    # how many lots. A traceable lot in the same shipment is no candidate.
    unknown = ev("receive", "2024-02-25", "P1", "LU", 700, product="LA_OXIDE",
                 counterparty_id="S1", shipment_id="S-9", reo_pct=99)  # fmt: skip
    out = ev("export", "2024-03-04", "P1", "LU", 700, shipment_id="X-1", country="JP",
             document_ref="CUS-1", product="LA_OXIDE")  # fmt: skip
    f = findings(clean_records() + [unknown, out], registry(designations=[]), types=UE)
    assert f[["lot_id", "shipment_id"]].values.tolist() == [["LU", "X-1"]]
    assert f.loc[0, "detail"] == (
        "100.0% of the exported REO is untraceable (2 lots; lot_id: the one with the most)"
    )
    # near miss: with the mine designated, L2 is traceable: LU alone offends, one lot
    f = findings(clean_records() + [unknown, out], registry(), types=UE)
    assert f[["lot_id", "detail"]].values.tolist() == [
        ["LU", "100.0% of the exported REO is untraceable"]
    ]
    assert f.loc[0, "reo_kg"] == pytest.approx(693.0)
