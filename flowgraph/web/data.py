"""What the workbench reads from its store, read once per store state and shared by pages.

A ``Snapshot`` holds the current events, registry and what is derived from them (the prepared
view: batch structure, traceable shares; the twins' graph view); it is rebuilt when the store's current
uploads or registry change (checked on each page view: a small read), so several pages and
users share one read of a national year. Findings are read fresh each time (small).
"""

from __future__ import annotations

import threading
from functools import cached_property

import pandas as pd

from flowgraph.model import Registry


class Snapshot:
    """The store's current data; derived tables are computed on first use."""

    def __init__(self, events: pd.DataFrame, registry: Registry):
        self.events = events
        self.registry = registry

    @cached_property
    def view(self):
        """The prepared view (analysis/prepared.py) every page's analysis reads: batch
        structure, traceable shares, row REO, computed once per snapshot."""
        from flowgraph.analysis.prepared import PreparedEvents

        return PreparedEvents(self.events, self.registry)

    @property
    def structure(self):
        return self.view.structure

    @property
    def shares(self) -> pd.Series:
        return self.view.shares

    @cached_property
    def query_data(self):
        from flowgraph.querytwins import QueryData

        return QueryData(self.events, self.registry)

    @cached_property
    def names(self) -> dict[str, str]:
        ent = self.registry.enterprises
        return {str(i): str(n) for i, n in zip(ent["enterprise_id"], ent["name"], strict=True) if n}

    @cached_property
    def ids(self) -> dict[str, pd.Index]:
        """Every id a search can find, by kind (sorted, unique)."""
        ev = self.events

        def unique(values: pd.Series) -> pd.Index:
            return pd.Index(sorted(set(values.dropna().astype(str))))

        enterprises = pd.concat(
            [ev["enterprise_id"], ev["counterparty_id"], self.registry.enterprises["enterprise_id"]]
        )
        batches = ev.loc[ev["batch_id"].notna(), ["enterprise_id", "batch_id"]].drop_duplicates()
        return {
            "enterprise": unique(enterprises),
            "lot": unique(ev["lot_id"]),
            "shipment": unique(ev["shipment_id"]),
            "batch": pd.Index(sorted(f"{e}/{b}" for e, b in batches.itertuples(index=False))),
        }


class Workbench:
    """The store behind the workbench and its current snapshot (thread-safe)."""

    def __init__(self, store, settings: dict | None = None):
        self.store = store
        self.settings = settings or {}
        self._lock = threading.Lock()
        self._key: tuple | None = None
        self._snapshot: Snapshot | None = None

    def _state(self) -> tuple:
        uploads = self.store.uploads()
        ids = tuple(sorted(int(i) for i in uploads["upload_id"])) if len(uploads) else ()
        registry = self.store.registry()
        from flowgraph.store.decision import registry_digest

        return ids, registry_digest(registry), registry

    def snapshot(self) -> Snapshot:
        """The current data, re-read only when uploads or registry changed."""
        with self._lock:
            ids, digest, registry = self._state()
            if self._snapshot is None or self._key != (ids, digest):
                self._snapshot = Snapshot(self.store.events(), registry)
                self._key = (ids, digest)
            return self._snapshot

    def findings(self) -> pd.DataFrame:
        """The latest recorded run's findings."""
        return self.store.findings()

    def query(self, name: str, params: dict) -> pd.DataFrame:
        """A named investigator query through the one library API (Cypher or twin)."""
        from flowgraph.querylib import run_query
        from flowgraph.store.base import CypherReads

        if isinstance(self.store, CypherReads):
            return run_query(self.store, name, params)
        data = self.snapshot().query_data.with_findings(self.findings)
        return run_query(self.store, name, params, data=data)
