"""Every SPEC §1 row rule: a file that breaks it (exact FILE:ROW:COLUMN message) and a near miss
that loads. GOOD rows start at spreadsheet row 2, so GOOD[k] is row k + 2."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from loader_cases import good_rows, problems

from flowgraph.model import EVENT_COLUMNS, empty_events
from loaders import read_upload


def load(write_rows, rows, columns=None):
    return read_upload(write_rows(rows, columns), display_name="up.csv")


def test_good_month_loads_with_the_store_schema(write_rows):
    upload = load(write_rows, good_rows())
    events = upload.events
    assert upload.identity == ("E1", "2025-03")
    assert upload.file_name == "up.csv" and upload.warnings == []
    assert list(events.columns) == list(EVENT_COLUMNS)
    assert events.dtypes.to_dict() == empty_events().dtypes.to_dict()
    assert events["source_row"].tolist() == list(range(2, 11))
    assert events["event_id"].tolist() == [str(k) for k in range(1, 10)]  # file order
    assert (events["upload_id"] == 0).all() and (events["period"] == "2025-03").all()
    assert events.loc[3, "mass_kg"] == 900.5 and events.loc[8, "mass_kg"] == 0.0
    assert events.loc[0, "reo_pct"] == 60.0 and np.isnan(events.loc[2, "reo_pct"])
    assert events.loc[0, "date"] == pd.Timestamp("2025-03-01")
    assert events.loc[2, "product"] is None and events.loc[0, "country"] is None
    assert events.loc[1, "note"] == "进口独居石"


# (row index in GOOD, changes, expected problems). Each case breaks exactly one rule.
FAILING = {
    "event_id empty": (0, {"event_id": ""}, ["up.csv:2:event_id: event_id is required"]),
    "event_id duplicate": (
        4,
        {"event_id": "2"},
        ["up.csv:6:event_id: duplicate event_id '2' (first on row 3)"],
    ),
    "event_type unknown": (
        7,
        {"event_type": "Loss"},
        [
            "up.csv:9:event_type: unknown event_type 'Loss' (expected one of: extract, import, "
            "ship, receive, export, consume, produce, loss, stock)"
        ],
    ),
    "event_type empty": (7, {"event_type": ""}, ["up.csv:9:event_type: event_type is required"]),
    "date empty": (7, {"date": ""}, ["up.csv:9:date: date is required"]),
    "date month 13": (7, {"date": "2025-13-01"}, ["up.csv:9:date: date '2025-13-01' is not a real date"]),
    "date Feb 30": (7, {"date": "2025-02-30"}, ["up.csv:9:date: date '2025-02-30' is not a real date"]),
    "date not ISO": (
        7,
        {"date": "08/03/2025"},
        ["up.csv:9:date: date '08/03/2025' is not an ISO date (YYYY-MM-DD)"],
    ),
    "date one-digit month": (
        7,
        {"date": "2025-3-08"},
        ["up.csv:9:date: date '2025-3-08' is not an ISO date (YYYY-MM-DD)"],
    ),
    "date with time": (
        7,
        {"date": "2025-03-08T10:00"},
        ["up.csv:9:date: date '2025-03-08T10:00' is not an ISO date (YYYY-MM-DD)"],
    ),
    "date year 1000": (7, {"date": "1000-03-08"}, ["up.csv:9:date: date '1000-03-08' is outside the years 1678-2261"]),
    "date year 9999": (7, {"date": "9999-03-08"}, ["up.csv:9:date: date '9999-03-08' is outside the years 1678-2261"]),
    "date outside period": (
        7,
        {"date": "2025-04-01"},
        ["up.csv:9:date: date 2025-04-01 outside the file's period 2025-03"],
    ),
    "stock not month end": (
        8,
        {"date": "2025-03-30"},
        [
            "up.csv:10:date: stock must be dated the last day of the month (2025-03-31), "
            "not 2025-03-30"
        ],
    ),
    "enterprise differs": (
        7,
        {"enterprise_id": "E9"},
        [
            "up.csv:9:enterprise_id: enterprise_id 'E9' differs from the file's enterprise 'E1' "
            "(one enterprise per file)"
        ],
    ),
    "enterprise empty": (7, {"enterprise_id": ""}, ["up.csv:9:enterprise_id: enterprise_id is required"]),
    "lot empty": (7, {"lot_id": ""}, ["up.csv:9:lot_id: lot_id is required"]),
    "product unknown": (0, {"product": "BASTNAESITE"}, ["up.csv:2:product: unknown product code 'BASTNAESITE'"]),
    "product lowercase": (0, {"product": "bast_conc"}, ["up.csv:2:product: unknown product code 'bast_conc'"]),
    "product on extract": (0, {"product": ""}, ["up.csv:2:product: product is required on extract rows"]),
    "product on import": (1, {"product": ""}, ["up.csv:3:product: product is required on import rows"]),
    "product on produce": (3, {"product": ""}, ["up.csv:5:product: product is required on produce rows"]),
    "product for a lot not created here": (
        5,
        {"product": ""},
        ["up.csv:7:product: product is required: lot 'L9' is not created in this file"],
    ),
    "mass empty": (7, {"mass_kg": ""}, ["up.csv:9:mass_kg: mass_kg is required"]),
    "mass zero": (7, {"mass_kg": "0"}, ["up.csv:9:mass_kg: mass_kg must be > 0, got '0'"]),
    "mass negative": (7, {"mass_kg": "-5"}, ["up.csv:9:mass_kg: mass_kg must be > 0, got '-5'"]),
    "mass minus zero": (7, {"mass_kg": "-0"}, ["up.csv:9:mass_kg: mass_kg must be > 0, got '-0'"]),
    "stock minus zero": (
        8,
        {"mass_kg": "-0"},
        ["up.csv:10:mass_kg: mass_kg must be >= 0 on stock rows, got '-0'"],
    ),
    "stock negative": (
        8,
        {"mass_kg": "-1.5"},
        ["up.csv:10:mass_kg: mass_kg must be >= 0 on stock rows, got '-1.5'"],
    ),
    "mass 1e400": (7, {"mass_kg": "1e400"}, ["up.csv:9:mass_kg: mass_kg '1e400' is not a finite number"]),
    "mass NaN": (7, {"mass_kg": "NaN"}, ["up.csv:9:mass_kg: mass_kg 'NaN' is not a finite number"]),
    "mass inf": (7, {"mass_kg": "inf"}, ["up.csv:9:mass_kg: mass_kg 'inf' is not a finite number"]),
    "mass unit": (
        7,
        {"mass_kg": "12kg"},
        [
            "up.csv:9:mass_kg: mass_kg '12kg' is not a number (write digits with '.' for "
            "decimals and no units or separators, e.g. 1250.5)"
        ],
    ),
    "mass decimal comma": (
        7,
        {"mass_kg": "1,5"},
        [
            "up.csv:9:mass_kg: mass_kg '1,5' is not a number (write digits with '.' for "
            "decimals and no units or separators, e.g. 1250.5)"
        ],
    ),
    "mass underscore": (
        7,
        {"mass_kg": "1_000"},
        [
            "up.csv:9:mass_kg: mass_kg '1_000' is not a number (write digits with '.' for "
            "decimals and no units or separators, e.g. 1250.5)"
        ],
    ),
    "mass full-width digits": (
        7,
        {"mass_kg": "１２"},
        [
            "up.csv:9:mass_kg: mass_kg '１２' is not a number (write digits with '.' for "
            "decimals and no units or separators, e.g. 1250.5)"
        ],
    ),
    "reo on extract": (0, {"reo_pct": ""}, ["up.csv:2:reo_pct: reo_pct is required on extract rows"]),
    "reo on import": (1, {"reo_pct": ""}, ["up.csv:3:reo_pct: reo_pct is required on import rows"]),
    "reo on produce": (3, {"reo_pct": ""}, ["up.csv:5:reo_pct: reo_pct is required on produce rows"]),
    "reo over 120": (0, {"reo_pct": "120.5"}, ["up.csv:2:reo_pct: reo_pct must be > 0 and <= 120, got '120.5'"]),
    "reo zero": (0, {"reo_pct": "0"}, ["up.csv:2:reo_pct: reo_pct must be > 0 and <= 120, got '0'"]),
    "reo NaN": (0, {"reo_pct": "nan"}, ["up.csv:2:reo_pct: reo_pct 'nan' is not a finite number"]),
    "reo on a loss row is still checked": (
        7,
        {"reo_pct": "-3"},
        ["up.csv:9:reo_pct: reo_pct must be > 0 and <= 120, got '-3'"],
    ),
    "ship counterparty": (4, {"counterparty_id": ""}, ["up.csv:6:counterparty_id: counterparty_id is required on ship rows"]),
    "ship shipment": (4, {"shipment_id": ""}, ["up.csv:6:shipment_id: shipment_id is required on ship rows"]),
    "receive counterparty": (5, {"counterparty_id": ""}, ["up.csv:7:counterparty_id: counterparty_id is required on receive rows"]),
    "receive shipment": (5, {"shipment_id": ""}, ["up.csv:7:shipment_id: shipment_id is required on receive rows"]),
    "ship to itself": (
        4,
        {"counterparty_id": "E1"},
        ["up.csv:6:counterparty_id: counterparty_id 'E1' is the uploading enterprise itself"],
    ),
    "export shipment": (6, {"shipment_id": ""}, ["up.csv:8:shipment_id: shipment_id is required on export rows"]),
    "export country": (6, {"country": ""}, ["up.csv:8:country: country is required on export rows"]),
    "export document": (6, {"document_ref": ""}, ["up.csv:8:document_ref: document_ref is required on export rows"]),
    "import country": (1, {"country": ""}, ["up.csv:3:country: country is required on import rows"]),
    "import document": (1, {"document_ref": ""}, ["up.csv:3:document_ref: document_ref is required on import rows"]),
    "extract document": (0, {"document_ref": ""}, ["up.csv:2:document_ref: document_ref is required on extract rows"]),
    "country lowercase": (
        1,
        {"country": "au"},
        ["up.csv:3:country: country 'au' is not a two-letter ISO 3166-1 code (e.g. CN)"],
    ),
    "country name": (
        6,
        {"country": "Japan"},
        ["up.csv:8:country: country 'Japan' is not a two-letter ISO 3166-1 code (e.g. CN)"],
    ),
    "country on a loss row is still checked": (
        7,
        {"country": "CHN"},
        ["up.csv:9:country: country 'CHN' is not a two-letter ISO 3166-1 code (e.g. CN)"],
    ),
    "consume batch": (2, {"batch_id": ""}, ["up.csv:4:batch_id: batch_id is required on consume rows"]),
    "produce batch": (3, {"batch_id": ""}, ["up.csv:5:batch_id: batch_id is required on produce rows"]),
}  # fmt: skip


@pytest.mark.parametrize("case", list(FAILING))
def test_rule_violation_is_reported_exactly(write_rows, case):
    index, changes, expected = FAILING[case]
    rows = good_rows()
    rows[index].update(changes)
    assert problems(write_rows(rows)) == expected


# Near misses: values at the edge of each rule that must load.
PASSING = {
    "mass tiny": (7, {"mass_kg": "0.001"}),
    "mass exponent": (7, {"mass_kg": "1.5e3"}),
    "mass leading plus and dot": (7, {"mass_kg": "+.5"}),
    "stock zero": (8, {"mass_kg": "0"}),
    "reo exactly 120": (3, {"reo_pct": "120"}),
    "reo tiny": (0, {"reo_pct": "0.01"}),
    "reo absent on a ship row": (4, {"reo_pct": ""}),
    "reo present on a ship row": (4, {"reo_pct": "44"}),
    "product absent on a row of a lot created here": (4, {"product": ""}),
    "product given on a row of a lot created here": (4, {"product": "MIXED_CARBONATE"}),
    "first day of month": (7, {"date": "2025-03-01"}),
    "last day of month": (7, {"date": "2025-03-31"}),
    "country on a receive row": (5, {"country": "CN"}),
    "counterparty differs only in case": (4, {"counterparty_id": "e1"}),
    "document on a ship row": (4, {"document_ref": "X"}),
    "batch id on a loss row": (7, {"batch_id": "B7"}),
    "note with commas and quotes": (7, {"note": 'a, "quoted", 损耗'}),
}


@pytest.mark.parametrize("case", list(PASSING))
def test_near_miss_loads(write_rows, case):
    index, changes = PASSING[case]
    rows = good_rows()
    rows[index].update(changes)
    upload = load(write_rows, rows)
    assert len(upload.events) == len(rows)
    column, value = next(iter(changes.items()))
    stored = upload.events.loc[index, column]
    if column in ("mass_kg", "reo_pct"):
        assert stored == pytest.approx(float(value)) if value else np.isnan(stored)
    elif column == "date":
        assert stored == pd.Timestamp(value)
    else:
        assert stored == (value or None)


def test_period_is_the_majority_month_and_minority_rows_are_named(write_rows):
    rows = good_rows()
    for row in rows[:3]:
        row["date"] = "2025-04-15"
    rows[8]["date"] = "2025-03-31"
    assert problems(write_rows(rows)) == [
        f"up.csv:{r}:date: date 2025-04-15 outside the file's period 2025-03" for r in (2, 3, 4)
    ]


def test_february_stock_in_a_leap_year(write_rows):
    rows = [
        dict(event_id="1", event_type="stock", date="2024-02-29", enterprise_id="E1",
             lot_id="L1", product="BAST_CONC", mass_kg="3"),
        dict(event_id="2", event_type="stock", date="2025-02-28", enterprise_id="E1",
             lot_id="L2", product="BAST_CONC", mass_kg="3"),
    ]  # fmt: skip
    assert problems(write_rows(rows[:1] + [dict(rows[0], event_id="2", date="2024-02-28")])) == [
        "up.csv:3:date: stock must be dated the last day of the month (2024-02-29), not 2024-02-28"
    ]
    assert load(write_rows, rows[1:]).period == "2025-02"
    assert load(write_rows, rows[:1]).period == "2024-02"


def test_enterprise_is_the_majority_and_every_other_row_is_named(write_rows):
    rows = good_rows()
    rows[2]["enterprise_id"] = rows[5]["enterprise_id"] = "E7"
    found = problems(write_rows(rows))
    assert [p.split(": ")[0] for p in found] == ["up.csv:4:enterprise_id", "up.csv:7:enterprise_id"]


def test_every_later_duplicate_event_id_is_named(write_rows):
    rows = good_rows()
    for row in rows[3:6]:
        row["event_id"] = "1"
    assert problems(write_rows(rows)) == [
        f"up.csv:{r}:event_id: duplicate event_id '1' (first on row 2)" for r in (5, 6, 7)
    ]


def test_batch_with_only_consume_or_only_produce_rows_loads(write_rows):
    # SPEC §1: such a batch is a loss (a gain) for the detectors, not a load error.
    rows = good_rows()
    rows.append(dict(rows[2], event_id="10", batch_id="B2"))  # B2: consume only
    rows.append(dict(rows[3], event_id="11", lot_id="L4", batch_id="B3"))  # B3: produce only
    events = load(write_rows, rows).events  # raised InputError on the old code
    assert sorted(events.loc[events["batch_id"].isin(["B2", "B3"]), "event_type"]) == [
        "consume",
        "produce",
    ]


def test_findings_are_not_rejected(write_rows):
    """Lots created twice or never, overdrawn lots, dates out of order: the detectors' job."""
    rows = good_rows()
    rows.append(dict(rows[0], event_id="10"))  # L1 extracted twice
    rows.append(dict(rows[4], event_id="11", lot_id="L3", mass_kg="99999"))  # overdrawn
    rows.append(
        dict(event_id="12", event_type="ship", date="2025-03-01", enterprise_id="E1",
             lot_id="LX", product="BAST_CONC", mass_kg="1", counterparty_id="E2",
             shipment_id="S9")
    )  # fmt: skip  # a lot never created, shipped before anything else
    assert len(load(write_rows, rows).events) == 12


def test_many_problems_at_once_sorted_by_row_then_column(write_rows):
    rows = good_rows()
    rows[0].update(mass_kg="1e400", reo_pct="130", event_id="")
    rows[6].update(country="jp", date="2025-03-32")
    rows[2].update(enterprise_id="E2")
    assert problems(write_rows(rows)) == [
        "up.csv:2:event_id: event_id is required",
        "up.csv:2:mass_kg: mass_kg '1e400' is not a finite number",
        "up.csv:2:reo_pct: reo_pct must be > 0 and <= 120, got '130'",
        "up.csv:4:enterprise_id: enterprise_id 'E2' differs from the file's enterprise 'E1' "
        "(one enterprise per file)",
        "up.csv:8:date: date '2025-03-32' is not a real date",
        "up.csv:8:country: country 'jp' is not a two-letter ISO 3166-1 code (e.g. CN)",
    ]


def test_events_frame_equals_model_builder(write_rows):
    """The loader's table matches model.events_frame on the same records (but for dtypes
    pandas 3 infers there)."""
    from flowgraph.model import events_frame

    rows = good_rows()
    ours = load(write_rows, rows).events
    theirs = events_frame(
        [{k: (v if v != "" else None) for k, v in r.items()} for r in rows]
    ).astype({"period": object})
    theirs["mass_kg"] = pd.to_numeric(theirs["mass_kg"])
    pd.testing.assert_frame_equal(ours, theirs, check_dtype=False)
