"""Tiny hand-written data sets for the detector tests: one clean chain, then one mutation each.

The clean world (every finding type must stay silent on it):
  M1 (designated mine) extracts L1 in Jan 2024 and ships it (S-1) to smelter S1;
  S1 smelts it in batch B1 into L2 (La oxide) and ships L2 (S-2) to processor P1 in Feb;
  P1 exports L2 (X-1) in Mar. Every enterprise uploads Jan, Feb and Mar.
"""

from __future__ import annotations

import pandas as pd

from flowgraph.analysis.detectors import run_detectors
from flowgraph.config import Tolerances
from flowgraph.model import events_frame, registry_from_records

_counter = iter(range(1, 10**9))


def ev(event_type: str, date: str, ent: str, lot: str, mass: float, **kw) -> dict:
    """One event record; ``kw`` may set any SPEC upload column."""
    row = {
        "event_id": f"e{next(_counter)}",
        "event_type": event_type,
        "date": date,
        "enterprise_id": ent,
        "lot_id": lot,
        "mass_kg": mass,
    }
    row.update(kw)
    return row


def heartbeat(ent: str, months: tuple[str, ...] = ("2024-01", "2024-02", "2024-03")) -> list[dict]:
    """Zero stock rows of a dummy lot so ``ent`` has an upload for each month (stock 0 = book 0)."""
    return [ev("stock", f"{m}-28", ent, f"HB-{ent}", 0.0, product="LA_OXIDE") for m in months]


def clean_records() -> list[dict]:
    return [
        ev(
            "extract",
            "2024-01-05",
            "M1",
            "L1",
            1000,
            product="BAST_CONC",
            reo_pct=60,
            document_ref="LIC-M1",
        ),
        ev(
            "ship",
            "2024-01-20",
            "M1",
            "L1",
            1000,
            counterparty_id="S1",
            shipment_id="S-1",
            product="BAST_CONC",
        ),
        ev(
            "receive",
            "2024-01-22",
            "S1",
            "L1",
            1000,
            counterparty_id="M1",
            shipment_id="S-1",
            product="BAST_CONC",
        ),
        ev("consume", "2024-02-02", "S1", "L1", 1000, batch_id="B1", product="BAST_CONC"),
        ev("produce", "2024-02-03", "S1", "L2", 580, batch_id="B1", product="LA_OXIDE", reo_pct=99),
        ev(
            "ship",
            "2024-02-20",
            "S1",
            "L2",
            580,
            counterparty_id="P1",
            shipment_id="S-2",
            product="LA_OXIDE",
        ),
        ev(
            "receive",
            "2024-02-21",
            "P1",
            "L2",
            580,
            counterparty_id="S1",
            shipment_id="S-2",
            product="LA_OXIDE",
        ),
        ev("stock", "2024-02-29", "P1", "L2", 580, product="LA_OXIDE"),
        ev(
            "export",
            "2024-03-04",
            "P1",
            "L2",
            580,
            shipment_id="X-1",
            country="JP",
            document_ref="CUS-1",
            product="LA_OXIDE",
        ),
        *heartbeat("M1"),
        *heartbeat("S1"),
        *heartbeat("P1"),
    ]


ENTERPRISES = [
    {"enterprise_id": e, "name": e, "province": "NM", "group": "G", "roles": r}
    for e, r in (("M1", "mine"), ("S1", "smelter"), ("P1", "processor;exporter"), ("S2", "smelter"))
]
DESIGNATIONS = [
    {
        "enterprise_id": "M1",
        "activity": "mining",
        "licence_no": "LIC-M1",
        "valid_from": "2023-01-01",
        "valid_to": None,
    },
    {
        "enterprise_id": "S1",
        "activity": "smelting",
        "licence_no": "SM-S1",
        "valid_from": "2023-01-01",
        "valid_to": None,
    },
]


def registry(designations: list[dict] | None = None, quotas: list[dict] | None = None):
    return registry_from_records(
        ENTERPRISES, DESIGNATIONS if designations is None else designations, quotas or []
    )


def findings(
    records: list[dict], reg=None, types: tuple[str, ...] | None = None, **tol
) -> pd.DataFrame:
    """Run the detectors (all, or ``types``) on records."""
    return run_detectors(
        events_frame(records),
        registry() if reg is None else reg,
        Tolerances(**tol),
        types=list(types) if types else None,
    )


def replace(records: list[dict], index: int, **changes) -> list[dict]:
    out = [dict(r) for r in records]
    out[index].update(changes)
    return out
