"""The SPEC §7 registers on a real Neo4j: near misses and just-over cases of the five cross_register
detectors in Cypher and Python, register versions, and the two register queries' figures."""

from __future__ import annotations

from dataclasses import replace

import neo4j_scenario as scenario
import pandas as pd
import pytest
from neo4j_scenario import ev, make_upload
from test_neo4j_detectors import compare_all

from flowgraph.model import registry_from_records
from flowgraph.querylib import run_query

pytestmark = pytest.mark.neo4j

CROSS = (
    "CUSTOMS_UNDECLARED",
    "CUSTOMS_MASS_MISMATCH",
    "UNREPORTED_CUSTOMS",
    "UNLICENSED_EXPORT",
    "LICENCE_EXCEEDED",
)


def _world(over: bool):
    """Every cross_register line met exactly (or a day short of it); ``over`` pushes each just
    past (the same rows otherwise), so each of the five types triggers."""
    bump = 0.05 if over else 0.0
    rows = [
        ev("1", "import", "2025-04-01", "X1", "LX", 3000, product="DY_OXIDE", reo_pct=99,
           country="MM", document_ref="CI-1"),
        # 0.5% over CE-1's 400 kg, and exactly licence LIC-1's 400 kg + 0.5%
        ev("2", "export", "2025-04-10", "X1", "LX", 402 + bump, country="JP",
           document_ref="CE-1", shipment_id="X-1", licence_no="LIC-1"),
        # the day before the control date (over: on it), no licence
        ev("3", "export", "2025-04-04" if over else "2025-04-03", "X1", "LX", 10, country="KR",
           document_ref="CE-2", shipment_id="X-2"),
        # the last day of LIC-2's validity (over: the day after)
        ev("4", "export", "2025-04-21" if over else "2025-04-20", "X1", "LX", 10, country="US",
           document_ref="CE-3", shipment_id="X-3", licence_no="LIC-2"),
        # a document customs never saw (over: in April, a month the register covers)
        ev("5", "export", "2025-04-20", "X1", "LX", 5, country="US",
           document_ref="CE-9" if over else "CE-4", shipment_id="X-4", licence_no="LIC-2"),
    ]  # fmt: skip
    return [make_upload(rows, "x1.csv")]


def _registry(over: bool):
    def line(no, direction, ent, date, mass, country):
        return dict(
            declaration_no=no,
            direction=direction,
            enterprise_id=ent,
            date=date,
            product="DY_OXIDE",
            mass_kg=mass,
            country=country,
        )

    customs = [
        line("CI-1", "import", "X1", "2025-04-01", 3000, "MM"),
        line("CE-1", "export", "X1", "2025-04-10", 400, "JP"),
        line("CE-2", "export", "X1", "2025-04-04" if over else "2025-04-03", 10, "KR"),
        line("CE-3", "export", "X1", "2025-04-21" if over else "2025-04-20", 10, "US"),
        line("CE-4", "export", "X1", "2025-04-20", 5, "US"),
        # Z9 never uploads (over: X1 declares an export nobody uploaded)
        line("CE-5", "export", "X1" if over else "Z9", "2025-04-15", 7, "US"),
    ]  # fmt: skip
    licences = [
        dict(licence_no="LIC-1", enterprise_id="X1", product="DY_OXIDE", country="JP",
             quantity_kg=400, valid_from="2025-04-04", valid_to=None, end_user="u"),
        dict(licence_no="LIC-2", enterprise_id="X1", product="DY_OXIDE", country="US",
             quantity_kg=100, valid_from="2025-04-04", valid_to="2025-04-20", end_user="u"),
    ]  # fmt: skip
    registers = registry_from_records(customs=customs, licences=licences)
    return replace(
        scenario.registry(), customs=registers.customs, licences=registers.licences
    )  # built-in controls: Dy oxide from 2025-04-04


def _load(store, over: bool) -> None:
    store.save_registry(_registry(over), "tests")
    for upload in _world(over):
        store.save_upload(upload)


def test_cross_register_near_misses_give_nothing_in_either_engine(store):
    _load(store, over=False)
    sizes = compare_all(store)
    assert {t: sizes[t] for t in CROSS} == dict.fromkeys(CROSS, 0)


def test_cross_register_just_over_the_lines_in_both_engines(store):
    _load(store, over=True)
    sizes = compare_all(store)
    for finding_type in CROSS:
        assert sizes[finding_type] >= 1, finding_type


def test_register_versions_are_kept_on_neo4j(store):
    _load(store, over=False)
    first = store.registry()
    store.save_registry(scenario.registry(), "no registers")
    assert store.registry().customs is None and store.registry().licences is None
    old = store.registry(version=1)
    for part in ("customs", "licences"):
        pd.testing.assert_frame_equal(getattr(old, part), getattr(first, part))
    assert old.controls is None  # the built-in list applied; it is not read back as a file
    again = store.save_registry(scenario.registry(), "no registers")
    assert again.status == "unchanged"


def test_licence_usage_and_customs_reconciliation_figures(store):
    store.save_registry(scenario.registry_with_registers(), "tests")
    for upload in scenario.uploads():
        store.save_upload(upload)
    usage = run_query(store, "licence_usage", {"licence_no": "EL-T1"})
    assert usage[["country", "period", "exported_kg", "cumulative_kg", "remaining_kg"]].to_dict(
        "records"
    ) == [
        {"country": "DE", "period": None, "exported_kg": 0.0, "cumulative_kg": 0.0,
         "remaining_kg": 100.0},
        {"country": "JP", "period": "2024-03", "exported_kg": 400.0, "cumulative_kg": 400.0,
         "remaining_kg": -100.0},
    ]  # fmt: skip
    recon = run_query(store, "customs_reconciliation", {"enterprise_id": "T1"})
    assert recon.to_dict("records") == [
        {"enterprise_id": "T1", "period": "2024-03", "direction": "export", "product": "ND_OXIDE",
         "declared_kg": 445.0, "uploaded_kg": 450.0, "difference_kg": 5.0},
    ]  # fmt: skip
    s1 = run_query(store, "customs_reconciliation", {"enterprise_id": "S1"})
    assert s1[["product", "declared_kg", "uploaded_kg"]].values.tolist() == [
        ["MONAZITE_CONC", 800.0, 0.0]
    ]
