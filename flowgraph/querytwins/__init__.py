"""Library twins of the investigator queries of ``queries/``, for the embedded store.

Each twin is a pure function of the current events, the current registry and the latest
run's findings that returns what its Cypher returns on Neo4j: the same columns, in the same
order, sorted by the same keys (``tests/neo4j/test_neo4j_twins.py`` holds each twin equal to its
Cypher on a real server). Lists in cells (``lots``, ``route``, ``countries``, ``entitled``, ...)
are sorted; Cypher's ``collect`` gives no order. ``flowgraph.querylib.run_query`` picks the
Cypher on Neo4j and the twin elsewhere, so callers (the CLI, the workbench) use one API.

>>> from flowgraph.model import Registry, events_frame
>>> ev = events_frame([{"event_id": "1", "event_type": "ship", "date": "2024-03-01",
...     "enterprise_id": "E1", "lot_id": "L1", "mass_kg": 5, "counterparty_id": "E2",
...     "shipment_id": "S1", "product": "BAST_CONC"}])
>>> data = QueryData(ev, Registry.empty())
>>> run_twin(data, "unmatched_shipments", {})[["side", "shipment_id", "lots"]].values.tolist()
[['shipped, no receipt', 'S1', ['L1']]]
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import Any

import pandas as pd

from flowgraph.model import Registry, empty_findings
from flowgraph.querytwins import enterprise, lots, registers, trade
from flowgraph.querytwins.graphview import lineage_edges, lot_nodes

TWINS: dict[str, Callable[..., pd.DataFrame]] = {
    "batches_outside_recovery_band": enterprise.batches_outside_recovery_band,
    "customs_reconciliation": registers.customs_reconciliation,
    "enterprise_monthly_balance": enterprise.enterprise_monthly_balance,
    "findings_around_enterprise": enterprise.findings_around_enterprise,
    "licence_usage": registers.licence_usage,
    "lot_downstream": lots.lot_downstream,
    "lot_provenance": lots.lot_provenance,
    "lots_with_unexplained_holders": lots.lots_with_unexplained_holders,
    "paths_to_exports": trade.paths_to_exports,
    "quota_burndown": enterprise.quota_burndown,
    "single_counterparty_traders": trade.single_counterparty_traders,
    "undesignated_sender_flows": trade.undesignated_sender_flows,
    "unmatched_shipments": trade.unmatched_shipments,
    "untraceable_entry_points": lots.untraceable_entry_points,
}


class QueryData:
    """The inputs of the twins: current events, current registry, latest findings.

    Derived tables (lot nodes, lineage links) are computed on first use and kept on this
    object only, so one QueryData serves several queries over the same store state.
    ``findings`` may be a frame or a function returning one (read only when a twin needs it).
    """

    def __init__(
        self,
        events: pd.DataFrame,
        registry: Registry,
        findings: pd.DataFrame | Callable[[], pd.DataFrame] | None = None,
    ):
        self.events = events
        self.registry = registry
        self._findings = findings

    @classmethod
    def from_store(cls, store) -> QueryData:
        """Read a store's current events and registry (findings when first needed)."""
        return cls(store.events(), store.registry(), store.findings)

    @cached_property
    def findings(self) -> pd.DataFrame:
        found = self._findings() if callable(self._findings) else self._findings
        return empty_findings() if found is None else found

    @cached_property
    def lots(self) -> pd.DataFrame:
        return lot_nodes(self.events)

    @cached_property
    def lineage(self) -> pd.DataFrame:
        return lineage_edges(self.events)

    @cached_property
    def registered(self) -> set[str]:
        return set(self.registry.enterprises["enterprise_id"].dropna())

    @cached_property
    def enterprise_ids(self) -> set[str]:
        ev = self.events
        return (
            self.registered
            | set(ev["enterprise_id"].dropna())
            | set(ev["counterparty_id"].dropna())
        )

    @cached_property
    def by_enterprise(self) -> dict:
        """Row positions of each enterprise's events."""
        return self.events.groupby("enterprise_id", sort=False).indices

    def rows_of(self, enterprise_id: str) -> pd.DataFrame:
        """One enterprise's events (empty frame for an unknown one)."""
        import numpy as np

        return self.events.iloc[self.by_enterprise.get(enterprise_id, np.array([], dtype=int))]

    @cached_property
    def shipment_links(self) -> pd.DataFrame:
        """Distinct (shipment_id, counterparty_id) of the ship and receive rows: a Shipment
        node's TO / FROM links (shipment nodes are shared by id)."""
        ev = self.events
        rows = ev.loc[
            ev["event_type"].isin(("ship", "receive")), ["shipment_id", "counterparty_id"]
        ]
        return rows.dropna(subset=["shipment_id"]).drop_duplicates().reset_index(drop=True)

    @cached_property
    def shipment_nodes(self) -> set[str]:
        """The shipment ids the graph has nodes for (ship / receive rows; exports make none)."""
        return set(self.shipment_links["shipment_id"])

    def with_findings(self, findings) -> QueryData:
        """A QueryData over the same events and registry (sharing what is already derived from
        them) with other findings: a new detection run does not re-derive the graph view."""
        other = QueryData(self.events, self.registry, findings)
        for name in ("lots", "lineage", "registered", "enterprise_ids", "by_enterprise",
                     "shipment_links", "shipment_nodes"):  # fmt: skip
            other.__dict__[name] = getattr(self, name)  # cached_property storage: shared
        return other

    @staticmethod
    def order(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
        """Sorted by ``keys`` (nulls last, as Cypher's ORDER BY), None for missing text."""
        out = frame.sort_values(keys, kind="stable", na_position="last").reset_index(drop=True)
        for column in out.columns:
            if not pd.api.types.is_numeric_dtype(out[column]):
                values = out[column].astype(object)
                out[column] = values.where(values.notna(), None)
        return out


def run_twin(data: QueryData, name: str, params: dict[str, Any]) -> pd.DataFrame:
    """Run the twin of named query ``name`` with bound parameters (see ``querylib.bind``)."""
    return TWINS[name](data, **params)
