"""The detector registry, run_detectors, detect(store) and the findings helpers."""

import pandas as pd
import pytest
from flowdata import clean_records, ev, registry, replace

import flowgraph
from flowgraph.analysis import detect
from flowgraph.analysis.detectors import DETECTORS, run_detectors, select_detectors
from flowgraph.analysis.findings import filter_findings, iter_jsonl, make_findings
from flowgraph.encoding import encode_text
from flowgraph.errors import UsageError
from flowgraph.model import FINDING_COLUMNS, FINDING_TYPES, Registry, empty_events, events_frame


def test_one_detector_per_spec_type_in_spec_order():
    assert [d.type for d in DETECTORS] == list(FINDING_TYPES)
    assert all(d.family == FINDING_TYPES[d.type] for d in DETECTORS)


def test_empty_input_gives_empty_findings_with_the_contract_columns():
    found = run_detectors(empty_events(), Registry.empty())
    assert found.empty and list(found.columns) == list(FINDING_COLUMNS)


def test_select_by_type_or_family_and_reject_unknown():
    assert {d.type for d in select_detectors(families=["unaccounted_mass"])} == {
        t for t, f in FINDING_TYPES.items() if f == "unaccounted_mass"
    }
    both = select_detectors(types=["QUOTA_EXCEEDED"], families=["unaccounted_mass"])
    assert "QUOTA_EXCEEDED" in {d.type for d in both} and len(both) == 7
    with pytest.raises(UsageError, match="unknown finding type"):
        select_detectors(types=["NOPE"])
    with pytest.raises(UsageError, match="unknown family"):
        select_detectors(families=["nope"])


def _dirty():
    recs = replace(clean_records(), 2, mass_kg=900)  # S-1 short by 100 kg (Jan)
    recs.append(
        ev(
            "extract",
            "2024-02-06",
            "M1",
            "L1",
            10,
            product="BAST_CONC",
            reo_pct=60,
            document_ref="LIC-M1",
        )
    )
    return recs


def test_findings_sorted_by_family_then_type_and_timed():
    timings = {}
    found = run_detectors(events_frame(_dirty()), registry(), timings=timings)
    assert found["type"].tolist() == ["LOT_OVERDRAWN", "TRANSIT_MISMATCH", "DUPLICATE_LOT"]
    assert set(timings) == {"_prepare", *FINDING_TYPES}
    assert found["year"].tolist() == [None, None, None]


class _Store:
    def __init__(self, records, reg):
        self._ev, self._reg = events_frame(records), reg

    def events(self, period=None, year=None, encoded=False):
        return encode_text(self._ev) if encoded else self._ev

    def registry(self):
        return self._reg

    def uploads(self):
        # one year of uploads: analysis.detect reads it whole (several are read year by year)
        return self._ev[["enterprise_id", "period", "upload_id"]].drop_duplicates()


def test_detect_filters_findings_but_sees_the_whole_history(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no flowgraph.toml: the public detect uses SPEC defaults
    monkeypatch.delenv("FLOWGRAPH_CONFIG", raising=False)
    store = _Store(_dirty(), registry())
    # The Feb overdraw needs January's receipt to be measured; filtering keeps Feb findings only.
    feb = detect(store, period="2024-02")
    assert feb[["type", "period"]].values.tolist() == [
        ["LOT_OVERDRAWN", "2024-02"],
        ["DUPLICATE_LOT", "2024-02"],
    ]
    assert detect(store, year=2023).empty
    assert len(detect(store, year=2024)) == 3
    # flowgraph.detect is this with flowgraph.toml's tolerances (tests/test_public_api.py)
    pd.testing.assert_frame_equal(flowgraph.detect(store, period="2024-02"), feb)


def test_quota_findings_filtered_by_year():
    f = make_findings(
        "QUOTA_EXCEEDED",
        pd.DataFrame(
            {
                "enterprise_id": ["M1"],
                "year": [2024],
                "activity": ["mining"],
                "period": ["2024-11"],
                "reo_kg": [1.0],
            }
        ),
    )
    assert len(filter_findings(f, year=2024)) == 1 and filter_findings(f, year=2025).empty
    assert len(filter_findings(f, period="2024-11")) == 1


def test_jsonl_never_writes_nan():
    f = make_findings("DUPLICATE_LOT", pd.DataFrame({"lot_id": ["L"], "reo_kg": [float("nan")]}))
    (line,) = list(iter_jsonl(f))
    assert "NaN" not in line and '"reo_kg": 0.0' in line and '"period": null' in line


def test_prepare_measures_reo_as_common_and_leaves_the_input_alone():
    from flowgraph.analysis.common import reo_kg
    from flowgraph.analysis.derived import REO, prepare

    recs = clean_records() + [
        ev("consume", "2024-02-02", "S1", "LX", 100, batch_id="B1", product="MIXED_CONC"),
        ev("stock", "2024-02-29", "S1", "LY", 10, reo_pct=40.0),
    ]
    events = events_frame(recs)
    before = events.copy()
    prepared = prepare(events)
    assert prepared[REO].tolist() == pytest.approx(reo_kg(events).tolist())
    pd.testing.assert_frame_equal(events, before)
    assert prepared["lot_id"].astype(object).tolist() == events["lot_id"].tolist()


def test_a_missing_registry_reads_as_empty():
    found = run_detectors(events_frame(clean_records()), Registry())
    # Without a registry nobody is designated and every sender is unregistered.
    assert set(found["type"]) == {
        "UNDESIGNATED_EXTRACTION",
        "UNDESIGNATED_SMELTING",
        "UNDESIGNATED_SUPPLY",
        "UNTRACEABLE_EXPORT",
    }


def test_text_columns_as_pandas_strings_give_the_same_findings():
    from flowgraph.model import TEXT_COLUMNS

    events = events_frame(_dirty())
    as_str = events.copy()
    for column in TEXT_COLUMNS:
        as_str[column] = as_str[column].astype("str")
    pd.testing.assert_frame_equal(
        run_detectors(as_str, registry()), run_detectors(events, registry())
    )


def test_run_detectors_reads_the_shares_of_the_view_it_is_given():
    # S1 exports lot A from an undocumented import: untraceable by the view's own shares.
    from flowgraph.analysis.prepared import PreparedEvents

    rows = [
        ("import", "S1", "A", {"product": "BAST_CONC", "reo_pct": 60, "country": "MM"}),
        ("export", "S1", "A", {"shipment_id": "EX1", "country": "JP", "document_ref": "D"}),
    ]
    events = events_frame(
        [
            {"event_type": t, "date": "2024-03-05", "enterprise_id": e, "lot_id": lot,
             "mass_kg": 100, **extra}
            for t, e, lot, extra in rows
        ]
    )  # fmt: skip
    reg = Registry.empty()
    computed = run_detectors(events, reg, types=["UNTRACEABLE_EXPORT"])
    assert computed["shipment_id"].tolist() == ["EX1"]
    given = run_detectors(PreparedEvents(events, reg), reg, types=["UNTRACEABLE_EXPORT"])
    pd.testing.assert_frame_equal(given, computed)
    # shares set on the view (a lot said to be traceable) are the ones read: no finding
    view = PreparedEvents(events, reg)
    view.shares = pd.Series({"A": 1.0})
    assert run_detectors(view, reg, types=["UNTRACEABLE_EXPORT"]).empty
