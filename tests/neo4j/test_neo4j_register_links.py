"""Register links on a real Neo4j (issue #12 item 3): (:CustomsDeclaration)-[:DECLARES]->(:Lot)
and (:ExportLicence)-[:COVERS]->(:Lot) follow the current events through loads, revisions and
registry reloads, and no finding depends on them."""

from __future__ import annotations

from dataclasses import replace

import neo4j_scenario as scenario
import pandas as pd
import pytest
from neo4j_scenario import ev, make_upload
from test_neo4j_detectors import compare_all

from flowgraph.model import registry_from_records
from flowgraph.store.neo4j_detect import detect_in_database

pytestmark = pytest.mark.neo4j


def _x1(export_ref: str = "CE-1"):
    """X1's April: LA imported under CI-1 and exported under ``export_ref`` with LIC-1 (to JP,
    the licence row's country); LB imported naming export declaration CE-1 (wrong direction);
    LC imported under Z9's CI-2 (another enterprise's) and exported to US under CE-2 with LIC-1
    (the licence has no US row)."""
    rows = [
        ev("1", "import", "2025-04-01", "X1", "LA", 1000, product="DY_OXIDE", reo_pct=99,
           country="MM", document_ref="CI-1"),
        ev("2", "export", "2025-04-10", "X1", "LA", 300, country="JP",
           document_ref=export_ref, shipment_id="S-1", licence_no="LIC-1"),
        ev("3", "import", "2025-04-02", "X1", "LB", 500, product="DY_OXIDE", reo_pct=99,
           country="MM", document_ref="CE-1"),
        ev("4", "import", "2025-04-03", "X1", "LC", 200, product="DY_OXIDE", reo_pct=99,
           country="MM", document_ref="CI-2"),
        ev("5", "export", "2025-04-12", "X1", "LC", 50, country="US", document_ref="CE-2",
           shipment_id="S-2", licence_no="LIC-1"),
    ]  # fmt: skip
    return make_upload(rows, "x1.csv")


def _y1():
    """Y1 names X1's declaration and licence: never linked (not its documents)."""
    rows = [
        ev("1", "import", "2025-04-01", "Y1", "LD", 100, product="DY_OXIDE", reo_pct=99,
           country="MM", document_ref="CI-Y"),
        ev("2", "export", "2025-04-10", "Y1", "LD", 100, country="JP", document_ref="CE-1",
           shipment_id="S-3", licence_no="LIC-1"),
    ]  # fmt: skip
    return make_upload(rows, "y1.csv")


def _registry(extra_customs=()):
    def line(no, direction, ent, date, mass, country):
        return dict(declaration_no=no, direction=direction, enterprise_id=ent, date=date,
                    product="DY_OXIDE", mass_kg=mass, country=country)  # fmt: skip

    customs = [
        line("CI-1", "import", "X1", "2025-04-01", 1000, "MM"),
        line("CE-1", "export", "X1", "2025-04-10", 300, "JP"),
        line("CE-2", "export", "X1", "2025-04-12", 50, "US"),
        line("CE-3", "export", "X1", "2025-04-10", 300, "JP"),
        line("CI-2", "import", "Z9", "2025-04-03", 200, "MM"),
        *extra_customs,
    ]
    licences = [
        dict(licence_no="LIC-1", enterprise_id="X1", product="DY_OXIDE", country="JP",
             quantity_kg=400, valid_from="2025-04-04", valid_to=None, end_user="u"),
    ]  # fmt: skip
    registers = registry_from_records(customs=customs, licences=licences)
    return replace(scenario.registry(), customs=registers.customs, licences=registers.licences)


def _links(store) -> dict[str, set]:
    rows = store.read(
        "MATCH (n:CustomsDeclaration|ExportLicence)-[k:DECLARES|COVERS]->(l:Lot) "
        "RETURN type(k) AS kind, coalesce(n.declaration_no, n.licence_no) AS number, "
        "n.current AS current, n.version AS version, l.id AS lot"
    )
    found: dict[str, set] = {"DECLARES": set(), "COVERS": set()}
    for row in rows.to_dict("records"):
        assert row["current"], row  # retired register versions keep no links
        found[row["kind"]].add((row["number"], row["lot"]))
    return found


EXPECTED = {
    "DECLARES": {("CI-1", "LA"), ("CE-1", "LA"), ("CE-2", "LC")},
    "COVERS": {("LIC-1", "LA")},
}


def test_links_after_uploads_then_registry_and_registry_then_uploads(store):
    store.save_registry(_registry(), "tests")
    store.save_upload(_x1())
    store.save_upload(_y1())
    assert _links(store) == EXPECTED
    # the other order: uploads first, the registry afterwards builds the same links
    store.driver.execute_query("MATCH (n) DETACH DELETE n", database_=store.database)
    store._keys.clear()
    store.save_upload(_x1())
    store.save_upload(_y1())
    assert _links(store) == {"DECLARES": set(), "COVERS": set()}
    store.save_registry(_registry(), "tests")
    assert _links(store) == EXPECTED


def test_revision_moves_the_link_and_registry_reload_keeps_them_consistent(store):
    store.save_registry(_registry(), "tests")
    store.save_upload(_x1())
    store.save_upload(_y1())
    revised = store.save_upload(_x1(export_ref="CE-3"))
    assert revised.status == "superseded"
    moved = {
        "DECLARES": {("CI-1", "LA"), ("CE-3", "LA"), ("CE-2", "LC")},
        "COVERS": {("LIC-1", "LA")},
    }
    assert _links(store) == moved
    # a new registry version: links hang off the new current nodes only, once each
    store.save_registry(
        _registry([dict(declaration_no="CI-Y", direction="import", enterprise_id="Y1",
                        date="2025-04-01", product="DY_OXIDE", mass_kg=100, country="MM")]),
        "tests v2",
    )  # fmt: skip
    assert _links(store) == {**moved, "DECLARES": moved["DECLARES"] | {("CI-Y", "LD")}}
    counts = store.read(
        "MATCH (n)-[k:DECLARES|COVERS]->(l) RETURN count(k) AS links, "
        "count(DISTINCT [elementId(n), elementId(l)]) AS pairs"
    )
    assert counts["links"][0] == counts["pairs"][0] == 5
    # back to a registry without registers: no links left at all
    store.save_registry(scenario.registry(), "none")
    assert _links(store) == {"DECLARES": set(), "COVERS": set()}


def test_links_change_no_finding(store):
    store.save_registry(_registry(), "tests")
    for upload in (_x1(), _y1()):
        store.save_upload(upload)
    assert _links(store) == EXPECTED
    with_links = detect_in_database(store)
    sizes = compare_all(store)
    assert sum(sizes.values()) > 0
    assert {"UNLICENSED_EXPORT", "CUSTOMS_UNDECLARED"} <= set(with_links["type"])
    store.driver.execute_query(
        "MATCH ()-[k:DECLARES|COVERS]->() DELETE k", database_=store.database
    )
    assert _links(store) == {"DECLARES": set(), "COVERS": set()}
    pd.testing.assert_frame_equal(detect_in_database(store), with_links)
    assert compare_all(store) == sizes


def test_a_later_month_adds_links_and_its_revision_without_exports_removes_them(store):
    store.save_registry(_registry(), "tests")
    store.save_upload(_x1())
    may = [ev("m1", "export", "2025-05-05", "X1", "LB", 100, country="JP", document_ref="CE-1",
              shipment_id="S-9", licence_no="LIC-1")]  # fmt: skip
    store.save_upload(make_upload(may, "x1-may.csv"))
    added = {
        "DECLARES": EXPECTED["DECLARES"] | {("CE-1", "LB")},
        "COVERS": EXPECTED["COVERS"] | {("LIC-1", "LB")},
    }
    assert _links(store) == added
    # May revised to a stock row only: no import or export in the new file, links still rebuilt
    stock = [ev("m1", "stock", "2025-05-31", "X1", "LB", 500)]
    assert store.save_upload(make_upload(stock, "x1-may-2.csv")).status == "superseded"
    assert _links(store) == EXPECTED
