"""TRANSIT_MISMATCH, UNCONFIRMED_SHIPMENT, RECEIPT_WITHOUT_SHIPMENT: trigger and near miss each."""

import pytest
from flowdata import clean_records, ev, findings, heartbeat, replace

TM = ("TRANSIT_MISMATCH",)
UC = ("UNCONFIRMED_SHIPMENT",)
RW = ("RECEIPT_WITHOUT_SHIPMENT",)


def test_transit_mismatch_exactly_half_a_percent_is_not_a_finding():
    assert findings(replace(clean_records(), 2, mass_kg=995), types=TM).empty


def test_transit_mismatch_just_over_half_a_percent():
    f = findings(replace(clean_records(), 2, mass_kg=994.9), types=TM)
    assert f[["shipment_id", "enterprise_id", "period"]].values.tolist() == [
        ["S-1", "M1", "2024-01"]
    ]
    assert f.loc[0, "reo_kg"] == pytest.approx(5.1 * 0.6)


def test_transit_mismatch_minimum_kg_edge():
    small = [
        ev(
            "import",
            "2024-01-02",
            "P1",
            "LS",
            100,
            product="ND_OXIDE",
            reo_pct=99,
            country="AU",
            document_ref="C",
        ),
        ev("ship", "2024-01-03", "P1", "LS", 100, counterparty_id="S1", shipment_id="SM"),
        ev("receive", "2024-01-04", "S1", "LS", 99, counterparty_id="P1", shipment_id="SM"),
    ]
    assert findings(small, types=TM).empty  # 1 kg difference, 1 kg allowed
    small[2]["mass_kg"] = 98.9
    assert findings(small, types=TM)["shipment_id"].tolist() == ["SM"]


def test_two_receipts_for_one_shipment_are_summed():
    recs = clean_records()
    recs = replace(recs, 2, mass_kg=600)
    recs.append(
        ev("receive", "2024-02-01", "S1", "L1", 400, counterparty_id="M1", shipment_id="S-1")
    )
    assert findings(recs).empty
    recs[-1]["mass_kg"] = 300
    f = findings(recs, types=TM)
    assert f[["shipment_id", "period"]].values.tolist() == [
        ["S-1", "2024-02"]
    ]  # last receipt's month


def test_unconfirmed_shipment_when_receiver_uploads_both_months():
    recs = [r for i, r in enumerate(clean_records()) if i != 2]
    f = findings(recs, types=UC)
    assert f[["shipment_id", "enterprise_id", "period"]].values.tolist() == [
        ["S-1", "M1", "2024-01"]
    ]
    assert f.loc[0, "reo_kg"] == pytest.approx(600)


def test_receipt_in_the_next_month_confirms():
    assert findings(replace(clean_records(), 2, date="2024-02-01"), types=UC).empty


def test_receiver_without_next_months_upload_is_not_unconfirmed():
    # S1 ships in March; P1 has uploaded March but not yet April: the shipment is still in transit.
    recs = clean_records() + [
        ev(
            "import",
            "2024-03-01",
            "S1",
            "LM",
            50,
            product="LA_OXIDE",
            reo_pct=99,
            country="AU",
            document_ref="C",
        ),
        ev("ship", "2024-03-30", "S1", "LM", 50, counterparty_id="P1", shipment_id="S-M"),
    ]
    assert findings(recs, types=UC).empty
    recs += heartbeat("P1", ("2024-04",))
    assert findings(recs, types=UC)["shipment_id"].tolist() == ["S-M"]


def test_receipt_without_shipment_when_sender_uploads_both_months():
    recs = clean_records() + [
        ev("receive", "2024-02-25", "P1", "L2", 10, counterparty_id="S1", shipment_id="S-FAKE")
    ]
    f = findings(recs, types=RW)
    assert f[["shipment_id", "enterprise_id", "period"]].values.tolist() == [
        ["S-FAKE", "P1", "2024-02"]
    ]
    assert f.loc[0, "reo_kg"] == pytest.approx(9.9)


def test_receipt_without_shipment_needs_the_senders_previous_month():
    # Received in January: S1 has no December upload, so the shipment may be in December's file.
    recs = clean_records() + [
        ev("receive", "2024-01-25", "P1", "L2", 10, counterparty_id="S1", shipment_id="S-FAKE")
    ]
    assert findings(recs, types=RW).empty


def test_receipt_from_a_sender_without_uploads_is_not_this_finding():
    recs = clean_records() + [
        ev("receive", "2024-02-25", "P1", "LQ", 10, counterparty_id="Z9", shipment_id="S-Z")
    ]
    assert findings(recs, types=RW).empty
