"""Reading the embedded store's events back, mixed into ``LocalStore``: the current events (as
strings or encoded), the events of chosen uploads and which uploads name an id (the trace scope,
analysis/tracescope.py), and the carry-overs detection by year keeps (analysis/years.py).

Each upload's events are one Arrow blob (eventcodec.py); these reads decode the blobs of the
current uploads in upload order, one upload at a time where they can.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

import pandas as pd
import pyarrow as pa

from flowgraph.store import eventcodec
from flowgraph.store.readback import in_upload_order as _in_order
from flowgraph.store.uploadkeys import KEY_COLUMNS, UploadKeys


class LocalEvents:
    """Event reads on ``self.connection``; ``save_carryover`` writes through LocalStore's
    ``_writing()`` transaction (see module docstring)."""

    connection: sqlite3.Connection
    _upload_keys: tuple[tuple[int, ...], UploadKeys] | None  # set by LocalStore.__init__

    def events(
        self, period: str | None = None, year: int | None = None, *, encoded: bool = False
    ) -> pd.DataFrame:
        """Current events in the EVENT_COLUMNS schema, ordered by upload then row (``encoded``:
        text columns as categoricals, decoded without one Python string per row)."""
        clauses, params = ["u.superseded_by IS NULL"], []
        if period is not None:
            clauses.append("u.period = ?")
            params.append(period)
        if year is not None:
            clauses.append("u.period BETWEEN ? AND ?")
            params += [f"{year:04d}-01", f"{year:04d}-12"]
        # how many rows to allocate for (the arrays of an encoded read are written in place)
        total = self.connection.execute(
            f"SELECT SUM(u.events) FROM uploads u WHERE {' AND '.join(clauses)}",  # noqa: S608
            params,
        ).fetchone()[0]
        rows = self.connection.execute(
            "SELECT u.upload_id, e.data FROM uploads u JOIN upload_events e USING (upload_id) "  # noqa: S608
            f"WHERE {' AND '.join(clauses)} ORDER BY u.upload_id",
            params,
        )
        if encoded:  # one upload's bytes at a time, never all of them at once
            return eventcodec.decode_stream(rows, total=total)
        rows = rows.fetchall()
        return eventcodec.decode_events([r[1] for r in rows], [r[0] for r in rows])

    def upload_keys(self) -> UploadKeys:
        """Which current uploads name each lot, shipment and batch id (flowgraph trace reads
        only those uploads: tracescope.trace_scope)."""
        current = tuple(
            r[0]
            for r in self.connection.execute(
                "SELECT upload_id FROM uploads WHERE superseded_by IS NULL ORDER BY upload_id"
            )
        )
        # kept while the current uploads stay the same (ids are never reused), even when
        # another process loads meanwhile: it would change the set
        if self._upload_keys is not None and self._upload_keys[0] == current:
            return self._upload_keys[1]
        rows = self.connection.execute(
            "SELECT u.upload_id, e.data FROM uploads u JOIN upload_events e USING (upload_id) "
            "WHERE u.superseded_by IS NULL ORDER BY u.upload_id"
        )
        keys = UploadKeys.of(
            (upload_id, pa.concat_arrays([c.combine_chunks() for c in table.columns]))
            for upload_id, table in (
                (upload_id, eventcodec.decode_arrow(blob, KEY_COLUMNS)) for upload_id, blob in rows
            )
        )
        self._upload_keys = (current, keys)
        return keys

    def uploads_holding(self, ids: Iterable[str]) -> set[int]:
        """The current uploads with a row naming any of ``ids`` as lot, shipment or batch."""
        return self.upload_keys().uploads_holding(ids)

    def events_of_uploads(self, upload_ids: Iterable[int]) -> pd.DataFrame:
        """The events of these current uploads, encoded, in store order (as ``events``)."""
        chosen = sorted(set(upload_ids))
        if not chosen:
            return eventcodec.decode_stream(iter(()))
        marks = ",".join("?" * len(chosen))
        rows = self.connection.execute(
            "SELECT u.upload_id, e.data FROM uploads u JOIN upload_events e USING (upload_id) "  # noqa: S608
            f"WHERE u.superseded_by IS NULL AND u.upload_id IN ({marks}) ORDER BY u.upload_id",
            chosen,
        )
        return eventcodec.decode_stream(rows)

    # -- carry-overs of detection by year (analysis/years.py) -------------------------------

    def carryover(self, year: int, fingerprint: str) -> pd.DataFrame | None:
        """The carry-over kept for ``year`` under ``fingerprint``, None when none is."""
        try:
            rows = self.connection.execute(
                "SELECT upload_id, data, fingerprint FROM carryovers WHERE year = ? "
                "ORDER BY upload_id",
                (year,),
            ).fetchall()
        except sqlite3.OperationalError:  # a read-only file of an older schema
            return None
        if not rows or any(r[2] != fingerprint for r in rows):
            return None
        if rows[0][0] == 0:
            return eventcodec.decode_events([], [])  # kept: nothing to carry
        return eventcodec.decode_events([r[1] for r in rows], [r[0] for r in rows])

    def save_carryover(self, year: int, fingerprint: str, events: pd.DataFrame) -> None:
        """Keep ``events`` as ``year``'s carry-over under ``fingerprint`` (replacing any); it
        reads back in upload then row order."""
        blobs = [
            (year, fingerprint, int(upload), eventcodec.encode_events(part))
            for upload, part in _in_order(events).groupby("upload_id", sort=True)
        ] or [(year, fingerprint, 0, b"")]  # upload 0: an empty carry-over, known to be empty
        with self._writing() as db:
            db.execute("DELETE FROM carryovers WHERE year = ?", (year,))
            db.executemany("INSERT INTO carryovers VALUES (?, ?, ?, ?)", blobs)
