"""A small national chain that exercises every event type and several findings (test data),
and where the tests' Neo4j is (``URI``; tests/conftest.py has the fixtures)."""

from __future__ import annotations

import hashlib
import os

import pandas as pd

from flowgraph.model import Registry, Upload, events_frame, registry_from_records

URI = os.environ.get("NEO4J_URI", "bolt://127.0.0.1:7687")
_state: dict[str, str | None] = {}


def neo4j_unreachable() -> str | None:
    """None when the test Neo4j at URI answers, else why not (checked once per session)."""
    if "why" not in _state:
        from flowgraph.errors import StoreUnavailable
        from flowgraph.store.neo4j import Neo4jStore

        try:
            Neo4jStore.connect(URI).close()
            _state["why"] = None
        except StoreUnavailable as e:
            _state["why"] = str(e)
    return _state["why"]


def make_upload(rows: list[dict], file_name: str = "upload.csv", salt: str = "") -> Upload:
    """An Upload as the loader would build it (sha256 from the content)."""
    events = events_frame(rows)
    digest = hashlib.sha256((events.to_csv() + salt).encode()).hexdigest()
    return Upload(file_name, digest, events["enterprise_id"][0], events["period"][0], events)


def ev(eid, etype, date, ent, lot, mass, **extra) -> dict:
    return {"event_id": eid, "event_type": etype, "date": date, "enterprise_id": ent,
            "lot_id": lot, "mass_kg": mass, **extra}  # fmt: skip


def registry() -> Registry:
    """M1 mine (designated), S1 smelter (designated), T1 trader, X1 exporter; U9 unregistered."""
    return registry_from_records(
        enterprises=[
            {
                "enterprise_id": "M1",
                "name": "Mine One",
                "province": "Inner Mongolia",
                "group": "G1",
                "roles": "mine",
            },
            {
                "enterprise_id": "M2",
                "name": "Mine Two",
                "province": "Jiangxi",
                "group": "G2",
                "roles": "mine",
            },
            {
                "enterprise_id": "S1",
                "name": "Smelter One",
                "province": "Jiangxi",
                "group": "G1",
                "roles": "smelter",
            },
            {
                "enterprise_id": "T1",
                "name": "Trader",
                "province": None,
                "group": None,
                "roles": "trader;exporter",
            },
        ],  # fmt: skip
        designations=[
            {
                "enterprise_id": "M1",
                "activity": "mining",
                "licence_no": "MIN-1",
                "valid_from": "2024-01-01",
                "valid_to": None,
            },
            {
                "enterprise_id": "S1",
                "activity": "smelting",
                "licence_no": "SM-1",
                "valid_from": "2024-01-01",
                "valid_to": "2024-12-31",
            },
        ],  # fmt: skip
        quotas=[
            {"enterprise_id": "M1", "year": 2024, "activity": "mining", "quota_t_reo": 1.0},
            {"enterprise_id": "S1", "year": 2024, "activity": "smelting", "quota_t_reo": 50.0},
        ],
    )


def registry_with_registers() -> Registry:
    """``registry()`` plus the SPEC §7 registers: T1's two exports declared (CUS-2 5 kg light),
    an import declaration of S1 nobody names, licence EL-T1 (Nd oxide to Japan 300 kg: EX1's
    400 kg exceed it; to Germany 100 kg, unused) and Nd oxide controlled from 2024-03-01."""
    from dataclasses import replace

    def line(no, direction, ent, date, product, mass, country):
        return dict(
            declaration_no=no,
            direction=direction,
            enterprise_id=ent,
            date=date,
            product=product,
            mass_kg=mass,
            country=country,
        )

    def licence(country, quantity):
        return dict(
            licence_no="EL-T1",
            enterprise_id="T1",
            product="ND_OXIDE",
            country=country,
            quantity_kg=quantity,
            valid_from="2024-01-01",
            valid_to="2024-12-31",
            end_user="u",
        )

    registers = registry_from_records(
        customs=[
            line("CUS-1", "export", "T1", "2024-03-25", "ND_OXIDE", 400, "JP"),
            line("CUS-2", "export", "T1", "2024-03-26", "ND_OXIDE", 45, "DE"),
            line("CI-S1", "import", "S1", "2024-03-09", "MONAZITE_CONC", 800, "AU"),
        ],
        licences=[licence("JP", 300), licence("DE", 100)],
        controls=[dict(product="ND_OXIDE", valid_from="2024-03-01", valid_to=None, basis="t")],
    )  # fmt: skip
    return replace(
        registry(),
        customs=registers.customs,
        licences=registers.licences,
        controls=registers.controls,
    )


def uploads() -> list[Upload]:
    """Monthly uploads for March-April 2024 with planted problems:

    - M2 extracts without a designation (UNDESIGNATED_EXTRACTION) and smelts without one
      (UNDESIGNATED_SMELTING), and M1 exceeds its 1 t quota;
    - shipment SH2 M1->S1 arrives 20 kg short (TRANSIT_MISMATCH);
    - shipment SH3 S1->T1 is never received although T1 uploaded March and April
      (UNCONFIRMED_SHIPMENT);
    - batch B2 at S1 yields more REO than it consumed (TRANSFORM_GAIN);
    - T1 exports lot LX that nobody created (UNKNOWN_LOT), lot LD is created twice (DUPLICATE_LOT);
    - U9 (unregistered) ships mineral to S1 (UNDESIGNATED_SUPPLY).
    """
    m1_mar = [
        ev("1", "extract", "2024-03-02", "M1", "L1", 2000, product="BAST_CONC", reo_pct=60,
           document_ref="MIN-1"),
        ev("2", "ship", "2024-03-05", "M1", "L1", 1000, counterparty_id="S1", shipment_id="SH1"),
        ev("3", "ship", "2024-03-06", "M1", "L1", 900, counterparty_id="S1", shipment_id="SH2"),
        ev("4", "stock", "2024-03-31", "M1", "L1", 100),
        ev("5", "extract", "2024-03-20", "M1", "LD", 10, product="BAST_CONC", reo_pct=60,
           document_ref="MIN-1"),
    ]  # fmt: skip
    m2_mar = [
        ev("1", "extract", "2024-03-03", "M2", "L2", 500, product="ION_ADS_CONC", reo_pct=90,
           document_ref="none"),
        ev("2", "ship", "2024-03-04", "M2", "L2", 500, counterparty_id="S1", shipment_id="SH5"),
        ev("3", "extract", "2024-03-21", "M2", "LD", 5, product="BAST_CONC", reo_pct=60,
           document_ref="none"),
        # M2 has no smelting designation: UNDESIGNATED_SMELTING (recovery 0.89, in band).
        ev("4", "consume", "2024-03-22", "M2", "LD", 5, batch_id="MB1"),
        ev("5", "produce", "2024-03-23", "M2", "LDX", 2.7, product="ND_OXIDE", reo_pct=99,
           batch_id="MB1"),
    ]  # fmt: skip
    s1_mar = [
        ev("1", "receive", "2024-03-07", "S1", "L1", 1000, counterparty_id="M1", shipment_id="SH1"),
        ev("2", "receive", "2024-03-08", "S1", "L1", 880, counterparty_id="M1", shipment_id="SH2"),
        ev("3", "receive", "2024-03-08", "S1", "L2", 500, counterparty_id="M2", shipment_id="SH5"),
        ev("4", "receive", "2024-03-09", "S1", "L9", 300, product="MIXED_CONC",
           counterparty_id="U9", shipment_id="SH9"),
        ev("5", "consume", "2024-03-10", "S1", "L1", 1000, batch_id="B1"),
        ev("6", "produce", "2024-03-12", "S1", "L3", 600, product="ND_OXIDE", reo_pct=99,
           batch_id="B1"),
        ev("7", "consume", "2024-03-13", "S1", "L2", 400, batch_id="B2"),
        ev("8", "produce", "2024-03-14", "S1", "L4", 500, product="ND_OXIDE", reo_pct=99,
           batch_id="B2"),
        ev("9", "ship", "2024-03-20", "S1", "L3", 600, counterparty_id="T1", shipment_id="SH3"),
        ev("10", "ship", "2024-03-21", "S1", "L4", 400, counterparty_id="T1", shipment_id="SH4"),
        ev("11", "loss", "2024-03-22", "S1", "L2", 10, note="溶解损失"),
    ]  # fmt: skip
    t1_mar = [
        ev("1", "receive", "2024-03-23", "T1", "L4", 400, counterparty_id="S1", shipment_id="SH4"),
        ev("2", "export", "2024-03-25", "T1", "L4", 400, country="JP", document_ref="CUS-1",
           shipment_id="EX1", licence_no="EL-T1"),
        ev("3", "export", "2024-03-26", "T1", "LX", 50, product="ND_OXIDE", country="DE",
           document_ref="CUS-2", shipment_id="EX2"),
    ]  # fmt: skip
    t1_apr = [ev("1a", "stock", "2024-04-30", "T1", "L4", 0)]
    return [
        make_upload(m1_mar, "M1-2024-03.csv"),
        make_upload(m2_mar, "M2-2024-03.csv"),
        make_upload(s1_mar, "S1-2024-03.csv"),
        make_upload(t1_mar, "T1-2024-03.csv"),
        make_upload(t1_apr, "T1-2024-04.csv"),
    ]


def load(store) -> list:
    """Registry + every upload into ``store``; returns the LoadResults."""
    store.save_registry(registry(), "tests/scenario")
    return [store.save_upload(u) for u in uploads()]


def sort_events(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["enterprise_id", "period", "source_row"]).reset_index(drop=True)
