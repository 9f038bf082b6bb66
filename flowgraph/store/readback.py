"""Stored values back into the frames the library works with, the same for every store.

SQLite hands back text dates and NULLs, Neo4j ISO strings and missing properties; these
functions give the events, uploads and registry the one schema of ``flowgraph.model`` (dates
``datetime64[ns]``, text ``None`` when absent, integer and float columns as documented), so a
store's read methods only fetch.

>>> reg = registry_frames(
...     [{"enterprise_id": "E1", "name": None, "roles": "mine"}],
...     [{"enterprise_id": "E1", "activity": "mining", "valid_from": "2024-01-01"}],
...     [{"enterprise_id": "E1", "year": 2024, "activity": "mining", "quota_t_reo": 5}])
>>> str(reg.designations["valid_from"].dtype), reg.designations.loc[0, "valid_to"] is pd.NaT
('datetime64[ns]', True)
>>> reg.quotas.dtypes["year"], reg.enterprises.loc[0, "province"] is None
(dtype('int64'), True)
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from flowgraph.encoding import encode_text
from flowgraph.model import (
    DESIGNATION_COLUMNS,
    ENTERPRISE_COLUMNS,
    EVENT_COLUMNS,
    QUOTA_COLUMNS,
    TEXT_COLUMNS,
    Registry,
    empty_events,
)

UPLOAD_COLUMNS = (
    "upload_id", "enterprise_id", "period", "revision", "file_name", "sha256",
    "loaded_at", "superseded_by", "events", "current",
)  # fmt: skip


def _none_for_missing(values: pd.Series) -> pd.Series:
    values = values.astype(object)
    return values.where(values.notna(), None)


def _dates(values: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.astype("datetime64[ns]")
    return pd.to_datetime(values, format="%Y-%m-%d").astype("datetime64[ns]")


def conform_events(frame: pd.DataFrame, *, encoded: bool = False) -> pd.DataFrame:
    """Events read from a store in the EVENT_COLUMNS schema (an empty read: ``empty_events``);
    ``encoded``: the text columns as categoricals (``encode_text``) instead of objects.

    >>> ev = conform_events(pd.DataFrame([{"event_id": "1", "event_type": "stock",
    ...     "date": "2024-03-31", "enterprise_id": "E1", "lot_id": "L1", "mass_kg": 0,
    ...     "period": "2024-03", "upload_id": 3, "source_row": 2}]))
    >>> ev.loc[0, "note"] is None, str(ev["date"].dtype), bool(ev["reo_pct"].isna().all())
    (True, 'datetime64[ns]', True)
    """
    if frame.empty:
        return encode_text(empty_events()) if encoded else empty_events()
    frame = frame.reindex(columns=list(EVENT_COLUMNS))
    frame["date"] = _dates(frame["date"])
    frame["mass_kg"] = frame["mass_kg"].astype("float64")
    frame["reo_pct"] = pd.to_numeric(frame["reo_pct"]).astype("float64")
    frame["upload_id"] = frame["upload_id"].astype("int64")
    frame["source_row"] = frame["source_row"].astype("int64")
    if encoded:
        return encode_text(frame)
    for column in TEXT_COLUMNS + ("period",):
        frame[column] = _none_for_missing(frame[column])
    return frame


def conform_uploads(frame: pd.DataFrame) -> pd.DataFrame:
    """The uploads table as ``Store.uploads`` returns it (``superseded_by`` nullable Int64).

    >>> up = conform_uploads(pd.DataFrame([{"upload_id": 1, "enterprise_id": "E1",
    ...     "period": "2024-03", "revision": 1, "file_name": "a.csv", "sha256": "a",
    ...     "loaded_at": "t", "superseded_by": None, "events": 3, "current": 1}]))
    >>> bool(up.loc[0, "current"]), up["superseded_by"].dtype
    (True, Int64Dtype())
    """
    frame = frame.reindex(columns=list(UPLOAD_COLUMNS))
    frame = frame.astype({"upload_id": "int64", "revision": "int64", "events": "int64"})
    frame["current"] = frame["current"].astype(bool)
    frame["superseded_by"] = frame["superseded_by"].astype("Int64")
    return frame


def register_frame(name: str, records: Any) -> pd.DataFrame:
    """A SPEC §7 register (``customs``, ``licences``, ``controls``) as read from a store
    (ISO date text, numbers, missing values) in the Registry's dtypes.

    >>> f = register_frame("controls", [{"product": "DY_OXIDE", "valid_from": "2025-04-04"}])
    >>> f.loc[0, "valid_to"] is pd.NaT, f.loc[0, "basis"] is None
    (True, True)
    """
    from flowgraph.model import empty_controls, empty_customs, empty_licences

    empty = {"customs": empty_customs, "licences": empty_licences, "controls": empty_controls}
    dtypes = empty[name]().dtypes
    out = pd.DataFrame(records, columns=list(dtypes.index))
    for column, dtype in dtypes.items():
        if str(dtype).startswith("datetime64"):
            out[column] = _dates(out[column])
        elif dtype == "float64":
            out[column] = out[column].astype("float64")
        else:
            out[column] = _none_for_missing(out[column])
    return out.reset_index(drop=True)


def registry_frames(
    enterprises: Any, designations: Any, quotas: Any, registers: dict[str, Any] | None = None
) -> Registry:
    """A Registry from the three tables as read from a store (frames or lists of records), and
    the SPEC §7 registers the version holds (``registers``: name -> records; absent = None)."""
    ent = pd.DataFrame(enterprises, columns=list(ENTERPRISE_COLUMNS)).astype(object)
    ent = ent.where(ent.notna(), None)
    des = pd.DataFrame(designations, columns=list(DESIGNATION_COLUMNS))
    for column in ("valid_from", "valid_to"):
        des[column] = _dates(des[column])
    quo = pd.DataFrame(quotas, columns=list(QUOTA_COLUMNS)).astype(
        {"year": "int64", "quota_t_reo": "float64"}
    )
    held = {name: register_frame(name, rows) for name, rows in (registers or {}).items()}
    return Registry(enterprises=ent, designations=des, quotas=quo, **held)


def _upload_ids(value: Any) -> list[int] | None:
    if isinstance(value, str):  # SQLite keeps the list as JSON text
        value = json.loads(value)
    return [int(u) for u in value] if isinstance(value, list) else None


def conform_runs(frame: pd.DataFrame) -> pd.DataFrame:
    """Detection runs as ``Store.runs`` returns them (RUN_COLUMNS; ``upload_ids`` a list of
    ints or None, ``registry_version`` nullable Int64, ``run`` int64).

    >>> runs = conform_runs(pd.DataFrame({"run": [1], "upload_ids": ["[3, 4]"],
    ...                                   "registry_version": [None]}))
    >>> runs.loc[0, "upload_ids"], runs["registry_version"].dtype, runs["run"].dtype
    ([3, 4], Int64Dtype(), dtype('int64'))
    """
    from flowgraph.investigations.records import RUN_COLUMNS

    frame = frame.reindex(columns=list(RUN_COLUMNS))
    frame["upload_ids"] = frame["upload_ids"].map(_upload_ids).astype(object)
    frame["registry_version"] = frame["registry_version"].astype("Int64")
    frame["run"] = frame["run"].astype("int64")
    return frame


def conform_reviews(frame: pd.DataFrame) -> pd.DataFrame:
    """The review log as ``Store.reviews`` returns it (REVIEW_COLUMNS, None when absent)."""
    from flowgraph.investigations.status import REVIEW_COLUMNS

    frame = frame.reindex(columns=list(REVIEW_COLUMNS))
    return frame.astype(object).where(frame.notna(), None)


def in_upload_order(events: pd.DataFrame) -> pd.DataFrame:
    """Rows in the order both stores read events back: by upload, then spreadsheet row."""
    order = np.lexsort((events["source_row"].to_numpy(), events["upload_id"].to_numpy()))
    return events.take(order)
