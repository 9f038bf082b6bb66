"""Pure functions that turn DataFrames into the parameter rows the Neo4j store writes.

No I/O here: each function takes frames and returns lists of plain dicts (driver-ready values:
``datetime.date`` for dates, ``None`` never stored as a property), so they are tested without
a server.

>>> from flowgraph.model import events_frame
>>> ev = events_frame([{"event_id": "1", "event_type": "extract", "date": "2024-03-05",
...     "enterprise_id": "E1", "lot_id": "L1", "product": "BAST_CONC", "mass_kg": 10,
...     "reo_pct": 60, "document_ref": "M-1"}])
>>> rows = event_rows(ev, upload_id=4)
>>> rows[0]["kind"], rows[0]["lot"], rows[0]["props"]["upload_id"]
('extract', 'L1', 4)
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator

import pandas as pd

from flowgraph.model import EVENT_COLUMNS, PRODUCTS, Registry, Upload

BATCH_SIZE = 10_000


def batch_key(enterprise_id: str, batch_id: str) -> str:
    """The Batch node key: batch ids are unique only within their enterprise.

    >>> batch_key("E1", "B-7")
    'E1/B-7'
    """
    return f"{enterprise_id}/{batch_id}"


def _clean(value: object) -> object:
    """A driver-ready property value; None for anything missing (NaN, NaT, None)."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    return value


def event_rows(events: pd.DataFrame, upload_id: int) -> list[dict]:
    """One row per event, in file order: ``kind`` (event type), ``props`` (every event column,
    the relationship's properties) and the node keys the write statement merges on (lot,
    shipment, counterparty, batch_key).
    """
    frame = events.reindex(columns=list(EVENT_COLUMNS))
    dates = [d.date() for d in pd.to_datetime(frame["date"])]
    records = frame.drop(columns=["date", "upload_id"]).to_dict("records")
    out: list[dict] = []
    for record, date in zip(records, dates, strict=True):
        props = {k: v for k, v in ((k, _clean(v)) for k, v in record.items()) if v is not None}
        props["date"] = date
        props["upload_id"] = int(upload_id)
        props["source_row"] = int(record["source_row"])
        product = props.get("product")
        known = PRODUCTS.get(product) if product else None
        batch = props.get("batch_id")
        out.append(
            {
                "kind": props["event_type"],
                "props": props,
                "lot": props["lot_id"],
                "product": product,
                "family": known.family if known else None,
                "reo_pct": props.get("reo_pct"),
                "shipment": props.get("shipment_id"),
                "counterparty": props.get("counterparty_id"),
                "batch": batch,
                "batch_key": batch_key(props["enterprise_id"], batch) if batch else None,
            }
        )
    return out


def write_rows(events: pd.DataFrame) -> dict[str, list[dict]]:
    """The rows the store's write statements take, by event type, in file order.

    Leaner than ``event_rows`` because parameter transfer is about half a write statement's
    cost (measured): each row is just the present event columns (``upload_id`` comes from the
    statement) plus ``family`` and ``batch_key`` when they apply; the date travels as an ISO
    string (the driver packs ``datetime.date`` values several times slower) and the statement
    turns it back into a Cypher date.

    >>> from flowgraph.model import events_frame
    >>> ev = events_frame([{"event_id": "1", "event_type": "consume", "date": "2024-03-05",
    ...     "enterprise_id": "E1", "lot_id": "L1", "product": "BAST_CONC", "mass_kg": 10,
    ...     "batch_id": "B1"}])
    >>> row = write_rows(ev)["consume"][0]
    >>> row["date"], row["batch_key"], "reo_pct" in row
    ('2024-03-05', 'E1/B1', False)
    """
    names = [c for c in EVENT_COLUMNS if c != "upload_id" and c in events]
    # Column by column as Python lists, one pandas call each (converting every column's NAs
    # in pandas cost more than the rows themselves for a typical file); absent values - None,
    # NaN, NaT (not equal to themselves) or pd.NA - are dropped per row.
    columns = [
        events[name].dt.strftime("%Y-%m-%d").tolist() if name == "date" else events[name].tolist()
        for name in names
    ]
    families = {name: product.family for name, product in PRODUCTS.items()}
    na = pd.NA
    out: dict[str, list[dict]] = {}
    for record in zip(*columns, strict=True):
        row = {
            k: v
            for k, v in zip(names, record, strict=True)
            if v is not None and v is not na and v == v
        }
        family = families.get(row.get("product"))
        if family is not None:
            row["family"] = family
        batch = row.get("batch_id")
        if batch is not None:
            row["batch_key"] = f"{row['enterprise_id']}/{batch}"
        out.setdefault(row["event_type"], QuietList()).append(row)
    return out


class QuietList(list):
    """A list of parameter rows with a short repr.

    The driver formats each RUN message for its debug log before checking the log level; the
    repr of a few hundred rows cost ~2 ms a statement (measured), a tenth of the client's time.

    >>> QuietList([{"a": 1}, {"a": 2}])
    <2 rows>
    """

    def __repr__(self) -> str:
        return f"<{len(self)} rows>"


def chunks(rows: list[dict], size: int = BATCH_SIZE) -> Iterator[list[dict]]:
    """Consecutive slices of at most ``size`` rows.

    >>> [len(c) for c in chunks(list(range(25)), 10)]
    [10, 10, 5]
    """
    for start in range(0, len(rows), size):
        yield QuietList(rows[start : start + size])


def upload_props(upload: Upload, upload_id: int, revision: int, loaded_at: str) -> dict:
    """The (:Upload) node's properties, with the ids the cross-upload check needs."""
    events = upload.events
    return {
        "upload_id": int(upload_id),
        "enterprise_id": upload.enterprise_id,
        "period": upload.period,
        "revision": int(revision),
        "file_name": upload.file_name,
        "sha256": upload.sha256,
        "loaded_at": loaded_at,
        "events": len(events),
        "current": True,
        "event_ids": [str(x) for x in events["event_id"].dropna().unique()],
        "batch_ids": [str(x) for x in events["batch_id"].dropna().unique()],
    }


def _records(frame: pd.DataFrame, columns: tuple[str, ...]) -> list[dict]:
    data = frame.reindex(columns=list(columns))
    rows = []
    for position, record in enumerate(data.to_dict("records")):
        row = {k: _clean(v) for k, v in record.items()}
        row["row"] = position
        rows.append(row)
    return rows


def registry_rows(registry: Registry) -> tuple[list[dict], list[dict], list[dict]]:
    """(enterprises, designations, quotas) rows; ``row`` keeps the file order for reading back.

    >>> from flowgraph.model import registry_from_records
    >>> reg = registry_from_records(enterprises=[{"enterprise_id": "E1", "roles": "mine;trader"}])
    >>> registry_rows(reg)[0][0]["role_list"]
    ['mine', 'trader']
    """
    from flowgraph.model import DESIGNATION_COLUMNS, ENTERPRISE_COLUMNS, QUOTA_COLUMNS

    enterprises = _records(registry.enterprises, ENTERPRISE_COLUMNS)
    for row in enterprises:
        roles = row.get("roles")
        row["role_list"] = [r.strip() for r in str(roles).split(";") if r.strip()] if roles else []
    designations = _records(registry.designations, DESIGNATION_COLUMNS)
    quotas = _records(registry.quotas, QUOTA_COLUMNS)
    for row in quotas:
        row["year"] = int(row["year"])
        row["quota_t_reo"] = float(row["quota_t_reo"])
    for row in designations:
        for column in ("valid_from", "valid_to"):
            value = row[column]
            if isinstance(value, dt.datetime):
                row[column] = value.date()
    return enterprises, designations, quotas


def register_rows(registry: Registry) -> dict[str, list[dict]]:
    """Rows of the SPEC §7 registers for the graph: ``customs`` one per declaration with its
    ``lines``; ``licences`` one per licence row; ``controls`` the controls list in force (the
    built-in one, ``builtin`` true, when the registry has no controls.csv). ``row`` keeps the
    file order.

    >>> from flowgraph.model import registry_from_records
    >>> reg = registry_from_records(customs=[{"declaration_no": "D1", "direction": "export",
    ...     "enterprise_id": "E1", "date": "2025-05-02", "product": "DY_OXIDE", "mass_kg": 5,
    ...     "country": "JP"}])
    >>> rows = register_rows(reg)
    >>> rows["customs"][0]["lines"][0]["mass_kg"], rows["licences"], rows["controls"][0]["builtin"]
    (5.0, [], True)
    """
    from flowgraph.model import CONTROL_COLUMNS, CUSTOMS_COLUMNS, LICENCE_COLUMNS

    customs: dict[str, dict] = {}
    frame = registry.customs if registry.customs is not None else pd.DataFrame()
    for line in _records(frame, CUSTOMS_COLUMNS) if len(frame) else []:
        number = line["declaration_no"]
        head = customs.setdefault(
            number,
            {k: line[k] for k in ("declaration_no", "direction", "enterprise_id", "date")}
            | {"lines": []},
        )
        head["lines"].append(
            {
                "product": line["product"],
                "mass_kg": float(line["mass_kg"]),
                "country": line["country"],
                "row": line["row"],
            }
        )
    licences = _records(registry.licences, LICENCE_COLUMNS) if registry.licences is not None else []
    for row in licences:
        row["quantity_kg"] = float(row["quantity_kg"])
    controls = _records(registry.controls_list(), CONTROL_COLUMNS)
    for row in controls:
        row["builtin"] = registry.controls is None
    return {"customs": list(customs.values()), "licences": licences, "controls": controls}
