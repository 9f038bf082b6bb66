"""Designation at a date (SPEC §2, §5), and the REO of rows as plain Series (rules: prepared.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from flowgraph.model import Registry


def lot_reo_pct(events) -> pd.Series:
    """REO % of each lot (index lot_id), from the earliest event that created it and states
    one (the prepared view's ``lot_pct``); lots no creating row grades are left out.

    >>> from flowgraph.model import events_frame
    >>> ev = events_frame([{"event_type": "import", "date": "2024-01-02", "lot_id": "L1",
    ...                     "mass_kg": 10, "reo_pct": 55.0}])
    >>> float(lot_reo_pct(ev)["L1"])
    55.0
    """
    from flowgraph.analysis.prepared import prepared

    view = prepared(events)
    pct = pd.Series(view.lot_pct, index=pd.Index(view.lots, name="lot_id"), name="reo_pct")
    return pct.dropna()


def reo_kg(events) -> pd.Series:
    """REO mass of each row (SPEC §1, as the prepared view's ``row_reo`` states it; 0 where
    nothing gives a %), indexed like the event table.

    >>> from flowgraph.model import events_frame
    >>> ev = events_frame([
    ...     {"event_type": "extract", "date": "2024-01-02", "lot_id": "L1", "mass_kg": 100,
    ...      "reo_pct": 50.0, "product": "MIXED_CONC"},
    ...     {"event_type": "ship", "date": "2024-01-09", "lot_id": "L1", "mass_kg": 40,
    ...      "product": "MIXED_CONC"}])
    >>> reo_kg(ev).tolist()
    [50.0, 20.0]
    """
    from flowgraph.analysis.prepared import prepared

    view = prepared(events)
    return pd.Series(view.row_reo, index=view.events.index, name="reo_kg")


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
