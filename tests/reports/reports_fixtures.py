"""Hand-made and random event tables for the report tests (kg, REO % as in SPEC §1)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from flowgraph.model import events_frame, registry_from_records

XSS_NAME = "<script>alert(1)</script>"


def hand_registry(smelter_name: str = "Smelter One"):
    return registry_from_records(
        enterprises=[
            {
                "enterprise_id": "M1",
                "name": "Mine One",
                "province": "Inner Mongolia",
                "group": "North",
                "roles": "mine",
            },
            {
                "enterprise_id": "M2",
                "name": "Mine Two",
                "province": "Jiangxi",
                "group": "South",
                "roles": "mine",
            },
            {
                "enterprise_id": "T1",
                "name": "Trader One",
                "province": "Jiangxi",
                "group": "South",
                "roles": "importer;trader",
            },
            {
                "enterprise_id": "S1",
                "name": smelter_name,
                "province": "Inner Mongolia",
                "group": "North",
                "roles": "smelter",
            },
            {
                "enterprise_id": "P1",
                "name": "Processor One",
                "province": "Jiangxi",
                "group": "South",
                "roles": "processor",
            },
        ],
        designations=[
            {
                "enterprise_id": "M1",
                "activity": "mining",
                "licence_no": "M-1",
                "valid_from": "2024-01-01",
                "valid_to": None,
            },
            {
                "enterprise_id": "S1",
                "activity": "smelting",
                "licence_no": "S-1",
                "valid_from": "2024-01-01",
                "valid_to": None,
            },
        ],
        quotas=[
            {"enterprise_id": "M1", "year": 2024, "activity": "mining", "quota_t_reo": 0.5},
            {"enterprise_id": "S1", "year": 2024, "activity": "smelting", "quota_t_reo": 2.0},
        ],
    )


def _e(n, kind, date, ent, lot, mass, **kw):
    return {
        "event_id": f"{ent}-{n}",
        "event_type": kind,
        "date": date,
        "enterprise_id": ent,
        "lot_id": lot,
        "mass_kg": mass,
        **kw,
    }


def hand_events() -> pd.DataFrame:
    """One month (2024-03) of a small chain; expected flows are written out in test_report_flows.

    REO kg: L1 600 (designated extract), L2 250 (undesignated), L3 120 (documented import),
    L4 693 (batch B1 from 480 + 245 consumed: 32 lost), L5 103.95 (batch B2 from 99: 4.95 gain),
    LX: an unknown MIXED_CARBONATE lot (typical 45 %) shipped by S1 without any creation.
    """
    d = "2024-03-"
    rows = [
        _e(
            1,
            "extract",
            d + "01",
            "M1",
            "L1",
            1000,
            product="BAST_CONC",
            reo_pct=60,
            document_ref="M-1",
        ),
        _e(
            2,
            "ship",
            d + "02",
            "M1",
            "L1",
            800,
            product="BAST_CONC",
            counterparty_id="S1",
            shipment_id="SH1",
        ),
        _e(
            3,
            "extract",
            d + "01",
            "M2",
            "L2",
            500,
            product="ION_ADS_CONC",
            reo_pct=50,
            document_ref="none",
        ),
        _e(
            4,
            "ship",
            d + "02",
            "M2",
            "L2",
            500,
            product="ION_ADS_CONC",
            counterparty_id="S1",
            shipment_id="SH2",
        ),
        _e(
            5,
            "import",
            d + "03",
            "T1",
            "L3",
            200,
            product="MONAZITE_CONC",
            reo_pct=60,
            country="AU",
            document_ref="C-1",
        ),
        _e(
            6,
            "ship",
            d + "04",
            "T1",
            "L3",
            200,
            product="MONAZITE_CONC",
            counterparty_id="S1",
            shipment_id="SH3",
        ),
        _e(
            7,
            "receive",
            d + "03",
            "S1",
            "L1",
            800,
            product="BAST_CONC",
            counterparty_id="M1",
            shipment_id="SH1",
        ),
        _e(
            8,
            "receive",
            d + "03",
            "S1",
            "L2",
            490,
            product="ION_ADS_CONC",
            counterparty_id="M2",
            shipment_id="SH2",
        ),
        _e(9, "consume", d + "05", "S1", "L1", 800, batch_id="B1"),
        _e(10, "consume", d + "05", "S1", "L2", 490, batch_id="B1"),
        _e(11, "produce", d + "06", "S1", "L4", 700, product="ND_OXIDE", reo_pct=99, batch_id="B1"),
        _e(12, "consume", d + "07", "S1", "L4", 100, batch_id="B2"),
        _e(13, "produce", d + "07", "S1", "L5", 105, product="ND_OXIDE", reo_pct=99, batch_id="B2"),
        _e(14, "ship", d + "08", "S1", "L4", 500, counterparty_id="P1", shipment_id="SH4"),
        _e(
            15,
            "export",
            d + "09",
            "S1",
            "L4",
            50,
            country="US",
            document_ref="X-1",
            shipment_id="EX1",
        ),
        _e(16, "loss", d + "10", "S1", "L4", 10, note="spill"),
        _e(
            17,
            "ship",
            d + "11",
            "S1",
            "LX",
            100,
            product="MIXED_CARBONATE",
            counterparty_id="P1",
            shipment_id="SH5",
        ),
        _e(
            18,
            "receive",
            d + "12",
            "P1",
            "L4",
            500,
            product="ND_OXIDE",
            counterparty_id="S1",
            shipment_id="SH4",
        ),
        _e(
            19,
            "receive",
            d + "12",
            "P1",
            "LX",
            100,
            product="MIXED_CARBONATE",
            counterparty_id="S1",
            shipment_id="SH5",
        ),
        _e(
            20,
            "ship",
            d + "20",
            "P1",
            "L4",
            100,
            product="ND_OXIDE",
            counterparty_id="C9",
            shipment_id="SH6",
        ),
        _e(21, "stock", d + "31", "P1", "L4", 400, product="ND_OXIDE"),
    ]
    return events_frame(rows)


def hand_shares() -> pd.Series:
    """Traceable shares by the SPEC haircut rule for hand_events (written out by hand)."""
    l4 = 480 / 725
    return pd.Series({"L1": 1.0, "L2": 0.0, "L3": 1.0, "L4": l4, "L5": 99 * l4 / 103.95, "LX": 0.0})


def random_events(seed: int, n_lots: int = 40) -> tuple[pd.DataFrame, object, pd.Series]:
    """A messy random event table over 2024-2025: lots created (or not), shipped between random
    enterprises (some receipts missing, short, late or unknown), consumed in batches, exported,
    lost. Returns (events, registry, random shares)."""
    rng = np.random.default_rng(seed)
    ents = [f"E{i}" for i in range(8)]
    roles = [
        "mine",
        "mine;trader",
        "smelter",
        "smelter",
        "processor",
        "trader;exporter",
        "importer",
        "processor",
    ]
    provinces = ["A", "B", "A", "B", "A", "B", "A", "B"]
    registry = registry_from_records(
        enterprises=[
            {
                "enterprise_id": e,
                "name": f"Ent {e}",
                "province": p,
                "group": f"G{i % 3}",
                "roles": r,
            }
            for i, (e, r, p) in enumerate(zip(ents, roles, provinces, strict=True))
        ],
        designations=[
            {
                "enterprise_id": "E0",
                "activity": "mining",
                "licence_no": "x",
                "valid_from": "2024-01-01",
                "valid_to": "2025-03-31",
            }
        ],
    )
    products = ["BAST_CONC", "MIXED_CARBONATE", "ND_OXIDE", "ND_METAL", "NDFEB_MAGNET"]
    rows: list[dict] = []
    n = 0

    def add(kind, month, ent, lot, mass, **kw):
        nonlocal n
        n += 1
        day = int(rng.integers(1, 28))
        rows.append(
            _e(
                n,
                kind,
                f"{2024 + month // 12}-{month % 12 + 1:02d}-{day:02d}",
                ent,
                lot,
                float(mass),
                **kw,
            )
        )

    for i in range(n_lots):
        lot = f"L{i}"
        ent = ents[int(rng.integers(0, 8))]
        month = int(rng.integers(0, 22))
        product = products[int(rng.integers(0, len(products)))]
        mass = float(rng.integers(100, 2000))
        kind = rng.choice(["extract", "import", "none"], p=[0.45, 0.4, 0.15])
        if kind == "extract":
            add(
                "extract",
                month,
                ent,
                lot,
                mass,
                product=product,
                reo_pct=float(rng.uniform(30, 99)),
                document_ref="m",
            )
        elif kind == "import":
            docs = rng.random() < 0.8
            add(
                "import",
                month,
                ent,
                lot,
                mass,
                product=product,
                reo_pct=float(rng.uniform(30, 99)),
                country="AU" if docs else None,
                document_ref="c" if docs else None,
            )
        holder = ent
        for step in range(int(rng.integers(1, 5))):
            month = min(month + int(rng.integers(0, 2)), 23)
            part = mass * float(rng.uniform(0.2, 1.1))
            action = rng.choice(["ship", "export", "loss", "batch"], p=[0.55, 0.15, 0.1, 0.2])
            if action == "ship":
                to = ents[int(rng.integers(0, 8))] if rng.random() < 0.9 else "OUTSIDER"
                sid = f"S{i}-{step}"
                add(
                    "ship",
                    month,
                    holder,
                    lot,
                    part,
                    product=product,
                    counterparty_id=to,
                    shipment_id=sid,
                )
                if to != "OUTSIDER" and rng.random() < 0.85:
                    late = int(rng.random() < 0.3)
                    got = part * (1.0 if rng.random() < 0.7 else float(rng.uniform(0.9, 1.05)))
                    add(
                        "receive",
                        min(month + late, 23),
                        to,
                        lot,
                        got,
                        product=product,
                        counterparty_id=holder,
                        shipment_id=sid,
                    )
                    holder = to
                    mass = got
            elif action == "export":
                add(
                    "export",
                    month,
                    holder,
                    lot,
                    part,
                    country=rng.choice(["US", "JP", "DE"]),
                    document_ref="x",
                    shipment_id=f"X{i}-{step}",
                )
            elif action == "loss":
                add("loss", month, holder, lot, part * 0.1)
            else:
                batch = f"B{i}-{step}"
                add("consume", month, holder, lot, part, batch_id=batch)
                out = f"{lot}-{step}"
                add(
                    "produce",
                    month,
                    holder,
                    out,
                    part * float(rng.uniform(0.7, 1.2)),
                    product=products[int(rng.integers(0, len(products)))],
                    reo_pct=float(rng.uniform(30, 99)),
                    batch_id=batch,
                )
                lot, mass = out, part
        if rng.random() < 0.2:  # a stray receipt of a never-shipped lot
            add(
                "receive",
                month,
                ents[int(rng.integers(0, 8))],
                f"Q{i}",
                50,
                product="BAST_CONC",
                counterparty_id=ents[int(rng.integers(0, 8))],
                shipment_id=f"Q{i}",
            )
    events = events_frame(rows)
    lots = events["lot_id"].unique()
    shares = pd.Series(rng.uniform(0, 1, len(lots)), index=lots)
    return events, registry, shares


def with_shares(events: pd.DataFrame, registry, shares: pd.Series):
    """A prepared view of ``events`` whose traceable shares are the hand-made ``shares``."""
    from flowgraph.analysis.prepared import PreparedEvents

    view = PreparedEvents(events, registry)
    view.shares = shares
    return view
