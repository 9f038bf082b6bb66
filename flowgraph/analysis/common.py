"""Building blocks every analysis shares: REO mass of rows and designation checks (SPEC §1, §5)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from flowgraph.model import CREATING_TYPES, PRODUCTS, Registry

_TYPICAL_REO = pd.Series({code: p.typical_reo_pct for code, p in PRODUCTS.items()}, dtype="float64")


def lot_reo_pct(events: pd.DataFrame) -> pd.Series:
    """REO % of each lot, from the (earliest) event that created it (extract, import, produce).

    >>> from flowgraph.model import events_frame
    >>> ev = events_frame([{"event_type": "import", "date": "2024-01-02", "lot_id": "L1",
    ...                     "mass_kg": 10, "reo_pct": 55.0}])
    >>> float(lot_reo_pct(ev)["L1"])
    55.0
    """
    created = events[events["event_type"].isin(CREATING_TYPES) & events["reo_pct"].notna()]
    created = created.sort_values(["date", "upload_id", "source_row"], kind="stable")
    return created.drop_duplicates("lot_id").set_index("lot_id")["reo_pct"]


def row_reo_pct(events: pd.DataFrame, lot_pct: pd.Series | None = None) -> pd.Series:
    """REO % that applies to each row: its lot's, else the row's own, else its product's typical."""
    if lot_pct is None:
        lot_pct = lot_reo_pct(events)
    pct = events["lot_id"].map(lot_pct)
    pct = pct.fillna(events["reo_pct"])
    pct = pct.fillna(events["product"].map(_TYPICAL_REO))
    return pct.astype("float64")


def reo_kg(events: pd.DataFrame, lot_pct: pd.Series | None = None) -> pd.Series:
    """REO mass of each row = mass_kg x reo_pct / 100 (SPEC §1), NaN only if nothing gives a %.

    >>> from flowgraph.model import events_frame
    >>> ev = events_frame([
    ...     {"event_type": "extract", "date": "2024-01-02", "lot_id": "L1", "mass_kg": 100,
    ...      "reo_pct": 50.0, "product": "MIXED_CONC"},
    ...     {"event_type": "ship", "date": "2024-01-09", "lot_id": "L1", "mass_kg": 40,
    ...      "product": "MIXED_CONC"}])
    >>> reo_kg(ev).tolist()
    [50.0, 20.0]
    """
    return events["mass_kg"] * row_reo_pct(events, lot_pct) / 100.0


def designated_on(
    registry: Registry, enterprise_ids: pd.Series, dates: pd.Series, activity: str
) -> np.ndarray:
    """Whether each (enterprise, date) pair is covered by a designation for ``activity``.

    A designation covers valid_from <= date <= valid_to (valid_to NaT = open-ended).

    >>> from flowgraph.model import registry_from_records
    >>> reg = registry_from_records(designations=[{"enterprise_id": "M1", "activity": "mining",
    ...     "licence_no": "x", "valid_from": "2024-01-01", "valid_to": "2024-06-30"}])
    >>> designated_on(reg, pd.Series(["M1", "M1", "M2"]),
    ...               pd.to_datetime(pd.Series(["2024-06-30", "2024-07-01", "2024-03-01"])),
    ...               "mining").tolist()
    [True, False, False]
    """
    probe = pd.DataFrame(
        {"enterprise_id": enterprise_ids.to_numpy(), "date": pd.to_datetime(dates).to_numpy()}
    )
    probe["_row"] = np.arange(len(probe))
    des = registry.designations
    des = des[des["activity"] == activity][["enterprise_id", "valid_from", "valid_to"]]
    if probe.empty or des.empty:
        return np.zeros(len(probe), dtype=bool)
    joined = probe.merge(des, on="enterprise_id", how="inner")
    covered = (joined["date"] >= joined["valid_from"]) & (
        joined["valid_to"].isna() | (joined["date"] <= joined["valid_to"])
    )
    result = np.zeros(len(probe), dtype=bool)
    result[joined.loc[covered, "_row"].to_numpy()] = True
    return result
