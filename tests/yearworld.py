"""Small three-year worlds for the tests of detection by year (analysis/years.py).

``synth_years_world``: ``synth --years 3`` (2024-2026 on one ledger: stock, December
shipments received in January, lineage over the year ends, every year planted).
``moved_world``: a synthetic year (12 months of 2024, a third of the files) with its months
moved onto three calendar years: 2023-11, 2023-12 | 2024-01 .. 2024-03, 2024-09 .. 2024-12 |
2025-01 .. 2025-03, so shipments in transit, lots created in one month and used the next,
stock and lineage cross both new years, and a gap inside 2024. Dates keep their day (clamped
to the month's end; stock rows stay on the last day), the customs register's dates move with
them. Both get hand-made near misses over new year 2025 (``BOUNDARY``).
"""

from __future__ import annotations

import calendar
from pathlib import Path

import pandas as pd

from flowgraph.model import Upload, events_frame

MONTHS = [
    (2023, 11), (2023, 12), (2024, 1), (2024, 2), (2024, 3), (2024, 9), (2024, 10),
    (2024, 11), (2024, 12), (2025, 1), (2025, 2), (2025, 3),
]  # fmt: skip
MOVED_YEARS = [2023, 2024, 2025]
SYNTH_YEARS = [2024, 2025, 2026]


def _move(dates: pd.Series, stock: pd.Series | None = None) -> pd.Series:
    """2024 month m -> MONTHS[m - 1], the day kept (clamped; stock rows: the last day)."""
    dates = pd.to_datetime(dates)
    out = []
    for i, d in enumerate(dates):
        if pd.isna(d):
            out.append(pd.NaT)
            continue
        year, month = MONTHS[d.month - 1]
        last = calendar.monthrange(year, month)[1]
        day = last if (stock is not None and stock.iloc[i]) else min(d.day, last)
        out.append(pd.Timestamp(year, month, day))
    return pd.Series(out, index=dates.index, dtype="datetime64[ns]")


def moved_upload(upload: Upload) -> Upload:
    events = upload.events.copy()
    events["date"] = _move(events["date"], events["event_type"] == "stock")
    period = events["date"].iloc[0].strftime("%Y-%m")
    events["period"] = period
    return Upload(upload.file_name, upload.sha256, upload.enterprise_id, period, events)


def with_boundary(registry, move: bool = False):
    """The registry with the BOUNDARY enterprises registered (XM designated for mining, XS for
    smelting, from 2024); ``move``: the customs dates moved as ``moved_upload`` moves rows."""
    customs = registry.customs
    if move and customs is not None and len(customs):
        customs = customs.assign(date=_move(customs["date"]))
    ours = pd.DataFrame(
        {"enterprise_id": ["XM", "XS"], "name": ["X mine", "X smelter"],
         "province": ["Jiangxi", "Jiangxi"], "group": [None, None],
         "roles": ["mine", "smelter"]}
    )  # fmt: skip
    designations = pd.DataFrame(
        {"enterprise_id": ["XM", "XS"], "activity": ["mining", "smelting"],
         "licence_no": ["XL1", "XL2"], "valid_from": pd.to_datetime(["2024-01-01"] * 2),
         "valid_to": pd.to_datetime([None, None])}
    )  # fmt: skip
    return type(registry)(
        enterprises=pd.concat([registry.enterprises, ours], ignore_index=True),
        designations=pd.concat([registry.designations, designations], ignore_index=True),
        quotas=registry.quotas,
        customs=customs,
        licences=registry.licences,
        controls=registry.controls,
    )


def _e(**row) -> dict:
    return {"mass_kg": 100.0, **row}


# Near misses over new year, of enterprises of their own (X*), each in its own upload:
# a lot made in December 2024 from a lot extracted then, consumed in January 2025 (must not be
# UNKNOWN_LOT nor untraceable); a shipment in transit over new year (must not be
# UNCONFIRMED_SHIPMENT nor RECEIPT_WITHOUT_SHIPMENT); stock held over new year (no
# STOCK_MISMATCH); and what must be found: a lot created again in 2025 (DUPLICATE_LOT in 2025),
# an export in 2025 of a lot whose 2024 origin is an undocumented import (UNTRACEABLE_EXPORT).
BOUNDARY = {
    ("XM", "2024-12"): [
        _e(
            event_id="m1",
            event_type="extract",
            date="2024-12-20",
            lot_id="XORE",
            reo_pct=50,
            product="BAST_CONC",
            mass_kg=1000.0,
        ),
        _e(
            event_id="m2",
            event_type="ship",
            date="2024-12-30",
            lot_id="XORE",
            counterparty_id="XS",
            shipment_id="XSH1",
            mass_kg=1000.0,
        ),
        _e(
            event_id="m3",
            event_type="import",
            date="2024-12-10",
            lot_id="XIMP",
            reo_pct=90,
            product="ND_OXIDE",
            mass_kg=200.0,
        ),  # no country, no document: undocumented
        _e(
            event_id="m4",
            event_type="ship",
            date="2024-12-11",
            lot_id="XIMP",
            counterparty_id="XS",
            shipment_id="XSH0",
            mass_kg=200.0,
        ),
    ],
    ("XS", "2024-12"): [
        _e(
            event_id="s0",
            event_type="receive",
            date="2024-12-12",
            lot_id="XIMP",
            counterparty_id="XM",
            shipment_id="XSH0",
            mass_kg=200.0,
        ),
        _e(event_id="s1", event_type="stock", date="2024-12-31", lot_id="XIMP", mass_kg=200.0),
    ],
    ("XS", "2025-01"): [
        _e(
            event_id="s2",
            event_type="receive",
            date="2025-01-03",
            lot_id="XORE",
            counterparty_id="XM",
            shipment_id="XSH1",
            mass_kg=1000.0,
        ),
        _e(
            event_id="s3",
            event_type="consume",
            date="2025-01-05",
            lot_id="XORE",
            batch_id="XB1",
            mass_kg=1000.0,
        ),
        _e(
            event_id="s4",
            event_type="produce",
            date="2025-01-06",
            lot_id="XOX",
            reo_pct=98,
            product="LA_OXIDE",
            batch_id="XB1",
            mass_kg=505.0,
        ),
        _e(
            event_id="s5",
            event_type="export",
            date="2025-01-20",
            lot_id="XIMP",
            shipment_id="XEX1",
            country="JP",
            document_ref="XD1",
            mass_kg=200.0,
        ),
        _e(
            event_id="s6",
            event_type="import",
            date="2025-01-21",
            lot_id="XIMP",
            reo_pct=90,
            product="ND_OXIDE",
            country="MM",
            document_ref="XD2",
            mass_kg=10.0,
        ),
        _e(event_id="s7", event_type="stock", date="2025-01-31", lot_id="XOX", mass_kg=505.0),
    ],
    ("XS", "2025-02"): [
        _e(
            event_id="s8",
            event_type="export",
            date="2025-02-10",
            lot_id="XOX",
            shipment_id="XEX2",
            country="JP",
            document_ref="XD3",
            mass_kg=505.0,
        ),
    ],
    ("XM", "2025-01"): [
        _e(event_id="m5", event_type="stock", date="2025-01-31", lot_id="XORE", mass_kg=0.0),
    ],
}


def boundary_uploads() -> list[Upload]:
    out = []
    for (ent, period), rows in BOUNDARY.items():
        events = events_frame([{**r, "enterprise_id": ent} for r in rows])
        out.append(Upload(f"{ent}/{period}.csv", f"sha-{ent}-{period}", ent, period, events))
    return out


def moved_world(outdir: Path) -> tuple[list[Upload], object]:
    """(uploads in file order, registry) of the synthetic year in ``outdir`` (tests/conftest.py
    ``synth_year``) moved, plus ``BOUNDARY``."""
    from loaders import find_upload_files, read_registry, read_upload

    uploads = [moved_upload(read_upload(p)) for p in find_upload_files([outdir / "uploads"])]
    registry = with_boundary(read_registry(outdir / "registry"), move=True)
    return uploads + boundary_uploads(), registry


def synth_years_world(outdir: Path, uploads: list[Upload]) -> tuple[list[Upload], object]:
    """(uploads in file order, registry) of the ``synth --years 3`` folder ``outdir`` (its
    ``uploads`` already read, in file order: tests/conftest.py ``three_years_uploads``) plus
    ``BOUNDARY``."""
    from loaders import read_registry

    return uploads + boundary_uploads(), with_boundary(read_registry(outdir / "registry"))
