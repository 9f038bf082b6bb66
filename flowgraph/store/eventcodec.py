"""Events of one upload <-> bytes (Arrow IPC stream, lz4), for the embedded store.

>>> from flowgraph.model import events_frame
>>> ev = events_frame([{"event_id": "1", "event_type": "stock", "date": "2024-03-31",
...                     "enterprise_id": "E1", "lot_id": "L1", "mass_kg": 0.0, "note": "月末"}])
>>> back = decode_events([encode_events(ev)], [7])
>>> back.loc[0, "note"], int(back.loc[0, "upload_id"]), back.loc[0, "country"] is None
('月末', 7, True)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.ipc as ipc

from flowgraph.encoding import encode_text
from flowgraph.model import EVENT_COLUMNS, TEXT_COLUMNS, empty_events
from flowgraph.store.readback import conform_events
from flowgraph.store.streamread import PlainColumn, TextColumn

FORMAT = "arrow-ipc-stream/lz4/v1"
_STORED = [c for c in EVENT_COLUMNS if c != "upload_id"]  # upload_id is the row's key
_TEXT = [c for c in _STORED if c in TEXT_COLUMNS or c == "period"]
_PLAIN_DTYPES = {
    "date": "datetime64[ns]", "mass_kg": "float64", "reo_pct": "float64", "source_row": "int64",
}  # fmt: skip
_SCHEMA = pa.schema(
    [
        (
            c,
            pa.date32()
            if c == "date"
            else pa.float64()
            if c in ("mass_kg", "reo_pct")
            else pa.int64()
            if c == "source_row"
            else pa.string(),
        )
        for c in _STORED
    ]
)
# lz4, not zstd: zstd costs ~2.5 ms per stream to decode, which dominated small monthly files.
_OPTIONS = ipc.IpcWriteOptions(compression="lz4")


def encode_events(events: pd.DataFrame) -> bytes:
    """Serialise an upload's events (EVENT_COLUMNS schema) to bytes."""
    arrays = []
    for column in _STORED:
        values = events[column]
        if column == "date":
            arrays.append(pa.array(values.to_numpy(dtype="datetime64[D]"), type=pa.date32()))
        elif column in TEXT_COLUMNS or column == "period":
            arrays.append(
                pa.array(values.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
            )
        else:
            arrays.append(
                pa.array(values.to_numpy(), type=_SCHEMA.field(column).type, from_pandas=True)
            )
    table = pa.Table.from_arrays(arrays, schema=_SCHEMA)
    sink = pa.BufferOutputStream()
    with ipc.new_stream(sink, _SCHEMA, options=_OPTIONS) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _table(blob: bytes, columns: Sequence[str] | None = None) -> pa.Table:
    table = ipc.open_stream(pa.py_buffer(blob)).read_all()
    if table.schema != _SCHEMA:
        table = _upgrade(table)
    return table.select(list(columns)) if columns is not None else table


def _upgrade(table: pa.Table) -> pa.Table:
    """An upload stored before a column was added to the schema (``licence_no``, SPEC §1):
    the missing columns read as null, so old store files keep working."""
    arrays = [
        table.column(f.name) if f.name in table.column_names else pa.nulls(table.num_rows, f.type)
        for f in _SCHEMA
    ]
    return pa.Table.from_arrays(arrays, schema=_SCHEMA)


def decode_columns(blob: bytes, columns: Sequence[str]) -> dict[str, list]:
    """A few columns of one upload as Python lists (cheap key checks without a DataFrame)."""
    table = _table(blob, columns)
    return {c: table.column(c).to_pylist() for c in columns}


def decode_events(
    blobs: Sequence[bytes], upload_ids: Sequence[int], *, encoded: bool = False
) -> pd.DataFrame:
    """Concatenate uploads' events into one frame in the store schema (model.EVENT_COLUMNS);
    ``encoded``: the text columns as pandas categoricals (``decode_stream``)."""
    if encoded:
        return decode_stream(zip(upload_ids, blobs, strict=True))
    if not blobs:
        return empty_events()
    tables = [_table(blob) for blob in blobs]
    lengths = [t.num_rows for t in tables]
    frame = pa.concat_tables(tables).to_pandas(date_as_object=False)
    frame["upload_id"] = np.repeat(np.asarray(upload_ids, dtype="int64"), lengths)
    return conform_events(frame)


def decode_stream(rows: Iterable[tuple[int, bytes]], total: int | None = None) -> pd.DataFrame:
    """(upload_id, bytes) of uploads, in order, as one event table whose text columns are
    pandas categoricals, never widened to one Python string per row: each upload's columns
    are written in place into the final arrays and its dictionaries united with the ones so
    far (streamread.py), which gives the global categories in order of first appearance
    (what ``pd.factorize`` of the whole column would give).

    ``rows`` may be an iterator (a database cursor): each upload's bytes are dropped once
    decoded. ``total``: the number of events, when known (the arrays are then allocated once;
    otherwise they grow).

    >>> from flowgraph.model import events_frame
    >>> ev = events_frame([{"event_id": "1", "event_type": "stock", "date": "2024-03-31",
    ...                     "enterprise_id": "E1", "lot_id": "L1", "mass_kg": 0.0}])
    >>> back = decode_stream([(4, encode_events(ev)), (5, encode_events(ev))])
    >>> back["lot_id"].cat.codes.tolist(), back["upload_id"].tolist()
    ([0, 0], [4, 5])
    """
    capacity = max(int(total or 0), 1)
    text = {c: TextColumn(capacity) for c in _TEXT}
    plain = {c: PlainColumn(capacity, _PLAIN_DTYPES[c]) for c in _STORED if c not in _TEXT}
    plain["upload_id"] = PlainColumn(capacity, "int64")
    at = 0
    for upload_id, blob in rows:
        table = _table(blob)
        del blob
        end = at + table.num_rows
        if end > capacity:  # more rows than announced: room for twice as many
            capacity = max(2 * capacity, end)
            for column in (*text.values(), *plain.values()):
                column.resize(capacity)
        for name, column in text.items():
            column.add(at, table.column(name))
        for name, column in plain.items():
            if name == "upload_id":
                column.values[at:end] = upload_id
            else:
                column.add(at, table.column(name))
        at = end
        del table
    if at == 0:
        return encode_text(empty_events())
    frame = {}
    for column in EVENT_COLUMNS:
        if column in text:
            frame[column] = text.pop(column).categorical(at)
        else:
            frame[column] = plain.pop(column).array(at)
    pa.default_memory_pool().release_unused()  # the uploads' pieces, back to the system
    # Already in the schema conform_events gives (dtypes, column order; every category used,
    # in order of first appearance): no second pass over the table.
    return pd.DataFrame(frame, copy=False)


def decode_arrow(blob: bytes, columns: Sequence[str]) -> pa.Table:
    """A few columns of one upload as an Arrow table (no pandas, no Python strings)."""
    return _table(blob, columns)
