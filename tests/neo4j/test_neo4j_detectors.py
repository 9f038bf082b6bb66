"""The Cypher detectors in queries/ against the Python detectors, on the same data in Neo4j."""

from __future__ import annotations

import random

import neo4j_scenario as scenario
import pandas as pd
import pytest
from neo4j_scenario import ev, make_upload

from flowgraph.analysis import run_detectors
from flowgraph.ingest import load_files, load_registry
from flowgraph.model import FINDING_TYPES
from flowgraph.querylib import list_queries, run_query
from flowgraph.store.local import LocalStore
from flowgraph.store.neo4j_detect import detect_in_database

pytestmark = pytest.mark.neo4j

CYPHER_DETECTORS = sorted(n for n in list_queries() if n.startswith("detect_"))
COMPARED = [
    "period",
    "enterprise_id",
    "lot_id",
    "shipment_id",
    "batch_id",
    "activity",
    "document_ref",
    "licence_no",
    "product",
    "country",
]


def _keyed(frame: pd.DataFrame) -> set[tuple]:
    part = frame.reindex(columns=COMPARED)  # the older detectors return no cross_register keys
    rows = part.astype(object).where(part.notna(), None)
    years = [None if pd.isna(y) else int(y) for y in frame["year"]]
    return {
        (*row, year, round(float(reo), 6))
        for row, year, reo in zip(
            rows.itertuples(index=False, name=None), years, frame["reo_kg"], strict=True
        )
    }


def _rounded(findings: pd.DataFrame) -> pd.DataFrame:
    return findings.assign(reo_kg=findings["reo_kg"].round(6))


def compare_all(store) -> dict[str, int]:
    """Assert every Cypher detector equals its Python detector, and ``detect --in-database``
    the client-side findings row for row (detail text included); returns findings per type."""
    python = run_detectors(store.events(), store.registry())
    in_database = detect_in_database(store)
    pd.testing.assert_frame_equal(_rounded(in_database), _rounded(python))
    sizes = {}
    for name in CYPHER_DETECTORS:
        finding_type = name[len("detect_") :].upper()
        cypher = run_query(store, name)
        expected = python[python["type"] == finding_type]
        assert set(cypher["type"]) <= {finding_type}
        assert _keyed(cypher) == _keyed(expected), finding_type
        sizes[finding_type] = len(expected)
    return sizes


def test_every_finding_type_has_a_cypher_detector():
    assert len(CYPHER_DETECTORS) == len(FINDING_TYPES) == 21
    assert {name[len("detect_") :].upper() for name in CYPHER_DETECTORS} == set(FINDING_TYPES)


def test_cypher_detectors_equal_python_on_planted_scenario(store):
    scenario.load(store)
    sizes = compare_all(store)
    # The scenario plants each of these, so equality is not two empty sets.
    for finding_type in (
        "TRANSFORM_GAIN",
        "LOT_OVERDRAWN",
        "TRANSIT_MISMATCH",
        "UNCONFIRMED_SHIPMENT",
        "DUPLICATE_LOT",
        "UNKNOWN_LOT",
        "UNTRACEABLE_EXPORT",
        "UNDESIGNATED_EXTRACTION",
        "QUOTA_EXCEEDED",
        "UNDESIGNATED_SMELTING",
        "UNDESIGNATED_SUPPLY",
    ):
        assert sizes[finding_type] >= 1, finding_type


def _near_misses(over: bool = False) -> list:
    """Every threshold met exactly or a window not covered: no finding from either engine.

    With ``over``, the cases of the lot, stock, time, cycle, export and supply detectors are
    pushed just past their line (the same rows otherwise), so each of those types triggers.
    """
    bump = 0.01 if over else 0.0
    mine = [
        # 1000 kg REO: exactly M1's 1 t mining quota.
        ev("1", "extract", "2024-05-02", "M1", "N1", 1000, product="BAST_CONC", reo_pct=100,
           document_ref="MIN-1"),
        ev("2", "ship", "2024-05-03", "M1", "N1", 1000, counterparty_id="S1", shipment_id="NS1"),
        # Book stock 0: a declared 1 kg is exactly the 1 kg floor.
        ev("3", "stock", "2024-05-31", "M1", "N1", 1 + bump),
        ev("4", "receive", "2024-05-05", "M1", "NY" if over else "NX", 1 if over else 10,
           counterparty_id="S1", shipment_id="NS4"),
    ]  # fmt: skip
    smelter = [
        # 0.5% of 1000 kg short: exactly at the tolerance.
        ev("1", "receive", "2024-05-04", "S1", "N1", 995, counterparty_id="M1", shipment_id="NS1"),
        # 500 kg REO in, 502.5 out: recovery exactly 1.005.
        ev("2", "consume", "2024-05-05", "S1", "N1", 500, batch_id="NB1"),
        ev("3", "produce", "2024-05-06", "S1", "N2", 502.5, product="ND_OXIDE", reo_pct=100,
           batch_id="NB1"),
        # 495 kg REO in, 420.75 out: recovery exactly 0.85.
        ev("4", "consume", "2024-05-07", "S1", "N1", 495, batch_id="NB2"),
        ev("5", "produce", "2024-05-08", "S1", "N3", 420.75, product="ND_OXIDE", reo_pct=100,
           batch_id="NB2"),
        # T1 has no June upload: an unconfirmed shipment cannot be called yet.
        ev("6", "ship", "2024-05-20", "S1", "N2", 502.5, counterparty_id="T1", shipment_id="NS2"),
        # NZ: 95 kg REO of documented import NX + 5 kg of NY, imported without a customs
        # document (an untraceable origin): exactly 5% untraceable (over: 10.1 kg of NY).
        ev("7", "receive", "2024-05-04", "S1", "NX", 110, counterparty_id="T1", shipment_id="NS3"),
        ev("8", "import", "2024-05-02", "S1", "NY", 11.1 if over else 10, product="BAST_CONC",
           reo_pct=50, country="MM"),
        ev("9", "consume", "2024-05-07", "S1", "NX", 100, batch_id="NB3"),
        ev("10", "consume", "2024-05-07", "S1", "NY", 10.1 if over else 10, batch_id="NB3"),
        ev("11", "produce", "2024-05-08", "S1", "NZ", 100, product="ND_OXIDE", reo_pct=100,
           batch_id="NB3"),
        ev("12", "ship", "2024-05-09", "S1", "NZ", 100, counterparty_id="T1", shipment_id="NS5"),
        # Mineral NX passed on the day S1 received it: lawful custody by receipt, and the same
        # day is no time inversion (over: NY, which S1 holds by an undocumented import).
        ev("13", "ship", "2024-05-04", "S1", "NY" if over else "NX", 1 if over else 10,
           counterparty_id="M1", shipment_id="NS4"),
    ]  # fmt: skip
    trader = [
        ev("1", "stock", "2024-05-31", "T1", "N9", 0, product="ND_OXIDE"),
        ev("2", "import", "2024-05-02", "T1", "NX", 110, product="BAST_CONC", reo_pct=95,
           country="MM", document_ref="C-9"),
        ev("3", "ship", "2024-05-03", "T1", "NX", 110, counterparty_id="S1", shipment_id="NS3"),
        ev("4", "receive", "2024-05-10", "T1", "NZ", 100, counterparty_id="S1", shipment_id="NS5"),
        # Batch id NB3 is also S1's: a different batch (enterprise_id, batch_id), so NZ -> NT
        # does not close a loop with S1's NX -> NZ; NT keeps NZ's 95% traceable share.
        ev("5", "consume", "2024-05-11", "T1", "NZ", 100, batch_id="NB3"),
        ev("6", "produce", "2024-05-12", "T1", "NT", 100, product="ND_METAL", reo_pct=100,
           batch_id="NB3"),
        ev("7", "export", "2024-05-13", "T1", "NT", 100, country="JP", document_ref="CUS-9",
           shipment_id="NE1"),
        # Outflows exactly 0.5% over the 200 kg imported, exported the day of the import
        # (over: 201.01 kg, the day before).
        ev("8", "import", "2024-05-02", "T1", "NW", 200, product="ND_OXIDE", reo_pct=99,
           country="MM", document_ref="C-10"),
        ev("9", "export", "2024-05-01" if over else "2024-05-02", "T1", "NW", 201 + bump,
           country="JP", document_ref="CUS-10", shipment_id="NE2"),
        # Book stock 400 kg: a declared 402 kg is exactly 0.5% off.
        ev("10", "import", "2024-05-02", "T1", "NV", 1000, product="ND_OXIDE", reo_pct=99,
           country="MM", document_ref="C-11"),
        ev("11", "export", "2024-05-03", "T1", "NV", 600, country="JP", document_ref="CUS-11",
           shipment_id="NE3"),
        ev("12", "stock", "2024-05-31", "T1", "NV", 402 + bump),
        # NC1 -> NB6 -> NC2 -> NB7 -> NC3: a chain (over: NB7 yields NC1 again, a cycle).
        ev("13", "import", "2024-05-02", "T1", "NC1", 10, product="ND_OXIDE", reo_pct=99,
           country="MM", document_ref="C-12"),
        ev("14", "consume", "2024-05-03", "T1", "NC1", 10, batch_id="NB6"),
        ev("15", "produce", "2024-05-04", "T1", "NC2", 10, product="ND_OXIDE", reo_pct=99,
           batch_id="NB6"),
        ev("16", "consume", "2024-05-05", "T1", "NC2", 10, batch_id="NB7"),
        ev("17", "produce", "2024-05-06", "T1", "NC1" if over else "NC3", 10, product="ND_OXIDE",
           reo_pct=99, batch_id="NB7"),
    ]  # fmt: skip
    return [make_upload(mine, "m1.csv"), make_upload(smelter, "s1.csv"), make_upload(trader)]


def test_cypher_detectors_equal_python_on_near_misses(store):
    store.save_registry(scenario.registry(), "tests")
    for upload in _near_misses():
        store.save_upload(upload)
    sizes = compare_all(store)
    assert sizes == dict.fromkeys(sizes, 0)


def test_cypher_detectors_equal_python_just_over_the_near_misses(store):
    store.save_registry(scenario.registry(), "tests")
    for upload in _near_misses(over=True):
        store.save_upload(upload)
    sizes = compare_all(store)
    for finding_type in (
        "LOT_OVERDRAWN",
        "STOCK_MISMATCH",
        "TIME_INVERSION",
        "LINEAGE_CYCLE",
        "UNTRACEABLE_EXPORT",
        "UNDESIGNATED_SUPPLY",
    ):
        assert sizes[finding_type] >= 1, finding_type


# fmt: off
def _random_uploads(seed: int, steps: int = 60) -> list:
    """Three months of random events by the scenario's enterprises and U9 (unregistered): every
    event type, batches that sometimes yield an existing lot (duplicates, cycles), receipts
    short, missing or without shipment, lots nobody created, imports without customs document;
    then every seventh upload revised (every other row dropped): only current events count."""
    rng = random.Random(seed)
    rows: dict[tuple[str, str], list[dict]] = {}
    product_of: dict[str, str] = {}  # every lot id used -> its product
    lots: list[str] = []  # lots some event creates
    ents = ["M1", "M2", "S1", "T1", "U9"]

    def add(ent: str, month: str, etype: str, lot: str, mass: float, day: int, **extra) -> None:
        ids = rows.setdefault((ent, month), [])
        ids.append(ev(f"{month}-{len(ids)}", etype, f"{month}-{day:02d}", ent, lot,
                      round(mass, 1), **extra))

    def new_lot(product: str) -> str:
        lots.append(f"R{len(lots)}")
        product_of[lots[-1]] = product
        return lots[-1]

    for month in ("2024-01", "2024-02", "2024-03"):
        for _ in range(steps):
            k, ent, day = rng.random(), rng.choice(ents), rng.randint(1, 27)
            mass, tag = rng.uniform(10, 300), f"{month}-{rng.randint(0, 9999)}"
            if k < 0.15 or not lots:
                add(rng.choice(["M1", "M1", "M2"]), month, "extract", new_lot("BAST_CONC"), mass,
                    day, product="BAST_CONC", reo_pct=rng.choice([40, 60.5]), document_ref="L")
            elif k < 0.25:
                doc = {"document_ref": "C-1"} if rng.random() < 0.7 else {}
                add(ent, month, "import", new_lot("MIXED_CONC"), mass, day, product="MIXED_CONC",
                    reo_pct=50, country="MM", **doc)
            elif k < 0.45:
                for lot in rng.sample(lots, min(len(lots), rng.randint(1, 3))):
                    add(ent, month, "consume", lot, mass / 2, day, batch_id=f"B{tag}")
                for _ in range(rng.randint(1, 2)):
                    lot = rng.choice(lots) if rng.random() < 0.15 else new_lot("ND_OXIDE")
                    add(ent, month, "produce", lot, mass / 3, day + 1, batch_id=f"B{tag}",
                        product=product_of[lot], reo_pct=rng.choice([45, 99]))
            elif k < 0.7:
                to, lot = rng.choice([e for e in ents if e != ent]), rng.choice(lots)
                if rng.random() < 0.05:  # a lot no loaded event creates
                    lot = f"Q{rng.randint(0, 99)}"
                    product_of[lot] = "ND_OXIDE"
                if rng.random() < 0.9:
                    add(ent, month, "ship", lot, mass, day, counterparty_id=to, shipment_id=tag)
                if rng.random() < 0.9:
                    add(to, month, "receive", lot, mass * rng.choice([1, 1, 0.9]), day + 1,
                        counterparty_id=ent, shipment_id=tag, product=product_of[lot])
            elif k < 0.8:
                add(ent, month, "export", rng.choice(lots), mass / 4, day, country="JP",
                    document_ref="X", shipment_id=f"X{tag}")
            elif k < 0.9:
                add(ent, month, "loss", rng.choice(lots), mass / 20, day)
            else:
                add(ent, month, "stock", rng.choice(lots), rng.choice([0, mass]), 28)
    # Exports name a few declarations and licences (some nobody holds) for the registers.
    for row in (r for month_rows in rows.values() for r in month_rows):
        if row["event_type"] == "export":
            row["document_ref"] = rng.choice(["XD0", "XD1", "XD2", "XD3"])
            row["licence_no"] = rng.choice(["LA", "LB", "LC", None])
    files = sorted(rows.items())
    return [make_upload(r, f"{e}-{m}.csv") for (e, m), r in files] + [
        make_upload(r[::2], f"{e}-{m}-rev.csv", salt="rev") for (e, m), r in files[::7]]
# fmt: on


SEED = 1  # a seed whose random events hold every finding type


def _random_registry():
    """The scenario's registry plus customs, licences and a controls list for _random_uploads:
    declarations of one enterprise named by others, masses that differ, one nobody names;
    licences of the wrong holder, validity windows inside the three months."""
    from dataclasses import replace

    from flowgraph.model import registry_from_records

    def line(no, direction, ent, date, product, mass, country="JP"):
        return dict(
            declaration_no=no,
            direction=direction,
            enterprise_id=ent,
            date=date,
            product=product,
            mass_kg=mass,
            country=country,
        )

    def licence(no, ent, product, quantity, start, end=None):
        return dict(
            licence_no=no,
            enterprise_id=ent,
            product=product,
            country="JP",
            quantity_kg=quantity,
            valid_from=start,
            valid_to=end,
            end_user="u",
        )

    registers = registry_from_records(
        customs=[
            line("C-1", "import", "S1", "2024-01-10", "MIXED_CONC", 400, "MM"),
            line("XD0", "export", "S1", "2024-01-12", "ND_OXIDE", 60),
            line("XD0", "export", "S1", "2024-01-12", "BAST_CONC", 30),
            line("XD1", "export", "T1", "2024-02-03", "ND_OXIDE", 200),
            line("XD2", "export", "M1", "2024-03-04", "BAST_CONC", 100),
            line("XD9", "export", "M2", "2024-02-04", "ND_OXIDE", 100),  # nobody names it
        ],
        licences=[
            licence("LA", "S1", "ND_OXIDE", 4, "2024-01-15", "2024-03-10"),
            licence("LA", "S1", "BAST_CONC", 3, "2024-01-01"),
            licence("LB", "T1", "ND_OXIDE", 5000, "2024-02-01"),
            licence("LB", "T1", "BAST_CONC", 2, "2024-02-01", "2024-02-29"),
            licence("LC", "M1", "MIXED_CONC", 2, "2024-01-01"),
            licence("LC", "M1", "BAST_CONC", 2, "2024-01-01"),
            licence("LC", "M1", "ND_OXIDE", 2, "2024-01-01"),
        ],
        controls=[
            dict(product="ND_OXIDE", valid_from="2024-02-01", valid_to=None, basis="test"),
            dict(product="BAST_CONC", valid_from="2024-01-01", valid_to="2024-02-15", basis="t"),
        ],
    )  # fmt: skip
    return replace(
        scenario.registry(),
        customs=registers.customs,
        licences=registers.licences,
        controls=registers.controls,
    )


def test_cypher_detectors_equal_python_on_random_events(store):
    """Differential on a random tangle where every finding type occurs, many times over."""
    store.save_registry(_random_registry(), "tests")
    for upload in _random_uploads(seed=SEED):
        store.save_upload(upload)
    sizes = compare_all(store)
    assert set(sizes) == set(FINDING_TYPES)
    assert min(sizes.values()) >= 1, sizes  # equality is never two empty sets


def test_detect_findings_identical_on_synth_data(store, tmp_path, synth_year):
    """Differential: synth data through both stores gives the same events, registry and
    findings (type by type, key by key), and the Cypher detectors agree with them."""
    data = synth_year.outdir  # tests/conftest.py: seed 5, scale 0.05, shared, only read
    local = LocalStore.open(tmp_path / "fg.db")
    for target in (store, local):
        load_registry(target, data / "registry")
        summary = load_files(target, [data / "uploads"])
        assert not summary.rejected
    pd.testing.assert_frame_equal(store.events(), local.events())
    neo, loc = store.registry(), local.registry()
    for part in ("enterprises", "designations", "quotas", "customs", "licences", "controls"):
        pd.testing.assert_frame_equal(getattr(neo, part), getattr(loc, part))
    from_neo = run_detectors(store.events(), store.registry())
    from_local = run_detectors(local.events(), local.registry())
    pd.testing.assert_frame_equal(from_neo, from_local)
    assert len(from_neo) > 0  # synth plants anomalies
    sizes = compare_all(store)
    for finding_type in ("CUSTOMS_UNDECLARED", "UNREPORTED_CUSTOMS", "CUSTOMS_MASS_MISMATCH"):
        assert sizes[finding_type] >= 1, finding_type
    local.close()


def test_cli_detect_on_neo4j_prints_what_the_embedded_store_prints(store, tmp_path):
    from click.testing import CliRunner
    from neo4j_scenario import URI

    from flowgraph.cli.main import cli

    local_path = tmp_path / "fg.db"
    local = LocalStore.open(local_path)
    for target in (store, local):
        scenario.load(target)
    local.close()
    runner = CliRunner()
    # Detection on the server records run 1 as the embedded store's client-side run does.
    there = runner.invoke(cli, ["--store", URI, "detect", "--in-database", "--format", "jsonl"])
    on_local = runner.invoke(cli, ["--store", str(local_path), "detect", "--format", "jsonl"])
    assert there.exit_code == 0, there.output
    assert there.stdout == on_local.stdout
    assert "Recorded run 1" in there.stderr and "Recorded run 1" in on_local.stderr
    lines = there.stdout.strip().splitlines()
    assert len(lines) >= 10
    found = store.driver.execute_query("MATCH (f:Finding) RETURN count(f)").records[0][0]
    assert found == len(lines)
    # The client-side path on the same store: the same findings, so the same run (not again).
    on_neo4j = runner.invoke(cli, ["--store", URI, "detect", "--format", "jsonl"])
    assert on_neo4j.exit_code == 0, on_neo4j.output
    assert on_neo4j.stdout == on_local.stdout
    assert "not recorded again" in on_neo4j.stderr
    # Filtered (not a run): the same selection and filter as the embedded store's.
    filtered = ["detect", "--year", "2024", "--type", "TRANSFORM_GAIN", "--format", "jsonl"]
    there = runner.invoke(cli, ["--store", URI, *filtered, "--in-database"])
    here = runner.invoke(cli, ["--store", str(local_path), *filtered])
    assert there.exit_code == 0, there.output
    assert there.stdout.count('"type": "TRANSFORM_GAIN"') == 1
    assert there.stdout == here.stdout


def test_public_detect_runs_in_the_database_on_request(store, tmp_path):
    """``flowgraph.detect(store, in_database=True)`` (notebooks, the workbench) gives what the
    client-side call gives; on the embedded store it is a usage error, nothing computed."""
    import flowgraph
    from flowgraph.errors import UsageError

    scenario.load(store)
    there = flowgraph.detect(store, in_database=True, year=2024)
    here = flowgraph.detect(store, year=2024)
    pd.testing.assert_frame_equal(_rounded(there), _rounded(here))
    assert len(here) >= 10
    local = LocalStore.open(tmp_path / "fg.db")
    with pytest.raises(UsageError, match="needs a Neo4j store"):
        flowgraph.detect(local, in_database=True)
    local.close()


def test_in_database_detectors_run_concurrently_give_the_same_table(store):
    scenario.load(store)
    one_by_one = detect_in_database(store, parallel=1)
    pd.testing.assert_frame_equal(detect_in_database(store, parallel=3), one_by_one)
    assert len(one_by_one) >= 10
