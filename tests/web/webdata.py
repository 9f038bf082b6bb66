"""A small national chain for the workbench tests: mine -> smelter -> trader -> export, with a
batch gain, an unknown lot, and uploaded text that must stay text."""

from __future__ import annotations

import hashlib

from flowgraph.model import Upload, events_frame, registry_from_records

XSS = "<img src=x onerror=alert(1)>"


def _upload(rows: list[dict], name: str) -> Upload:
    events = events_frame(rows)
    digest = hashlib.sha256((events.to_csv() + name).encode()).hexdigest()
    return Upload(name, digest, events["enterprise_id"][0], events["period"][0], events)


def ev(eid, etype, date, ent, lot, mass, **extra) -> dict:
    return {"event_id": eid, "event_type": etype, "date": date, "enterprise_id": ent,
            "lot_id": lot, "mass_kg": mass, **extra}  # fmt: skip


def registry():
    return registry_from_records(
        enterprises=[
            {"enterprise_id": "M1", "name": "白云矿业 Mine One", "province": "Inner Mongolia",
             "group": "G1", "roles": "mine"},
            {"enterprise_id": "S1", "name": "Smelter One", "province": "Jiangxi", "group": "G1",
             "roles": "smelter"},
            {"enterprise_id": "T1", "name": XSS, "province": "Jiangxi", "group": None,
             "roles": "trader;exporter"},
        ],
        designations=[
            {"enterprise_id": "M1", "activity": "mining", "licence_no": "MIN-1",
             "valid_from": "2024-01-01", "valid_to": None},
            {"enterprise_id": "S1", "activity": "smelting", "licence_no": "SM-1",
             "valid_from": "2024-01-01", "valid_to": None},
        ],
        quotas=[{"enterprise_id": "M1", "year": 2024, "activity": "mining", "quota_t_reo": 1.0}],
    )  # fmt: skip


def uploads() -> list[Upload]:
    m1 = [
        ev(
            "1",
            "extract",
            "2024-03-02",
            "M1",
            "L1",
            2000,
            product="BAST_CONC",
            reo_pct=60,
            document_ref="MIN-1",
        ),
        ev("2", "ship", "2024-03-05", "M1", "L1", 1000, counterparty_id="S1", shipment_id="SH1"),
    ]
    s1 = [
        ev("1", "receive", "2024-03-07", "S1", "L1", 1000, counterparty_id="M1", shipment_id="SH1"),
        ev(
            "2",
            "receive",
            "2024-03-08",
            "S1",
            "L9",
            300,
            product="MIXED_CONC",
            counterparty_id="U9",
            shipment_id="SH9",
            note=XSS,
        ),
        ev("3", "consume", "2024-03-10", "S1", "L1", 1000, batch_id="B1"),
        ev("4", "consume", "2024-03-10", "S1", "L9", 300, batch_id="B1"),
        ev(
            "5",
            "produce",
            "2024-03-12",
            "S1",
            "L3",
            800,
            product="ND_OXIDE",
            reo_pct=99,
            batch_id="B1",
        ),
        ev("6", "ship", "2024-03-20", "S1", "L3", 800, counterparty_id="T1", shipment_id="SH3"),
    ]
    t1 = [
        ev("1", "receive", "2024-03-23", "T1", "L3", 800, counterparty_id="S1", shipment_id="SH3"),
        ev("2", "export", "2024-03-25", "T1", "L3", 800, country="JP", document_ref="CUS-1",
           shipment_id="EX1"),
    ]  # fmt: skip
    return [_upload(m1, "M1-2024-03.csv"), _upload(s1, "S1-2024-03.csv"),
            _upload(t1, "T1-2024-03.csv")]  # fmt: skip


def load(store) -> None:
    store.save_registry(registry(), "tests/web")
    for upload in uploads():
        store.save_upload(upload)
