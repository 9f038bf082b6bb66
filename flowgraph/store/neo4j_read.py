"""Reading the Neo4j store back, mixed into ``Neo4jStore``: uploads and their hashes, the
current events (streamed, typed a chunk at a time, sorted on the client), the events of chosen
uploads and which uploads name an id (the trace scope, analysis/tracescope.py), the kept
carry-overs, and registry versions.

The tables come back exactly as the embedded store's (readback.py conforms both), so the
contract tests compare the two stores frame for frame.
"""

from __future__ import annotations

from collections.abc import Iterable

import neo4j
import numpy as np
import pandas as pd

from flowgraph.encoding import concat_events, encode_text
from flowgraph.model import Registry
from flowgraph.store import eventcodec
from flowgraph.store import neo4j_schema as q
from flowgraph.store.readback import (
    UPLOAD_COLUMNS,
    conform_events,
    conform_uploads,
    registry_frames,
)

# events() turns the streamed rows into a typed frame every EVENTS_CHUNK rows.
EVENTS_CHUNK = 50_000


def event_frame(values: list[list], keys: list[str]) -> pd.DataFrame:
    """READ_EVENTS rows (lists in ``keys`` order) as an event table in the store schema."""
    return conform_events(pd.DataFrame(values, columns=keys))


class Neo4jReads:
    """Reads through Neo4jSession's ``_read`` (see module docstring)."""

    events_chunk: int  # set by Neo4jStore.__init__

    # -- uploads ---------------------------------------------------------------------------

    def find_current_by_sha(self, sha256: str) -> tuple[str, str] | None:
        rows = self._read(q.FIND_BY_SHA, sha=sha256)
        return (rows[0]["enterprise_id"], rows[0]["period"]) if rows else None

    def current_shas(self) -> dict[str, tuple[str, str]]:
        return {r["sha256"]: (r["enterprise_id"], r["period"]) for r in self._read(q.CURRENT_SHAS)}

    def uploads(self, include_history: bool = False) -> pd.DataFrame:
        return conform_uploads(
            pd.DataFrame(
                self._read(q.READ_UPLOADS, history=include_history), columns=UPLOAD_COLUMNS
            )
        )

    # -- events ----------------------------------------------------------------------------

    def events(
        self, period: str | None = None, year: int | None = None, *, encoded: bool = False
    ) -> pd.DataFrame:
        """Current events in the EVENT_COLUMNS schema, ordered by upload then row (``encoded``:
        text columns as categoricals).

        Rows stream from the server unsorted (so the server never holds the result) and are
        turned into typed frames ``events_chunk`` rows at a time, so the client never holds the
        whole result as Python records (~10x the frame either); ``encoded``, each chunk's text
        columns become categoricals at once and the chunks' categories are united.
        """
        prefix = f"{year:04d}-" if year is not None else None
        return self._read_events(q.READ_EVENTS, {"period": period, "year": prefix}, encoded)

    def uploads_holding(self, ids: Iterable[str]) -> set[int]:
        """The current uploads with a row naming any of ``ids`` as lot, shipment or batch,
        found from the Lot, Shipment and Batch nodes' indexes (``flowgraph trace`` reads only
        those: analysis/tracescope.py)."""
        rows = self._read(q.UPLOADS_HOLDING, ids=sorted(set(ids)))
        return {int(r["upload_id"]) for r in rows}

    def events_of_uploads(self, upload_ids: Iterable[int]) -> pd.DataFrame:
        """The events of these current uploads, encoded, in store order (as ``events``)."""
        chosen = sorted({int(u) for u in upload_ids})
        return self._read_events(q.READ_UPLOAD_EVENTS, {"uploads": chosen}, True)

    def _read_events(self, query: str, params: dict, encoded: bool) -> pd.DataFrame:
        """Events of ``query`` (READ_EVENTS' columns), streamed ``events_chunk`` rows at a time."""

        def work(tx: neo4j.ManagedTransaction) -> list[pd.DataFrame]:
            result = tx.run(query, **params)
            keys, parts, values = result.keys(), [], []
            for record in result:
                values.append(record.values())
                if len(values) >= self.events_chunk:
                    parts.append(chunk(values, keys))
                    values = []
            if values:
                parts.append(chunk(values, keys))
            return parts

        def chunk(values: list, keys: list) -> pd.DataFrame:
            frame = event_frame(values, keys)
            return encode_text(frame) if encoded else frame

        parts = self._call(lambda: self._run_read(work))
        if not parts:
            return conform_events(pd.DataFrame(), encoded=encoded)
        frame = concat_events(parts) if encoded else pd.concat(parts, ignore_index=True)
        # Sorted here, not by the server: an ORDER BY makes the server hold the whole result
        # (a national year of 1.1 M events exhausted a 1 GB heap); (upload, row) is unique.
        order = np.lexsort((frame["source_row"].to_numpy(), frame["upload_id"].to_numpy()))
        frame = frame.take(order).reset_index(drop=True)
        return encode_text(frame) if encoded else frame  # categories in the rows' order again

    # -- carry-overs of detection by year (analysis/years.py) -------------------------------

    def carryover(self, year: int, fingerprint: str) -> pd.DataFrame | None:
        """The carry-over kept for ``year`` under ``fingerprint``, None when none is: one
        (:CarryOver) node per upload its rows come from, the rows as the embedded store's
        Arrow blob (a cache, not part of the graph of record)."""
        rows = self._read(
            "MATCH (c:CarryOver {year: $year}) RETURN c.upload_id AS upload_id, "
            "c.fingerprint AS fingerprint, c.data AS data ORDER BY upload_id",
            year=year,
        )
        if not rows or any(r["fingerprint"] != fingerprint for r in rows):
            return None
        kept = [r for r in rows if r["upload_id"] != 0]  # upload 0: kept empty
        return eventcodec.decode_events(
            [bytes(r["data"]) for r in kept], [r["upload_id"] for r in kept]
        )

    # -- registry --------------------------------------------------------------------------

    def registry(self, version: int | None = None) -> Registry:
        """The current registry (or an older ``version`` from history)."""
        if version is None:
            latest = self._read(q.LATEST_REGISTRY)
            if not latest:
                return Registry.empty()
            version = latest[0]["version"]
        held = self._read(q.READ_REGISTERS_HELD, version=version)[0]
        reads = {
            "customs": q.READ_CUSTOMS,
            "licences": q.READ_LICENCES,
            "controls": q.READ_CONTROLS,
        }
        return registry_frames(
            self._read(q.READ_ENTERPRISES, version=version),
            self._read(q.READ_DESIGNATIONS, version=version),
            self._read(q.READ_QUOTAS, version=version),
            {name: self._read(reads[name], version=version) for name in reads if held[name]},
        )
