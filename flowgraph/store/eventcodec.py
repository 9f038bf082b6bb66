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
import pyarrow.compute as pc
import pyarrow.ipc as ipc

from flowgraph.encoding import encode_text
from flowgraph.model import EVENT_COLUMNS, TEXT_COLUMNS, empty_events
from flowgraph.store.readback import conform_events

FORMAT = "arrow-ipc-stream/lz4/v1"
_STORED = [c for c in EVENT_COLUMNS if c != "upload_id"]  # upload_id is the row's key
_TEXT = [c for c in _STORED if c in TEXT_COLUMNS or c == "period"]
_INT16_MAX = 32_767
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


def decode_stream(rows: Iterable[tuple[int, bytes]]) -> pd.DataFrame:
    """(upload_id, bytes) of uploads, in order, as one event table whose text columns are
    pandas categoricals, never widened to one Python string per row: each upload's column is
    dictionary-encoded on its own (small codes and its distinct values), then the uploads'
    dictionaries are encoded once more against each other, which gives the global categories
    in order of first appearance (what ``pd.factorize`` of the whole column would give) and
    each upload's code translation.

    ``rows`` may be an iterator (a database cursor): each upload's bytes are dropped once
    decoded. The per-upload pieces stay in Arrow's memory pool, which hands them back to the
    system at the end; only the final columns are numpy arrays.

    >>> from flowgraph.model import events_frame
    >>> ev = events_frame([{"event_id": "1", "event_type": "stock", "date": "2024-03-31",
    ...                     "enterprise_id": "E1", "lot_id": "L1", "mass_kg": 0.0}])
    >>> back = decode_stream([(4, encode_events(ev)), (5, encode_events(ev))])
    >>> back["lot_id"].cat.codes.tolist(), back["upload_id"].tolist()
    ([0, 0], [4, 5])
    """
    upload_ids: list[int] = []
    codes: dict[str, list[pa.Array]] = {c: [] for c in _TEXT}
    values: dict[str, list[pa.Array]] = {c: [] for c in _TEXT}
    plain: dict[str, list[pa.ChunkedArray]] = {c: [] for c in _STORED if c not in _TEXT}
    lengths = []
    for upload_id, blob in rows:
        upload_ids.append(upload_id)
        table = _table(blob)
        lengths.append(table.num_rows)
        for column in _TEXT:
            encoded = pc.dictionary_encode(table.column(column)).combine_chunks()
            indices = encoded.indices.fill_null(-1)  # -1: null
            if len(encoded.dictionary) <= _INT16_MAX:  # most uploads: half the transient
                indices = pc.cast(indices, pa.int16())
            codes[column].append(indices)
            values[column].append(encoded.dictionary)
        for column in plain:
            plain[column].append(table.column(column))
        del table, blob
    if not upload_ids:
        return encode_text(empty_events())
    frame = {}
    for column in _STORED:
        if column in values:
            frame[column] = _categorical(codes.pop(column), values.pop(column))
        else:
            parts = plain.pop(column)
            frame[column] = pa.chunked_array(parts).to_pandas(date_as_object=False)
            del parts
    out = pd.DataFrame(frame, copy=False)
    out["upload_id"] = np.repeat(np.asarray(upload_ids, dtype="int64"), lengths)
    pa.default_memory_pool().release_unused()  # the per-upload pieces, back to the system
    return conform_events(out, encoded=True)


def _categorical(codes: list[pa.Array], dictionaries: list[pa.Array]) -> pd.Categorical:
    """One categorical from per-upload (codes, dictionary) pairs (code -1: null)."""
    merged = pc.dictionary_encode(pa.concat_arrays(dictionaries))
    translate = merged.indices.to_numpy()  # per-upload dictionary entry -> global code
    out = np.empty(sum(len(c) for c in codes), dtype=np.int32)
    at, start = 0, 0
    for part_codes, dictionary in zip(codes, dictionaries, strict=True):
        local, size = part_codes.to_numpy(), len(dictionary)
        part = out[at : at + len(local)]
        if size:
            part[:] = translate[start : start + size].take(np.maximum(local, 0))
            part[local < 0] = -1
        else:
            part[:] = -1
        at, start = at + len(local), start + size
    categories = pd.Index(merged.dictionary.to_numpy(zero_copy_only=False), dtype=object)
    return pd.Categorical.from_codes(out, categories=categories, validate=False)
