"""UNDESIGNATED_EXTRACTION, UNDESIGNATED_SMELTING, UNDESIGNATED_SUPPLY, QUOTA_EXCEEDED."""

import pytest
from flowdata import DESIGNATIONS, clean_records, ev, findings, registry


def _with(ent: str, activity: str, valid_from: str, valid_to: str | None):
    des = [d for d in DESIGNATIONS if d["enterprise_id"] != ent]
    des.append(
        {
            "enterprise_id": ent,
            "activity": activity,
            "licence_no": "X",
            "valid_from": valid_from,
            "valid_to": valid_to,
        }
    )
    return registry(designations=des)


UX = ("UNDESIGNATED_EXTRACTION",)
US = ("UNDESIGNATED_SMELTING",)
SUP = ("UNDESIGNATED_SUPPLY",)


def test_extraction_on_valid_to_day_is_covered():
    assert findings(
        clean_records(), _with("M1", "mining", "2023-01-01", "2024-01-05"), types=UX
    ).empty


def test_extraction_the_day_after_valid_to_is_undesignated():
    f = findings(clean_records(), _with("M1", "mining", "2023-01-01", "2024-01-04"), types=UX)
    assert f[["enterprise_id", "lot_id", "period"]].values.tolist() == [["M1", "L1", "2024-01"]]
    assert f.loc[0, "reo_kg"] == pytest.approx(600)


def test_extraction_before_valid_from_is_undesignated():
    assert len(findings(clean_records(), _with("M1", "mining", "2024-01-06", None), types=UX)) == 1
    assert findings(clean_records(), _with("M1", "mining", "2024-01-05", None), types=UX).empty


def test_a_smelting_designation_does_not_cover_mining():
    assert (
        len(findings(clean_records(), _with("M1", "smelting", "2023-01-01", None), types=UX)) == 1
    )


def test_smelting_on_valid_to_day_is_covered():
    # B1's earliest row is the consume on 2024-02-02.
    assert findings(
        clean_records(), _with("S1", "smelting", "2023-01-01", "2024-02-02"), types=US
    ).empty


def test_smelting_the_day_after_valid_to_is_undesignated():
    f = findings(clean_records(), _with("S1", "smelting", "2023-01-01", "2024-02-01"), types=US)
    assert f[["batch_id", "enterprise_id", "period"]].values.tolist() == [["B1", "S1", "2024-02"]]
    assert f.loc[0, "reo_kg"] == pytest.approx(580 * 0.99)


def test_processing_oxide_is_not_smelting():
    recs = clean_records() + [
        ev("consume", "2024-03-01", "P1", "L2", 10, batch_id="PB"),
        ev(
            "produce",
            "2024-03-02",
            "P1",
            "MAG",
            25,
            batch_id="PB",
            product="NDFEB_MAGNET",
            reo_pct=36,
        ),
    ]
    assert findings(recs, types=US).empty


def test_supply_of_ore_from_an_undesignated_mine():
    f = findings(clean_records(), registry(designations=DESIGNATIONS[1:]), types=SUP)
    assert f[["shipment_id", "enterprise_id", "period"]].values.tolist() == [
        ["S-1", "M1", "2024-01"]
    ]
    assert f.loc[0, "reo_kg"] == pytest.approx(600)
    assert findings(clean_records(), types=SUP).empty


def test_trader_that_received_the_ore_has_lawful_custody():
    recs = clean_records()[:1] + [
        ev("ship", "2024-01-10", "M1", "L1", 1000, counterparty_id="P1", shipment_id="T-1"),
        ev("receive", "2024-01-11", "P1", "L1", 1000, counterparty_id="M1", shipment_id="T-1"),
        ev("ship", "2024-01-12", "P1", "L1", 1000, counterparty_id="S1", shipment_id="T-2"),
        ev("receive", "2024-01-13", "S1", "L1", 1000, counterparty_id="P1", shipment_id="T-2"),
    ]
    assert findings(recs, types=SUP).empty
    del recs[2]  # P1 never records receiving the ore it sells on
    f = findings(recs, types=SUP)
    assert f[["shipment_id", "enterprise_id"]].values.tolist() == [["T-2", "P1"]]


def test_undocumented_import_gives_no_lawful_custody_of_ore():
    recs = [
        ev(
            "import",
            "2024-01-02",
            "P1",
            "LI",
            100,
            product="MONAZITE_CONC",
            reo_pct=60,
            country="MM",
        ),
        ev("ship", "2024-01-03", "P1", "LI", 100, counterparty_id="S1", shipment_id="I-1"),
        ev("receive", "2024-01-04", "S1", "LI", 100, counterparty_id="P1", shipment_id="I-1"),
    ]
    assert findings(recs, types=SUP)["shipment_id"].tolist() == ["I-1"]
    recs[0]["document_ref"] = "CUS-77"
    assert findings(recs, types=SUP).empty


def test_oxide_without_custody_is_not_undesignated_supply_but_unregistered_sender_is():
    recs = [
        ev(
            "receive",
            "2024-01-04",
            "S1",
            "LO",
            100,
            product="LA_OXIDE",
            counterparty_id="P1",
            shipment_id="O-1",
        )
    ]
    assert findings(recs, types=SUP).empty
    recs[0]["counterparty_id"] = "NOT-REGISTERED"
    f = findings(recs, types=SUP)
    assert f[["shipment_id", "enterprise_id"]].values.tolist() == [["O-1", "NOT-REGISTERED"]]
    assert "not in the registry" in f.loc[0, "detail"]


QX = ("QUOTA_EXCEEDED",)


def _quota(tonnes, activity="mining", ent="M1", year=2024):
    return [{"enterprise_id": ent, "year": year, "activity": activity, "quota_t_reo": tonnes}]


def test_quota_exactly_equal_is_not_exceeded():
    assert findings(clean_records(), registry(quotas=_quota(0.6)), types=QX).empty


def test_quota_exceeded_by_a_fraction():
    f = findings(clean_records(), registry(quotas=_quota(0.5999)), types=QX)
    row = f.iloc[0]
    assert (row["enterprise_id"], row["year"], row["activity"], row["period"]) == (
        "M1",
        2024,
        "mining",
        "2024-01",
    )
    assert row["reo_kg"] == pytest.approx(0.1)
    assert "mining" in row["detail"]


def test_quota_period_is_the_month_it_was_crossed_and_quota_rows_add_up():
    recs = clean_records() + [
        ev(
            "extract",
            "2024-02-07",
            "M1",
            "L9",
            1000,
            product="BAST_CONC",
            reo_pct=60,
            document_ref="LIC-M1",
        )
    ]
    quotas = _quota(0.5) + _quota(0.5)  # two issuing batches: 1 t in all
    f = findings(recs, registry(quotas=quotas), types=QX)
    assert f[["period", "year"]].values.tolist() == [["2024-02", 2024]]
    assert f.loc[0, "reo_kg"] == pytest.approx(200)


def test_quota_of_another_year_or_activity_does_not_apply():
    assert findings(clean_records(), registry(quotas=_quota(0.1, year=2023)), types=QX).empty
    assert findings(
        clean_records(), registry(quotas=_quota(0.1, activity="smelting")), types=QX
    ).empty


def test_smelting_quota_counts_smelting_output():
    f = findings(clean_records(), registry(quotas=_quota(0.5, "smelting", "S1")), types=QX)
    assert f[["enterprise_id", "activity", "period"]].values.tolist() == [
        ["S1", "smelting", "2024-02"]
    ]
    assert f.loc[0, "reo_kg"] == pytest.approx(574.2 - 500)
