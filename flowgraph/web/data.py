"""What the workbench reads from its store, read once per store state and shared by pages.

A ``Snapshot`` holds the current events, registry and what is derived from them (the prepared
view: batch structure, traceable shares; the twins' graph view); it is rebuilt when the store's current
uploads or registry change (checked on each page view: a small read), so several pages and
users share one read of a national year. Findings are read fresh each time (small).
"""

from __future__ import annotations

import threading
from functools import cached_property

import numpy as np
import pandas as pd

from flowgraph.model import Registry


class Snapshot:
    """The store's current data; derived tables are computed on first use."""

    def __init__(self, events: pd.DataFrame, registry: Registry):
        self.events = events
        self.registry = registry
        self._flows: dict[tuple, pd.DataFrame] = {}
        self._flows_lock = threading.Lock()

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
    def by_enterprise(self) -> dict[str, np.ndarray]:
        """Row positions of each enterprise's events (its pages read only those)."""
        return self.events.groupby("enterprise_id", sort=False).indices

    def enterprise_rows(self, enterprise_id: str) -> pd.DataFrame:
        """The enterprise's current events with their kg REO (column ``reo``)."""
        rows = self.by_enterprise.get(enterprise_id, np.array([], dtype=np.int64))
        return self.events.iloc[rows].assign(reo=self.view.row_reo[rows])

    def flow_table(
        self,
        *,
        by: str = "role",
        year: int | None = None,
        period: str | None = None,
        product_family: str | None = None,
        province: str | None = None,
    ) -> pd.DataFrame:
        """``reports.flows.flow_table`` for these choices, computed once per snapshot."""
        from flowgraph.reports.flows import flow_table

        choices = {"by": by, "year": year, "period": period, "product_family": product_family,
                   "province": province}  # fmt: skip
        key = tuple(choices.items())
        with self._flows_lock:
            if key not in self._flows:
                self._flows[key] = flow_table(self.view, self.registry, **choices)
            return self._flows[key]

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

        def unique(values: pd.Series) -> pd.Index:  # vectorised: a national year has 1M rows
            return pd.Index(pd.unique(values.dropna().astype(object))).astype(object).sort_values()

        enterprises = pd.concat(
            [ev["enterprise_id"], ev["counterparty_id"], self.registry.enterprises["enterprise_id"]]
        )
        batched = ev[ev["batch_id"].notna()]
        return {
            "enterprise": unique(enterprises),
            "lot": unique(ev["lot_id"]),
            "shipment": unique(ev["shipment_id"]),
            "batch": unique(batched["enterprise_id"].astype(object) + "/"
                            + batched["batch_id"].astype(object)),
        }  # fmt: skip


class Workbench:
    """The store behind the workbench and its current snapshot (thread-safe)."""

    def __init__(self, store, settings: dict | None = None):
        self.store = store
        self.settings = settings or {}
        self._lock = threading.Lock()
        self._key: tuple | None = None
        self._snapshot: Snapshot | None = None
        self._findings: tuple[tuple, pd.DataFrame] | None = None

    def _state(self) -> tuple:
        """What identifies the store's current data: the current uploads and registry version
        (two small reads; the events are read again only when these change)."""
        uploads = self.store.uploads()
        ids = tuple(sorted(int(i) for i in uploads["upload_id"])) if len(uploads) else ()
        return ids, self.store.registry_version()

    def snapshot(self) -> Snapshot:
        """The current data, re-read only when uploads or registry changed; checked once per
        request (a page and its callbacks are several requests)."""
        import flask

        if flask.has_request_context() and "fg_snapshot" in flask.g:
            return flask.g.fg_snapshot
        with self._lock:
            key = self._state()
            if self._snapshot is None or self._key != key:
                self._snapshot = Snapshot(self.store.events(encoded=True), self.store.registry())
                self._key = key
            snapshot = self._snapshot
        if flask.has_request_context():
            flask.g.fg_snapshot = snapshot
        return snapshot

    def warm(self) -> Snapshot:
        """Read the store and compute what the first pages need (`flowgraph serve` does this
        before it listens): the prepared view's shares, the twins' graph view, the default
        Sankey."""
        snapshot = self.snapshot()
        snapshot.view.shares  # noqa: B018 - computed now, kept on the view
        snapshot.query_data.with_findings(None)  # the twins' graph view, derived once
        snapshot.by_enterprise  # noqa: B018
        snapshot.ids  # noqa: B018 - the search index
        periods = sorted(set(snapshot.events["period"].dropna()))
        if periods:
            snapshot.flow_table(year=int(periods[-1][:4]))
        return snapshot

    def findings(self) -> pd.DataFrame:
        """The latest recorded run's findings (read again only when a new run is recorded)."""
        runs = self.store.runs()
        key = (len(runs), str(runs["ran_at"].iloc[-1]) if len(runs) else None)
        with self._lock:
            if self._findings is None or self._findings[0] != key:
                self._findings = (key, self.store.findings())
            return self._findings[1]

    def query(self, name: str, params: dict) -> pd.DataFrame:
        """A named investigator query through the one library API (Cypher or twin)."""
        from flowgraph.querylib import run_query
        from flowgraph.store.base import CypherReads

        if isinstance(self.store, CypherReads):
            return run_query(self.store, name, params)
        data = self.snapshot().query_data.with_findings(self.findings)
        return run_query(self.store, name, params, data=data)
