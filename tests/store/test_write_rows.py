"""The rows the Neo4j store writes (no server needed): what each event relationship carries."""

from __future__ import annotations

import numpy as np
import pandas as pd

from flowgraph.model import PRODUCTS, events_frame
from flowgraph.store.neo4j_rows import write_rows


def _events() -> pd.DataFrame:
    ev = events_frame(
        [
            {"event_id": "1", "event_type": "extract", "date": "2024-03-02", "enterprise_id": "M1",
             "lot_id": "A", "product": "BAST_CONC", "mass_kg": 100, "reo_pct": 50.5,
             "document_ref": "LIC-1", "note": "first"},
            {"event_id": "2", "event_type": "consume", "date": "2024-03-05", "enterprise_id": "M1",
             "lot_id": "A", "product": "BAST_CONC", "mass_kg": 60, "batch_id": "B1"},
            {"event_id": "3", "event_type": "produce", "date": "2024-03-06", "enterprise_id": "M1",
             "lot_id": "X", "product": "UNLISTED", "mass_kg": 20, "reo_pct": 92.0,
             "batch_id": "B1", "note": "kept"},
            {"event_id": "4", "event_type": "consume", "date": "2024-03-07", "enterprise_id": "M1",
             "lot_id": "A", "product": "BAST_CONC", "mass_kg": 40, "batch_id": "B2"},
        ]
    )  # fmt: skip
    # The ways a frame can say "absent": None, NaN, pd.NA.
    ev["note"] = ev["note"].astype(object)
    ev.loc[1, "note"] = pd.NA
    ev.loc[3, "note"] = np.nan
    return ev


def _expected(events: pd.DataFrame) -> dict[str, list[dict]]:
    """An independent reading: every present value of every row, by type, in file order."""
    out: dict[str, list[dict]] = {}
    for record in events.drop(columns="upload_id").to_dict("records"):
        row = {k: v for k, v in record.items() if not pd.isna(v)}
        row["date"] = record["date"].strftime("%Y-%m-%d")
        product = PRODUCTS.get(row.get("product"))
        if product is not None:
            row["family"] = product.family
        if "batch_id" in row:
            row["batch_key"] = f"{row['enterprise_id']}/{row['batch_id']}"
        out.setdefault(row["event_type"], []).append(row)
    return out


def test_rows_carry_the_present_values_and_the_derived_keys():
    events = _events()
    rows = write_rows(events)
    assert rows == _expected(events)
    assert [r["event_id"] for r in rows["consume"]] == ["2", "4"]  # file order within a type
    assert "note" not in rows["consume"][0] and "note" not in rows["consume"][1]
    assert rows["produce"][0]["note"] == "kept" and "family" not in rows["produce"][0]
    assert rows["extract"][0]["family"] == PRODUCTS["BAST_CONC"].family
    assert all(type(r["source_row"]) is int for kind in rows.values() for r in kind)
    assert repr(rows["consume"]) == "<2 rows>"


def test_no_events_no_rows():
    assert write_rows(_events().iloc[0:0]) == {}
