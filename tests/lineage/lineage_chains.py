"""Small builders for hand-written lineage chains."""

from __future__ import annotations

import itertools

from flowgraph.model import events_frame, registry_from_records

_ids = itertools.count(1)


def row(event_type: str, date: str, enterprise: str, lot: str, mass: float, **extra) -> dict:
    """One event record; REO % and product must be given where SPEC requires them."""
    return {
        "event_id": f"ev{next(_ids)}",
        "event_type": event_type,
        "date": date,
        "enterprise_id": enterprise,
        "lot_id": lot,
        "mass_kg": mass,
        **extra,
    }


def extract(date, ent, lot, mass, pct=50.0, product="MIXED_CONC"):
    return row("extract", date, ent, lot, mass, reo_pct=pct, product=product, document_ref="LIC")


def imported(date, ent, lot, mass, pct=60.0, country="MM", doc="C-1", product="BAST_CONC"):
    return row(
        "import",
        date,
        ent,
        lot,
        mass,
        reo_pct=pct,
        product=product,
        country=country,
        document_ref=doc,
    )


def consume(date, ent, lot, mass, batch, product=None):
    return row("consume", date, ent, lot, mass, batch_id=batch, product=product)


def produce(date, ent, lot, mass, batch, pct=99.0, product="ND_OXIDE"):
    return row("produce", date, ent, lot, mass, batch_id=batch, reo_pct=pct, product=product)


def frame(*records: dict):
    return events_frame(list(records))


def standard_registry():
    """M1 designated for mining all 2024 (until 2024-06-30), S1 for smelting."""
    return registry_from_records(
        enterprises=[
            {"enterprise_id": e, "name": e, "province": "NM", "group": "G", "roles": r}
            for e, r in [("M1", "mine"), ("M2", "mine"), ("S1", "smelter"), ("P1", "processor")]
        ],
        designations=[
            {
                "enterprise_id": "M1",
                "activity": "mining",
                "licence_no": "LIC-M1",
                "valid_from": "2024-01-01",
                "valid_to": "2024-06-30",
            },
            {
                "enterprise_id": "S1",
                "activity": "smelting",
                "licence_no": "LIC-S1",
                "valid_from": "2024-01-01",
                "valid_to": None,
            },
        ],
    )
